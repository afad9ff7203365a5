"""Debrid-Link (API v2, `/seedbox/*`): its JSON read into `base` values, and `DebridLink`.

The `parse_*`/`refusal` functions take decoded JSON and raise only `ProviderError`s; the
class does the HTTP through `ServiceHttp`. Files carry a direct `downloadUrl`: no unrestrict step.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

from torrentstack.config.debrid import ProviderSettings
from torrentstack.debrid.errors import NotFoundRemote, ProviderError, TooManyActive
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

KIND = "debridlink"
PUBLIC_URL = "https://debrid-link.com/api/v2"
PER_PAGE = 50  # `/seedbox/list` takes 20 to 100 a page
MAX_PAGES = 200
UNKNOWN_SLOTS = 100  # the service tells no slot count; a refusal (`maxTorrent`) says it is full
DOWNLOADED = 100  # `status` of a torrent whose files are stored and readable
_WAITING = frozenset({0, 1, 2, 3})  # stopped, check wait, checking, download wait

# error codes Debrid-Link answers with, in the user's words; the kind where it is not plain
_MESSAGES = {
    "badToken": "the API key was refused (badToken): check the provider's api_key",
    "notDebrid": "the account has no premium (notDebrid)",
    "accountLocked": "the account is locked (accountLocked)",
    "notPremium": "the account has no premium (notPremium)",
    "maxTorrent": "too many torrents in the seedbox (maxTorrent)",
    "maxTorrents": "too many torrents in the seedbox (maxTorrents)",
    "torrentTooBig": "the torrent is bigger than the seedbox takes (torrentTooBig)",
    "notAddTorrent": "the torrent could not be added (notAddTorrent)",
    "badId": "no such torrent (badId)",
    "notFound": "no such torrent (notFound)",
    "fileNotFound": "no such file (fileNotFound)",
    "floodDetected": "too many requests (floodDetected)",
    "serverNotAllowed": "this server's address is not allowed to use the API (serverNotAllowed)",
    "internalError": "the service failed (internalError)",
    "badArguments": "the service refused the request's arguments (badArguments)",
}
_KINDS: dict[str, type[ProviderError]] = {
    "maxTorrent": TooManyActive,
    "maxTorrents": TooManyActive,
    "badId": NotFoundRemote,
    "notFound": NotFoundRemote,
    "fileNotFound": NotFoundRemote,
}
_RETRYABLE = frozenset({"maxTorrent", "maxTorrents", "floodDetected", "internalError"})


def refusal(provider: str, body: object, status: int = 200) -> ProviderError:
    """The error a refusal stands for: its `error` code in words, of the code's kind."""
    code = text(body, "error") if isinstance(body, dict) else ""
    detail = text(body, "error_description") if isinstance(body, dict) else ""
    return coded_refusal(
        provider, code, detail, status, messages=_MESSAGES, kinds=_KINDS, retryable=_RETRYABLE
    )


def unwrap(provider: str, body: object) -> object:
    """The `value` of a `{"success": true, "value": ...}` answer; a refusal raised."""
    if not isinstance(body, dict):
        raise ProviderError(provider, "unexpected answer: not a JSON object")
    if body.get("success") is not True:
        raise refusal(provider, body)
    return body.get("value")


def _status(item: dict[str, Any], percent: float) -> RemoteStatus:
    if integer(item, "error") or text(item, "errorString"):
        return RemoteStatus.FAILED
    value = item.get("status")
    code = value if isinstance(value, int) and not isinstance(value, bool) else None
    if code == DOWNLOADED:
        return RemoteStatus.DOWNLOADED
    if code in _WAITING or item.get("wait") is True:
        return RemoteStatus.QUEUED
    if code is None and percent >= 100:
        return RemoteStatus.DOWNLOADED
    return RemoteStatus.DOWNLOADING


def _file_path(name: str, folder: str) -> str:
    path = name.replace("\\", "/").lstrip("/")
    if folder and path.startswith(folder + "/"):
        path = path[len(folder) + 1 :]
    return path


