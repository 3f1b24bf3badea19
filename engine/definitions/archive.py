"""A deployment bundle sent as one ``.zip``: its BPMN and DMN files, and nothing else.

A zip is input from a client, read before anything is checked, so it is read with distrust:
the sizes its directory declares are not believed (each member is read through a bounded
stream), a member that expands more than :data:`MAX_RATIO` times or past the limits is a bomb,
and the only members taken are ``.bpmn``/``.dmn`` files at safe relative paths. A path that
climbs out (``..``), is absolute or names a drive, an archive inside the archive, an encrypted
member, or any other file refuses the whole zip, with every such member named: a bundle is
deployed as sent or not at all, and a deployer who zipped the wrong folder should hear so, not
find half of it deployed.
"""
from __future__ import annotations

import io
import re
import zipfile

from engine.definitions.sources import MAX_SOURCE_BYTES, DefinitionInvalid, Problem, SourceFile

#: How many files a bundle may hold, and how much they may expand to altogether.
MAX_MEMBERS = 64
MAX_TOTAL_BYTES = 16 * 1024 * 1024
#: A member whose content is more than this many times its compressed size is refused as a bomb
#: (BPMN XML compresses about ten times; a bomb a thousand).
MAX_RATIO = 200
SUFFIXES = (".bpmn", ".dmn")
_ARCHIVE_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"\x1f\x8b", b"BZh", b"\xfd7zXZ", b"7z\xbc\xaf", b"Rar!")
_DRIVE = re.compile(r"^[A-Za-z]:")


def is_zip(source: SourceFile) -> bool:
    return source.name.lower().endswith(".zip") or source.content[:4] == b"PK\x03\x04"


def expand(sources: list[SourceFile]) -> list[SourceFile]:
    """The uploaded files with each zip among them replaced by its members (:func:`unpack`)."""
    out: list[SourceFile] = []
    for source in sources:
        out += unpack(source) if is_zip(source) else [source]
    return out


def _path_problem(name: str) -> str | None:
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        return "an absolute path"
    if ".." in parts:
        return "a path that leaves the bundle ('..')"
    if "\\" in name or any(ord(ch) < 32 for ch in name):
        return "a path with a backslash or a control character"
    return None


def member_name(info: zipfile.ZipInfo) -> str:
    """A member's name as its maker meant it. Without the UTF-8 flag (bit 11) :mod:`zipfile`
    reads the name as CP437, but Windows' Explorer and 7-Zip write UTF-8 bytes without setting
    the flag, so "hồ_sơ.bpmn" would come out as mojibake: such a name is decoded again as UTF-8
    when its bytes are valid UTF-8 (true CP437 names with accents rarely are), else kept."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def unpack(archive: SourceFile) -> list[SourceFile]:
    """The BPMN and DMN members of a zip, named by their path in it; :class:`DefinitionInvalid`
    naming each member that is not one (or the zip itself when it cannot be read)."""
    try:
        zipped = zipfile.ZipFile(io.BytesIO(archive.content))
        infos = zipped.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as err:
        raise DefinitionInvalid([Problem(f"not a readable zip archive: {err}", file=archive.name)]) from None
    files = [info for info in infos if not info.is_dir()]
    if len(files) > MAX_MEMBERS:
        raise DefinitionInvalid([Problem(f"the zip holds {len(files)} files; at most {MAX_MEMBERS} are taken",
                                         file=archive.name)])
    problems: list[Problem] = []
    out: list[SourceFile] = []
    total = 0
    for info in files:
        name = member_name(info)
        member = f"{archive.name}:{name}"
        reason = _path_problem(name)
        if reason is None and info.flag_bits & 0x1:
            reason = "an encrypted member"
        if reason is None and not name.lower().endswith(SUFFIXES):
            reason = ("an archive inside the archive" if name.lower().endswith(
                (".zip", ".jar", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar"))
                else "neither a .bpmn nor a .dmn file")
        if reason is None and info.file_size > MAX_SOURCE_BYTES:
            reason = "a member larger than 2 MiB"
        if reason is not None:
            problems.append(Problem(f"the zip member is {reason}; a bundle holds only BPMN and DMN files",
                                    file=member))
            continue
        try:
            with zipped.open(info) as stream:
                content = stream.read(MAX_SOURCE_BYTES + 1)  # never more, whatever the header says
        except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError, EOFError) as err:
            problems.append(Problem(f"the zip member cannot be read: {err}", file=member))
            continue
        total += len(content)
        if len(content) > MAX_SOURCE_BYTES or total > MAX_TOTAL_BYTES or \
                len(content) > MAX_RATIO * max(info.compress_size, 1):
            raise DefinitionInvalid([Problem(
                "the zip member expands far beyond its compressed size or the bundle's limits "
                f"({MAX_SOURCE_BYTES // (1024 * 1024)} MiB a file, {MAX_TOTAL_BYTES // (1024 * 1024)} MiB in all): "
                "refused as a zip bomb", file=member)])
        if content.startswith(_ARCHIVE_MAGIC):
            problems.append(Problem("the zip member is an archive inside the archive; a bundle holds only "
                                    "BPMN and DMN files", file=member))
            continue
        out.append(SourceFile(name, content))
    if problems:
        raise DefinitionInvalid(problems)
    if not out:
        raise DefinitionInvalid([Problem("the zip holds no BPMN or DMN file", file=archive.name)])
    return out
