"""A loopback Real-Debrid (REST API 1.0, as its documentation describes it): torrents from a
catalogue, file selection, hoster links, unrestricted download links serving byte ranges."""

from __future__ import annotations

import contextlib
import hashlib
import itertools
from collections.abc import AsyncIterator, Collection
from dataclasses import dataclass, field
from urllib.parse import quote, unquote

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from tests.support.debrid_services.catalogue import Content
from tests.support.debrid_services.serving import Front, ranged, serve_app
from torrentstack.bittorrent.bencode import decode_torrent
from torrentstack.bittorrent.magnet import parse as parse_magnet
from torrentstack.errors import FormatError

PREFIX = "/rest/1.0"
ERRORS = {  # status -> (error, error_code) answered by scripted faults
    429: ("too_many_requests", 34),
    500: ("internal_error", -1),
    502: ("service_unavailable", 25),
    503: ("service_unavailable", 25),
    509: ("too_many_active_downloads", 21),
}


@dataclass
class _Torrent:
    id: str
    info_hash: str
    content: Content | None  # None: a hash no one seeds ("uncached" forever)
    cached: bool
    status: str = "magnet_conversion"
    polls: int = 0  # info requests seen in the current status
    progress: float = 0.0
    selected: list[int] = field(default_factory=list)  # file ids (1-based)

    def paths(self) -> list[str]:
        return list(self.content.files) if self.content else []


def _error(status: int, error: str, code: int, retry_after: int | None = None) -> JSONResponse:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return JSONResponse({"error": error, "error_code": code}, status, headers=headers)


