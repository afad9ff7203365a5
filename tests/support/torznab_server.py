"""A real Torznab indexer on 127.0.0.1 (a free port) for crossseed tests and end-to-end runs.

    async with torznab_server() as server:
        item = server.add("Show.Name.S01E02.1080p.WEB-DL-GRP", torrent=torrent_bytes)
        indexer = TorznabIndexer(server.url)          # http://127.0.0.1:<port>/api?apikey=...
        server.fail_next(2, status=429, retry_after="120")
        assert server.requests[-1].params["t"] == "search"

It serves `GET /api?t=caps` (`server.caps`: bytes, Jackett-like by default), `t=search`,
`tvsearch` and `movie` over the registered items (every word of `q` in the title, `season` /
`ep` as `S01`/`E02` in it, newest first, `offset`/`limit` paging), and `GET /dl/<id>.torrent`
(the item's .torrent bytes; links carry the apikey, as Prowlarr's do). A wrong apikey gets 401
with Newznab error 100. Scripted faults apply to the next requests of a path (`"api"`, `"dl"` or
`"any"`): `fail_next` (a status, optionally with Retry-After), `magnet_next` (a 302 to a magnet),
`respond_next` (a given body and status), `stall_next` (no answer until the server stops: for
client timeouts), `garbage_next` (a 200 body that is neither XML nor a torrent). Every request
is logged in `server.requests`; `reset()` clears everything for a server shared by tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime

from lxml import etree
from starlette.applications import Starlette
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.support.debrid_services.serving import serve_app

TORZNAB_NS = "http://torznab.com/schemas/2015/feed"
APIKEY = "loopback-test-apikey-0123456789"
FIRST_PUB_DATE = 1_800_000_000.0
GARBAGE = b"\x00not xml, not bencode\xff"

DEFAULT_CAPS = b"""<?xml version="1.0" encoding="UTF-8"?>
<caps>
  <server title="Loopback" />
  <limits default="50" max="100" />
  <searching>
    <search available="yes" supportedParams="q" />
    <tv-search available="yes" supportedParams="q,season,ep,imdbid,tvdbid" />
    <movie-search available="yes" supportedParams="q,imdbid,tmdbid" />
    <music-search available="no" supportedParams="q" />
    <audio-search available="no" supportedParams="q" />
    <book-search available="no" supportedParams="q" />
  </searching>
  <categories>
    <category id="2000" name="Movies"><subcat id="2040" name="Movies/HD" /></category>
    <category id="5000" name="TV"><subcat id="5070" name="TV/Anime" /></category>
    <category id="8000" name="Other" />
  </categories>
