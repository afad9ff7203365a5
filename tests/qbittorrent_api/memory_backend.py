"""An in-memory backend implementing every part of `qbittorrent_api.backend`, for the contract
suite: torrents are parsed (pure `bittorrent/`) and kept in dictionaries, nothing downloads."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from torrentstack.bittorrent import magnet, metainfo
from torrentstack.bittorrent.metainfo import MetainfoError
from torrentstack.qbittorrent.adding import AddRequest, Source
from torrentstack.qbittorrent.errors import BadParams, Conflict, NotATorrent, NotFound
from torrentstack.qbittorrent.models import FileView, StateFacts, TorrentView
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
from torrentstack.qbittorrent_api.torrent_edits import add_edit_endpoints
from torrentstack.qbittorrent_api.torrent_queries import add_query_endpoints
from torrentstack.qbittorrent_api.transfer import add_transfer_endpoints

SAVE_PATH = "/downloads"


@dataclass(slots=True)
class _Torrent:
    hash: str
    name: str
    size: int
    torrent: bytes
    added_on: int
    category: str = ""
    tags: list[str] = field(default_factory=list)
    stopped: bool = False
    forced: bool = False
    save_path: str = SAVE_PATH
    dl_limit: int = 0
    up_limit: int = 0
    trackers: list[str] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _LogEntry:
    id: int
    timestamp: int
    type: int
    message: str


class MemoryBackend:
    """Every part of the API but the peer log, in one class; `urls` records what
    `add_from_url` was asked to fetch."""

    def __init__(self, persona: Persona) -> None:
        self.persona = persona
        self.maindata = MainData()
        self.torrents: dict[str, _Torrent] = {}
        self.categories: dict[str, dict[str, Any]] = {}
        self.tags: dict[str, None] = {}
        self.prefs: dict[str, Any] = {"save_path": SAVE_PATH, "dht": True, "pex": True,
                                      "lsd": True, "dl_limit": 0, "up_limit": 0}  # fmt: skip
        self.urls: list[tuple[str, str]] = []
        self.messages: list[_LogEntry] = []
        self.stopped = False
        self.alt = False
        self._clock = itertools.count(1_700_000_000)

    # -- Application --

    def build_info(self) -> dict[str, str | int]:
        return {"bitness": 64, "boost": "", "libtorrent": "", "openssl": "", "qt": "", "zlib": ""}

    def default_save_path(self) -> str:
        return SAVE_PATH

    def shutdown(self) -> None:
        self.stopped = True

    def preferences(self) -> dict[str, Any]:
        return dict(self.prefs)

    async def set_preferences(self, values: dict[str, Any]) -> None:
        self.prefs.update({k: v for k, v in values.items() if k in self.prefs})

    # -- MessageLog --

    def after(self, last_known_id: int, types: set[int] | None = None) -> Sequence[_LogEntry]:
        return [
            e for e in self.messages if e.id > last_known_id and (types is None or e.type in types)
        ]

    def _log(self, message: str) -> None:
        self.messages.append(_LogEntry(len(self.messages), 0, 2, message))

    # -- Sync --

    async def server_state(self) -> dict[str, Any]:
        return {**await self.transfer_info(), "queueing": False, "use_alt_speed_limits": self.alt}

    # -- TorrentReader --

    def hashes(self, selected: list[str] | None) -> list[str]:
        if selected is None:
            return list(self.torrents)
        return [h for h in selected if h in self.torrents]

    def _get(self, hash_: str) -> _Torrent:
        if hash_ not in self.torrents:
            raise NotFound()
        return self.torrents[hash_]

    def views(self) -> list[tuple[TorrentView, dict[str, Any]]]:
        out = []
        for t in self.torrents.values():
            view = _view(t)
            out.append((view, torrent_object(view, self.persona)))
        return out

    def view(self, hash_: str) -> TorrentView:
        return _view(self._get(hash_))

    async def fresh_view(self, hash_: str) -> TorrentView:
        return self.view(hash_)

    async def files(self, hash_: str) -> tuple[list[FileView], bool]:
        t = self._get(hash_)
        return [FileView(0, t.name, t.size, 0.0, 1, 0, 0, 0.0)], False

    async def trackers(self, hash_: str) -> Sequence[Any]:
        self._get(hash_)
        return []

    async def peers(self, hash_: str) -> Sequence[Any]:
        self._get(hash_)
        return []

    async def piece_states(self, hash_: str) -> list[int]:
        self._get(hash_)
        return []

    async def piece_hashes(self, hash_: str) -> list[str]:
        self._get(hash_)
        return []

    async def web_seeds(self, hash_: str) -> list[str]:
        self._get(hash_)
        return []

    async def export(self, hash_: str) -> bytes:
        t = self._get(hash_)
        if not t.torrent:
            raise Conflict("Torrent's metadata has not yet downloaded")
        return t.torrent

    # -- TorrentAdder --

    def add_from_url(self, url: str, cookie: str, request: AddRequest) -> None:
        self.urls.append((url, cookie))

    async def add(self, sources: list[Source], request: AddRequest) -> int:
        for source in sources:
            if source.torrent:
                try:
                    metainfo.parse(source.torrent)
                except MetainfoError:
                    raise NotATorrent(source.name) from None
        added = 0
        for source in sources:
            if source.torrent:
                parsed = metainfo.parse(source.torrent)
                ih = parsed.info_hash_v1 or parsed.info_hash_v2
                assert ih is not None
                hash_, name, size = ih.hex[:40], parsed.name, parsed.total_size
            else:
                m = magnet.parse(source.magnet)
                hash_, name, size = m.info_hash.hex[:40], m.name or m.info_hash.hex, 0
            if hash_ in self.torrents:
                continue
            if request.category and request.category not in self.categories:
                await self.create_category(request.category, "", None)
            await self.create_tags(list(request.tags))
            self.torrents[hash_] = _Torrent(
                hash_, request.rename or name, size, source.torrent, next(self._clock),
                category=request.category, tags=list(request.tags),
                stopped=bool(request.stopped), save_path=request.save_path or SAVE_PATH,
            )  # fmt: skip
            self._changed([hash_])
            self._log(f"Added new torrent: {name}")
            added += 1
        return added

    def _changed(self, hashes: Sequence[str]) -> None:
        for hash_ in hashes:
            obj = torrent_object(_view(self.torrents[hash_]), self.persona)
            del obj["hash"]
            self.maindata.put_torrent(hash_, obj)

    # -- TorrentActions --

    async def delete(self, hashes: list[str], delete_files: bool) -> None:
        for hash_ in self.hashes(hashes):
            del self.torrents[hash_]
            self.maindata.remove_torrent(hash_)

    async def set_stopped(self, hashes: list[str], stopped: bool) -> None:
        self._set(hashes, stopped=stopped, forced=False)

    async def set_forced(self, hashes: list[str], forced: bool) -> None:
        self._set(hashes, stopped=False, forced=forced)

    async def recheck(self, hashes: list[str]) -> None:
        pass

    async def reannounce(self, hashes: list[str]) -> None:
        pass

    async def queue(self, hashes: list[str], move: QueueMove) -> None:
        raise Conflict("Torrent queueing must be enabled")

    async def set_share_limits(
        self, hashes: list[str], ratio: float, seeding_time: int, inactive: int
    ) -> None:
        for hash_ in self.hashes(hashes):
            self.torrents[hash_].options["share_limits"] = (ratio, seeding_time, inactive)

    async def set_limit(
        self, hashes: list[str], *, download: int | None, upload: int | None
    ) -> None:
        if download is not None:
            self._set(hashes, dl_limit=max(download, 0))
        if upload is not None:
            self._set(hashes, up_limit=max(upload, 0))

    async def toggle_sequential(self, hashes: list[str]) -> None:
        self._toggle(hashes, "seq_dl")

    async def toggle_first_last(self, hashes: list[str]) -> None:
        self._toggle(hashes, "f_l_piece_prio")

    async def set_super_seeding(self, hashes: list[str], on: bool) -> None:
        for hash_ in self.hashes(hashes):
            self.torrents[hash_].options["super_seeding"] = on

    async def add_peers(
        self, hashes: list[str], peers: list[tuple[str, int]]
    ) -> dict[str, dict[str, int]]:
        return {h: {"added": 0, "failed": len(peers)} for h in self.hashes(hashes)}

    def _set(self, hashes: Sequence[str], **values: Any) -> None:
        for hash_ in self.hashes(list(hashes)):
            for key, value in values.items():
                setattr(self.torrents[hash_], key, value)
        self._changed(self.hashes(list(hashes)))

    def _toggle(self, hashes: list[str], option: str) -> None:
        for hash_ in self.hashes(hashes):
            options = self.torrents[hash_].options
            options[option] = not options.get(option, False)

    # -- TorrentEditor --

    async def set_location(self, hashes: list[str], location: str) -> None:
        if not location.strip():
            raise BadParams("Save path cannot be empty")
        self._set(hashes, save_path=location)

    async def set_save_path(self, hashes: list[str], path: str) -> None:
        await self.set_location(hashes, path)

    async def set_download_path(self, hashes: list[str], path: str) -> None:
        for hash_ in self.hashes(hashes):
            self.torrents[hash_].options["download_path"] = path

    async def edit_trackers(
        self,
        hash_: str,
        *,
        add: Sequence[str] = (),
        remove: Sequence[str] = (),
        replace: tuple[str, str] | None = None,
    ) -> None:
        t = self._get(hash_)
        if replace is not None:
            if replace[0] not in t.trackers:
                raise Conflict("Tracker not found")
            t.trackers = [replace[1] if u == replace[0] else u for u in t.trackers]
        t.trackers = [u for u in t.trackers if u not in remove]
        t.trackers += [u for u in add if u not in t.trackers]

    async def set_file_priority(self, hash_: str, indexes: list[int], priority: int) -> None:
        self._get(hash_)

    async def rename(self, hash_: str, name: str) -> None:
        if not name.strip():
            raise Conflict("Incorrect torrent name")
        self._get(hash_).name = name.strip()
        self._changed([hash_])

    async def rename_path(self, hash_: str, old: str, new: str, folder: bool) -> None:
        raise Conflict("Invalid path")

    # -- Categories --

    def category_objects(self) -> dict[str, dict[str, Any]]:
        return dict(self.categories)

    async def create_category(self, name: str, save_path: str, download_path: str | None) -> None:
        if not name:
            raise BadParams("Category cannot be empty")
        if "\\" in name or "//" in name or name.startswith("/") or name.endswith("/"):
            raise Conflict("Incorrect category name")
        if name in self.categories:
            raise Conflict("Unable to create category")
        self._put_category(name, save_path, download_path)

    def _put_category(self, name: str, save_path: str, download_path: str | None) -> None:
        self.categories[name] = {"name": name, "savePath": save_path}
        if download_path is not None:
            self.categories[name]["download_path"] = download_path
        self.maindata.put_category(name, self.categories[name])

    async def edit_category(self, name: str, save_path: str, download_path: str | None) -> None:
        if not name:
            raise BadParams("Category cannot be empty")
        if name not in self.categories:
            raise Conflict("Category editing failed")
        self._put_category(name, save_path, download_path)

    async def remove_categories(self, names: list[str]) -> None:
        for name in [n for n in names if n in self.categories]:
            del self.categories[name]
            self.maindata.remove_category(name)
            self._set([h for h, t in self.torrents.items() if t.category == name], category="")

    async def set_category(self, hashes: list[str], name: str) -> None:
        if name and name not in self.categories:
            raise Conflict("Incorrect category name")
        self._set(hashes, category=name)

    async def set_auto_tmm(self, hashes: list[str], on: bool) -> None:
        for hash_ in self.hashes(hashes):
            self.torrents[hash_].options["auto_tmm"] = on

    # -- Tags --

    def tag_names(self) -> list[str]:
        return list(self.tags)

    async def create_tags(self, tags: list[str]) -> None:
        for tag in tags:
            if tag.strip() and "," not in tag:
                self.tags.setdefault(tag, None)
                self.maindata.add_tag(tag)

    async def delete_tags(self, tags: list[str]) -> None:
        for tag in [t for t in tags if t in self.tags]:
            del self.tags[tag]
            self.maindata.remove_tag(tag)
            await self.remove_tags(self.hashes(None), [tag])

    async def add_tags(self, hashes: list[str], tags: list[str]) -> None:
        await self.create_tags(tags)
        for hash_ in self.hashes(hashes):
            t = self.torrents[hash_]
            t.tags = list(dict.fromkeys([*t.tags, *tags]))
        self._changed(self.hashes(hashes))

    async def remove_tags(self, hashes: list[str], tags: list[str]) -> None:
        for hash_ in self.hashes(hashes):
            t = self.torrents[hash_]
            t.tags = [tag for tag in t.tags if tags and tag not in tags]
        self._changed(self.hashes(hashes))

    async def set_tags(self, hashes: list[str], tags: list[str]) -> None:
        await self.remove_tags(hashes, [])
        await self.add_tags(hashes, tags)

    # -- Transfer --

    @property
    def alt_speed(self) -> bool:
        return self.alt

    async def transfer_info(self) -> dict[str, Any]:
        return {
            "connection_status": "connected", "dht_nodes": 0, "dl_info_data": 0,
            "dl_info_speed": 0, "dl_rate_limit": self.prefs["dl_limit"], "up_info_data": 0,
            "up_info_speed": 0, "up_rate_limit": self.prefs["up_limit"],
        }  # fmt: skip

    async def set_alt_speed(self, on: bool) -> None:
        self.alt = on

    async def set_global_limit(self, direction: Direction, limit: int) -> None:
        self.prefs[f"{direction}_limit"] = max(limit, 0)

    async def ban_peers(self, peers: list[tuple[str, int]]) -> None:
        pass


class NoPeerLog:
    """A `PeerLog` with no entries."""

    def after(self, last_known_id: int) -> Sequence[Any]:
        return []


def register_memory_backend(api: WebApi) -> MemoryBackend:
    """Every part of a fresh in-memory backend on `api` (a `BackendFactory`)."""
    backend = MemoryBackend(api.persona)
    add_application_endpoints(api, backend)
    add_log_endpoints(api, backend, NoPeerLog())
    add_sync_endpoints(api, backend, backend)
    add_transfer_endpoints(api, backend)
    add_query_endpoints(api, backend, backend)
    add_adding_endpoints(api, backend)
    add_action_endpoints(api, backend, backend)
    add_edit_endpoints(api, backend, backend)
    add_category_endpoints(api, backend, backend)
    add_tag_endpoints(api, backend, backend)
    return backend


def register_reading_only(api: WebApi) -> MemoryBackend:
    """A backend with the application, the logs and reading only (no adding, no actions,
    no edits, no categories or tags, no transfer, no sync): the rest is unsupported."""
    backend = MemoryBackend(api.persona)
    add_application_endpoints(api, backend)
    add_log_endpoints(api, backend, NoPeerLog())
    add_query_endpoints(api, backend, backend)
    return backend


def _view(t: _Torrent) -> TorrentView:
    facts = StateFacts(stopped=t.stopped, forced=t.forced)
    return TorrentView(
        hash=t.hash, infohash_v1=t.hash, infohash_v2="", name=t.name,
        magnet_uri=f"magnet:?xt=urn:btih:{t.hash}", facts=facts, has_metadata=True,
        size=t.size, total_size=t.size, progress=0.0, completed=0, downloaded=0, uploaded=0,
        downloaded_session=0, uploaded_session=0, dlspeed=0, upspeed=0,
        dl_limit=t.dl_limit, up_limit=t.up_limit, queue_position=0, num_seeds=0,
        num_complete=0, num_leechs=0, num_incomplete=0, ratio_limit=-2.0,
        seeding_time_limit=-2, inactive_seeding_time_limit=-2, max_ratio=-1.0,
        max_seeding_time=-1, max_inactive_seeding_time=-1,
        seq_dl=bool(t.options.get("seq_dl")),
        f_l_piece_prio=bool(t.options.get("f_l_piece_prio")),
        super_seeding=bool(t.options.get("super_seeding")), force_start=t.forced,
        auto_tmm=bool(t.options.get("auto_tmm")), category=t.category,
        tags=tuple(sorted(t.tags)), save_path=t.save_path, download_path="", content_path="",
        root_path="", added_on=t.added_on, completion_on=0, seen_complete=0,
        last_activity=t.added_on, time_active=0, seeding_time=0, tracker="",
        trackers_count=len(t.trackers), availability=0.0, comment="", private=False,
        popularity=0.0, reannounce=0, total_wasted=0, connections=0, connections_limit=100,
        seeds_total=0, peers_total=0, pieces_have=0, pieces_num=1, piece_size=16384,
        created_by="", creation_date=-1, dl_speed_avg=0, up_speed_avg=0, last_seen=-1,
    )  # fmt: skip
