"""A file is what its content says, never what its name or sender says."""
from __future__ import annotations

import pytest

from engine.files import ACCEPTED, Refused, clean_name, detect
from engine.files.kinds import DOCX, JPEG, PDF
from tests.engine.files import samples


@pytest.mark.parametrize("kind", sorted(samples.ACCEPTED))
def test_each_accepted_kind_is_known_by_its_content_alone(tmp_path, kind):
    path = tmp_path / "upload.bin"  # no extension to go by
    path.write_bytes(samples.ACCEPTED[kind]())
    assert detect(path).name == kind


@pytest.mark.parametrize("what", sorted(samples.DISGUISED))
def test_anything_else_is_refused_naming_the_accepted_kinds(tmp_path, what):
    path = tmp_path / samples.DISGUISED[what][0]
    path.write_bytes(samples.DISGUISED[what][1])
    with pytest.raises(Refused) as refused:
        detect(path)
    assert refused.value.status == 422 and refused.value.code == "unsupported_file_type"
    assert ACCEPTED in refused.value.message


def test_a_zip_bomb_is_refused_without_inflating_it(tmp_path):
    path = tmp_path / "bomb.docx"
    path.write_bytes(samples.zip_bomb())
    assert path.stat().st_size < 200_000
    with pytest.raises(Refused, match="inflates"):
        detect(path)


@pytest.mark.parametrize(("sent", "kind", "kept"), [
    ("Quyết định công nhận.pdf", PDF, "Quyết định công nhận.pdf"),
    ("../../etc/passwd", PDF, "passwd.pdf"),
    ("C:\\Users\\an\\Đề án.docx", DOCX, "Đề án.docx"),
    ("setup.exe", PDF, "setup.exe.pdf"),
    ("bien\x00ban\r\n.pdf", PDF, "bien ban.pdf"),
    ("ảnh thẻ.JPEG", JPEG, "ảnh thẻ.JPEG"),
    ("", PDF, "tep.pdf"),
    ("...", PDF, "tep.pdf"),
])
def test_names_lose_folders_and_control_characters_and_keep_the_kinds_extension(sent, kind, kept):
    assert clean_name(sent, kind) == kept


def test_a_long_name_is_cut_but_keeps_its_extension():
    name = clean_name("Hồ sơ " * 100 + ".pdf", PDF)
    assert len(name) <= 160 and name.endswith(".pdf")
