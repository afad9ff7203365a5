"""The debrid bridge's backend for the contract suite: a bridge over an in-memory provider that
has every torrent (one empty file each) and an in-memory item store; action `none`."""

from __future__ import annotations

from pathlib import Path

from tests.support.debrid_memory import MemoryItemStore, MemoryProvider
from torrentstack.debrid.bridge import Bridge, Delivery
from torrentstack.debrid.items import Item
from torrentstack.debrid.messages import Messages
from torrentstack.debrid.qbittorrent_backend import DebridBackend, register
from torrentstack.qbittorrent_api.dispatch import WebApi

SAVE_PATH = Path("/downloads")


async def _no_notice(_item: Item) -> None:
    return


async def _no_sleep(_seconds: float) -> None:
    return


def register_debrid_backend(api: WebApi) -> DebridBackend:
    """A fresh bridge's endpoints on `api` (a `BackendFactory`)."""
    bridge = Bridge(
        [MemoryProvider(accept_all=True)],
        MemoryItemStore(),  # type: ignore[arg-type]
        Delivery("none", SAVE_PATH, "", 1.0, "http://bridge"),
        uncached_default=lambda _name: False,
        notify=_no_notice,
        sleep=_no_sleep,
    )
    backend = DebridBackend(
        bridge, api.persona, SAVE_PATH, [], lambda: None, Messages(lambda: 1_800_000_000.0)
    )
    register(api, backend)
    return backend
