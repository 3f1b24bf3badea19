"""Content kept by its SHA-256: written aside, renamed into place, once; re-hashed on demand."""
from __future__ import annotations

import hashlib
import io
import os

import pytest

from engine.errors import TooLarge
from engine.files import FileStore
from tests.engine.files import samples


def kept_files(root):  # type: ignore[no-untyped-def]
    return sorted(p for p in root.rglob("*") if p.is_file() and "incoming" not in p.parts)


def test_content_is_kept_once_under_its_hash(tmp_path):
    store = FileStore(tmp_path, max_bytes=1024 * 1024)
    content = samples.pdf()
    first = store.receive(io.BytesIO(content))
    assert first.sha256 == hashlib.sha256(content).hexdigest() and first.size == len(content)
    assert kept_files(tmp_path) == []  # received, not kept yet: no file under a hash name
    path = store.keep(first)
    assert path == tmp_path / first.sha256[:2] / first.sha256[2:4] / first.sha256
    assert path.read_bytes() == content
    again = store.receive(io.BytesIO(content))
    assert store.keep(again) == path
    assert kept_files(tmp_path) == [path] and list((tmp_path / "incoming").iterdir()) == []


def test_a_file_over_the_limit_is_refused_and_leaves_nothing(tmp_path):
    store = FileStore(tmp_path, max_bytes=1000)
    with pytest.raises(TooLarge) as refused:
        store.receive(io.BytesIO(b"%PDF-" + b"x" * 1000))
    assert refused.value.status == 413
    assert kept_files(tmp_path) == [] and list((tmp_path / "incoming").iterdir()) == []
    exactly = store.receive(io.BytesIO(b"y" * 1000))  # the limit itself is allowed
    assert exactly.size == 1000
    store.discard(exactly)


def test_check_tells_intact_changed_and_missing_content(tmp_path):
    store = FileStore(tmp_path, max_bytes=1024 * 1024)
    path = store.keep(store.receive(io.BytesIO(samples.png())))
    sha256 = path.name
    assert store.check(sha256) is None
    os.chmod(path, 0o640)
    path.write_bytes(samples.png() + b"tampered")
    assert store.check(sha256) == "changed"
    path.unlink()
    assert store.check(sha256) == "missing"
    assert store.check("not-a-hash") == "missing"
