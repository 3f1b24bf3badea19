"""A PostgreSQL server of a test's own: the installed ``initdb`` and ``pg_ctl`` run as the ``postgres``
user in a temporary directory, on a free port, so a test may stop and start it without touching the
shared server that the rest of the suite uses."""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.waiting import DEADLINE_SECONDS, free_port

USER = "postgres"


def _bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not found:
        pytest.fail("PostgreSQL's initdb is not installed (looked for /usr/lib/postgresql/*/bin/initdb): "
                    "apt-get install -y postgresql")
    return Path(found[-1]).parent


class OwnPostgres:
    """``start()``, ``stop()`` and ``url`` of one private cluster; ``close()`` removes it."""

    def __init__(self) -> None:
        self.bin = _bin_dir()
        try:
            account = pwd.getpwnam(USER)
        except KeyError:
            pytest.fail(f"there is no {USER!r} user to run PostgreSQL as")
        # short: the server's Unix socket goes in here too (a socket path holds at most 107 bytes)
        self.dir = Path(tempfile.mkdtemp(prefix="tf-pg-"))
        os.chown(self.dir, account.pw_uid, account.pw_gid)
        self.data, self.log, self.port = self.dir / "data", self.dir / "server.log", free_port()
        self.url = f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/postgres"
        self._as_postgres(self.bin / "initdb", "-D", str(self.data), "-U", USER, "--auth=trust", "-E", "UTF8",
                          "--no-sync")

    @staticmethod
    def _argv(*command: object) -> list[str]:
        return [*(["runuser", "-u", USER, "--"] if os.geteuid() == 0 else []), *map(str, command)]

    def _as_postgres(self, *command: object) -> None:
        done = subprocess.run(self._argv(*command), capture_output=True, text=True, timeout=DEADLINE_SECONDS)
        if done.returncode != 0:
            log = self.log.read_text()[-2000:] if self.log.is_file() else ""
            pytest.fail(f"{command[0]} failed ({done.returncode}): {done.stdout}{done.stderr}{log}")

    def start(self) -> None:
        """Start the server and wait (``pg_ctl -w``) until it accepts connections."""
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._as_postgres(self.bin / "pg_ctl", "-D", self.data, "-l", self.log, "-o", options,
                          "-w", "-t", int(DEADLINE_SECONDS), "start")

    def stop(self) -> None:
        """Stop it the way an outage would: every connection is cut at once."""
        self._as_postgres(self.bin / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "-t", int(DEADLINE_SECONDS),
                          "stop")

    def tool(self, name: str) -> Path:
        return self.bin / name

    def close(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(self._argv(self.bin / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop"),
                           capture_output=True, timeout=DEADLINE_SECONDS)
        shutil.rmtree(self.dir, ignore_errors=True)
