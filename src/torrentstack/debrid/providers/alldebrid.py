"""AllDebrid (API v4.1) behind `Provider`: magnets and .torrent files, file trees flattened,
links unlocked into direct links. Parsing is pure (`parse_*` take decoded JSON).

Every answer is `{"status": "success"|"error", "data", "error": {"code", "message"}}`; an error
body is an error whatever the HTTP status.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

import httpx

from torrentstack.config.debrid import ProviderSettings
from torrentstack.debrid.errors import NotCached, NotFoundRemote, ProviderError, TooManyActive
from torrentstack.debrid.providers.base import (
    Profile,
    RemoteFile,
    RemoteStatus,
    RemoteTorrent,
)
from torrentstack.debrid.providers.http import RETRIED_STATUSES, ServiceHttp, Sleep
from torrentstack.debrid.providers.json_fields import Body, decoded

KIND = "alldebrid"
PUBLIC_URL = "https://api.alldebrid.com/v4.1"
AGENT = "torrentstack"  # every call names its application (`agent`)
SLOTS = 100  # the service publishes no limit; Decypharr assumes as many
READY = 4  # statusCode: 0 queued, 1 downloading, 2 compressing, 3 uploading, 4 ready, 5+ error
GONE_CODES = frozenset({"MAGNET_INVALID_ID", "LINK_DOWN", "LINK_NOT_FOUND"})
_END = object()


def failure(provider: str, code: str, message: str, status: int = 0) -> ProviderError:
    """The error for one of the service's error codes (`status`: the HTTP status, if not 200)."""
    said = f"{message} ({code})" if message else code
    if code.startswith("AUTH_"):
        return ProviderError(
            provider, f"the API key was refused: {said}; check it in the settings", status=status
        )
    if code == "MAGNET_TOO_MANY_ACTIVE":
        return TooManyActive(provider, said, status=status, retryable=True)
    if code in GONE_CODES or status == 404:
        return NotFoundRemote(provider, said, status=status)
    return ProviderError(provider, said, status=status, retryable=status in RETRIED_STATUSES)


def _raise_error(body: Body, status: int = 0) -> None:
    error = body.value.get("error")
    if error is None and body.value.get("status") != "error":
        return
    detail = Body(error if isinstance(error, dict) else {}, body.provider, body.what)
    code = detail.text("code") or "UNKNOWN_ERROR"
    raise failure(body.provider, code, detail.text("message"), status)


def parse_data(value: object, provider: str = KIND, what: str = "a call") -> Body:
    """The `data` of a success answer; the service's error otherwise."""
    body = Body(value, provider, what)
    _raise_error(body)
    if body.value.get("status") != "success":
        raise ProviderError(provider, f"unexpected answer to {what}: no success status")
    return body.child("data")


def _added(value: object, provider: str, key: str) -> tuple[str, bool]:
    entries = parse_data(value, provider, "upload").items(key)
    if not entries:
        raise ProviderError(provider, "unexpected answer to upload: nothing was added")
    entry = Body(entries[0], provider, "upload")
    _raise_error(entry)
    return entry.required("id"), entry.flag("ready")


def parse_uploaded(value: object, provider: str = KIND) -> tuple[str, bool]:
    """Id and readiness (cached) of the first magnet of a `/magnet/upload` answer."""
    return _added(value, provider, "magnets")


def parse_uploaded_file(value: object, provider: str = KIND) -> tuple[str, bool]:
    """Id and readiness of the first file of a `/magnet/upload/file` answer."""
    return _added(value, provider, "files")


def _leaves(tree: list[object], provider: str) -> Iterator[tuple[str, Body]]:
    """Every file of a `files` tree (`n` name, `s` size, `l` link, `e` entries), depth first."""
    stack: list[tuple[str, Iterator[object]]] = [("", iter(tree))]
    while stack:
        prefix, entries = stack[-1]
        entry = next(entries, _END)
        if entry is _END:
            stack.pop()
            continue
        node = Body(entry, provider, "magnet status")
        path = f"{prefix}{node.text('n')}"
        children = node.value.get("e")
        if isinstance(children, list):
            stack.append((f"{path}/", iter(children)))
        else:
            yield path, node


