"""A loopback Debrid-Link (API v2: `/seedbox/*`, `/account/infos`), written from its published
API, for the Debrid-Link provider's tests: a catalogue of torrents, scripted faults."""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import re
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.debrid_services.catalogue import Content
from tests.support.debrid_services.serving import ranged, serve_app
from torrentstack.bittorrent.bencode import BencodeError, decode_torrent

API = "/api/v2"
_BTIH = re.compile(r"urn:btih:([0-9a-fA-F]{40})")


@dataclass
class SeedboxTorrent:
    """One torrent of the fake's seedbox; `content` None: a hash the swarm does not have."""

    id: str
    info_hash: str
    name: str
    content: Content | None
    done: bool = False
    polls: int = 0
    dropped: set[str] = field(default_factory=set)  # paths whose links now answer 404

    @property
    def paths(self) -> list[str]:
        return list(self.content.files) if self.content is not None else []


@dataclass(frozen=True)
class _Fault:
    status: int
    retry_after: float | None
    error: str


class FakeDebridLink:
    """Debrid-Link's seedbox: cached hashes are stored at once, other catalogue torrents after
    `polls_to_finish` status polls, unknown hashes never."""

    def __init__(
        self,
        api_key: str,
        catalogue: Iterable[Content],
        cached: Iterable[str] = (),
        *,
        polls_to_finish: int = 3,
    ) -> None:
        self.api_key = api_key
        self.catalogue = {content.info_hash: content for content in catalogue}
        self.cached = set(cached)
        self.polls_to_finish = polls_to_finish
        self.too_many_active = False  # `seedbox/add` answers `maxTorrent` while set
        self.requests: list[tuple[str, str]] = []
        self.torrents: dict[str, SeedboxTorrent] = {}
        self.url = ""  # the API's base URL (a provider's `api_url`), once served
        self._faults: list[_Fault] = []
        self._ids = (f"{n:x}-fake" for n in itertools.count(0xA11))

    def fail_next(
        self, n: int, status: int, retry_after: float | None = None, error: str = ""
    ) -> None:
        """Answer the next `n` API calls with `status` and `{"success": false, "error": ...}`."""
        default = "floodDetected" if status == 429 else "internalError"
        self._faults.extend([_Fault(status, retry_after, error or default)] * n)

    def drop_file(self, info_hash: str, path: str) -> None:
        """Make a stored file's link answer 404 from now on (the hoster lost it)."""
        for torrent in self.torrents.values():
            if torrent.info_hash == info_hash:
                torrent.dropped.add(path)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route(f"{API}/seedbox/add", self._api(self._add), methods=["POST"]),
                Route(f"{API}/seedbox/list", self._api(self._list), methods=["GET"]),
                Route(f"{API}/seedbox/{{ids}}/remove", self._api(self._remove), methods=["DELETE"]),
                Route(f"{API}/account/infos", self._api(self._account), methods=["GET"]),
                Route("/dl/{torrent_id}/{index:int}/{name}", self._download, methods=["GET"]),
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
                return _refuse(fault.error, fault.status, headers)
            if request.headers.get("authorization") != f"Bearer {self.api_key}":
                return _refuse("badToken", 401)
            response: Response = await handler(request)
            return response

        return endpoint

    async def _add(self, request: Request) -> Response:
        if self.too_many_active:
            return _refuse("maxTorrent", 400)
        info_hash, name = "", ""
        if request.headers.get("content-type", "").startswith("application/json"):
            body = await request.json()
            url = str(body.get("url", "")) if isinstance(body, dict) else ""
            found = _BTIH.search(url)
            info_hash = found.group(1).lower() if found else ""
            name = parse_qs(urlsplit(url).query).get("dn", [""])[0]
        else:
            async with request.form() as form:
                upload = form.get("file")
                if isinstance(upload, UploadFile):
                    info_hash = _torrent_hash(await upload.read())
        if not info_hash:
            return _refuse("notAddTorrent", 400)
        torrent = self._torrent(info_hash, name)
        return _ok(self._render(request, torrent))

    def _torrent(self, info_hash: str, name: str) -> SeedboxTorrent:
        for torrent in self.torrents.values():
            if torrent.info_hash == info_hash:
                return torrent
        content = self.catalogue.get(info_hash)
        torrent = SeedboxTorrent(
            id=next(self._ids),
            info_hash=info_hash,
            name=content.name if content is not None else name or info_hash,
            content=content,
            done=content is not None and info_hash in self.cached,
        )
        self.torrents[torrent.id] = torrent
        return torrent

    async def _list(self, request: Request) -> Response:
        ids = request.query_params.get("ids")
        if ids is not None:
            chosen = [self.torrents[i] for i in ids.split(",") if i in self.torrents]
            rendered = [self._render(request, torrent) for torrent in chosen]
            for torrent in chosen:
                self._advance(torrent)
            return _ok(rendered)
        page = int(request.query_params.get("page", "0"))
        per_page = int(request.query_params.get("perPage", "20"))
        everything = list(self.torrents.values())
        batch = everything[page * per_page : (page + 1) * per_page]
        pages = max(1, -(-len(everything) // per_page))
        pagination = {"page": page, "pages": pages, "next": page + 1 if page + 1 < pages else -1}
        body = {
            "success": True,
            "value": [self._render(request, torrent) for torrent in batch],
            "pagination": pagination,
        }
        return JSONResponse(body)

    def _advance(self, torrent: SeedboxTorrent) -> None:
        if torrent.content is None or torrent.done:
            return
        torrent.polls += 1
        torrent.done = torrent.polls > self.polls_to_finish

    async def _remove(self, request: Request) -> Response:
        ids = request.path_params["ids"].split(",")
        if not all(i in self.torrents for i in ids):
            return _refuse("badId", 400)
        for i in ids:
            del self.torrents[i]
        return _ok(ids)

    async def _account(self, request: Request) -> Response:
        account = {
            "pseudo": "fake-user",
            "email": "fake-user@example.invalid",
            "accountType": 1,
            "premiumLeft": 30 * 86400,
            "pts": 0,
            "trafficshare": 0,
        }
        return _ok(account)

    def _render(self, request: Request, torrent: SeedboxTorrent) -> dict[str, Any]:
        content = torrent.content
        if torrent.done:
            status, percent = 100, 100
        elif content is None or torrent.polls == 0:
            status, percent = 3, 0  # waiting for a download slot / for peers
        else:
            status, percent = 4, 100 * torrent.polls // (self.polls_to_finish + 1)
        files = []
        origin = str(request.base_url).rstrip("/")
        for index, path in enumerate(torrent.paths):
            body = content.files[path] if content is not None else b""
            link = f"{origin}/dl/{torrent.id}/{index}/{quote(path.rsplit('/', 1)[-1])}"
            files.append(
                {
                    "id": f"{torrent.id}-{index}",
                    "name": path,
                    "size": len(body),
                    "downloadPercent": percent,
                    "downloaded": torrent.done,
                    "downloadUrl": link if torrent.done else "",
                }
            )
        return {
            "id": torrent.id,
            "name": torrent.name,
            "hashString": torrent.info_hash,
            "status": status,
            "wait": False,
            "error": 0,
            "errorString": "",
            "downloadPercent": percent,
            "totalSize": content.size if content is not None else 0,
            "downloadSpeed": 0 if torrent.done or content is None else 1_048_576,
            "uploadSpeed": 0,
            "peersConnected": 0 if content is None else 7,
            "uploadRatio": 0,
            "serverId": "fake1",
            "created": 1_700_000_000,
            "files": files,
            "trackers": [],
        }

    # --- the file host ---

    async def _download(self, request: Request) -> Response:
        self.requests.append((request.method, request.url.path))
        torrent = self.torrents.get(request.path_params["torrent_id"])
        index = request.path_params["index"]
        if torrent is None or not torrent.done or not 0 <= index < len(torrent.paths):
            return Response("not found", 404)
        path = torrent.paths[index]
        if path in torrent.dropped or torrent.content is None:
            return Response("not found", 404)
        return ranged(request, torrent.content.files[path])


def _ok(value: object) -> JSONResponse:
    return JSONResponse({"success": True, "value": value})


def _refuse(error: str, status: int, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"success": False, "error": error}, status, headers=headers)


def _torrent_hash(data: bytes) -> str:
    try:
        info = decode_torrent(data).info_bytes
    except BencodeError:
        return ""
    return hashlib.sha1(info).hexdigest() if info else ""  # noqa: S324 - BitTorrent v1


@contextlib.asynccontextmanager
async def debridlink_service(
    catalogue: Iterable[Content],
    *,
    api_key: str = "debridlink-test-key",
    cached: Iterable[str] = (),
    polls_to_finish: int = 3,
) -> AsyncIterator[FakeDebridLink]:
    """Serve a `FakeDebridLink` on 127.0.0.1 until the block ends; `.url` is its API."""
    fake = FakeDebridLink(api_key, catalogue, cached, polls_to_finish=polls_to_finish)
    async with serve_app(fake.app(), "fake-debridlink") as port:
        fake.url = f"http://127.0.0.1:{port}{API}"
        yield fake
