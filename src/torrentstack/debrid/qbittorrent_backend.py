"""The qBittorrent WebUI API's backend over the bridge's items, for Sonarr/Radarr.

It implements the parts the arrs use (application, logs, sync, reading, adding, acting,
categories, tags, transfer); editing is not registered, so its endpoints answer 404 as a
qBittorrent without them would. Acting on a debrid item is a no-op where Decypharr's is (pause,
resume, recheck, limits): the call succeeds and nothing changes.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torrentstack.debrid.bridge import AddOptions, AddRefused, Bridge
from torrentstack.debrid.items import Item, ItemState, file_views, view
from torrentstack.debrid.messages import INFO, WARNING, Messages, NoPeers
from torrentstack.debrid.sources import Added, BadSource, from_magnet, from_torrent
from torrentstack.qbittorrent.adding import AddRequest, Source
from torrentstack.qbittorrent.errors import BadParams, Conflict, NotATorrent, NotFound
from torrentstack.qbittorrent.models import FileView, TorrentView
from torrentstack.qbittorrent.persona import Persona
from torrentstack.qbittorrent.serialize import torrent_object
from torrentstack.qbittorrent.sync import MainData
from torrentstack.qbittorrent_api.application import add_application_endpoints
from torrentstack.qbittorrent_api.backend import Direction, QueueMove
from torrentstack.qbittorrent_api.classification import add_category_endpoints, add_tag_endpoints
from torrentstack.qbittorrent_api.dispatch import WebApi
from torrentstack.qbittorrent_api.log import add_log_endpoints
from torrentstack.qbittorrent_api.sync import add_sync_endpoints
from torrentstack.qbittorrent_api.torrent_actions import add_action_endpoints
from torrentstack.qbittorrent_api.torrent_adding import add_adding_endpoints
from torrentstack.qbittorrent_api.torrent_queries import add_query_endpoints
from torrentstack.qbittorrent_api.transfer import add_transfer_endpoints
from torrentstack.torrent_urls import fetch_torrent

logger = logging.getLogger(__name__)

VERSION_INFO: dict[str, str | int] = {
    "bitness": 64,
    "boost": "",
    "libtorrent": "",
    "openssl": "",
    "qt": "",
    "zlib": "",
}


@dataclass(frozen=True, slots=True)
class AddContext:
    """What the current `torrents/add` call brings beyond qBittorrent's fields."""

    provider: str = ""  # Decypharr's `debrid` form field
    arr: str = ""  # the arr whose session adds it (its category)


current_add: contextvars.ContextVar[AddContext | None] = contextvars.ContextVar(
    "debrid_add", default=None
)


