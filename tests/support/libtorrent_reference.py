"""What libtorrent makes of the same content: the reference our torrents are checked against."""

from __future__ import annotations

from pathlib import Path

import pytest


def lt_create(
    path: Path,
    version: str,
    piece_length: int,
    *,
    trackers: tuple[tuple[str, ...], ...] = (),
    web_seeds: tuple[str, ...] = (),
    comment: str = "",
    creator: str = "",
    private: bool = False,
) -> bytes:
    """A torrent for `path` made by libtorrent's `create_torrent` (creation date 0)."""
    lt = pytest.importorskip("libtorrent")
    flags = {"v1": lt.create_torrent.v1_only, "v2": lt.create_torrent.v2_only, "hybrid": 0}
    files = lt.list_files(str(path))
    if version == "v1":
        # libtorrent keeps directory-listing order for v1-only torrents; we sort as for v2.
        files.sort(key=lambda f: tuple(part.encode() for part in f.filename.split("/")))
    ct = lt.create_torrent(files, piece_length, flags[version])
    for tier, urls in enumerate(trackers):
        for url in urls:
            ct.add_tracker(url, tier)
    for url in web_seeds:
        ct.add_url_seed(url)
    if comment:
        ct.set_comment(comment)
    if creator:
        ct.set_creator(creator)
    ct.set_priv(private)
    ct.set_creation_date(0)
    lt.set_piece_hashes(ct, str(path.parent))
    return bytes(lt.bencode(ct.generate()))


def lt_info_hashes(torrent: bytes) -> tuple[str | None, str | None]:
    """The (v1, v2) hex infohashes libtorrent computes for a torrent file's bytes."""
    lt = pytest.importorskip("libtorrent")
    hashes = lt.torrent_info(lt.bdecode(torrent)).info_hashes()
    v1 = str(hashes.v1) if hashes.has_v1() else None
    v2 = str(hashes.v2) if hashes.has_v2() else None
    return v1, v2
