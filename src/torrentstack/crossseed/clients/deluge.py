"""Deluge through deluged's daemon RPC, with deluge-client (cross-seed's `src/clients/Deluge.ts`).

cross-seed's tag is a label of the Label plugin when that plugin is on. deluge-client is
synchronous and one connection serves one call at a time: calls run in a worker thread, one
after another; its errors become `TorrentClientError` here.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import threading
from collections.abc import Mapping
from typing import Any

from deluge_client import DelugeRPCClient
from deluge_client.client import (
    CallTimeoutException,
    ConnectionLostException,
    DelugeClientException,
)

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

_LIST_KEYS = ["name", "save_path", "files", "trackers", "label", "progress", "state",
              "total_remaining"]  # fmt: skip
_INFO_KEYS = ["name", "save_path", "label", "progress", "state", "total_remaining"]


def _complete(status: Mapping[str, Any]) -> bool:
    """cross-seed's getTorrentInfo: seeding, at 100 %, or nothing left to fetch."""
    return (
        status.get("state") == "Seeding"
        or status.get("progress") == 100
        or not status.get("total_remaining")
    )


def _close(rpc: DelugeRPCClient) -> None:
    """Close its socket, connected or not (deluge-client's disconnect skips a failed connect)."""
    sock = getattr(rpc, "_socket", None)
    if sock is not None:
        sock.close()
    rpc.connected = False


class Deluge:
    """A deluged (Deluge 2) as a cross-seed client."""

    def __init__(self, entry: ClientEntry, options: ClientOptions | None = None) -> None:
        self.label = entry.label
        self.readonly = entry.readonly
        self._options = options or ClientOptions()
        self._entry = entry
        self._rpc: DelugeRPCClient | None = None
        self._lock = threading.Lock()  # one call at a time on the one connection
        self._labels: bool | None = None  # whether the Label plugin is on (asked once)

    def _open(self) -> DelugeRPCClient:
        entry = self._entry
        rpc = DelugeRPCClient(
            entry.host,
            entry.port,
            entry.username,
            entry.password,
            decode_utf8=True,
            automatic_reconnect=False,  # it would leave the old socket open: reconnect here
            timeout=60,
        )
        try:
            rpc.connect()
        except BaseException:
            _close(rpc)
            raise
        return rpc

    def _call_sync(self, method: str, *args: Any) -> Any:
        with self._lock:
            for attempt in (1, 2):
                fresh = self._rpc is None
                if self._rpc is None:
                    self._rpc = self._open()
                try:
                    return self._rpc.call(method, *args)
                except (OSError, ConnectionLostException, CallTimeoutException):
                    _close(self._rpc)
                    self._rpc = None
                    if fresh or attempt == 2:  # a stale connection gets one more try
                        raise
            raise AssertionError("unreachable")

    async def _call(self, method: str, *args: Any) -> Any:
        try:
            return await asyncio.to_thread(self._call_sync, method, *args)
        except (DelugeClientException, OSError) as exc:
            raise TorrentClientError(
                f"{method}: {type(exc).__name__}: {exc}", client=self.label
            ) from exc

    async def _label_plugin(self) -> bool:
        if self._labels is None:
            self._labels = "Label" in await self._call("core.get_enabled_plugins")
        return self._labels

    async def _statuses(self, filter_: dict[str, Any], keys: list[str]) -> dict[str, Any]:
        if "label" in keys and not await self._label_plugin():
            keys = [k for k in keys if k != "label"]
        return dict(await self._call("core.get_torrents_status", filter_, keys))

    async def _status(self, info_hash: str) -> Mapping[str, Any] | None:
        found = await self._statuses({"id": [info_hash.lower()]}, _INFO_KEYS)
        return found.get(info_hash.lower())

    async def searchees(self) -> list[Searchee]:
        out = []
        for info_hash, status in (await self._statuses({}, _LIST_KEYS)).items():
            files = tuple(File(str(f["path"]), int(f["size"])) for f in status.get("files", ()))
            if not files:
                continue
            label = str(status.get("label") or "")
            out.append(
                Searchee(
                    name=str(status["name"]),
                    files=files,
                    info_hash=str(info_hash).lower(),
                    save_path=str(status["save_path"]),
                    category=label or None,
                    trackers=tracker_hosts(str(t["url"]) for t in status.get("trackers", ())),
                    client=self.label,
                    complete=_complete(status),
                )
            )
        return out

    async def info_hashes(self) -> set[str]:
        return {str(h).lower() for h in await self._call("core.get_session_state")}

    async def is_complete(self, info_hash: str) -> bool | None:
        status = await self._status(info_hash)
        return None if status is None else _complete(status)

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
        if await self._status(meta.info_hash) is not None:
            return ActionResult.ALREADY_EXISTS
        source = await self._status(searchee.info_hash) if searchee.info_hash else None
        if only_completed and source is not None and not _complete(source):
            return ActionResult.TORRENT_NOT_COMPLETE
        if link_dir is None and source is None:
            logger.error("[%s] the source of %s is not in the client", self.label, meta.name)
            return ActionResult.FAILURE
        download_location = link_dir if link_dir is not None else str(source["save_path"])  # type: ignore[index]
        recheck = should_recheck(meta, decision, skip_recheck=self._options.skip_recheck)
        options = {
            "add_paused": recheck,
            "seed_mode": not recheck,  # libtorrent takes every piece as present, unchecked
            "download_location": download_location,
        }
        encoded = base64.b64encode(meta.raw).decode()
        try:
            await self._call("core.add_torrent_file", torrent_filename(meta), encoded, options)
        except TorrentClientError as exc:
            if "already" in str(exc):
                return ActionResult.ALREADY_EXISTS
            raise
        await self._set_label(meta, self._label_for(searchee, source, link_category))
        if recheck:
            # a paused torrent is not checked by libtorrent on its own: pause, then force it
            await self._call("core.pause_torrent", [meta.info_hash])
            await self._call("core.force_recheck", [meta.info_hash])
        logger.info("[%s] injected %s (%s)", self.label, meta.name, decision)
        return ActionResult.INJECTED

    def _label_for(
        self, searchee: Searchee, source: Mapping[str, Any] | None, link_category: str
    ) -> str:
        """calculateLabel: `cross-seed`, else the source's label (`<label>.cross-seed` with
        duplicateCategories)."""
        original = str(source.get("label") or "") if source is not None else ""
        if not searchee.info_hash or not original:
            return TAG
        if not self._options.duplicate_categories:
            return original
        return duplicate_category(original, link_category)

    async def _set_label(self, meta: Metafile, label: str) -> None:
        """Label the torrent, adding the label first; a failure is logged, not fatal."""
        if not await self._label_plugin():
            return
        try:
            if label not in await self._call("label.get_labels"):
                await self._call("label.add", label)
            await self._call("label.set_torrent", meta.info_hash, label)
        except TorrentClientError as exc:
            logger.warning("[%s] could not label %s %r: %s", self.label, meta.name, label, exc)

    async def close(self) -> None:
        def disconnect() -> None:
            with self._lock:
                if self._rpc is not None:
                    _close(self._rpc)
                    self._rpc = None

        await asyncio.to_thread(disconnect)