</caps>
"""


@dataclass
class Item:
    """A registered listing; `torrent` is what `/dl/<id>.torrent` serves (None: 404)."""

    id: int
    title: str
    size: int
    guid: str
    pub_date: float
    category: int
    torrent: bytes | None


@dataclass(frozen=True)
class Received:
    """One request the server got: path, query parameters and headers (lower-case names)."""

    path: str
    params: dict[str, str]
    headers: dict[str, str]


@dataclass
class _Fault:
    kind: str  # "pass" | "status" | "body" | "magnet" | "stall"
    on: str
    status: int = 500
    retry_after: str | None = None
    body: bytes = b""


@dataclass
class TorznabServer:
    """The server's state; see the module docstring. `port` is set once it listens."""

    apikey: str = APIKEY
    tracker: str | None = "LoopbackTracker"  # <prowlarrindexer> of each item; None: omitted
    caps: bytes = DEFAULT_CAPS
    port: int = 0
    items: list[Item] = field(default_factory=list)
    requests: list[Received] = field(default_factory=list)
    _faults: list[_Fault] = field(default_factory=list)
    _released: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """The Torznab URL as a cross-seed user writes it."""
        return f"{self.base}/api?apikey={self.apikey}"

    def link(self, item: Item) -> str:
        return f"{self.base}/dl/{item.id}.torrent?apikey={self.apikey}"

    def add(
        self,
        title: str,
        *,
        size: int | None = None,
        torrent: bytes | None = None,
        guid: str | None = None,
        pub_date: float | None = None,
        category: int = 5000,
    ) -> Item:
        """Register a listing; later items are newer unless `pub_date` says otherwise."""
        n = len(self.items) + 1
        item = Item(
            id=n,
            title=title,
            size=size if size is not None else (len(torrent) * 1000 if torrent else 1_000_000),
            guid=guid or f"{self.base}/details/{n}",
            pub_date=pub_date if pub_date is not None else FIRST_PUB_DATE + 60 * n,
            category=category,
            torrent=torrent,
        )
        self.items.append(item)
        return item

    def fail_next(
        self,
        count: int = 1,
        *,
        status: int = 500,
        retry_after: str | None = None,
        on: str = "any",
        after: int = 0,
    ) -> None:
        """Answer `count` requests (to `on`: "api", "dl" or "any") with `status`, once `after`
        more requests there have been answered normally."""
        self._faults += [_Fault("pass", on) for _ in range(after)]
        self._faults += [_Fault("status", on, status, retry_after) for _ in range(count)]

    def respond_next(
        self, body: bytes, *, status: int = 200, count: int = 1, on: str = "any"
    ) -> None:
        """Answer the next `count` requests with `body` (e.g. a Newznab `<error/>`)."""
        self._faults += [_Fault("body", on, status, body=body) for _ in range(count)]

    def magnet_next(self, count: int = 1) -> None:
        """Redirect the next `count` downloads to a magnet link."""
        self._faults += [_Fault("magnet", "dl") for _ in range(count)]

    def stall_next(self, count: int = 1, *, on: str = "any") -> None:
        """Leave the next `count` requests unanswered until the server stops."""
        self._faults += [_Fault("stall", on) for _ in range(count)]

    def garbage_next(self, count: int = 1, *, on: str = "any") -> None:
        """Answer the next `count` requests with 200 and a body that is neither XML nor bencode."""
        self.respond_next(GARBAGE, count=count, on=on)

    def reset(self) -> None:
        """Forget items, requests and faults; default caps and tracker (a server shared by tests)."""
        self.items.clear()
        self.requests.clear()
        self._faults.clear()
        self.caps, self.tracker = DEFAULT_CAPS, "LoopbackTracker"

    def received(self, path: str = "/api") -> list[Received]:
        """The requests made to `path`."""
        return [r for r in self.requests if r.path == path]

    # --- the app ---------------------------------------------------------------------------

    def app(self) -> Starlette:
        return Starlette(
            routes=[Route("/api", self._api), Route("/dl/{id:int}.torrent", self._download)]
        )

    async def _fault(self, on: str) -> Response | None:
        for fault in self._faults:
            if fault.on in (on, "any"):
                self._faults.remove(fault)
                break
        else:
            return None
        if fault.kind == "stall":
            await self._released.wait()
            return Response(status_code=503)
        if fault.kind == "magnet":
            return Response(
                status_code=302, headers={"Location": "magnet:?xt=urn:btih:" + "a" * 40}
            )
        if fault.kind == "pass":
            return None
        if fault.kind == "body":
            return Response(fault.body, status_code=fault.status, media_type="application/xml")
        headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
        return Response(b"failure", status_code=fault.status, headers=headers)

    def _log(self, request: Request) -> None:
        self.requests.append(
            Received(request.url.path, dict(request.query_params), dict(request.headers))
        )

    async def _api(self, request: Request) -> Response:
        self._log(request)
        faulted = await self._fault("api")
        if faulted is not None:
            return faulted
        params = request.query_params
        if params.get("apikey") != self.apikey:
            return _xml(_error(100, "Incorrect user credentials"), 401)
        function = params.get("t", "")
        if function == "caps":
            return _xml(self.caps)
        if function not in ("search", "tvsearch", "movie"):
            return _xml(_error(202, "No such function"))
        return _xml(self._results(params))

    async def _download(self, request: Request) -> Response:
        self._log(request)
        faulted = await self._fault("dl")
        if faulted is not None:
            return faulted
        if request.query_params.get("apikey") != self.apikey:
            return Response(b"unauthorized", status_code=401)
        ident = request.path_params["id"]
        item = next((i for i in self.items if i.id == ident), None)
        if item is None or item.torrent is None:
            return Response(b"not found", status_code=404)
        return Response(item.torrent, media_type="application/x-bittorrent")

    def _results(self, params: QueryParams) -> bytes:
        get = params.get
        words = re.findall(r"[a-z0-9]+", (get("q") or "").lower())
        season, ep = get("season"), get("ep")
        matches = []
        for item in sorted(self.items, key=lambda i: -i.pub_date):
            title = item.title.lower()
            tokens = set(re.findall(r"[a-z0-9]+", title))
            if not all(w in tokens for w in words):
                continue
            if season and season.isdigit() and f"s{int(season):02d}" not in title:
                continue
            if ep and ep.isdigit() and f"e{int(ep):02d}" not in title:
                continue
            matches.append(item)
        offset = int(get("offset") or 0)
        limit = min(int(get("limit") or 50), 100)
        return self._rss(matches[offset : offset + limit])

    def _rss(self, items: list[Item]) -> bytes:
        rss = etree.Element("rss", {"version": "2.0"}, nsmap={"torznab": TORZNAB_NS})
        channel = etree.SubElement(rss, "channel")
        etree.SubElement(channel, "title").text = "Loopback"
        for item in items:
            element = etree.SubElement(channel, "item")
            etree.SubElement(element, "title").text = item.title
            etree.SubElement(element, "guid").text = item.guid
            if self.tracker is not None:
                indexer = etree.SubElement(
                    element, "prowlarrindexer", {"id": "1", "type": "private"}
                )
                indexer.text = self.tracker
            etree.SubElement(element, "link").text = self.link(item)
            etree.SubElement(element, "comments").text = item.guid
            when = datetime.fromtimestamp(item.pub_date, UTC)
            etree.SubElement(element, "pubDate").text = format_datetime(when)
            etree.SubElement(element, "size").text = str(item.size)
            attributes = {"url": self.link(item), "length": str(item.size),
                          "type": "application/x-bittorrent"}  # fmt: skip
            etree.SubElement(element, "enclosure", attributes)
            for name, value in (("category", item.category), ("size", item.size), ("seeders", 3)):
                etree.SubElement(
                    element, f"{{{TORZNAB_NS}}}attr", {"name": name, "value": str(value)}
                )
        return bytes(etree.tostring(rss, xml_declaration=True, encoding="UTF-8"))


def _error(code: int, description: str) -> bytes:
    element = etree.Element("error", {"code": str(code), "description": description})
    return bytes(etree.tostring(element, xml_declaration=True, encoding="UTF-8"))


def _xml(body: bytes, status: int = 200) -> Response:
    return Response(body, status_code=status, media_type="application/rss+xml")


@contextlib.asynccontextmanager
async def torznab_server(**options: object) -> AsyncIterator[TorznabServer]:
    """Serve a `TorznabServer(**options)` on 127.0.0.1 until the block ends."""
    server = TorznabServer(**options)  # type: ignore[arg-type]
    async with serve_app(server.app(), name="torznab-test") as port:
        server.port = port
        try:
            yield server
        finally:
            server._released.set()
