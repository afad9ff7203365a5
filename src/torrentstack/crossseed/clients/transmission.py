"""Transmission through its RPC, with transmission-rpc (cross-seed's `src/clients/Transmission.ts`).

Transmission has no categories; cross-seed's tag is a label. The library is synchronous, so each
call runs in a worker thread; its errors become `TorrentClientError` here.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import transmission_rpc
from transmission_rpc.error import TransmissionError

from torrentstack.crossseed.clients.base import (
    TAG,
    ClientOptions,
    TorrentClientError,
    guarded_inject,
    should_recheck,
)
from torrentstack.crossseed.clients.entry import ClientEntry
from torrentstack.crossseed.decision import ActionResult, Decision
from torrentstack.crossseed.searchee import File, Metafile, Searchee
from torrentstack.crossseed.trackers import tracker_hosts

logger = logging.getLogger(__name__)

T = TypeVar("T")

_LIST_FIELDS = [
    "id", "hashString", "name", "files", "totalSize", "downloadDir", "labels", "trackers",
    "percentDone",
]  # fmt: skip
_LABELS_RPC = 16  # labels exist from Transmission 3.00 (RPC 16) on, set by torrent-set
_LABELS_IN_ADD_RPC = 17  # and torrent-add takes them from Transmission 4.0 (RPC 17) on


class Transmission:
    """A transmission-daemon as a cross-seed client."""

    def __init__(self, entry: ClientEntry, options: ClientOptions | None = None) -> None:
        self.label = entry.label
        self.readonly = entry.readonly
        self._entry = entry
        self._options = options or ClientOptions()
        self._client: transmission_rpc.Client | None = None
        self._rpc_version = 0
        self._connect_lock = threading.Lock()

    def _connect(self) -> transmission_rpc.Client:
        with self._connect_lock:
            if self._client is None:
                entry = self._entry
                client = transmission_rpc.Client(
                    protocol="https" if entry.scheme == "https" else "http",
                    host=entry.host,
                    port=entry.port,
                    path=entry.path or "/transmission/rpc",
                    username=entry.username or None,
                    password=entry.password or None,
                    timeout=60,
                    logger=logger,
                )
                self._rpc_version = client.get_session().rpc_version
                self._client = client
            return self._client

    async def _call(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        try:
            return await asyncio.to_thread(fn, *args, **kwargs)
        except TransmissionError as exc:
            message = f"{type(exc).__name__}: {exc.message if hasattr(exc, 'message') else exc}"
            raise TorrentClientError(message, client=self.label) from exc

    def _torrents(
        self, ids: list[int | str] | None = None, fields: list[str] | None = None
    ) -> list[Any]:
        return list(self._connect().get_torrents(ids, arguments=fields or _LIST_FIELDS))

    def _searchees_sync(self) -> list[Searchee]:
        out = []
        for torrent in self._torrents():
            files = tuple(File(f["name"], int(f["length"])) for f in torrent.fields["files"])
            if not files:
                continue
            out.append(
                Searchee(
                    name=torrent.name,
                    files=files,
                    info_hash=torrent.hash_string.lower(),
                    save_path=torrent.download_dir,
                    tags=tuple(torrent.labels or ()),
                    trackers=tracker_hosts(t.announce for t in torrent.trackers),
                    client=self.label,
                    complete=torrent.percent_done == 1,
                )
            )
        return out

    async def searchees(self) -> list[Searchee]:
        return await self._call(self._searchees_sync)

    async def info_hashes(self) -> set[str]:
        torrents = await self._call(self._torrents, None, ["id", "hashString"])
        return {t.hash_string.lower() for t in torrents}

    async def _get(self, info_hash: str) -> Any | None:
        fields = ["id", "hashString", "downloadDir", "percentDone", "status", "labels"]
        found = await self._call(self._torrents, [info_hash.lower()], fields)
        return found[0] if found else None

    async def is_complete(self, info_hash: str) -> bool | None:
        torrent = await self._get(info_hash)
        return None if torrent is None else torrent.percent_done == 1

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
        return await guarded_inject(
            self, meta, lambda: self._inject(meta, searchee, decision, save_path, only_completed)
        )

    async def _inject(
        self,
        meta: Metafile,
        searchee: Searchee,
        decision: Decision,
        link_dir: str | None,
        only_completed: bool,
    ) -> ActionResult:
        if await self._get(meta.info_hash) is not None:
            return ActionResult.ALREADY_EXISTS
        if link_dir is not None:
            download_dir = link_dir
        else:
            source = await self._get(searchee.info_hash) if searchee.info_hash else None
            if source is None:
                logger.error("[%s] the source of %s is not in the client", self.label, meta.name)
                return ActionResult.FAILURE
            if only_completed and source.percent_done < 1:
                return ActionResult.TORRENT_NOT_COMPLETE
            download_dir = source.download_dir
        recheck = should_recheck(meta, decision, skip_recheck=self._options.skip_recheck)
        added = await self._call(self._add, meta.raw, download_dir, recheck)
        if recheck:
            # Transmission checks what it finds on disk when a torrent is added; a paused
            # torrent waits there for a look at how much is left (cross-seed's resumeInjection)
            await self._call(self._connect().verify_torrent, [added])
        logger.info("[%s] injected %s (%s)", self.label, meta.name, decision)
        return ActionResult.INJECTED

    def _add(self, raw: bytes, download_dir: str, paused: bool) -> int:
        client = self._connect()
        labels_in_add = self._rpc_version >= _LABELS_IN_ADD_RPC
        torrent = client.add_torrent(
            raw, download_dir=download_dir, paused=paused, labels=[TAG] if labels_in_add else None
        )
        if not labels_in_add and self._rpc_version >= _LABELS_RPC:
            client.change_torrent(torrent.id, labels=[TAG])
        return int(torrent.id)

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await asyncio.to_thread(client.__exit__, None, None, None)
