"""Whether the tracker's batched UDP I/O (recvmmsg/sendmmsg through ctypes) is there.

It is skipped where the platform has none; on 64-bit Linux, where `udp_batch` is meant to load
it, its absence fails the test instead (a tracker that silently fell back would pass otherwise).
"""

from __future__ import annotations

import ctypes
import sys

import pytest

from torrentstack.tracker.udp_batch import BatchSocket


def require_batch_udp() -> None:
    """Skip without recvmmsg/sendmmsg, or fail where the platform should have them."""
    if BatchSocket.available():
        return
    message = "recvmmsg/sendmmsg are not available here"
    if sys.platform.startswith("linux") and ctypes.sizeof(ctypes.c_void_p) == 8:
        pytest.fail(f"{message}, on 64-bit Linux where the tracker batches its UDP I/O")
    pytest.skip(message)
