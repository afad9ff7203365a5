"""The bridge's read-only WebDAV app under `/webdav` (what `rclone mount` mounts): PROPFIND
listings, and GET/HEAD of files streamed from the provider chunk by chunk, with byte ranges.

The tree and the `DavSource` seam are in `webdav_tree.py`, the XML in `webdav_xml.py`.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
from collections.abc import Awaitable, Callable
from email.utils import format_datetime
from typing import Literal

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from torrentstack.debrid.errors import ProviderError
from torrentstack.debrid.webdav_tree import DavFile, DavItem, DavSource, Entry, resolve
from torrentstack.debrid.webdav_xml import (
    MAX_BODY,
    Malformed,
    Resource,
    finite_depth_error,
    href,
    multistatus,
    parse_propfind,
)

__all__ = ["DavFile", "DavItem", "DavSource", "webdav_app"]

logger = logging.getLogger(__name__)

_READ = "OPTIONS, GET, HEAD, PROPFIND"
_REALM = 'Basic realm="torrentstack"'
_XML = "application/xml; charset=utf-8"

Authorize = Callable[[Request], Awaitable[bool]]  # does the request carry valid credentials


def webdav_app(source: DavSource, authorize: Authorize) -> Starlette:
    """The tree's app; its routes are `/webdav` and everything under it (mount it at `/`)."""
    handler = _Handler(source, authorize)
    return Starlette(routes=[Route("/webdav", handler), Route("/webdav/{rest:path}", handler)])


class _Handler:
    """One ASGI endpoint for every method, so that auth and 405 are decided here."""

    def __init__(self, source: DavSource, authorize: Authorize) -> None:
        self.source = source
        self.authorize = authorize

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        response = await self.respond(request)
        await response(scope, receive, send)

    async def respond(self, request: Request) -> Response | _Stream:
        if not await self.authorize(request):
            return Response(
                "authentication required\n", 401, {"WWW-Authenticate": _REALM}, "text/plain"
            )
        method = request.method
        if method == "OPTIONS":
            return Response(headers={"DAV": "1", "Allow": _READ, "MS-Author-Via": "DAV"})
        if method not in ("GET", "HEAD", "PROPFIND"):
            return Response("read-only tree\n", 405, {"Allow": _READ}, "text/plain")
        rest = str(request.path_params.get("rest", ""))
        segments = tuple(part for part in rest.split("/") if part)
        entry = resolve(self.source, segments)
        if entry is None:
            return Response("not found\n", 404, media_type="text/plain")
        if method == "PROPFIND":
            return await self.propfind(request, entry)
        if entry.collection:
            return _listing(entry, head=method == "HEAD")
        return self.file(request, entry, head=method == "HEAD")

    async def propfind(self, request: Request, entry: Entry) -> Response:
        # RFC 4918 reads no Depth as infinity; every client sends one, and 1 is the useful answer
        depth = request.headers.get("depth", "1").strip().lower()
        if depth == "infinity":
            return Response(finite_depth_error(), 403, media_type=_XML)
        if depth not in ("0", "1"):
            return Response("Depth must be 0 or 1\n", 400, media_type="text/plain")
        body = await _read_capped(request)
        query = parse_propfind(body) if body is not None else Malformed("body too large")
        if isinstance(query, Malformed):
            return Response(f"bad PROPFIND body: {query.reason}\n", 400, media_type="text/plain")
        listed = [entry, *entry.children] if depth == "1" else [entry]
        return Response(multistatus([_resource(e) for e in listed], query), 207, media_type=_XML)

    def file(self, request: Request, entry: Entry, *, head: bool) -> Response | _Stream:
        resource = _resource(entry)
        headers = {
            "Accept-Ranges": "bytes",
            "ETag": resource.etag,
            "Last-Modified": _http_date(resource),
            "Content-Type": resource.content_type,
        }
        span = byte_range(request.headers.get("range"), entry.size)
        if_range = request.headers.get("if-range")
        if if_range is not None and if_range not in (resource.etag, headers["Last-Modified"]):
            span = None  # the file changed since the client's first part: send it whole
        if span is False:
            headers["Content-Range"] = f"bytes */{entry.size}"
            return Response(b"", 416, headers)
        start, end = span if span is not None else (0, entry.size - 1)
        length = end - start + 1
        headers["Content-Length"] = str(length)
        status = 200
        if span is not None:
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end}/{entry.size}"
        if head or length == 0:
            return _Fixed(status, headers, b"")
        if entry.content is not None:
            return _Fixed(status, headers, entry.content[start : end + 1])
        return _Stream(self.source, entry, start, end, status, headers)


def _resource(entry: Entry) -> Resource:
    segments = ("webdav", *entry.segments)
    return Resource(
        href(segments, collection=entry.collection),
        entry.name,
        entry.collection,
        entry.size,
        entry.modified,
    )


def _http_date(resource: Resource) -> str:
    return format_datetime(resource.utc_modified, usegmt=True)


