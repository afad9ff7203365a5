"""Real-Debrid (REST API 1.0) behind `Provider`: magnets and .torrent files, file selection,
hoster links unrestricted into direct links. Parsing is pure (`parse_*` take decoded JSON)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import datetime

import httpx

from torrentstack.config.debrid import ProviderSettings
from torrentstack.debrid.errors import NotFoundRemote, ProviderError, TooManyActive
from torrentstack.debrid.providers.base import (
    Profile,
    RemoteFile,
    RemoteStatus,
    RemoteTorrent,
)
from torrentstack.debrid.providers.http import ServiceHttp, Sleep
from torrentstack.debrid.providers.json_fields import Body, decoded

KIND = "realdebrid"
PUBLIC_URL = "https://api.real-debrid.com/rest/1.0"
PAGE_SIZE = 1000  # torrents per `GET /torrents` page (the service allows up to 5000)

STATUSES = {
    "magnet_conversion": RemoteStatus.QUEUED,
    "queued": RemoteStatus.QUEUED,
    "waiting_files_selection": RemoteStatus.SELECTING,
    "downloading": RemoteStatus.DOWNLOADING,
    "compressing": RemoteStatus.DOWNLOADING,
    "uploading": RemoteStatus.DOWNLOADING,
    "downloaded": RemoteStatus.DOWNLOADED,
    "magnet_error": RemoteStatus.FAILED,
    "error": RemoteStatus.FAILED,
    "virus": RemoteStatus.FAILED,
    "dead": RemoteStatus.FAILED,
}
TOO_MANY_ACTIVE = 21  # error_code "too_many_active_downloads"
GONE_CODES = frozenset({24, 35})  # unavailable_file, infringing_file: the file will not return
KEY_CODES = frozenset({8, 9, 14, 15, 22})  # bad_token, permission_denied, locked, inactive, IP


def parse_added(value: object, provider: str = KIND) -> str:
    """The torrent id of an addMagnet/addTorrent answer."""
    return Body(value, provider, "add").required("id")


def _files(body: Body) -> tuple[RemoteFile, ...]:
    listed = [Body(item, body.provider, body.what) for item in body.items("files")]
    chosen = [item for item in listed if item.integer("selected")] or listed
    links = [link if isinstance(link, str) else "" for link in body.items("links")]
    # `links` follow the selected files in order, unless the service packed them (an archive)
    matched = len(links) == len(chosen)
    return tuple(
        RemoteFile(
            id=item.required("id"),
            path=item.text("path").lstrip("/"),
            size=item.integer("bytes"),
            link=links[index] if matched else "",
        )
        for index, item in enumerate(chosen)
    )


def parse_torrent(value: object, provider: str = KIND) -> RemoteTorrent:
    """A torrent from `GET /torrents/info/{id}` (or a `GET /torrents` entry, without files)."""
    body = Body(value, provider, "torrent info")
    status = body.text("status")
    return RemoteTorrent(
        id=body.required("id"),
        info_hash=body.text("hash").lower(),
        name=body.text("filename") or body.text("original_filename"),
        size=body.integer("bytes"),
        status=STATUSES.get(status, RemoteStatus.QUEUED),
        progress=min(1.0, max(0.0, body.number("progress") / 100)),
        speed=body.integer("speed"),
        seeders=body.integer("seeders"),
        files=_files(body),
        message=status,
    )


def parse_listed(value: object, provider: str = KIND) -> list[RemoteTorrent]:
    """The torrents of one `GET /torrents` page."""
    if not isinstance(value, list):
        raise ProviderError(provider, "unexpected answer to the torrent list: not a JSON list")
    return [parse_torrent(item, provider) for item in value]


def parse_unrestricted(value: object, provider: str = KIND) -> str:
    """The direct URL of an `/unrestrict/link` answer."""
    return Body(value, provider, "unrestrict").required("download")


def parse_profile(value: object, provider: str = KIND) -> Profile:
    """The account of `GET /user` (`expiration` is ISO 8601)."""
    body = Body(value, provider, "user")
    expires = 0
    try:
        expires = max(0, int(datetime.fromisoformat(body.text("expiration")).timestamp()))
    except (ValueError, OverflowError, OSError):
        expires = 0
    return Profile(
        username=body.required("username"),
        premium=body.text("type") == "premium",
        expires=expires,
    )


def parse_slots(value: object, provider: str = KIND) -> int:
    """Free slots from `GET /torrents/activeCount` (`limit` minus `nb`)."""
    body = Body(value, provider, "active count")
    return max(0, body.integer("limit") - body.integer("nb"))


def _error_fields(response: httpx.Response) -> tuple[str, int]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        text = response.text.strip()[:200]
        return text or f"HTTP {response.status_code}", 0
    error, code = body.get("error"), body.get("error_code")
    return (
        error if isinstance(error, str) and error else f"HTTP {response.status_code}",
        code if isinstance(code, int) and not isinstance(code, bool) else 0,
    )


def _describe(response: httpx.Response) -> str:
    error, code = _error_fields(response)
    return f"{error} (error_code {code})" if code else error


class _Http(ServiceHttp):
    """`ServiceHttp` that knows Real-Debrid's error codes."""

    def error(self, response: httpx.Response) -> ProviderError:
        status = response.status_code
        error, code = _error_fields(response)
        if status == 509 or code == TOO_MANY_ACTIVE:
            return TooManyActive(
                self.provider, f"too many active downloads ({error})", status=status, retryable=True
            )
        if status in (401, 403) or code in KEY_CODES:
            return ProviderError(
                self.provider,
                f"the API key was refused ({error}): it is wrong, expired or not premium",
                status=status,
            )
        if code in GONE_CODES:
            return NotFoundRemote(self.provider, _describe(response), status=status)
        return super().error(response)


