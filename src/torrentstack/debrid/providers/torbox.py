"""TorBox (API v1, `/api/torrents/*`): its JSON read into `base` values, and `TorBox`.

`parse_*`/`refusal` raise only `ProviderError`s. A file's link is `torbox://<torrent>/<file>`;
`link()` asks `requestdl`, the one call with the key in its query (kept out of every log).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from torrentstack.config.debrid import ProviderSettings
from torrentstack.debrid.errors import NotCached, NotFoundRemote, ProviderError, TooManyActive
from torrentstack.debrid.providers.base import Profile, RemoteFile, RemoteStatus, RemoteTorrent
from torrentstack.debrid.providers.http import ServiceHttp, Sleep, coded_refusal
from torrentstack.debrid.providers.json_fields import (
    an_object,
    decoded,
    integer,
    number,
    objects,
    text,
)
from torrentstack.log import SecretRedactor

KIND = "torbox"
PUBLIC_URL = "https://api.torbox.app/v1"
LINK_SCHEME = "torbox://"
PAGE = 1000  # `mylist` answers at most this many a call
MAX_PAGES = 100
# `plan` of /user/me: 0 free, 1 essential, 2 pro, 3 standard; its active-download slots
PLAN_SLOTS = {0: 1, 1: 3, 2: 10, 3: 5}

_MESSAGES = {
    "BAD_TOKEN": "the API key was refused (BAD_TOKEN): check the provider's api_key",
    "AUTH_ERROR": "the API key was refused (AUTH_ERROR): check the provider's api_key",
    "NO_AUTH": "no API key was sent (NO_AUTH): set the provider's api_key",
    "ACTIVE_LIMIT": "too many active downloads (ACTIVE_LIMIT)",
    "MONTHLY_LIMIT": "the plan's monthly download limit is reached (MONTHLY_LIMIT)",
    "COOLDOWN_LIMIT": "the account is cooling down between downloads (COOLDOWN_LIMIT)",
    "DOWNLOAD_TOO_LARGE": "the torrent is bigger than the plan allows (DOWNLOAD_TOO_LARGE)",
    "PLAN_RESTRICTED_FEATURE": "the plan does not allow this (PLAN_RESTRICTED_FEATURE)",
    "BOZO_TORRENT": "the service refused the torrent as invalid (BOZO_TORRENT)",
}
_KINDS: dict[str, type[ProviderError]] = {
    "ACTIVE_LIMIT": TooManyActive,
    "ITEM_NOT_FOUND": NotFoundRemote,
}
_RETRYABLE = frozenset({"ACTIVE_LIMIT", "COOLDOWN_LIMIT", "DATABASE_ERROR", "UNKNOWN_ERROR"})
# qBittorrent-like `download_state`s, once a "(reason)" suffix is cut; the rest: downloading
_WAITING = frozenset(
    {"metadl", "checkingdl", "checkingresumedata", "queued", "queueddl", "allocating",
     "paused", "pauseddl", "moving"}
)  # fmt: skip
_FAILED = re.compile(r"error|failed|missing|expired", re.IGNORECASE)
_REASON = re.compile(r"\s*\(.*?\)\s*")


def refusal(provider: str, body: object, status: int = 200) -> ProviderError:
    """The error a refusal stands for: its `error` code in words (with `detail`), its kind."""
    code = text(body, "error") if isinstance(body, dict) else ""
    detail = text(body, "detail").strip() if isinstance(body, dict) else ""
    return coded_refusal(
        provider, code, detail, status, messages=_MESSAGES, kinds=_KINDS, retryable=_RETRYABLE
    )


def unwrap(provider: str, body: object) -> object:
    """The `data` of a `{"success": true, "data": ...}` answer; a refusal raised."""
    if not isinstance(body, dict):
        raise ProviderError(provider, "unexpected answer: not a JSON object")
    if body.get("success") is not True or text(body, "error"):
        raise refusal(provider, body)
    return body.get("data")


def parse_created(provider: str, value: object, *, cached_only: bool) -> str:
    """`createtorrent`'s data: the new torrent's id (`NotCached` if cached-only and none)."""
    if isinstance(value, dict) and text(value, "torrent_id"):
        return text(value, "torrent_id")
    if cached_only:
        raise NotCached(provider, "the torrent is not cached and uncached downloads are off")
    raise ProviderError(provider, "unexpected answer: no torrent_id")


def _status(item: dict[str, Any]) -> RemoteStatus:
    state = _REASON.sub("", text(item, "download_state")).strip().lower()
    if item.get("download_present") is True:
        return RemoteStatus.DOWNLOADED
    if _FAILED.search(state):
        return RemoteStatus.FAILED
    if state in _WAITING:
        return RemoteStatus.QUEUED
    return RemoteStatus.DOWNLOADING


def _file_path(entry: dict[str, Any]) -> str:
    # `name` is "<torrent folder>/<path>"; `short_name` the base name
    name = text(entry, "name").replace("\\", "/").strip("/")
    _folder, slash, rest = name.partition("/")
    return rest if slash and rest else name or text(entry, "short_name")


def parse_torrent(provider: str, value: object) -> RemoteTorrent:
    """One torrent of `mylist`."""
    item = an_object(provider, value, "the torrent")
    remote_id = text(item, "id")
    if not remote_id:
        raise ProviderError(provider, "unexpected answer: a torrent without an id")
    status = _status(item)
    files = []
    for index, entry in enumerate(objects(provider, item.get("files") or [], "files")):
        path = _file_path(entry)
        if not path:
            continue
        file_id = text(entry, "id") or str(index)
        link = f"{LINK_SCHEME}{remote_id}/{file_id}"
        files.append(RemoteFile(file_id, path, integer(entry, "size"), link))
    progress = min(1.0, number(item, "progress"))
    return RemoteTorrent(
        id=remote_id,
        info_hash=text(item, "hash").lower(),
        name=text(item, "name"),
        size=integer(item, "size"),
        status=status,
        progress=1.0 if status is RemoteStatus.DOWNLOADED else max(0.0, progress),
        speed=integer(item, "download_speed"),
        seeders=integer(item, "seeds"),
        files=tuple(files),
        message=text(item, "download_state") if status is RemoteStatus.FAILED else "",
    )


def parse_torrents(provider: str, value: object) -> list[RemoteTorrent]:
    """`mylist` without an id (null: none)."""
    if value is None:
        return []
    return [parse_torrent(provider, item) for item in objects(provider, value, "the list")]


def parse_link(provider: str, value: object) -> str:
    """`requestdl`'s data: the URL."""
    if isinstance(value, str) and value.startswith(("http://", "https://")):
        return value
    raise ProviderError(provider, "unexpected answer: requestdl gave no URL")


