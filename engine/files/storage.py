"""Content-addressed storage: every file kept once, under its SHA-256, outside the database.

A file arrives in a temporary file beside the store (same file system), hashed and counted as it
is written, and refused as soon as it passes the size limit. Only once the command that attaches
it has checked everything is it fsynced and renamed to its hash name, so a crash never leaves a
half-written file under a hash name, and a file that is refused leaves nothing behind. The same
content stored twice is one file. Nothing here ever deletes a file kept under its hash: events on
case chains name it, and verification re-hashes it (:meth:`FileStore.check`).
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from engine.errors import TooLarge

CHUNK = 1024 * 1024
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass
class Received:
    """A file written to a temporary name, hashed and measured, not yet kept."""

    path: Path
    sha256: str
    size: int


class FileStore:
    """Files by SHA-256 under ``root`` (``<root>/ab/cd/<sha256>``), at most ``max_bytes`` each."""

    def __init__(self, root: str | Path, max_bytes: int) -> None:
        self.root = Path(root)
        self.max_bytes = int(max_bytes)

    def path_of(self, sha256: str) -> Path:
        if not _SHA256.match(sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def receive(self, stream: BinaryIO) -> Received:
        """Copy ``stream`` to a temporary file in the store, hashing it; :class:`TooLarge` (and
        nothing left behind) once it passes the limit."""
        incoming = self.root / "incoming"
        incoming.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=incoming, prefix="upload-")
        digest, size = hashlib.sha256(), 0
        try:
            with os.fdopen(fd, "wb") as out:
                while True:
                    chunk = stream.read(CHUNK)
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise TooLarge(f"the file is larger than the limit of {self.max_bytes} bytes",
                                       {"file": [f"at most {self.max_bytes} bytes"]})
                    digest.update(chunk)
                    out.write(chunk)
        except BaseException:
            os.unlink(name)
            raise
        return Received(Path(name), digest.hexdigest(), size)

    def keep(self, received: Received) -> Path:
        """Put a received file under its hash name (durably: data, rename, directory); content
        already kept is left as it is and the copy dropped."""
        target = self.path_of(received.sha256)
        if target.exists():
            self.discard(received)
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(received.path, "rb") as written:
            os.fsync(written.fileno())
        os.chmod(received.path, 0o440)
        os.replace(received.path, target)
        _fsync_dir(target.parent)
        return target

    @staticmethod
    def discard(received: Received) -> None:
        try:
            os.unlink(received.path)
        except FileNotFoundError:
            pass

    def check(self, sha256: str) -> str | None:
        """None when the content kept under ``sha256`` still hashes to it; else "missing" or "changed"."""
        try:
            path = self.path_of(sha256)
        except ValueError:
            return "missing"
        digest = hashlib.sha256()
        try:
            with open(path, "rb") as kept:
                for chunk in iter(lambda: kept.read(CHUNK), b""):
                    digest.update(chunk)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return "missing"
        return None if digest.hexdigest() == sha256 else "changed"


def _fsync_dir(path: Path) -> None:
    """Make a rename into ``path`` durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
