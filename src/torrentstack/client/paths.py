"""Paths a request names (save, download, category paths), as qBittorrent takes them.

A relative path lies below the default save path (qBittorrent resolves it there, never
against the server's working directory). A path with a NUL byte, or that is not Unicode text,
is refused: handed to libtorrent it would be cut short at the NUL and write somewhere else.
"""

from __future__ import annotations

import os

from torrentstack.errors import TorrentstackError


class InvalidPath(TorrentstackError):
    """A path that cannot name a directory; `path` is what was given."""

    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(f"invalid path: {path!r}")


def resolve(path: str, base: str) -> str:
    """`path` made absolute against `base` (the default save path); "" stays ""."""
    check(path)
    if not path:
        return ""
    expanded = os.path.expanduser(path)
    return os.path.normpath(expanded if os.path.isabs(expanded) else os.path.join(base, expanded))


def check(path: str) -> None:
    """Raise InvalidPath for a path no file system takes: a NUL, or a lone surrogate."""
    if "\x00" in path:
        raise InvalidPath(path)
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidPath(path.encode("utf-8", "backslashreplace").decode()) from None