def parse_profile(provider: str, value: object) -> Profile:
    """`/user/me`."""
    item = an_object(provider, value, "the account")
    expires = 0
    try:
        when = datetime.fromisoformat(text(item, "premium_expires_at").replace("Z", "+00:00"))
        expires = max(0, int(when.timestamp()))
    except (ValueError, OverflowError, OSError):
        expires = 0
    return Profile(
        username=text(item, "email"),
        premium=integer(item, "plan") > 0 or item.get("is_subscribed") is True,
        expires=expires,
    )


def parse_slots(provider: str, value: object) -> int:
    """Active-download slots of the account (`/user/me`: plan and extra slots)."""
    item = an_object(provider, value, "the account")
    plan = integer(item, "plan")
    return PLAN_SLOTS.get(plan, 1) + integer(item, "additional_concurrent_slots")


def _split_link(provider: str, file: RemoteFile) -> tuple[str, str]:
    torrent_id, slash, file_id = file.link.removeprefix(LINK_SCHEME).partition("/")
    if not file.link.startswith(LINK_SCHEME) or not slash or not torrent_id or not file_id:
        raise ProviderError(provider, f"{file.path}: not a TorBox file link")
    return torrent_id, file_id


def _guard_httpx_log() -> None:
    # httpx logs every request's URL at INFO, and `requestdl` has the key in its query: mask
    # it on httpx's own logger, before any handler (or test capture) sees the record
    httpx_logger = logging.getLogger("httpx")
    if not any(isinstance(f, SecretRedactor) for f in httpx_logger.filters):
        httpx_logger.addFilter(SecretRedactor())


