"""The web seed edits of qBittorrent 5.1: libtorrent's URL seeds of one torrent, through the
engine (its resume data is saved with them, so they survive a restart). The torrent is looked
up before the URLs are checked, as qBittorrent does (404 before 400)."""

from __future__ import annotations

from torrentstack.client.torrents import Torrents, engine_result
from torrentstack.qbittorrent.errors import Conflict
from torrentstack.qbittorrent.web_seeds import web_seed_url, web_seed_urls


class WebSeeds:
    def __init__(self, *, torrents: Torrents) -> None:
        self._torrents = torrents

    async def add_web_seeds(self, hash_: str, urls: str) -> None:
        self._torrents.record(hash_)
        add = web_seed_urls(urls)
        await engine_result(self._torrents.engine().web_seeds(hash_, add=add))

    async def edit_web_seed(self, hash_: str, old: str, new: str) -> None:
        self._torrents.record(hash_)
        old, new = web_seed_url(old), web_seed_url(new)
        if old == new:
            return
        engine = self._torrents.engine()
        if old not in await engine_result(engine.web_seeds(hash_)):
            raise Conflict(f'"{old}" is not an existing URL')
        await engine_result(engine.web_seeds(hash_, add=[new], remove=[old]))

    async def remove_web_seeds(self, hash_: str, urls: str) -> None:
        self._torrents.record(hash_)
        remove = web_seed_urls(urls)
        await engine_result(self._torrents.engine().web_seeds(hash_, remove=remove))