async def _read_capped(request: Request) -> bytes | None:
    """The request body, or None past `MAX_BODY` (not read further)."""
    declared = request.headers.get("content-length", "").strip()
    if (
        declared.isascii()
        and declared.isdigit()
        and (len(declared) > 12 or int(declared) > MAX_BODY)
    ):
        return None
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY:
                return None
            chunks.append(chunk)
    except ClientDisconnect:
        return b""
    return b"".join(chunks)


_RANGE = re.compile(r"\s*([0-9]{0,19})\s*-\s*([0-9]{0,19})\s*")


def byte_range(header: str | None, size: int) -> tuple[int, int] | Literal[False] | None:
    """The one range `header` asks of `size` bytes: (first, last) inclusive; None for the
    whole file (no header, another unit, several ranges: RFC 9110 14.2 lets a server ignore
    them); False when it cannot be served (416)."""
    if header is None or not header.strip().lower().startswith("bytes="):
        return None
    specs = [spec for spec in header.strip()[6:].split(",") if spec.strip()]
    if len(specs) > 1:
        return None
    match = _RANGE.fullmatch(specs[0]) if specs else None
    if match is None or match.group(1) == match.group(2) == "":
        return False
    first, last = match.groups()
    if first == "":  # the last `last` bytes
        suffix = int(last)
        return False if suffix == 0 or size == 0 else (max(0, size - suffix), size - 1)
    start = int(first)
    end = size - 1 if last == "" else min(int(last), size - 1)
    return False if start >= size or (last != "" and int(last) < start) else (start, end)


def _listing(entry: Entry, *, head: bool) -> Response:
    """A folder asked with GET: a plain HTML index (what a browser shows)."""
    rows = "".join(
        f'<li><a href="{html.escape(_resource(child).href)}">'
        f"{html.escape(child.name)}{'/' if child.collection else ''}</a></li>"
        for child in entry.children
    )
    title = html.escape("/" + "/".join(("webdav", *entry.segments)))
    page = f"<!doctype html><title>{title}</title><h1>{title}</h1><ul>{rows}</ul>\n"
    response = HTMLResponse(page)
    if head:
        response.body = b""  # the length stays the page's
    return response


class _Fixed(Response):
    """A response whose headers are given whole (Content-Length is never recomputed)."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        super().__init__(body, status)
        self.raw_headers = [(k.lower().encode(), v.encode()) for k, v in headers.items()]


class _Stream:
    """A file's bytes from the provider, sent as they come; the source is read one chunk ahead
    of the client at most, and left when the client goes away."""

    def __init__(
        self,
        source: DavSource,
        entry: Entry,
        start: int,
        end: int,
        status: int,
        headers: dict[str, str],
    ) -> None:
        self.source, self.entry = source, entry
        self.start, self.end = start, end
        self.status, self.headers = status, headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        serving = asyncio.ensure_future(self._serve(scope, receive, send))
        watching = asyncio.ensure_future(_disconnect(receive))
        try:
            await asyncio.wait({serving, watching}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            serving.cancel()  # a no-op once it is done; else the client left: stop reading
            watching.cancel()
            await asyncio.gather(serving, watching, return_exceptions=True)
        if not serving.cancelled() and (error := serving.exception()) is not None:
            raise error  # a bug in a source (not a ProviderError)

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        entry = self.entry
        chunks = self.source.stream(entry.provider, entry.item, entry.path, self.start, self.end)
        try:
            try:
                chunk = await anext(chunks)
            except StopAsyncIteration:
                chunk = b""
            except ProviderError as exc:
                self._failed(exc, "before the first byte")
                status = 503 if exc.retryable else 502
                await Response("the provider failed\n", status, media_type="text/plain")(
                    scope, receive, send
                )
                return
            raw = [(k.lower().encode(), v.encode()) for k, v in self.headers.items()]
            await send({"type": "http.response.start", "status": self.status, "headers": raw})
            remaining = self.end - self.start + 1
            while True:
                piece = chunk[:remaining]
                remaining -= len(piece)
                if piece or remaining == 0:
                    await send(
                        {"type": "http.response.body", "body": piece, "more_body": remaining > 0}
                    )
                if remaining == 0:
                    return
                try:
                    chunk = await anext(chunks)
                except StopAsyncIteration:
                    logger.warning(
                        "webdav: %s ended %s/%s %d bytes short",
                        entry.provider,
                        entry.item,
                        entry.path,
                        remaining,
                    )
                    return  # the response stays incomplete: the server closes the connection
                except ProviderError as exc:
                    self._failed(exc, "while streaming")
                    return
        finally:
            aclose = getattr(chunks, "aclose", None)
            if aclose is not None:
                await aclose()

    def _failed(self, exc: ProviderError, when: str) -> None:
        entry = self.entry
        logger.warning(
            "webdav: %s failed %s %s/%s (status %d): %s",
            entry.provider,
            when,
            entry.item,
            entry.path,
            exc.status,
            exc.message[:200],
        )


async def _disconnect(receive: Receive) -> None:
    """Return when the client has gone away."""
    while (await receive())["type"] != "http.disconnect":
        pass