class TorBox:
    """TorBox's torrents behind `Provider`."""

    kind = KIND

    def __init__(self, settings: ProviderSettings, *, sleep: Sleep = asyncio.sleep) -> None:
        _guard_httpx_log()
        self.name = settings.label
        self._key = settings.api_key
        self._http = ServiceHttp.for_settings(settings, PUBLIC_URL, refuse=refusal, sleep=sleep)

    async def _call(self, method: str, path: str, **kwargs: Any) -> object:
        response = await self._http.request(method, path, **kwargs)
        return unwrap(self.name, decoded(response, self.name, path))

    async def _create(self, form: dict[str, str], uncached: bool, **kwargs: Any) -> str:
        if not uncached:
            form["add_only_if_cached"] = "true"
        try:
            value = await self._call("POST", "api/torrents/createtorrent", data=form, **kwargs)
        except ProviderError as exc:
            if uncached or isinstance(exc, TooManyActive) or "cache" not in exc.message.lower():
                raise
            raise NotCached(self.name, exc.message, status=exc.status) from exc
        return parse_created(self.name, value, cached_only=not uncached)

    async def submit_magnet(self, magnet: str, *, uncached: bool) -> str:
        return await self._create({"magnet": magnet}, uncached)

    async def submit_torrent(self, data: bytes, *, uncached: bool) -> str:
        upload = {"file": ("upload.torrent", data, "application/x-bittorrent")}
        return await self._create({}, uncached, files=upload)

    async def status(self, remote_id: str) -> RemoteTorrent:
        params = {"id": remote_id, "bypass_cache": "true"}
        value = await self._call("GET", "api/torrents/mylist", params=params)
        if value is None or value == []:
            raise NotFoundRemote(self.name, f"no torrent {remote_id}", status=404)
        torrent = parse_torrent(self.name, value)
        if torrent.id != remote_id:
            raise NotFoundRemote(self.name, f"no torrent {remote_id}", status=404)
        return torrent

    async def select_files(self, remote_id: str, file_ids: Sequence[str]) -> None:
        return None  # TorBox fetches every file

    async def delete(self, remote_id: str) -> None:
        body = {"torrent_id": int(remote_id) if remote_id.isdigit() else remote_id}
        try:
            await self._call(
                "POST", "api/torrents/controltorrent", json=body | {"operation": "delete"}
            )
        except NotFoundRemote:
            return

    async def torrents(self) -> list[RemoteTorrent]:
        found: list[RemoteTorrent] = []
        for page in range(MAX_PAGES):
            params = {"bypass_cache": "true", "offset": page * PAGE, "limit": PAGE}
            try:
                value = await self._call("GET", "api/torrents/mylist", params=params)
            except NotFoundRemote:
                break  # an empty list is answered 404
            batch = parse_torrents(self.name, value)
            found.extend(batch)
            if len(batch) < PAGE:
                break
        return found

    async def link(self, file: RemoteFile) -> str:
        torrent_id, file_id = _split_link(self.name, file)
        params = {"token": self._key, "torrent_id": torrent_id, "file_id": file_id}
        return parse_link(
            self.name, await self._call("GET", "api/torrents/requestdl", params=params)
        )

    async def check(self, file: RemoteFile) -> bool:
        return await self._http.reachable(self.link(file))

    async def stream(
        self, file: RemoteFile, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        async for chunk in self._http.stream(await self.link(file), start, end):
            yield chunk

    async def profile(self) -> Profile:
        return parse_profile(self.name, await self._call("GET", "api/user/me", params=_SETTINGS))

    async def free_slots(self) -> int:
        slots = parse_slots(self.name, await self._call("GET", "api/user/me", params=_SETTINGS))
        busy = sum(
            t.status in (RemoteStatus.QUEUED, RemoteStatus.DOWNLOADING)
            for t in await self.torrents()
        )
        return max(0, slots - busy)

    async def close(self) -> None:
        await self._http.close()


_SETTINGS = {"settings": "true"}
