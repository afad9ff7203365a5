"""A loopback AllDebrid (API v4.1, as its documentation describes it): magnets and .torrent
files from a catalogue, file trees with links, unlocked download links serving byte ranges."""

from __future__ import annotations

import contextlib
import hashlib
import itertools
from collections.abc import AsyncIterator, Collection
from dataclasses import dataclass
from urllib.parse import quote, unquote

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
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

PREFIX = "/v4.1"
STATUS_TEXT = {0: "In Queue", 1: "Downloading", 4: "Ready", 7: "Not downloaded in 20 min"}
FAULTS = {  # status -> the error answered by scripted faults
    200: ("GENERIC", "An error occurred"),
    429: ("TOO_MANY_REQUESTS", "Too many requests, slow down"),
    500: ("GENERIC", "An internal error occurred"),
    503: ("MAINTENANCE", "AllDebrid is under maintenance"),
}

Tree = dict[str, "Tree | tuple[int, str]"]  # a folder: names to folders or (size, link)


@dataclass
class _Magnet:
    id: int
    info_hash: str
    content: Content | None  # None: a hash no one seeds (downloading forever)
    status_code: int  # 0 queued, 1 downloading, 4 ready, 7 failed
    polls: int = 0
    downloaded: int = 0

    @property
    def size(self) -> int:
        return self.content.size if self.content else 0


def _ok(data: object) -> JSONResponse:
    return JSONResponse({"status": "success", "data": data})


def _error(
    code: str, message: str, status: int = 200, retry_after: int | None = None
) -> JSONResponse:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    body = {"status": "error", "error": {"code": code, "message": message}}
    return JSONResponse(body, status, headers=headers)


def _nodes(tree: Tree) -> list[dict[str, object]]:
    nodes: list[dict[str, object]] = []
    for name, entry in tree.items():
        if isinstance(entry, dict):
            nodes.append({"n": name, "e": _nodes(entry)})
        else:
            nodes.append({"n": name, "s": entry[0], "l": entry[1]})
    return nodes