def parse_torrent(provider: str, value: object) -> RemoteTorrent:
    """A seedbox torrent (`/seedbox/list`, `/seedbox/add`'s value)."""
    item = an_object(provider, value, "the torrent")
    remote_id = text(item, "id")
    if not remote_id:
        raise ProviderError(provider, "unexpected answer: a torrent without an id")
    name = text(item, "name")
    percent = min(100.0, number(item, "downloadPercent"))
    status = _status(item, percent)
    files = []
    for index, entry in enumerate(objects(provider, item.get("files") or [], "files")):
        path = _file_path(text(entry, "name"), name)
        if not path:
            continue
        file_id = text(entry, "id") or str(index)
        files.append(RemoteFile(file_id, path, integer(entry, "size"), text(entry, "downloadUrl")))
    return RemoteTorrent(
        id=remote_id,
        info_hash=text(item, "hashString").lower(),
        name=name,
        size=integer(item, "totalSize"),
        status=status,
        progress=1.0 if status is RemoteStatus.DOWNLOADED else max(0.0, percent) / 100,
        speed=integer(item, "downloadSpeed"),
        seeders=integer(item, "peersConnected"),
        files=tuple(files),
        message=text(item, "errorString"),
    )


def parse_torrents(provider: str, value: object) -> list[RemoteTorrent]:
    """A page of `/seedbox/list`."""
    if value is None:
        return []
    return [parse_torrent(provider, item) for item in objects(provider, value, "the list")]


def parse_profile(provider: str, value: object, now: float) -> Profile:
    """`/account/infos`: `premiumLeft` is seconds from `now`."""
    item = an_object(provider, value, "the account")
    left = integer(item, "premiumLeft")
    premium = left > 0 or integer(item, "accountType") == 1
    return Profile(
        username=text(item, "pseudo") or text(item, "username"),
        premium=premium,
        expires=int(now) + left if left else 0,
    )


class DebridLink:
    """Debrid-Link's seedbox behind `Provider`."""

    kind = KIND

    def __init__(self, settings: ProviderSettings, *, sleep: Sleep = asyncio.sleep) -> None:
        self.name = settings.label
        self._http = ServiceHttp.for_settings(settings, PUBLIC_URL, refuse=refusal, sleep=sleep)

    async def _call(self, method: str, path: str, **kwargs: Any) -> object:
        response = await self._http.request(method, path, **kwargs)
        return unwrap(self.name, decoded(response, self.name, path))

    async def _add(self, **kwargs: Any) -> str:
        value = await self._call("POST", "seedbox/add", **kwargs)
        return parse_torrent(self.name, value).id

    async def submit_magnet(self, magnet: str, *, uncached: bool) -> str:
        # Debrid-Link has no "only if cached" switch: `status` tells what it does with it
        return await self._add(json={"url": magnet, "async": True})

    async def submit_torrent(self, data: bytes, *, uncached: bool) -> str:
        upload = {"file": ("upload.torrent", data, "application/x-bittorrent")}
        return await self._add(files=upload, data={"async": "true"})

    async def status(self, remote_id: str) -> RemoteTorrent:
        value = await self._call("GET", "seedbox/list", params={"ids": remote_id})
        for torrent in parse_torrents(self.name, value):
            if torrent.id == remote_id:
                return torrent
        raise NotFoundRemote(self.name, f"no torrent {remote_id}", status=404)

    async def select_files(self, remote_id: str, file_ids: Sequence[str]) -> None:
        return None  # the seedbox fetches every file

    async def delete(self, remote_id: str) -> None:
        try:
            await self._call("DELETE", f"seedbox/{remote_id}/remove")
        except NotFoundRemote:
            return

    async def torrents(self) -> list[RemoteTorrent]:
        found: list[RemoteTorrent] = []
        for page in range(MAX_PAGES):
            params = {"page": page, "perPage": PER_PAGE}
            batch = parse_torrents(
                self.name, await self._call("GET", "seedbox/list", params=params)
            )
            found.extend(batch)
            if len(batch) < PER_PAGE:
                break
        return found

    async def link(self, file: RemoteFile) -> str:
        if not file.link:
            raise ProviderError(self.name, f"{file.path}: no download link yet")
        return file.link

    async def check(self, file: RemoteFile) -> bool:
        return await self._http.reachable(self.link(file))

    async def stream(
        self, file: RemoteFile, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        async for chunk in self._http.stream(await self.link(file), start, end):
            yield chunk

    async def profile(self) -> Profile:
        return parse_profile(self.name, await self._call("GET", "account/infos"), time.time())

    async def free_slots(self) -> int:
        return UNKNOWN_SLOTS

    async def close(self) -> None:
        await self._http.close()