class FakeRealDebrid:
    """The service for one API key. Hashes in `uncached` download over `download_polls` info
    requests; other catalogue hashes are ready once their files are selected."""

    def __init__(
        self,
        api_key: str,
        catalogue: list[Content],
        *,
        uncached: Collection[str] = (),
        download_polls: int = 2,
    ) -> None:
        self.api_key = api_key
        self.catalogue = {content.info_hash: content for content in catalogue}
        self.uncached = set(uncached)
        self.download_polls = download_polls
        self.torrents: dict[str, _Torrent] = {}
        self.broken: set[str] = set()  # link tokens the hoster lost
        self.requests: list[tuple[str, str]] = []
        self.too_many_active = False
        self.url = ""  # set by `realdebrid_service`
        self._faults: list[tuple[int, int | None]] = []
        self._ids = itertools.count(1)

    def fail_next(self, n: int, status: int, retry_after: int | None = None) -> None:
        """Answer the next `n` API requests with `status` (the service's error body)."""
        self._faults.extend([(status, retry_after)] * n)

    def break_link(self, link: str) -> None:
        """The hoster loses the file behind `link` (check and unrestrict then fail)."""
        self.broken.add(link.rsplit("/d/", 1)[-1])

    # -- the API ---------------------------------------------------------------------------

    def _add(self, info_hash: str) -> JSONResponse:
        if self.too_many_active:
            return _error(509, "too_many_active_downloads", 21)
        torrent_id = f"RD{next(self._ids):04d}"
        self.torrents[torrent_id] = _Torrent(
            torrent_id,
            info_hash,
            self.catalogue.get(info_hash),
            cached=info_hash not in self.uncached,
        )
        uri = f"{PREFIX}/torrents/info/{torrent_id}"
        return JSONResponse({"id": torrent_id, "uri": uri}, 201)

    async def _add_magnet(self, request: Request) -> Response:
        form = await request.form()
        try:
            info_hash = parse_magnet(str(form.get("magnet", ""))).info_hash.hex
        except FormatError:
            return _error(400, "parameter_not_valid", 2)
        return self._add(info_hash)

    async def _add_torrent(self, request: Request) -> Response:
        try:
            info = decode_torrent(await request.body(), strict=False).info_bytes
        except FormatError:
            info = None
        if info is None:
            return _error(400, "torrent_file_invalid", 30)
        return self._add(hashlib.sha1(info).hexdigest())  # noqa: S324 - BitTorrent v1

    def _advance(self, torrent: _Torrent) -> None:
        """One info request's worth of progress on the service's side."""
        if torrent.status == "downloading":
            torrent.progress = min(100.0, torrent.progress + 100 / self.download_polls)
            if torrent.progress >= 100:
                torrent.status = "downloaded"
            return
        torrent.polls += 1  # a status is seen once before the next one
        if torrent.polls < 2:
            return
        if torrent.status == "magnet_conversion" and torrent.content:
            torrent.status, torrent.polls = "waiting_files_selection", 0
        elif torrent.status == "queued":
            torrent.status, torrent.polls = "downloading", 0

    def _describe(self, request: Request, torrent: _Torrent, *, files: bool) -> dict[str, object]:
        paths = torrent.paths()
        content = torrent.content
        sizes = [len(content.files[path]) for path in paths] if content else []
        chosen = [i for i in torrent.selected if i <= len(paths)]
        root = str(request.base_url).rstrip("/")
        body: dict[str, object] = {
            "id": torrent.id,
            "filename": content.name if content else torrent.info_hash,
            "original_filename": content.name if content else torrent.info_hash,
            "hash": torrent.info_hash,
            "bytes": sum(sizes[i - 1] for i in chosen) if chosen else sum(sizes),
            "host": "real-debrid.com",
            "split": 2000,
            "progress": torrent.progress,
            "status": torrent.status,
            "added": "2026-01-01T00:00:00.000Z",
            "links": (
                [f"{root}/d/{torrent.id}-{i}" for i in chosen]
                if torrent.status == "downloaded"
                else []
            ),
        }
        if torrent.status == "downloading":
            body.update(speed=1_000_000, seeders=7)
        if files:
            body["files"] = [
                {
                    "id": i,
                    "path": f"/{path}",
                    "bytes": sizes[i - 1],
                    "selected": int(i in chosen),
                }
                for i, path in enumerate(paths, 1)
            ]
        return body

    async def _info(self, request: Request) -> Response:
        torrent = self.torrents.get(request.path_params["id"])
        if torrent is None:
            return _error(404, "unknown_ressource", 7)
        self._advance(torrent)
        return JSONResponse(self._describe(request, torrent, files=True))

    async def _select(self, request: Request) -> Response:
        torrent = self.torrents.get(request.path_params["id"])
        if torrent is None:
            return _error(404, "unknown_ressource", 7)
        if self.too_many_active:
            return _error(509, "too_many_active_downloads", 21)
        if torrent.status != "waiting_files_selection":
            return _error(202, "action_already_done", 31)
        files = str((await request.form()).get("files", ""))
        count = len(torrent.paths())
        try:
            ids = (
                list(range(1, count + 1)) if files == "all" else sorted(map(int, files.split(",")))
            )
        except ValueError:
            return _error(400, "parameter_not_valid", 2)
        if not ids or any(not 1 <= i <= count for i in ids):
            return _error(400, "parameter_not_valid", 2)
        torrent.selected, torrent.polls = ids, 0
        torrent.status = "downloaded" if torrent.cached else "queued"
        torrent.progress = 100.0 if torrent.cached else 0.0
        return Response(status_code=204)

    async def _delete(self, request: Request) -> Response:
        if self.torrents.pop(request.path_params["id"], None) is None:
            return _error(404, "unknown_ressource", 7)
        return Response(status_code=204)

    async def _list(self, request: Request) -> Response:
        offset = int(request.query_params.get("offset", "0"))
        limit = int(request.query_params.get("limit", "100"))
        page = list(self.torrents.values())[offset : offset + limit]
        headers = {"X-Total-Count": str(len(self.torrents))}
        if not page:
            return Response(status_code=204, headers=headers)
        body = [self._describe(request, torrent, files=False) for torrent in page]
        return JSONResponse(body, headers=headers)

    def _file(self, token: str) -> tuple[str, bytes] | None:
        torrent_id, _, index = token.rpartition("-")
        torrent = self.torrents.get(torrent_id)
        if torrent is None or not torrent.content or token in self.broken:
            return None
        if not index.isdigit() or int(index) not in torrent.selected:
            return None
        path = torrent.paths()[int(index) - 1]
        return path, torrent.content.files[path]

    async def _unrestrict(self, request: Request) -> Response:
        link = str((await request.form()).get("link", ""))
        token = link.rsplit("/d/", 1)[-1]
        found = self._file(token)
        if found is None:
            return _error(503, "unavailable_file", 24)
        path, body = found
        name = path.rsplit("/", 1)[-1]
        root = str(request.base_url).rstrip("/")
        answer = {"filename": name, "filesize": len(body), "link": link, "host": "real-debrid.com"}
        if request.url.path.endswith("/check"):
            return JSONResponse({**answer, "supported": 1})
        download = f"{root}/dl/{token}/{quote(name)}"
        return JSONResponse({"id": token, **answer, "chunks": 32, "download": download})

    async def _download(self, request: Request) -> Response:
        found = self._file(request.path_params["token"])
        if found is None or unquote(request.path_params["name"]) != found[0].rsplit("/")[-1]:
            return Response("not found", 404)
        return ranged(request, found[1])

    async def _user(self, request: Request) -> Response:
        return JSONResponse(
            {
                "id": 1,
                "username": "fake-user",
                "email": "user@example.invalid",
                "points": 1000,
                "type": "premium",
                "premium": 86400 * 30,
                "expiration": "2027-01-01T00:00:00.000Z",
            }
        )

    async def _active_count(self, request: Request) -> Response:
        busy = [t for t in self.torrents.values() if t.status in ("queued", "downloading")]
        return JSONResponse({"nb": 50 if self.too_many_active else len(busy), "limit": 50})

    def app(self) -> Starlette:
        routes = [
            Route(f"{PREFIX}/torrents/addMagnet", self._add_magnet, methods=["POST"]),
            Route(f"{PREFIX}/torrents/addTorrent", self._add_torrent, methods=["PUT"]),
            Route(f"{PREFIX}/torrents/info/{{id}}", self._info),
            Route(f"{PREFIX}/torrents/selectFiles/{{id}}", self._select, methods=["POST"]),
            Route(f"{PREFIX}/torrents/delete/{{id}}", self._delete, methods=["DELETE"]),
            Route(f"{PREFIX}/torrents/activeCount", self._active_count),
            Route(f"{PREFIX}/torrents", self._list),
            Route(f"{PREFIX}/unrestrict/link", self._unrestrict, methods=["POST"]),
            Route(f"{PREFIX}/unrestrict/check", self._unrestrict, methods=["POST"]),
            Route(f"{PREFIX}/user", self._user),
            Route("/dl/{token}/{name}", self._download),
        ]
        return Starlette(routes=routes, middleware=[Middleware(Front, front=self.front)])

    async def front(self, scope: Scope, receive: Receive, send: Send, inner: ASGIApp) -> None:
        """Record, check the key, play scripted faults; then the API."""
        path = scope["path"]
        self.requests.append((scope["method"], path))
        if path.startswith(PREFIX):
            headers = dict(scope["headers"])
            if headers.get(b"authorization", b"").decode() != f"Bearer {self.api_key}":
                key = "bad_token" if b"authorization" in headers else "bad_token_missing"
                await _error(401, key, 8)(scope, receive, send)
                return
            if self._faults:
                status, retry_after = self._faults.pop(0)
                error, code = ERRORS.get(status, ("unknown_error", -1))
                await _error(status, error, code, retry_after)(scope, receive, send)
                return
        await inner(scope, receive, send)


@contextlib.asynccontextmanager
async def realdebrid_service(
    catalogue: list[Content],
    *,
    api_key: str = "rd-test-key",
    uncached: Collection[str] = (),
    download_polls: int = 2,
) -> AsyncIterator[FakeRealDebrid]:
    """A `FakeRealDebrid` on 127.0.0.1; `fake.url` is the base URL for `api_url`."""
    fake = FakeRealDebrid(api_key, catalogue, uncached=uncached, download_polls=download_polls)
    async with serve_app(fake.app(), "fake-realdebrid") as port:
        fake.url = f"http://127.0.0.1:{port}{PREFIX}"
        yield fake