class DebridBackend:
    def __init__(
        self,
        bridge: Bridge,
        persona: Persona,
        download_folder: Path,
        categories: Sequence[str],
        stop: Callable[[], None],
        messages: Messages,
    ) -> None:
        self.bridge = bridge
        self.messages = messages
        self.peer_log = NoPeers()
        self._states: dict[str, ItemState] = {}
        self._prefs: dict[str, Any] = {}  # set through app/setPreferences (kept in memory)
        self._alt_speed = False
        self.persona = persona
        self.download_folder = download_folder
        self.maindata = MainData()
        self.categories: dict[str, dict[str, Any]] = {}
        self.tags: dict[str, None] = {}
        self._stop = stop
        self._pending: set[asyncio.Task[None]] = set()
        for name in categories:
            self._put_category(name, "")
        bridge.on_change = self.changed
        bridge.on_remove = self.removed

    def changed(self, item: Item) -> None:
        obj = torrent_object(view(item), self.persona)
        del obj["hash"]
        self.maindata.put_torrent(item.hash, obj)
        if item.category and item.category not in self.categories:
            self._put_category(item.category, "")
        before = self._states.get(item.hash)
        self._states[item.hash] = item.state
        if before is None and item.state is not ItemState.COMPLETED:
            self.messages.add(INFO, f"Added new torrent: {item.name}")
        elif before is not item.state and item.state is ItemState.COMPLETED:
            self.messages.add(INFO, f"Torrent download finished: {item.name}")
        elif before is not item.state and item.state is ItemState.FAILED:
            self.messages.add(WARNING, f"{item.name}: {item.error}")

    def removed(self, hash_: str) -> None:
        self._states.pop(hash_, None)
        self.maindata.remove_torrent(hash_)

    # -- Application --

    def build_info(self) -> dict[str, str | int]:
        return dict(VERSION_INFO)

    def default_save_path(self) -> str:
        return str(self.download_folder)

    def shutdown(self) -> None:
        self._stop()

    def preferences(self) -> dict[str, Any]:
        return {**self._fixed_preferences(), **self._prefs}

    def _fixed_preferences(self) -> dict[str, Any]:
        save = str(self.download_folder)
        return {
            "save_path": save, "temp_path": str(self.download_folder / "temp"),
            "temp_path_enabled": False, "max_ratio_enabled": False, "max_ratio": -1,
            "max_seeding_time_enabled": False, "max_seeding_time": -1, "queueing_enabled": False,
            "dht": False, "pex": False, "lsd": False, "dl_limit": 0, "up_limit": 0,
            "auto_tmm_enabled": False, "create_subfolder_enabled": True,
            "start_paused_enabled": False, "web_ui_port": 0, "alt_dl_limit": 0,
            "alt_up_limit": 0, "max_active_downloads": -1, "max_active_torrents": -1,
            "max_active_uploads": -1,
        }  # fmt: skip

    _SETTABLE = frozenset({"dl_limit", "up_limit", "alt_dl_limit", "alt_up_limit", "max_ratio",
                           "max_ratio_enabled", "max_seeding_time", "max_seeding_time_enabled",
                           "max_active_downloads", "max_active_torrents", "max_active_uploads"})  # fmt: skip

    async def set_preferences(self, values: dict[str, Any]) -> None:
        """Limits and share settings are kept (they change nothing: a provider has no such
        knobs); paths and the rest are the bridge's settings and stay as they are."""
        for key, value in values.items():
            if (
                key in self._SETTABLE
                and isinstance(value, int | float)
                and not isinstance(value, bool)
            ) or (key in self._SETTABLE and isinstance(value, bool)):
                self._prefs[key] = value

    # -- Sync --

    async def server_state(self) -> dict[str, Any]:
        return {
            **await self.transfer_info(), "queueing": False, "use_alt_speed_limits": self._alt_speed
        }  # fmt: skip

    # -- TorrentReader --

    def hashes(self, selected: list[str] | None) -> list[str]:
        items = self.bridge.items
        if selected is None:
            return list(items)
        return [h for h in selected if h in items]

    def _item(self, hash_: str) -> Item:
        item = self.bridge.items.get(hash_)
        if item is None:
            raise NotFound()
        return item

    def views(self) -> list[tuple[TorrentView, dict[str, Any]]]:
        out = []
        for item in self.bridge.items.values():
            v = view(item)
            out.append((v, torrent_object(v, self.persona)))
        return out

    def view(self, hash_: str) -> TorrentView:
        return view(self._item(hash_))

    async def fresh_view(self, hash_: str) -> TorrentView:
        return self.view(hash_)

    async def files(self, hash_: str) -> tuple[list[FileView], bool]:
        item = self._item(hash_)
        return file_views(item), item.finished

    async def trackers(self, hash_: str) -> Sequence[Any]:
        self._item(hash_)
        return []

    async def peers(self, hash_: str) -> Sequence[Any]:
        self._item(hash_)
        return []

    async def piece_states(self, hash_: str) -> list[int]:
        self._item(hash_)
        return []

    async def piece_hashes(self, hash_: str) -> list[str]:
        self._item(hash_)
        return []

    async def web_seeds(self, hash_: str) -> list[str]:
        self._item(hash_)
        return []

    async def export(self, hash_: str) -> bytes:
        item = self._item(hash_)
        if not item.torrent:
            raise Conflict("Torrent's metadata has not yet downloaded")
        return item.torrent

    # -- TorrentAdder --

    async def add(self, sources: list[Source], request: AddRequest) -> int:
        parsed: list[Added] = []
        for source in sources:
            if source.torrent:
                try:
                    parsed.append(from_torrent(source.torrent, source.name))
                except BadSource:
                    raise NotATorrent(source.name) from None
            else:
                try:
                    parsed.append(from_magnet(source.magnet))
                except BadSource as exc:
                    logger.info("debrid add: %s", exc)
        options = self._options(request)
        await self.create_tags(list(request.tags))
        added = 0
        for one in parsed:
            known = self.bridge.items.get(one.hash)
            if known is not None and known.state is not ItemState.FAILED:
                self.messages.add(WARNING, f"Torrent is already present: {one.name}")
                continue  # as qBittorrent: a duplicate is not added ("Fails." alone)
            try:
                await self.bridge.add(one, options)
            except AddRefused as exc:
                raise BadParams(exc.message) from None
            added += 1
        return added

    def _options(self, request: AddRequest) -> AddOptions:
        context = current_add.get() or AddContext()
        return AddOptions(
            category=request.category or context.arr,
            tags=request.tags,
            # Decypharr's overload: sequentialDownload asks for the files themselves
            action="download" if request.sequential else "",
            provider=context.provider,
            name=request.rename,
        )

    def add_from_url(self, url: str, cookie: str, request: AddRequest) -> None:
        options = self._options(request)

        async def fetch_and_add() -> None:
            source = await fetch_torrent(url, cookie)
            if source is None:
                return
            try:
                one = from_torrent(source.torrent) if source.torrent else from_magnet(source.magnet)
                await self.bridge.add(one, options)
            except (BadSource, AddRefused) as exc:
                logger.info("debrid add from a URL: %s", exc)

        task = asyncio.create_task(fetch_and_add())
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    # -- TorrentActions --

    async def delete(self, hashes: list[str], delete_files: bool) -> None:
        await self.bridge.delete(self.hashes(hashes), delete_files=delete_files)

    async def set_stopped(self, hashes: list[str], stopped: bool) -> None:
        return  # Decypharr: a no-op that succeeds

    async def set_forced(self, hashes: list[str], forced: bool) -> None:
        return

    async def recheck(self, hashes: list[str]) -> None:
        return

    async def reannounce(self, hashes: list[str]) -> None:
        return

    async def queue(self, hashes: list[str], move: QueueMove) -> None:
        raise Conflict("Torrent queueing must be enabled")

    async def set_share_limits(
        self, hashes: list[str], ratio: float, seeding_time: int, inactive: int
    ) -> None:
        return

    async def set_limit(
        self, hashes: list[str], *, download: int | None, upload: int | None
    ) -> None:
        return

    async def toggle_sequential(self, hashes: list[str]) -> None:
        return

    async def toggle_first_last(self, hashes: list[str]) -> None:
        return

    async def set_super_seeding(self, hashes: list[str], on: bool) -> None:
        return

    async def add_peers(
        self, hashes: list[str], peers: list[tuple[str, int]]
    ) -> dict[str, dict[str, int]]:
        return {h: {"added": 0, "failed": len(peers)} for h in self.hashes(hashes)}

    # -- Categories --

    def category_objects(self) -> dict[str, dict[str, Any]]:
        return dict(self.categories)

    def _put_category(self, name: str, save_path: str) -> None:
        path = save_path or str(self.download_folder / name)
        self.categories[name] = {"name": name, "savePath": path}
        self.maindata.put_category(name, self.categories[name])

    async def create_category(self, name: str, save_path: str, download_path: str | None) -> None:
        if not name:
            raise BadParams("Category cannot be empty")
        if "\\" in name or "//" in name or name.startswith("/") or name.endswith("/"):
            raise Conflict("Incorrect category name")
        if name in self.categories:
            raise Conflict("Unable to create category")
        self._put_category(name, save_path)

    async def edit_category(self, name: str, save_path: str, download_path: str | None) -> None:
        if name not in self.categories:
            raise Conflict("Category does not exist")
        self._put_category(name, save_path)

    async def remove_categories(self, names: list[str]) -> None:
        for name in names:
            if self.categories.pop(name, None) is not None:
                self.maindata.remove_category(name)
        gone = set(names)
        for item in list(self.bridge.items.values()):
            if item.category in gone:  # as qBittorrent: its torrents lose the category
                item.category = ""
                await self.bridge.store.put_item(item)
                self.changed(item)

    async def set_category(self, hashes: list[str], name: str) -> None:
        if name and name not in self.categories:
            raise Conflict("Incorrect category name")
        for hash_ in self.hashes(hashes):
            item = self.bridge.items[hash_]
            item.category = name
            await self.bridge.store.put_item(item)
            self.changed(item)

    async def set_auto_tmm(self, hashes: list[str], on: bool) -> None:
        return

    # -- Tags --

    def tag_names(self) -> list[str]:
        return list(self.tags)

    async def create_tags(self, tags: list[str]) -> None:
        for tag in tags:
            if tag and tag not in self.tags:
                self.tags[tag] = None
                self.maindata.add_tag(tag)

    async def delete_tags(self, tags: list[str]) -> None:
        for tag in tags:
            if self.tags.pop(tag, "absent") is None:
                self.maindata.remove_tag(tag)
        await self._retag(self.hashes(None), lambda have: [t for t in have if t not in tags])

    async def add_tags(self, hashes: list[str], tags: list[str]) -> None:
        await self.create_tags(tags)
        await self._retag(hashes, lambda have: [*have, *(t for t in tags if t not in have)])

    async def remove_tags(self, hashes: list[str], tags: list[str]) -> None:
        await self._retag(hashes, lambda have: [t for t in have if t not in tags])

    async def set_tags(self, hashes: list[str], tags: list[str]) -> None:
        await self.create_tags(tags)
        await self._retag(hashes, lambda have: list(dict.fromkeys(tags)))

    async def _retag(self, hashes: list[str], change: Callable[[list[str]], list[str]]) -> None:
        for hash_ in self.hashes(hashes):
            item = self.bridge.items[hash_]
            new = tuple(change(list(item.tags)))
            if new != item.tags:
                item.tags = new
                await self.bridge.store.put_item(item)
                self.changed(item)

    # -- Transfer --

    @property
    def alt_speed(self) -> bool:
        return self._alt_speed

    async def transfer_info(self) -> dict[str, Any]:
        speed = sum(i.speed for i in self.bridge.items.values() if not i.finished)
        return {
            "connection_status": "connected", "dht_nodes": 0, "dl_info_data": 0,
            "dl_info_speed": speed, "dl_rate_limit": 0, "up_info_data": 0, "up_info_speed": 0,
            "up_rate_limit": 0,
        }  # fmt: skip

    async def set_alt_speed(self, on: bool) -> None:
        self._alt_speed = on

    async def set_global_limit(self, direction: Direction, limit: int) -> None:
        return

    async def ban_peers(self, peers: list[tuple[str, int]]) -> None:
        return

    async def close(self) -> None:
        for task in list(self._pending):
            task.cancel()
        await asyncio.gather(*self._pending, return_exceptions=True)


def register(api: WebApi, backend: DebridBackend) -> None:
    """The parts of the qBittorrent API the bridge serves, on `api` (editing is left out: 404)."""
    add_application_endpoints(api, backend)
    add_log_endpoints(api, backend.messages, backend.peer_log)
    add_sync_endpoints(api, backend, backend)
    add_transfer_endpoints(api, backend)
    add_query_endpoints(api, backend, backend)
    add_adding_endpoints(api, backend)
    add_action_endpoints(api, backend, backend)
    add_category_endpoints(api, backend, backend)
    add_tag_endpoints(api, backend, backend)
