"""A loopback TorBox (API v1: `/api/torrents/*`, `/api/user/me`), written from its published
API, for the TorBox provider's tests: a catalogue of torrents, scripted faults."""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import re
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.debrid_services.catalogue import Content
from tests.support.debrid_services.serving import ranged, serve_app
from torrentstack.bittorrent.bencode import BencodeError, decode_torrent

API = "/v1/api"
_BTIH = re.compile(r"urn:btih:([0-9a-fA-F]{40})")
# TorBox does not document its answer to an uncached add with add_only_if_cached; the fake
# refuses it with this detail (the provider reads any refusal that speaks of the cache so)
NOT_CACHED_DETAIL = "The torrent is not cached and add_only_if_cached was set: it was not added."


@dataclass
class BoxTorrent:
    """One torrent of the fake's account; `content` None: a hash the swarm does not have."""

    id: int
    info_hash: str
    content: Content | None
    done: bool = False
    polls: int = 0
    dropped: set[str] = field(default_factory=set)  # paths whose links now answer 404

    @property
    def name(self) -> str:
        return self.content.name if self.content is not None else self.info_hash

    @property
    def paths(self) -> list[str]:
        return list(self.content.files) if self.content is not None else []


@dataclass(frozen=True)
class _Fault:
    status: int
    retry_after: float | None
    error: str