def _files(body: Body, name: str) -> tuple[RemoteFile, ...]:
    tree = body.items("files")
    if not tree:  # API v4: `links`, each a file with its link and its own `files` tree
        tree = [
            {"n": link.get("filename"), "s": link.get("size"), "l": link.get("link")}
            for link in body.items("links")
            if isinstance(link, dict)
        ]
    leaves = list(_leaves(tree, body.provider))
    root = f"{name}/"
    if name and leaves and all(path.startswith(root) for path, _ in leaves):
        leaves = [(path[len(root) :], node) for path, node in leaves]  # the torrent's folder
    return tuple(
        RemoteFile(
            id=str(index),
            path=path.lstrip("/"),
            size=node.integer("s"),
            link=node.text("l"),
        )
        for index, (path, node) in enumerate(leaves)
    )


def parse_magnet(value: object, provider: str = KIND) -> RemoteTorrent:
    """One magnet of a `/magnet/status` answer."""
    body = Body(value, provider, "magnet status")
    code = int(body.number("statusCode"))
    if code == READY:
        status = RemoteStatus.DOWNLOADED
    elif code >= READY:
        status = RemoteStatus.FAILED
    elif code > 0:
        status = RemoteStatus.DOWNLOADING
    else:
        status = RemoteStatus.QUEUED
    size = body.integer("size")
    progress = 1.0 if status is RemoteStatus.DOWNLOADED else 0.0
    if size and status is not RemoteStatus.DOWNLOADED:
        progress = min(1.0, body.integer("downloaded") / size)
    name = body.text("filename")
    return RemoteTorrent(
        id=body.required("id"),
        info_hash=body.text("hash").lower(),
        name=name,
        size=size,
        status=status,
        progress=progress,
        speed=body.integer("downloadSpeed"),
        seeders=body.integer("seeders"),
        files=_files(body, name),
        message=body.text("status"),
    )


def parse_status(value: object, provider: str = KIND) -> RemoteTorrent:
    """The magnet of a `/magnet/status?id=` answer."""
    found = parse_magnets(value, provider)
    if len(found) != 1:
        raise ProviderError(provider, "unexpected answer to magnet status: not one magnet")
    return found[0]


def _magnets(value: object, provider: str, what: str) -> list[object]:
    magnets = parse_data(value, provider, what).value.get("magnets")
    if isinstance(magnets, dict):
        magnets = [magnets] if "id" in magnets else list(magnets.values())
    if not isinstance(magnets, list):
        raise ProviderError(provider, f"unexpected answer to {what}: no magnets")
    return magnets


def parse_magnets(value: object, provider: str = KIND) -> list[RemoteTorrent]:
    """Every magnet of a `/magnet/status` answer (a list, a map by id, or one magnet)."""
    return [parse_magnet(item, provider) for item in _magnets(value, provider, "magnet status")]


def parse_magnet_files(
    value: object, provider: str = KIND, name: str = ""
) -> tuple[RemoteFile, ...]:
    """The files of the first magnet of a `/magnet/files` answer (`name`: the torrent's, whose
    folder is left out of the paths)."""
    magnets = _magnets(value, provider, "magnet files")
    if not magnets:
        raise ProviderError(provider, "unexpected answer to magnet files: no magnet")
    entry = Body(magnets[0], provider, "magnet files")
    _raise_error(entry)
    return _files(entry, name)


def parse_unlocked(value: object, provider: str = KIND) -> str:
    """The direct URL of a `/link/unlock` answer."""
    return parse_data(value, provider, "unlock").required("link")


def parse_link_infos(value: object, provider: str = KIND) -> bool:
    """Whether the first link of a `/link/infos` answer is alive (no error of its own)."""
    infos = parse_data(value, provider, "link infos").items("infos")
    if not infos:
        raise ProviderError(provider, "unexpected answer to link infos: no infos")
    return "error" not in Body(infos[0], provider, "link infos").value


def parse_profile(value: object, provider: str = KIND) -> Profile:
    """The account of a `/user` answer (`premiumUntil` is unix time)."""
    user = parse_data(value, provider, "user").child("user")
    return Profile(
        username=user.required("username"),
        premium=user.flag("isPremium"),
        expires=user.integer("premiumUntil"),
    )


