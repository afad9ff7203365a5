"""One process per data directory: an exclusive lock on `<data dir>/lock`, held while serving.

Two processes on one data directory would write the same SQLite database, resume files and
secrets. The lock is `flock`, so the kernel drops it when the process dies (a kill -9 leaves
nothing stale to clean up); the file records the holder's pid for the error message.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from torrentstack.errors import TorrentstackError


class DataDirectoryInUse(TorrentstackError):
    """Another process serves with this data directory; `path` names it."""

    def __init__(self, path: Path, holder: str) -> None:
        self.path = path
        who = f" (pid {holder})" if holder else ""
        super().__init__(f"data directory {path} is in use by another torrentstack{who}")


@contextlib.contextmanager
def data_directory_lock(data_dir: Path) -> Iterator[None]:
    """Hold the data directory's lock for the `with` block, or raise DataDirectoryInUse."""
    path = data_dir / "lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            raise DataDirectoryInUse(data_dir, holder) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
