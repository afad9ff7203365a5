"""qBittorrent (and torrentstack's own client) through the WebUI API, with qbittorrent-api.

Injection follows cross-seed's `src/clients/QBittorrent.ts`. The library is synchronous, so each
call runs in a worker thread; its errors become `TorrentClientError` here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import qbittorrentapi

from torrentstack.crossseed.clients.base import (
    LINK_CATEGORY,
    TAG,
    ClientOptions,
    TorrentClientError,
    duplicate_category,
    guarded_inject,
    should_recheck,
    torrent_filename,
)
from torrentstack.crossseed.clients.entry import ClientEntry
from torrentstack.crossseed.decision import ActionResult, Decision
from torrentstack.crossseed.searchee import File, Metafile, Searchee
from torrentstack.crossseed.trackers import tracker_hosts

logger = logging.getLogger(__name__)

T = TypeVar("T")

# isTorrentInfoComplete: the states in which qBittorrent has every wanted piece
COMPLETE_STATES = frozenset(
    {"uploading", "pausedUP", "stoppedUP", "queuedUP", "stalledUP", "checkingUP", "forcedUP"}
)
# how long to look for a torrent just added (cross-seed's getTorrentInfo(hash, 5) back-off)
_FIND_DELAYS = (0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2)


@dataclass(frozen=True, slots=True)
class _Info:
    """The fields of /torrents/info that injection reads."""

    hash: str
    save_path: str
    category: str
    state: str
    auto_tmm: bool

    @property
    def complete(self) -> bool:
        return self.state in COMPLETE_STATES


def _info(raw: Mapping[str, Any]) -> _Info:
    return _Info(
        hash=str(raw["hash"]),
        save_path=str(raw.get("save_path", "")),
        category=str(raw.get("category") or ""),
        state=str(raw.get("state", "")),
        auto_tmm=bool(raw.get("auto_tmm", False)),
    )


def _v1_hash(raw: Mapping[str, Any]) -> str:
    return str(raw.get("infohash_v1") or raw["hash"]).lower()


def _hashes(raw: Mapping[str, Any]) -> set[str]:
    return {
        str(h).lower() for h in (raw.get("hash"), raw.get("infohash_v1"), raw.get("infohash_v2"))
    } - {"", "None"}


def _rows(listing: object) -> list[Mapping[str, Any]]:
    """qbittorrent-api's JSON lists, typed as what they are: objects with known keys."""
    return cast("list[Mapping[str, Any]]", list(listing))  # type: ignore[call-overload]


def _split_tags(tags: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in tags.split(",") if t.strip())


