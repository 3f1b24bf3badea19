"""The yearly review's case page reads as people speak: units by name, talents by name (a link to
their page for whoever may open it), its data's keys by their words, and no unit tree path at all."""
from __future__ import annotations

import re
from html import unescape

from sqlalchemy import select

from engine.store.models import Unit
from tests.web.grid_support import review_with_talents
from tests.web.support import signed_in, text_of
from workflows.programme import registry

#: A unit's place in the tree (/1/2/), not a date (15/12/2026).
TREE_PATH = re.compile(r"(?<!\w)/\d+/(?:\d+/)*")


def data_of(page: str) -> str:
    """The "case data you may see" part of a case page, as text."""
    text = unescape(text_of(page))
    start = text.index("Dữ liệu hồ sơ bạn được xem")
    return text[start:text.index("Sơ đồ", start)]


def talent_ids(store, names: list[str]) -> dict[str, int]:
    with store.read() as db:
        return {t["full_name"]: t["talent_id"] for t in registry.active_talents(db) if t["full_name"] in names}


def test_hr_reads_the_reviews_register_by_unit_names_and_talent_names_without_tree_paths(app, auth, store,
                                                                                     manual_clock):
    review = review_with_talents(store, auth, ours=2, theirs=1)
    page = signed_in(app, "hr").get(f"/cases/{review['case']['id']}")
    shown = data_of(page)
    with store.read() as db:
        codes = set(db.scalars(select(Unit.code)))
    assert "Sở KH&CN" in shown and "Sở GD&ĐT" in shown, shown
    assert not TREE_PATH.search(shown), shown           # no unit tree path (/1/2/)
    assert not {"history", "talents"} & set(shown.split()), shown
    assert not codes & set(re.findall(r"[\w-]+", shown)), shown
    assert "Các lần rà soát trước" in shown
    for name, talent_id in talent_ids(store, review["ours"] + review["theirs"]).items():
        assert f'<a href="/talents/{talent_id}">{name}</a>' in page


def test_a_unit_head_sees_their_talents_under_a_heading_in_words_linked_to_their_pages(app, auth, store,
                                                                                     manual_clock):
    review = review_with_talents(store, auth, ours=2, theirs=1)
    page = signed_in(app, "head_khcn").get(f"/cases/{review['case']['id']}")
    shown = data_of(page)
    assert "Nhân tài thuộc đơn vị của bạn" in shown and "talents" not in shown.split(), shown
    assert "Sở KH&CN" in shown and "Phòng QLKH" in shown and not TREE_PATH.search(shown), shown
    assert "Trương Thị Khác" not in shown  # another unit's talent stays out of their view
    for name, talent_id in talent_ids(store, review["ours"]).items():
        assert f'<a href="/talents/{talent_id}">{name}</a>' in page
        assert signed_in(app, "head_khcn").client.get(f"/talents/{talent_id}").status_code == 200