class FakeAllDebrid:
    """The service for one API key. Hashes in `uncached` download over `download_polls` status
    requests; other catalogue hashes are ready at once. File trees come from `/magnet/files`
    (API v4.1), or also inside `/magnet/status` with `files_in_status` (as older answers)."""

    def __init__(
        self,
        api_key: str,
        catalogue: list[Content],
        *,
        uncached: Collection[str] = (),
        download_polls: int = 2,
        files_in_status: bool = False,
    ) -> None:
        self.api_key = api_key
        self.files_in_status = files_in_status
        self.catalogue = {content.info_hash: content for content in catalogue}
        self.uncached = set(uncached)
        self.download_polls = download_polls
        self.magnets: dict[int, _Magnet] = {}
        self.broken: set[str] = set()  # link tokens the hoster lost
        self.requests: list[tuple[str, str]] = []
        self.too_many_active = False
        self.url = ""  # set by `alldebrid_service`
        self._faults: list[tuple[int, int | None]] = []
        self._ids = itertools.count(1001)

    def fail_next(self, n: int, status: int, retry_after: int | None = None) -> None:
        """Answer the next `n` API requests with `status` and an error body (200: an error
        body with HTTP 200, as the service does)."""
        self._faults.extend([(status, retry_after)] * n)

    def break_link(self, link: str) -> None:
        """The hoster loses the file behind `link`."""
        self.broken.add(link.rsplit("/f/", 1)[-1])

    # -- the API ---------------------------------------------------------------------------

    def _add(self, info_hash: str) -> _Magnet:
        content = self.catalogue.get(info_hash)
        cached = content is not None and info_hash not in self.uncached
        magnet = _Magnet(next(self._ids), info_hash, content, 4 if cached else 0)
        self.magnets[magnet.id] = magnet
        return magnet

    def _entry(self, magnet: _Magnet) -> dict[str, object]:
        name = magnet.content.name if magnet.content else magnet.info_hash
        ready = magnet.status_code == 4
        return {"hash": magnet.info_hash, "name": name, "size": magnet.size, "ready": ready}

    async def _upload(self, request: Request) -> Response:
        if self.too_many_active:
            return _error("MAGNET_TOO_MANY_ACTIVE", "Already have maximum allowed active magnets")
        entries: list[dict[str, object]] = []
        for uri in request.query_params.getlist("magnets[]"):
            try:
                info_hash = parse_magnet(uri).info_hash.hex
            except FormatError:
                error = {"code": "MAGNET_INVALID_URI", "message": "This magnet is not valid"}
                entries.append({"magnet": uri, "error": error})
                continue
            magnet = self._add(info_hash)
            entries.append({"magnet": uri, "id": magnet.id, **self._entry(magnet)})
        if not entries:
            return _error("MAGNET_NO_URI", "No magnet sent")
        return _ok({"magnets": entries})

    async def _upload_file(self, request: Request) -> Response:
        if self.too_many_active:
            return _error("MAGNET_TOO_MANY_ACTIVE", "Already have maximum allowed active magnets")
        entries: list[dict[str, object]] = []
        async with request.form() as form:  # closes the uploaded files' spools
            uploads = [u for u in form.getlist("files[]") if isinstance(u, UploadFile)]
            received = [(upload.filename, await upload.read()) for upload in uploads]
        for filename, data in received:
            try:
                info = decode_torrent(data, strict=False).info_bytes
            except FormatError:
                info = None
            if info is None:
                error = {"code": "MAGNET_INVALID_FILE", "message": "File is not a valid torrent"}
                entries.append({"file": filename, "error": error})
                continue
            magnet = self._add(hashlib.sha1(info).hexdigest())  # noqa: S324 - BitTorrent v1
            entries.append({"file": filename, "id": magnet.id, **self._entry(magnet)})
        if not entries:
            return _error("MAGNET_NO_FILE", "No file sent")
        return _ok({"files": entries})

    def _advance(self, magnet: _Magnet) -> None:
        """One status request's worth of progress on the service's side."""
        magnet.polls += 1
        if magnet.status_code == 0 and magnet.polls > 1:
            magnet.status_code = 1
        elif magnet.status_code == 1 and magnet.content:
            magnet.downloaded = min(
                magnet.size, magnet.downloaded + -(-magnet.size // self.download_polls)
            )
            if magnet.downloaded >= magnet.size:
                magnet.status_code = 4

    def _files(self, request: Request, magnet: _Magnet) -> list[dict[str, object]]:
        assert magnet.content is not None
        root = str(request.base_url).rstrip("/")
        tree: Tree = {}
        for index, (path, body) in enumerate(magnet.content.files.items()):
            *folders, name = path.split("/")
            where = tree
            for folder in folders:
                child = where.setdefault(folder, {})
                assert isinstance(child, dict)
                where = child
            where[name] = (len(body), f"{root}/f/{magnet.id}-{index}")
        if list(magnet.content.files) == [magnet.content.name]:
            return _nodes(tree)
        return _nodes({magnet.content.name: tree})  # a folder torrent: its folder first

    def _describe(self, request: Request, magnet: _Magnet) -> dict[str, object]:
        code = magnet.status_code
        body: dict[str, object] = {
            "id": magnet.id,
            "filename": magnet.content.name if magnet.content else magnet.info_hash,
            "size": magnet.size,
            "hash": magnet.info_hash,
            "status": STATUS_TEXT.get(code, "Error"),
            "statusCode": code,
            "downloaded": magnet.size if code == 4 else magnet.downloaded,
            "uploaded": 0,
            "seeders": 9 if code == 1 else 0,
            "downloadSpeed": 2_000_000 if code == 1 else 0,
            "uploadSpeed": 0,
            "uploadDate": 1_767_225_600,
            "completionDate": 1_767_225_660 if code == 4 else 0,
            "type": "m",
            "notified": False,
            "version": 2,
        }
        if code == 4 and magnet.content and self.files_in_status:
            body["files"] = self._files(request, magnet)
        return body

    async def _magnet_files(self, request: Request) -> Response:
        entries: list[dict[str, object]] = []
        async with request.form() as form:
            wanted = [str(value) for value in form.getlist("id[]")]
        for text in wanted:
            magnet = self.magnets.get(int(text)) if text.isdigit() else None
            if magnet is None:
                error = {"code": "MAGNET_INVALID_ID", "message": "This magnet ID does not exists"}
                entries.append({"id": text, "error": error})
            elif magnet.status_code != 4 or not magnet.content:
                error = {"code": "MAGNET_NOT_READY", "message": "This magnet is not ready"}
                entries.append({"id": magnet.id, "error": error})
            else:
                entries.append({"id": magnet.id, "files": self._files(request, magnet)})
        return _ok({"magnets": entries})

    async def _status(self, request: Request) -> Response:
        wanted = request.query_params.get("id")
        if wanted is None:
            magnets = [self._describe(request, m) for m in self.magnets.values()]
            return _ok({"magnets": magnets})
        magnet = self.magnets.get(int(wanted)) if wanted.isdigit() else None
        if magnet is None:
            return _error("MAGNET_INVALID_ID", "This magnet ID does not exists or is invalid")
        self._advance(magnet)
        return _ok({"magnets": self._describe(request, magnet)})

    async def _delete(self, request: Request) -> Response:
        wanted = request.query_params.get("id", "")
        if not wanted.isdigit() or self.magnets.pop(int(wanted), None) is None:
            return _error("MAGNET_INVALID_ID", "This magnet ID does not exists or is invalid")
        return _ok({"message": "Magnet was successfully deleted"})

    def _file(self, link: str) -> tuple[str, str, bytes] | None:
        token = link.rsplit("/f/", 1)[-1]
        magnet_id, _, index = token.partition("-")
        magnet = self.magnets.get(int(magnet_id)) if magnet_id.isdigit() else None
        if magnet is None or not magnet.content or token in self.broken or not index.isdigit():
            return None
        paths = list(magnet.content.files)
        if int(index) >= len(paths):
            return None
        path = paths[int(index)]
        return token, path.rsplit("/", 1)[-1], magnet.content.files[path]

    async def _unlock(self, request: Request) -> Response:
        found = self._file(request.query_params.get("link", ""))
        if found is None:
            return _error("LINK_DOWN", "This link is not available on the file hoster website")
        token, name, body = found
        root = str(request.base_url).rstrip("/")
        return _ok(
            {
                "link": f"{root}/dl/{token}/{quote(name)}",
                "host": "alldebrid",
                "filename": name,
                "filesize": len(body),
                "id": token,
                "streaming": [],
                "paws": False,
            }
        )

    async def _infos(self, request: Request) -> Response:
        infos: list[dict[str, object]] = []
        for link in (await request.form()).getlist("link[]"):
            found = self._file(str(link))
            if found is None:
                error = {"code": "LINK_DOWN", "message": "This link is not available"}
                infos.append({"link": link, "error": error})
            else:
                infos.append({"link": link, "filename": found[1], "size": len(found[2])})
        return _ok({"infos": infos})

    async def _download(self, request: Request) -> Response:
        found = self._file(f"/f/{request.path_params['token']}")
        if found is None or unquote(request.path_params["name"]) != found[1]:
            return Response("not found", 404)
        return ranged(request, found[2])

    async def _user(self, request: Request) -> Response:
        user = {
            "username": "fake-user",
            "email": "user@example.invalid",
            "isPremium": True,
            "isSubscribed": False,
            "isTrial": False,
            "premiumUntil": 1_798_761_600,
            "lang": "en",
        }
        return _ok({"user": user})

    def app(self) -> Starlette:
        routes = [
            Route(f"{PREFIX}/magnet/upload", self._upload),
            Route(f"{PREFIX}/magnet/upload/file", self._upload_file, methods=["POST"]),
            Route(f"{PREFIX}/magnet/status", self._status, methods=["GET", "POST"]),
            Route(f"{PREFIX}/magnet/files", self._magnet_files, methods=["POST"]),
            Route(f"{PREFIX}/magnet/delete", self._delete, methods=["GET", "POST"]),
            Route(f"{PREFIX}/link/unlock", self._unlock, methods=["GET", "POST"]),
            Route(f"{PREFIX}/link/infos", self._infos, methods=["POST"]),
            Route(f"{PREFIX}/user", self._user),
            Route("/dl/{token}/{name}", self._download),
        ]
        return Starlette(routes=routes, middleware=[Middleware(Front, front=self.front)])

    async def front(self, scope: Scope, receive: Receive, send: Send, inner: ASGIApp) -> None:
        """Record, check the key and the agent, play scripted faults; then the API."""
        path = scope["path"]
        self.requests.append((scope["method"], path))
        if path.startswith(PREFIX):
            request = Request(scope)
            auth = request.headers.get("authorization")
            if auth is None:
                answer = _error("AUTH_MISSING_APIKEY", "The auth apikey was not sent", 401)
            elif auth != f"Bearer {self.api_key}":
                answer = _error("AUTH_BAD_APIKEY", "The auth apikey is invalid", 401)
            elif not request.query_params.get("agent"):
                answer = _error("AUTH_MISSING_AGENT", "You must send a meaningful agent", 400)
            elif self._faults:
                status, retry_after = self._faults.pop(0)
                code, message = FAULTS.get(status, ("GENERIC", "An error occurred"))
                answer = _error(code, message, status, retry_after)
            else:
                await inner(scope, receive, send)
                return
            await answer(scope, receive, send)
            return
        await inner(scope, receive, send)


@contextlib.asynccontextmanager
async def alldebrid_service(
    catalogue: list[Content],
    *,
    api_key: str = "ad-test-key",
    uncached: Collection[str] = (),
    download_polls: int = 2,
    files_in_status: bool = False,
) -> AsyncIterator[FakeAllDebrid]:
    """A `FakeAllDebrid` on 127.0.0.1; `fake.url` is the base URL for `api_url`."""
    fake = FakeAllDebrid(
        api_key,
        catalogue,
        uncached=uncached,
        download_polls=download_polls,
        files_in_status=files_in_status,
    )
    async with serve_app(fake.app(), "fake-alldebrid") as port:
        fake.url = f"http://127.0.0.1:{port}{PREFIX}"
        yield fake
