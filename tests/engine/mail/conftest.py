from __future__ import annotations

from typing import Iterator

import pytest

from tests.engine.mail.mailbox import Mailbox


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    box.start()
    yield box
    box.stop()
