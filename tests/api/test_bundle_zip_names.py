"""Zip members named in UTF-8 by tools that do not set the zip's UTF-8 flag (Windows' Explorer,
7-Zip): the bundle keeps the Vietnamese name its maker typed, not CP437 mojibake."""
from __future__ import annotations

import io
import zipfile

from tests.api.test_bundle_call_cycles import leaf
from tests.api.test_conformance_bundles import definitions, post_files


def legacy_zip(name: str, content: bytes, encoding: str = "utf-8") -> bytes:
    """A zip whose member's name is ``name``'s bytes in ``encoding`` with the UTF-8 flag unset."""
    raw = name.encode(encoding)
    placeholder = "X" * (len(raw) - len(".bpmn")) + ".bpmn"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(placeholder, content)
    data = buffer.getvalue().replace(placeholder.encode(), raw)
    [info] = zipfile.ZipFile(io.BytesIO(data)).infolist()
    assert not info.flag_bits & 0x800
    return data


def test_a_member_named_in_utf8_without_the_flag_keeps_its_vietnamese_name(auth, store):
    response = post_files(auth, {"ho_so.zip": legacy_zip("hồ_sơ.bpmn", leaf("ho_so"))})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["files"] == ["hồ_sơ.bpmn"]
    [row] = definitions(store, "ho_so")
    assert row.key == "ho_so"


def test_a_member_named_in_the_old_dos_code_page_keeps_that_reading(auth, store):
    response = post_files(auth, {"dos.zip": legacy_zip("café.bpmn", leaf("cafe_p"), "cp437")})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["files"] == ["café.bpmn"]
