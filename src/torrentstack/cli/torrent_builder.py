"""The torrent builder now lives in `torrentstack.torrent_builder` (the client's creator uses it
too); these names stay importable from here for the CLI's callers."""

from __future__ import annotations

from torrentstack.torrent_builder import (
    CreateError,
    CreateOptions,
    ProgressCallback,
    build_torrent,
    list_files,
)

__all__ = ["CreateError", "CreateOptions", "ProgressCallback", "build_torrent", "list_files"]
