"""Decypharr's own API (seeds/decypharr-api.md) on the bridge's listener: `/login`, `/version`,
`/api/arrs`, `/api/add`, `/api/torrents` and its deletes; repair's routes come from
`api/repair.py`. Errors are JSON `{"error": message}`; nothing answers 500."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.formparsers import MultiPartException

from torrentstack import __version__
from torrentstack.debrid.api.access import COOKIE, UNAUTHORIZED, Access, Unauthorized
from torrentstack.debrid.arr_book import ArrBook
from torrentstack.debrid.bridge import AddOptions, AddRefused, Bridge
from torrentstack.debrid.items import Item, view
from torrentstack.debrid.sources import Added, BadSource, from_magnet, from_torrent
from torrentstack.qbittorrent.persona import Persona
from torrentstack.qbittorrent.serialize import torrent_object

logger = logging.getLogger(__name__)

ACTIONS = ("symlink", "download", "strm", "none")
MAX_TORRENT = 10 * 1024 * 1024
MAX_FILES = 100


class BadInput(Exception):
    """400 with this message."""


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _flag(value: object) -> bool:
    return isinstance(value, str) and value.strip().lower() in ("true", "1", "yes", "on")


def debrid_api(
    *,
    bridge: Bridge,
    arrs: ArrBook,
    access: Access,
    persona: Persona,
    routers: Sequence[APIRouter] = (),
) -> FastAPI:
    app = FastAPI(title="torrentstack debrid bridge (Decypharr API)", docs_url="/api/docs",
                  openapi_url="/api/openapi.json", redoc_url=None)  # fmt: skip
    guarded = [Depends(access.require)]

    @app.exception_handler(Unauthorized)
    async def unauthorized(_request: Request, _exc: Unauthorized) -> Response:
        return error(401, UNAUTHORIZED)

    @app.exception_handler(BadInput)
    async def bad_input(_request: Request, exc: BadInput) -> Response:
        return error(400, str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        return error(400, f"{where or 'body'}: {first.get('msg', 'invalid')}")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> Response:
        return error(exc.status_code, str(exc.detail))

    @app.get("/version")
    async def version() -> dict[str, str]:
        return {"version": __version__, "channel": "torrentstack"}

    @app.post("/login")
    async def login(request: Request) -> Response:
        try:
            body = json.loads(await request.body())
        except (ValueError, RecursionError):
            return error(400, "Invalid request")
        if not isinstance(body, dict):
            return error(400, "Invalid request")
        user, password = body.get("username"), body.get("password")
        if not isinstance(user, str) or not isinstance(password, str):
            return error(400, "Invalid request")
        ip = request.client.host if request.client else ""
        if access.web.banned(ip):
            return error(403, "Too many failed logins from this address; try again later.")
        session = await access.web.login(ip, user, password)
        if session == "banned":
            return error(403, "Too many failed logins from this address; try again later.")
        if session == "failed":
            return error(401, "Invalid credentials")
        reply = RedirectResponse("/", status_code=303)
        reply.set_cookie(COOKIE, session.sid, httponly=True, samesite="lax",
                         max_age=int(access.web.timeout))  # fmt: skip
        return reply

    @app.get("/api/arrs", dependencies=guarded)
    async def list_arrs() -> list[dict[str, object]]:
        return [arr.public() for arr in arrs.all()]

    def torrent_json(item: Item) -> dict[str, Any]:
        obj = torrent_object(view(item), persona)
        obj.update(id=item.hash, debrid=item.provider, debrid_id=item.remote_id,
                   files=[{"name": f.path, "size": f.size, "id": f.id} for f in item.files],
                   error=item.error)  # fmt: skip
        return obj

    @app.get("/api/torrents", dependencies=guarded)
    async def list_torrents() -> list[dict[str, Any]]:
        items = sorted(bridge.items.values(), key=lambda i: i.added_on)
        return [torrent_json(item) for item in items]

    @app.delete("/api/torrents/{category}/{hash_}", dependencies=guarded)
    async def delete_one(category: str, hash_: str, removeFromDebrid: str = "") -> Response:
        item = bridge.items.get(hash_.lower())
        if item is None or (category and item.category != category):
            return error(404, "Torrent not found")
        await bridge.delete([item.hash], delete_files=True, remove_remote=_flag(removeFromDebrid))
        return Response(status_code=200)

    @app.delete("/api/torrents", dependencies=guarded)
    @app.delete("/api/torrents/", dependencies=guarded, include_in_schema=False)
    async def delete_many(hashes: str = "", removeFromDebrid: str = "") -> Response:
        chosen = [h.strip().lower() for h in hashes.split(",") if h.strip()]
        if not chosen:
            return error(400, "No hashes provided")
        await bridge.delete([h for h in chosen if h in bridge.items], delete_files=True,
                            remove_remote=_flag(removeFromDebrid))  # fmt: skip
        return Response(status_code=200)

    @app.post("/api/add", dependencies=guarded)
    async def add(request: Request) -> Response:
        try:
            fields, sources = await read_add_form(request)
        except (MultiPartException, StarletteHTTPException) as exc:
            return error(400, f"the form cannot be read: {getattr(exc, 'detail', exc)}")
        if not sources:
            raise BadInput("give `urls` (magnet links) or a .torrent `file`")
        options = add_options(fields, bridge)
        results, errors = [], []
        for added in sources:
            try:
                item = await bridge.add(added, options)
            except AddRefused as exc:
                errors.append(f"{added.name}: {exc.message}")
                continue
            results.append(import_json(item, added, options, arrs))
        if not results:
            return error(400, "; ".join(errors))
        body: dict[str, Any] = {"results": results}
        if errors:
            body["errors"] = errors
        return JSONResponse(body)

    for router in routers:
        app.include_router(router, dependencies=guarded)
    return app


async def read_add_form(request: Request) -> tuple[dict[str, str], list[Added]]:
    """The form's text fields and its sources (`urls` lines, `file`/`files` uploads)."""
    async with request.form(max_files=MAX_FILES, max_fields=200) as form:
        fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
        uploads = [v for k, v in form.multi_items()
                   if k in ("file", "files") and isinstance(v, UploadFile)]  # fmt: skip
        lines = fields.get("urls", "").splitlines()
        sources = [from_source(url) for url in lines if url.strip()]
        for upload in uploads:
            data = await upload.read(MAX_TORRENT + 1)
            if len(data) > MAX_TORRENT:
                raise BadInput(f"{upload.filename}: a .torrent file is at most 10 MiB")
            sources.append(parse_torrent(data, upload.filename or "file"))
    return fields, sources