def _error_fields(response: httpx.Response) -> tuple[str, str] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict) or not isinstance(error.get("code"), str):
        return None
    message = error.get("message")
    return error["code"], message if isinstance(message, str) else ""


def _describe(response: httpx.Response) -> str:
    fields = _error_fields(response)
    if fields is None:
        return response.text.strip()[:200] or f"HTTP {response.status_code}"
    code, message = fields
    return f"{message} ({code})" if message else code


class _Http(ServiceHttp):
    """`ServiceHttp` that knows AllDebrid's error codes in failed responses."""

    def error(self, response: httpx.Response) -> ProviderError:
        fields = _error_fields(response)
        if fields is None:
            return super().error(response)
        return failure(self.provider, *fields, status=response.status_code)


class AllDebrid:
    """The AllDebrid account of one configured API key."""

    kind = KIND

    def __init__(self, settings: ProviderSettings, *, sleep: Sleep = asyncio.sleep) -> None:
        self.name = settings.label
        self._http = _Http.for_settings(settings, PUBLIC_URL, describe=_describe, sleep=sleep)

    async def _call(self, method: str, path: str, what: str, **kwargs: Any) -> object:
        params = {"agent": AGENT, **kwargs.pop("params", {})}
        response = await self._http.request(method, path, params=params, **kwargs)
        return decoded(response, self.name, what)

    async def _accepted(self, remote_id: str, ready: bool, uncached: bool) -> str:
        if not ready and not uncached:
            await self.delete(remote_id)
            raise NotCached(self.name, "the torrent is not cached and uncached downloads are off")
        return remote_id

    async def submit_magnet(self, magnet: str, *, uncached: bool) -> str:
        answer = await self._call("GET", "magnet/upload", "upload", params={"magnets[]": magnet})
        return await self._accepted(*parse_uploaded(answer, self.name), uncached)

    async def submit_torrent(self, data: bytes, *, uncached: bool) -> str:
        files = {"files[]": ("upload.torrent", data, "application/x-bittorrent")}
        answer = await self._call("POST", "magnet/upload/file", "upload", files=files)
        return await self._accepted(*parse_uploaded_file(answer, self.name), uncached)

    async def status(self, remote_id: str) -> RemoteTorrent:
        answer = await self._call("GET", "magnet/status", "status", params={"id": remote_id})
        torrent = parse_status(answer, self.name)
        if torrent.status is RemoteStatus.DOWNLOADED and not torrent.files:
            # API v4.1 keeps the file tree out of the status: it has an endpoint of its own
            data = {"id[]": remote_id}
            answer = await self._call("POST", "magnet/files", "magnet files", data=data)
            files = parse_magnet_files(answer, self.name, torrent.name)
            torrent = dataclasses.replace(torrent, files=files)
        return torrent

    async def select_files(self, remote_id: str, file_ids: Sequence[str]) -> None:
        return  # the service fetches every file of a magnet

    async def delete(self, remote_id: str) -> None:
        try:
            answer = await self._call("GET", "magnet/delete", "delete", params={"id": remote_id})
            parse_data(answer, self.name, "delete")
        except NotFoundRemote:
            return

    async def torrents(self) -> list[RemoteTorrent]:
        return parse_magnets(await self._call("GET", "magnet/status", "status"), self.name)

    async def link(self, file: RemoteFile) -> str:
        if not file.link:
            raise NotFoundRemote(self.name, f"no link for {file.path}")
        answer = await self._call("GET", "link/unlock", "unlock", params={"link": file.link})
        return parse_unlocked(answer, self.name)

    async def check(self, file: RemoteFile) -> bool:
        if not file.link:
            return False
        answer = await self._call("POST", "link/infos", "link infos", data={"link[]": file.link})
        return parse_link_infos(answer, self.name)

    async def stream(
        self, file: RemoteFile, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        url = await self.link(file)
        async for chunk in self._http.stream(url, start, end):
            yield chunk

    async def profile(self) -> Profile:
        return parse_profile(await self._call("GET", "user", "user"), self.name)

    async def free_slots(self) -> int:
        done = (RemoteStatus.DOWNLOADED, RemoteStatus.FAILED)
        active = [t for t in await self.torrents() if t.status not in done]
        return max(0, SLOTS - len(active))

    async def close(self) -> None:
        await self._http.close()
