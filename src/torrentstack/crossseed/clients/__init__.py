"""The torrent clients cross-seed reads searchees from and injects into, one module per kind.

`make_client("qbittorrent:http://user:pass@host:8080")` gives a `TorrentClient`; see `entry.py`
for the entry forms and `base.py` for the protocol.
"""

from __future__ import annotations

from torrentstack.crossseed.clients.base import (
    ClientOptions,
    TorrentClient,
    TorrentClientError,
)
from torrentstack.crossseed.clients.deluge import Deluge
from torrentstack.crossseed.clients.entry import ClientEntry, parse_client_entry
from torrentstack.crossseed.clients.qbittorrent import QBittorrent
from torrentstack.crossseed.clients.transmission import Transmission

__all__ = [
    "ClientEntry",
    "ClientOptions",
    "Deluge",
    "QBittorrent",
    "TorrentClient",
    "TorrentClientError",
    "Transmission",
    "make_client",
    "parse_client_entry",
]


def make_client(entry: ClientEntry | str, options: ClientOptions | None = None) -> TorrentClient:
    """The client for an entry; nothing is contacted until its first call."""
    if isinstance(entry, str):
        entry = parse_client_entry(entry)
    options = options or ClientOptions()
    kinds: dict[str, type[QBittorrent | Transmission | Deluge]] = {
        "qbittorrent": QBittorrent,
        "transmission": Transmission,
        "deluge": Deluge,
    }
    return kinds[entry.kind](entry, options)