class QBittorrent:
    """A qBittorrent WebUI (qBittorrent ≥ 4.3.1, or torrentstack's client) as a cross-seed client."""

    def __init__(self, entry: ClientEntry, options: ClientOptions | None = None) -> None:
        self.label = entry.label
        self.readonly = entry.readonly
        self._options = options or ClientOptions()
        self._api = qbittorrentapi.Client(
            host=entry.url,
            username=entry.username,
            password=entry.password,
            REQUESTS_ARGS={"timeout": 60},
            DISABLE_LOGGING_DEBUG_OUTPUT=True,
        )
        self._started = False
        self._start_lock = asyncio.Lock()
        # the client's torrents as /sync/maindata keeps them (only changes are fetched), and
        # each torrent's files and tracker hosts, asked once (they do not change)
        self._rid = 0
        self._listed: dict[str, dict[str, Any]] = {}
        self._details: dict[str, tuple[tuple[File, ...], tuple[str, ...]]] = {}
        self._reading = asyncio.Lock()

    async def _call(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        try:
            return await asyncio.to_thread(fn, *args, **kwargs)
        except qbittorrentapi.APIError as exc:
            raise TorrentClientError(f"{type(exc).__name__}: {exc}", client=self.label) from exc

    async def _start(self) -> None:
        """Log in; a writable client also gets the `cross-seed` tag (createTags at startup)."""
        async with self._start_lock:
            if self._started:
                return
            await self._call(self._api.auth_log_in)
            if not self.readonly:
                await self._call(self._api.torrents_create_tags, tags=TAG)
            self._started = True

    async def _all(self) -> list[Mapping[str, Any]]:
        await self._start()
        return _rows(await self._call(self._api.torrents_info))

    async def _find(self, info_hash: str) -> _Info | None:
        """The torrent with this v1, v2 or truncated hash, if the client has it."""
        wanted = info_hash.lower()
        await self._start()
        found = await self._call(self._api.torrents_info, torrent_hashes=wanted)
        if found:
            return _info(_rows(found)[0])
        for raw in await self._all():  # a v2 torrent is listed under its truncated v2 hash
            if wanted in _hashes(raw):
                return _info(raw)
        return None

    def _sync(self) -> None:
        """Bring `_listed` up to date through /sync/maindata (a full list only the first time)."""
        data = cast("Mapping[str, Any]", self._api.sync_maindata(rid=self._rid))
        if data.get("full_update"):
            self._listed = {}
        for info_hash, changes in (data.get("torrents") or {}).items():
            self._listed.setdefault(str(info_hash), {}).update(changes)
        for info_hash in data.get("torrents_removed") or ():
            self._listed.pop(str(info_hash), None)
            self._details.pop(str(info_hash), None)
        self._rid = int(data.get("rid") or 0)

    def _searchees_sync(self) -> list[Searchee]:
        self._sync()
        out = []
        for info_hash, listed in self._listed.items():
            raw = {**listed, "hash": info_hash}
            details = self._details.get(info_hash)
            if details is None:
                rows = _rows(self._api.torrents_files(torrent_hash=info_hash))
                files = tuple(File(str(f["name"]), int(f["size"])) for f in rows)
                if not files:  # a magnet without metadata yet: asked again next time
                    continue
                trackers = _rows(self._api.torrents_trackers(torrent_hash=info_hash))
                details = (files, tracker_hosts(str(t["url"]) for t in trackers))
                self._details[info_hash] = details
            info = _info(raw)
            out.append(
                Searchee(
                    name=str(raw.get("name", "")),
                    files=details[0],
                    info_hash=_v1_hash(raw),
                    save_path=info.save_path,
                    category=info.category,
                    tags=_split_tags(str(raw.get("tags") or "")),
                    trackers=details[1],
                    client=self.label,
                    complete=info.complete,
                    auto_tmm=info.auto_tmm,
                    # the API lists files as laid out on disk, so its paths already hold any
                    # subfolder; as cross-seed's useClientTorrents, inject with Original
                    subfolder_layout=False,
                )
            )
        return out

    async def searchees(self) -> list[Searchee]:
        await self._start()
        async with self._reading:
            return await self._call(self._searchees_sync)

    async def info_hashes(self) -> set[str]:
        return {_v1_hash(raw) for raw in await self._all()}

    async def is_complete(self, info_hash: str) -> bool | None:
        info = await self._find(info_hash)
        return None if info is None else info.complete

    async def inject(
        self,
        meta: Metafile,
        searchee: Searchee,
        decision: Decision,
        *,
        save_path: str | None = None,
        link_category: str | None = None,
        only_completed: bool = True,
    ) -> ActionResult:
        category = link_category or LINK_CATEGORY
        return await guarded_inject(
            self,
            meta,
            lambda: self._inject(meta, searchee, decision, save_path, category, only_completed),
        )

    async def _inject(
        self,
        meta: Metafile,
        searchee: Searchee,
        decision: Decision,
        link_dir: str | None,
        link_category: str,
        only_completed: bool,
    ) -> ActionResult:
        if await self._find(meta.info_hash) is not None:
            return ActionResult.ALREADY_EXISTS
        source = await self._find(searchee.info_hash) if searchee.info_hash else None
        if link_dir is not None:
            save_path, complete, auto_tmm, category = link_dir, True, False, link_category
        elif source is None:
            logger.error("[%s] the source of %s is not in the client", self.label, meta.name)
            return ActionResult.FAILURE
        else:
            save_path, complete = source.save_path, source.complete
            auto_tmm, category = source.auto_tmm, source.category
        if only_completed and not complete:
            return ActionResult.TORRENT_NOT_COMPLETE
        recheck = should_recheck(meta, decision, skip_recheck=self._options.skip_recheck)
        form: dict[str, Any] = {
            "torrent_files": {torrent_filename(meta): meta.raw},
            "use_auto_torrent_management": auto_tmm,
            "tags": self._tags(source, link_dir, link_category),
            # a link destination mirrors the torrent's own layout; otherwise keep the source's
            "content_layout": (
                "Subfolder" if link_dir is None and searchee.subfolder_layout else "Original"
            ),
            "is_skip_checking": not recheck,
            "is_paused": recheck,
        }
        if not auto_tmm:
            form["save_path"] = save_path
            form["download_path"] = save_path
            form["use_download_path"] = False
        if category:
            form["category"] = await self._category(category, save_path, auto_tmm, link_category)
        try:
            await self._call(self._api.torrents_add, **form)
        except TorrentClientError as exc:  # cross-seed polls to confirm all the same
            logger.warning("[%s] add of %s reported: %s", self.label, meta.name, exc)
        added = await self._find_added(meta.info_hash)
        if added is None:
            logger.error("[%s] %s is not in the client after adding", self.label, meta.name)
            return ActionResult.FAILURE
        if recheck:
            # stop first: qBittorrent may resume a torrent on its own after a recheck
            await self._call(self._api.torrents_pause, torrent_hashes=added.hash)
            await self._call(self._api.torrents_recheck, torrent_hashes=added.hash)
        logger.info("[%s] injected %s (%s)", self.label, meta.name, decision)
        return ActionResult.INJECTED

    async def _find_added(self, info_hash: str) -> _Info | None:
        for delay in (0.0, *_FIND_DELAYS):
            await asyncio.sleep(delay)
            found = await self._find(info_hash)
            if found is not None:
                return found
        return None

    async def _category(
        self, category: str, save_path: str, auto_tmm: bool, link_category: str
    ) -> str:
        """getCategoryForNewTorrent: the source's category or, with duplicateCategories, its
        `.cross-seed` twin; under autoTMM that twin gets the source's save path."""
        if not self._options.duplicate_categories:
            return category
        twin = duplicate_category(category, link_category)
        if twin == category or not auto_tmm:
            return twin
        existing = cast(
            "Mapping[str, Mapping[str, Any]]", await self._call(self._api.torrents_categories)
        )
        if twin not in existing:
            await self._call(self._api.torrents_create_category, name=twin, save_path=save_path)
        elif existing[twin].get("savePath") != save_path:
            await self._call(self._api.torrents_edit_category, name=twin, save_path=save_path)
        return twin

    def _tags(self, source: _Info | None, link_dir: str | None, link_category: str) -> str:
        """getTagsForNewTorrent: `cross-seed`, plus the source's `.cross-seed` category as a tag
        when linking with duplicateCategories (the category is then the link category)."""
        if not self._options.duplicate_categories or source is None or link_dir is None:
            return TAG
        twin = duplicate_category(source.category, link_category)
        return f"{TAG},{twin}" if twin and twin != link_category else TAG

    async def close(self) -> None:
        if self._started:
            try:
                await self._call(self._api.auth_log_out)
            except TorrentClientError as exc:
                logger.debug("[%s] log out failed: %s", self.label, exc)
        await asyncio.to_thread(self._api._trigger_session_initialization)  # close its session
        self._started = False