def from_source(url: str) -> Added:
    url = url.strip()
    if not url.lower().startswith("magnet:"):
        raise BadInput(f"{url[:80]!r} is not a magnet link")
    try:
        return from_magnet(url)
    except BadSource as exc:
        raise BadInput(str(exc)) from None


def parse_torrent(data: bytes, name: str) -> Added:
    try:
        return from_torrent(data, name)
    except BadSource as exc:
        raise BadInput(str(exc)) from None


def add_options(fields: dict[str, str], bridge: Bridge) -> AddOptions:
    action = fields.get("action", "").strip()
    if action and action not in ACTIONS:
        raise BadInput(f"unknown action {action!r} (choose from {', '.join(ACTIONS)})")
    provider = fields.get("debrid", "").strip()
    if provider and provider not in bridge.providers:
        known = ", ".join(bridge.providers) or "none is configured"
        raise BadInput(f"unknown debrid provider {provider!r} ({known})")
    uncached = fields.get("downloadUncached")
    return AddOptions(
        category=fields.get("arr", "").strip(),
        action=action,
        uncached=_flag(uncached) if uncached is not None else None,
        callback_url=fields.get("callbackUrl", "").strip(),
        provider=provider,
    )


def import_json(item: Item, added: Added, options: AddOptions, arrs: ArrBook) -> dict[str, Any]:
    """One of `results`, as Decypharr's ImportRequest (without its arr's key)."""
    arr = arrs.get(item.category)
    return {
        "id": item.hash, "downloadFolder": item.save_path, "debrid": item.provider,
        "magnet": {"name": added.name, "infoHash": added.hash, "size": added.size,
                   "link": added.magnet},
        "arr": arr.public() if arr else {"name": item.category},
        "action": item.action, "downloadUncached": item.uncached,
        "callBackUrl": item.callback_url, "status": item.state.value, "type": "api",
        "async": False,
    }  # fmt: skip
