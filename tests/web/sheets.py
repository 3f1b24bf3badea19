"""A sheet sent from the task page as a person sends it: the first submit shows it back for review,
"Gửi" completes the task (api/web/pages/sheetreview.py)."""
from __future__ import annotations

import html as markup
import re
from typing import Any

from tests.web.support import Page

_DRAFT = re.compile(r'name="_draft" value="([^"]+)"')


def draft_of(html: str) -> str:
    """The signed draft the review page carries."""
    found = _DRAFT.search(html)
    assert found, "the page shows no sheet to review"
    return markup.unescape(found.group(1))


def send_sheet(page: Page, path: str, posted: dict[str, Any], status: int = 302) -> Any:
    """Submit the sheet, check the review shows it back, and send it; the confirm's response."""
    review = page.post(path, posted, status=200).get_data(as_text=True)
    assert "Kiểm tra lại trước khi gửi" in review or "Check before you send" in review
    return page.post(path, {"_draft": draft_of(review), "_confirm": "1"}, status=status)