class FakeTorBox:
    """TorBox's torrents: cached hashes are ready at once, other catalogue torrents after
    `polls_to_finish` status polls, unknown hashes never. `plan` is /user/me's."""

    def __init__(
        self,
        api_key: str,
        catalogue: Iterable[Content],
        cached: Iterable[str] = (),
        *,
        polls_to_finish: int = 3,
        plan: int = 1,
    ) -> None:
        self.api_key = api_key
        self.catalogue = {content.info_hash: content for content in catalogue}
        self.cached = set(cached)
        self.polls_to_finish = polls_to_finish
        self.plan = plan
        self.too_many_active = False  # `createtorrent` answers ACTIVE_LIMIT while set
        self.requests: list[tuple[str, str]] = []
        self.torrents: dict[int, BoxTorrent] = {}
        self.url = ""  # the API's base URL (a provider's `api_url`), once served
        self._faults: list[_Fault] = []
        self._ids = itertools.count(5001)

    def fail_next(
        self, n: int, status: int, retry_after: float | None = None, error: str = ""
    ) -> None:
        """Answer the next `n` API calls with `status` and `{"success": false, "error": ...}`."""
        self._faults.extend([_Fault(status, retry_after, error or "UNKNOWN_ERROR")] * n)

    def drop_file(self, info_hash: str, path: str) -> None:
        """Make a stored file's download answer 404 from now on (the storage lost it)."""
        for torrent in self.torrents.values():
            if torrent.info_hash == info_hash:
                torrent.dropped.add(path)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route(f"{API}/torrents/createtorrent", self._api(self._create), methods=["POST"]),
                Route(f"{API}/torrents/mylist", self._api(self._mylist), methods=["GET"]),
                Route(f"{API}/torrents/controltorrent", self._api(self._control), methods=["POST"]),
                Route(f"{API}/torrents/requestdl", self._api(self._requestdl), methods=["GET"]),
                Route(f"{API}/user/me", self._api(self._me), methods=["GET"]),
                Route("/dl/{torrent_id:int}/{file_id:int}/{name}", self._download, methods=["GET"]),
            ]
        )

    # --- the API ---

    def _api(self, handler: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            self.requests.append((request.method, request.url.path))
            if self._faults:
                fault = self._faults.pop(0)
                headers = {}
                if fault.retry_after is not None:
                    headers["Retry-After"] = f"{fault.retry_after:g}"
                return _refuse(
                    fault.error, f"HTTP {fault.status} from the fake", fault.status, headers
                )
            # requestdl is opened by browsers: its key is the `token` parameter
            key = (
                request.query_params.get("token")
                if request.url.path.endswith("/requestdl")
                else None
            )
            if key is None:
                key = request.headers.get("authorization", "").removeprefix("Bearer ")
            if key != self.api_key:
                return _refuse("BAD_TOKEN", "Invalid token.", 401)
            response: Response = await handler(request)
            return response

        return endpoint

    async def _create(self, request: Request) -> Response:
        info_hash = ""
        async with request.form() as form:
            magnet, upload = form.get("magnet"), form.get("file")
            cached_only = form.get("add_only_if_cached") == "true"
            if isinstance(magnet, str):
                found = _BTIH.search(magnet)
                info_hash = found.group(1).lower() if found else ""
            elif isinstance(upload, UploadFile):
                info_hash = _torrent_hash(await upload.read())
        if not info_hash:
            return _refuse("BOZO_TORRENT", "You must provide either a file or magnet link.", 400)
        if self.too_many_active:
            detail = "You have reached your maximum active downloads."
            return _refuse("ACTIVE_LIMIT", detail, 403)
        cached = info_hash in self.cached and info_hash in self.catalogue
        if cached_only and not cached:
            return JSONResponse(
                {"success": False, "error": None, "detail": NOT_CACHED_DETAIL, "data": None}
            )
        torrent = self._torrent(info_hash, cached)
        detail = "Found Cached Torrent. Using Cached Torrent." if cached else "Torrent added."
        data = {"torrent_id": torrent.id, "hash": info_hash, "auth_id": "fake-auth-id"}
        return _ok(data, detail)

    def _torrent(self, info_hash: str, cached: bool) -> BoxTorrent:
        for torrent in self.torrents.values():
            if torrent.info_hash == info_hash:
                return torrent
        content = self.catalogue.get(info_hash)
        torrent = BoxTorrent(next(self._ids), info_hash, content, done=cached)
        self.torrents[torrent.id] = torrent
        return torrent

    async def _mylist(self, request: Request) -> Response:
        wanted = request.query_params.get("id")
        if wanted is not None:
            torrent = self.torrents.get(int(wanted)) if wanted.isdigit() else None
            if torrent is None:
                return _refuse("ITEM_NOT_FOUND", "Torrent not found.", 404)
            rendered = self._render(torrent)
            self._advance(torrent)
            return _ok(rendered)
        offset = int(request.query_params.get("offset", "0"))
        limit = int(request.query_params.get("limit", "1000"))
        batch = list(self.torrents.values())[offset : offset + limit]
        return _ok([self._render(torrent) for torrent in batch])

    def _advance(self, torrent: BoxTorrent) -> None:
        if torrent.content is None or torrent.done:
            return
        torrent.polls += 1
        torrent.done = torrent.polls > self.polls_to_finish

    async def _control(self, request: Request) -> Response:
        body = await request.json()
        if not isinstance(body, dict) or body.get("operation") != "delete":
            return _refuse("INVALID_OPTION", "Unknown operation.", 400)
        torrent_id = body.get("torrent_id")
        if torrent_id not in self.torrents:
            return _refuse("ITEM_NOT_FOUND", "Torrent not found.", 404)
        del self.torrents[torrent_id]
        return _ok(None, "Torrent deleted.")

    async def _requestdl(self, request: Request) -> Response:
        torrent_id = request.query_params.get("torrent_id", "")
        file_id = request.query_params.get("file_id", "")
        torrent = self.torrents.get(int(torrent_id)) if torrent_id.isdigit() else None
        if torrent is None or not torrent.done or not file_id.isdigit():
            return _refuse("ITEM_NOT_FOUND", "The download is not ready.", 404)
        index = int(file_id)
        if not 0 <= index < len(torrent.paths):
            return _refuse("ITEM_NOT_FOUND", "No such file.", 404)
        base = torrent.paths[index].rsplit("/", 1)[-1]
        origin = str(request.base_url).rstrip("/")
        return _ok(f"{origin}/dl/{torrent.id}/{index}/{quote(base)}", "Download link generated.")

    async def _me(self, request: Request) -> Response:
        me = {
            "id": 42,
            "email": "fake-user@example.invalid",
            "plan": self.plan,
            "is_subscribed": self.plan > 0,
            "premium_expires_at": "2027-06-01T00:00:00Z",
            "additional_concurrent_slots": 0,
            "settings": {},
        }
        return _ok(me)

    def _render(self, torrent: BoxTorrent) -> dict[str, Any]:
        content = torrent.content
        if torrent.done:
            state, progress = ("cached" if torrent.polls == 0 else "completed"), 1.0
        elif content is None or torrent.polls == 0:
            state, progress = "metaDL", 0.0
        else:
            state = "stalled (no seeds)" if torrent.polls == 2 else "downloading"
            progress = torrent.polls / (self.polls_to_finish + 1)
        files = []
        for index, path in enumerate(torrent.paths):
            assert content is not None
            single = list(content.files) == [content.name]
            files.append(
                {
                    "id": index,
                    "name": path if single else f"{content.name}/{path}",
                    "short_name": path.rsplit("/", 1)[-1],
                    "size": len(content.files[path]),
                    "mimetype": "application/octet-stream",
                    "md5": None,
                    "s3_path": f"{torrent.info_hash}/{path}",
                }
            )
        return {
            "id": torrent.id,
            "hash": torrent.info_hash,
            "name": torrent.name,
            "size": content.size if content is not None else 0,
            "active": not torrent.done,
            "download_state": state,
            "download_finished": torrent.done,
            "download_present": torrent.done,
            "progress": progress,
            "download_speed": 0 if torrent.done or content is None else 2_097_152,
            "upload_speed": 0,
            "seeds": 0 if content is None else 12,
            "peers": 0,
            "eta": 0,
            "created_at": "2026-12-01T10:00:00Z",
            "updated_at": "2026-12-01T10:00:00Z",
            "expires_at": None,
            "files": files,
        }

    # --- the storage ---

    async def _download(self, request: Request) -> Response:
        self.requests.append((request.method, request.url.path))
        torrent = self.torrents.get(request.path_params["torrent_id"])
        index = request.path_params["file_id"]
        if torrent is None or torrent.content is None or not 0 <= index < len(torrent.paths):
            return Response("not found", 404)
        path = torrent.paths[index]
        if path in torrent.dropped:
            return Response("not found", 404)
        return ranged(request, torrent.content.files[path])


def _ok(data: object, detail: str = "") -> JSONResponse:
    return JSONResponse({"success": True, "error": None, "detail": detail, "data": data})


def _refuse(
    error: str, detail: str, status: int, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = {"success": False, "error": error, "detail": detail, "data": None}
    return JSONResponse(body, status, headers=headers)


def _torrent_hash(data: bytes) -> str:
    try:
        info = decode_torrent(data).info_bytes
    except BencodeError:
        return ""
    return hashlib.sha1(info).hexdigest() if info else ""  # noqa: S324 - BitTorrent v1


@contextlib.asynccontextmanager
async def torbox_service(
    catalogue: Iterable[Content],
    *,
    api_key: str = "torbox-test-key",
    cached: Iterable[str] = (),
    polls_to_finish: int = 3,
    plan: int = 1,
) -> AsyncIterator[FakeTorBox]:
    """Serve a `FakeTorBox` on 127.0.0.1 until the block ends; `.url` is its API."""
    fake = FakeTorBox(api_key, catalogue, cached, polls_to_finish=polls_to_finish, plan=plan)
    async with serve_app(fake.app(), "fake-torbox") as port:
        fake.url = f"http://127.0.0.1:{port}/v1"
        yield fake
