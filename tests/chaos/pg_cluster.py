"""A throwaway PostgreSQL cluster (initdb + pg_ctl in a temp dir, on a free port) that a
test may stop and start at will, so the shared server on 5432 is never touched.

As root the server binaries refuse to run, so they run as the ``postgres`` user (through
``runuser``), which is given the temp dir. ``find_binaries`` is None when initdb/pg_ctl are
not installed (tests skip with that reason).
"""

from __future__ import annotations

import asyncio
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

SKIP_REASON = (
    "initdb/pg_ctl not found (install postgresql; Debian: /usr/lib/postgresql/*/bin), "
    "or running as root without a 'postgres' user to run them as"
)


def find_binaries() -> Path | None:
    """The folder holding initdb and pg_ctl: on PATH, else Debian's versioned folders
    (None also as root without a ``postgres`` user to run them as)."""
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return None
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).parent
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ThrowawayPostgres:
    """``start()`` / ``stop()`` as often as needed; ``destroy()`` removes everything."""

    def __init__(self, binaries: Path) -> None:
        self.binaries = binaries
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="cw-chaos-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self._as: list[str] = []
        if os.geteuid() == 0:  # the server refuses to run as root
            self._as = ["runuser", "-u", "postgres", "--"]
            shutil.chown(self.root, "postgres")
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 60) -> None:
        command = [*self._as, str(self.binaries / args[0]), *args[1:]]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {done.stderr.strip() or done.stdout.strip()}")

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync")

    def start(self) -> float:
        """Start and wait until it accepts connections; the monotonic time it did."""
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")
        return time.monotonic()

    def stop(self, mode: str = "fast") -> float:
        """Stop (``fast``: abort sessions, clean shutdown); the monotonic time it was down."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")
        return time.monotonic()

    async def astart(self) -> float:
        return await asyncio.to_thread(self.start)

    async def astop(self, mode: str = "fast") -> float:
        return await asyncio.to_thread(self.stop, mode)

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            try:
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
            except (RuntimeError, subprocess.TimeoutExpired):
                pass
        shutil.rmtree(self.root, ignore_errors=True)