def _hoster(file: RemoteFile) -> str:
    """The file's hoster link as the service takes it back: its own links are 39 characters
    (`https://real-debrid.com/d/` + a 13-character id); longer ones are cut, as Decypharr does."""
    prefix = "https://real-debrid.com/d/"
    return file.link[:39] if file.link.startswith(prefix) else file.link


class RealDebrid:
    """The Real-Debrid account of one configured API key."""

    kind = KIND

    def __init__(self, settings: ProviderSettings, *, sleep: Sleep = asyncio.sleep) -> None:
        self.name = settings.label
        self._http = _Http.for_settings(settings, PUBLIC_URL, describe=_describe, sleep=sleep)
        # the repair probe: a dead file answers 503, so it is asked once, never retried
        self._probe = _Http.for_settings(
            settings, PUBLIC_URL, describe=_describe, sleep=sleep, retries=0
        )

    async def submit_magnet(self, magnet: str, *, uncached: bool) -> str:
        # the service cannot tell at once whether it holds the torrent: the caller polls
        response = await self._http.request("POST", "torrents/addMagnet", data={"magnet": magnet})
        return parse_added(decoded(response, self.name, "addMagnet"), self.name)

    async def submit_torrent(self, data: bytes, *, uncached: bool) -> str:
        response = await self._http.request(
            "PUT",
            "torrents/addTorrent",
            content=data,
            headers={"Content-Type": "application/x-bittorrent"},
        )
        return parse_added(decoded(response, self.name, "addTorrent"), self.name)

    async def status(self, remote_id: str) -> RemoteTorrent:
        response = await self._http.request("GET", f"torrents/info/{remote_id}")
        return parse_torrent(decoded(response, self.name, "torrent info"), self.name)

    async def select_files(self, remote_id: str, file_ids: Sequence[str]) -> None:
        files = ",".join(file_ids) or "all"
        await self._http.request("POST", f"torrents/selectFiles/{remote_id}", data={"files": files})

    async def delete(self, remote_id: str) -> None:
        try:
            await self._http.request("DELETE", f"torrents/delete/{remote_id}")
        except NotFoundRemote:
            return

    async def torrents(self) -> list[RemoteTorrent]:
        found: list[RemoteTorrent] = []
        offset = 0
        while True:
            response = await self._http.request(
                "GET", "torrents", params={"offset": offset, "limit": PAGE_SIZE}
            )
            if response.status_code == 204 or not response.content:
                return found
            page = parse_listed(decoded(response, self.name, "the torrent list"), self.name)
            found.extend(page)
            offset += len(page)
            total = response.headers.get("x-total-count", "")
            if not page or (total.isdigit() and offset >= int(total)) or len(page) < PAGE_SIZE:
                return found

    async def link(self, file: RemoteFile) -> str:
        if not file.link:
            raise NotFoundRemote(self.name, f"no hoster link for {file.path}")
        response = await self._http.request("POST", "unrestrict/link", data={"link": _hoster(file)})
        return parse_unrestricted(decoded(response, self.name, "unrestrict"), self.name)

    async def check(self, file: RemoteFile) -> bool:
        # 404, or 503 `unavailable_file`: gone. A 503 saying the service or the hoster is down
        # raises (retryable), so an outage never makes files look broken.
        if not file.link:
            return False
        try:
            await self._probe.request("POST", "unrestrict/check", data={"link": _hoster(file)})
        except NotFoundRemote:
            return False
        return True

    async def stream(
        self, file: RemoteFile, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        url = await self.link(file)
        async for chunk in self._http.stream(url, start, end):
            yield chunk

    async def profile(self) -> Profile:
        response = await self._http.request("GET", "user")
        return parse_profile(decoded(response, self.name, "user"), self.name)

    async def free_slots(self) -> int:
        response = await self._http.request("GET", "torrents/activeCount")
        return parse_slots(decoded(response, self.name, "active count"), self.name)

    async def close(self) -> None:
        await self._http.close()
        await self._probe.close()
