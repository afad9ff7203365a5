"""The only module that imports libtorrent.

So far it reports the library's versions (`app/buildInfo`); the session owner (one thread,
commands in, alert data copied out) is the next slice of the client issue.
"""

from __future__ import annotations

import ssl
import struct
import zlib

import libtorrent


def library_versions() -> dict[str, str | int]:
    """What `app/buildInfo` reports: real versions of what we run on (no Qt, no Boost headers)."""
    openssl = ssl.OPENSSL_VERSION.split()[1] if ssl.OPENSSL_VERSION.startswith("OpenSSL ") else ""
    return {
        "bitness": struct.calcsize("P") * 8,
        "boost": "",
        "libtorrent": str(libtorrent.__version__),
        "openssl": openssl,
        "qt": "",
        "zlib": zlib.ZLIB_VERSION,
    }
