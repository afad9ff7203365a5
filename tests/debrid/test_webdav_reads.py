"""The WebDAV tree's file reads in-process: whole files and ranges, streamed lazily from the
source with bounded memory, a provider failing before or while streaming, a client leaving,
and random Range headers and PROPFIND bodies that must never give a 500."""

from __future__ import annotations

import asyncio
import logging
import tracemalloc
from urllib.parse import unquote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.dav_source import (
    EPISODE,
    ODD,
    VIDEO,
    MemorySource,
    Stored,
    authorize,
    basic,
    counting_pattern,
    dav_client,
    sample_source,
    url,
)
from torrentstack.debrid.errors import NotFoundRemote, ProviderError
from torrentstack.debrid.webdav import webdav_app

VIDEO_URL = url("realdebrid", "__all__", EPISODE, f"{EPISODE}.mkv")


@pytest.fixture
def source():
    return sample_source()


@pytest.fixture
async def dav(source):
    async with dav_client(source) as client:
        yield client


async def test_get_a_whole_file(dav, source):
    reply = await dav.get(VIDEO_URL)
    assert reply.status_code == 200
    assert reply.content == VIDEO
    assert reply.headers["content-length"] == str(len(VIDEO))
    assert reply.headers["accept-ranges"] == "bytes"
    assert reply.headers["content-type"] == "video/x-matroska"
    assert reply.headers["last-modified"] == "Tue, 05 Mar 2024 12:30:15 GMT"
    assert source.calls == [("realdebrid", EPISODE, f"{EPISODE}.mkv", 0, len(VIDEO) - 1)]
    assert source.closed == 1


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-0", 0, 0),
        ("bytes=100-2099", 100, 2099),
        ("bytes=10000-", 10000, 10239),
        ("bytes=-240", 10000, 10239),
        ("bytes=-99999", 0, 10239),  # a suffix longer than the file: all of it
        ("bytes=10200-99999", 10200, 10239),  # past the end: up to the end
        ("Bytes=5-9", 5, 9),
    ],
)
async def test_a_range_gets_206(dav, source, header, first, last):
    reply = await dav.get(VIDEO_URL, headers={"Range": header})
    assert reply.status_code == 206
    assert reply.content == VIDEO[first : last + 1]
    assert reply.headers["content-range"] == f"bytes {first}-{last}/{len(VIDEO)}"
    assert reply.headers["content-length"] == str(last - first + 1)
    assert source.calls[-1][3:] == (first, last)


@pytest.mark.parametrize(
    "header", ["bytes=10240-", "bytes=20000-20010", "bytes=-0", "bytes=9-5", "bytes=x-y", "bytes="]
)
async def test_an_unservable_range_gets_416(dav, source, header):
    reply = await dav.get(VIDEO_URL, headers={"Range": header})
    assert reply.status_code == 416
    assert reply.headers["content-range"] == f"bytes */{len(VIDEO)}"
    assert source.calls == []


@pytest.mark.parametrize("header", ["bytes=0-1,5-9", "items=0-5", ""])
async def test_ranges_it_ignores_get_the_whole_file(dav, header):
    reply = await dav.get(VIDEO_URL, headers={"Range": header})
    assert reply.status_code == 200
    assert reply.content == VIDEO


async def test_if_range_of_another_version_gets_the_whole_file(dav):
    etag = (await dav.head(VIDEO_URL)).headers["etag"]
    same = await dav.get(VIDEO_URL, headers={"Range": "bytes=0-9", "If-Range": etag})
    assert same.status_code == 206
    other = await dav.get(VIDEO_URL, headers={"Range": "bytes=0-9", "If-Range": '"old"'})
    assert other.status_code == 200
    assert other.content == VIDEO


async def test_head_says_what_get_would_without_reading(dav, source):
    reply = await dav.head(VIDEO_URL)
    assert reply.status_code == 200
    assert reply.content == b""
    assert reply.headers["content-length"] == str(len(VIDEO))
    assert reply.headers["accept-ranges"] == "bytes"
    ranged = await dav.head(VIDEO_URL, headers={"Range": "bytes=-10"})
    assert ranged.status_code == 206
    assert ranged.headers["content-range"] == f"bytes 10230-10239/{len(VIDEO)}"
    assert source.calls == []


async def test_an_empty_file_and_an_encoded_name(dav, source):
    empty = await dav.get(url("realdebrid", "__all__", ODD, "empty.bin"))
    assert (empty.status_code, empty.content, empty.headers["content-length"]) == (200, b"", "0")
    assert (
        await dav.get(url("realdebrid", "__all__", ODD, "empty.bin"), headers={"Range": "bytes=0-"})
    ).status_code == 416
    subs = await dav.get(url("realdebrid", "__all__", ODD, f"Sub {ODD}", f"{ODD}.srt"))
    assert subs.content == b"subs"
    assert subs.headers["content-type"] == "application/x-subrip"
    assert source.calls == [("realdebrid", ODD, f"Sub {ODD}/{ODD}.srt", 0, 3)]


# -- streaming, driven as the server would (httpx's ASGITransport keeps a whole body) --


class Exchange:
    """One GET through the app's ASGI interface; `on_body` sees each body message."""

    def __init__(self, app, path: str, headers: dict[str, str] | None = None) -> None:
        self.app, self.path = app, path
        self.headers = {**basic(), **(headers or {})}
        self.messages: list[dict] = []
        self.gone = asyncio.Event()  # set it: the client has left
        self.on_body = None

    async def run(self) -> None:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": unquote(self.path),
            "raw_path": self.path.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": [(k.lower().encode(), v.encode()) for k, v in self.headers.items()],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8282),
        }
        asked = False

        async def receive():
            nonlocal asked
            if not asked:
                asked = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await self.gone.wait()
            return {"type": "http.disconnect"}

        async def send(message):
            self.messages.append(message)
            if message["type"] == "http.response.body" and self.on_body is not None:
                self.on_body(message)
            await asyncio.sleep(0)  # a socket write lets the loop run

        await asyncio.wait_for(self.app(scope, receive, send), 30)

    @property
    def status(self) -> int:
        return self.messages[0]["status"]

    @property
    def complete(self) -> bool:
        return any(
            m["type"] == "http.response.body" and not m.get("more_body", False)
            for m in self.messages
        )

    @property
    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.messages[1:])


async def test_a_64_mib_file_streams_lazily_with_bounded_memory():
    size = 64 * 1024 * 1024
    source = MemorySource(chunk_size=256 * 1024)
    source.add("realdebrid", "Big", {"big.mkv": Stored(size=size, pattern=counting_pattern)})
    exchange = Exchange(
        webdav_app(source, authorize), url("realdebrid", "__all__", "Big", "big.mkv")
    )
    seen = {"bytes": 0, "messages": 0}

    def check(message):
        body = message["body"]
        # the source is never read more than a chunk ahead of what the client was sent
        assert source.pulled <= seen["messages"] + 1
        assert body == counting_pattern(seen["bytes"], seen["bytes"] + len(body))
        seen["bytes"] += len(body)
        seen["messages"] += 1
        message["body"] = b""  # the client consumed it

    exchange.on_body = check
    tracemalloc.start()
    try:
        await exchange.run()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert exchange.status == 200
    assert exchange.complete
    assert seen["bytes"] == size
    assert peak < 8 * 1024 * 1024, peak
    assert source.closed == 1


async def test_a_provider_failing_while_streaming_ends_the_response(source, caplog):
    source.fail_after = 3000
    exchange = Exchange(webdav_app(source, authorize), VIDEO_URL)
    with caplog.at_level(logging.WARNING, logger="torrentstack.debrid.webdav"):
        await exchange.run()
    assert exchange.status == 200
    assert exchange.body == VIDEO[:3000]
    assert not exchange.complete  # the server closes the connection: the client sees it short
    assert source.closed == 1
    (record,) = caplog.records
    message = record.getMessage()
    assert "realdebrid" in message
    assert "the link died" in message
    assert "http" not in message.lower()
    assert basic()["Authorization"].split()[1] not in message


async def test_a_source_ending_short_ends_the_response(source, caplog):
    source.short_by = 100
    exchange = Exchange(webdav_app(source, authorize), VIDEO_URL, {"Range": "bytes=1000-"})
    with caplog.at_level(logging.WARNING, logger="torrentstack.debrid.webdav"):
        await exchange.run()
    assert exchange.status == 206
    assert exchange.body == VIDEO[1000:-100]
    assert not exchange.complete
    assert "100 bytes short" in caplog.text


async def test_a_source_giving_too_much_is_cut_at_the_range(source):
    class Generous(MemorySource):
        async def stream(self, provider, item, path, start, end):
            async for chunk in super().stream(provider, item, path, 0, None):
                yield chunk

    generous = Generous(content=source.content, chunk_size=4096)
    async with dav_client(generous) as dav:
        reply = await dav.get(VIDEO_URL, headers={"Range": "bytes=0-99"})
    assert reply.content == VIDEO[:100]


@pytest.mark.parametrize(("retryable", "status"), [(False, 502), (True, 503)])
async def test_a_provider_failing_before_the_first_byte_is_a_gateway_error(
    source, caplog, retryable, status
):
    source.fail_first = (NotFoundRemote if not retryable else ProviderError)(
        "realdebrid", "link expired", status=404 if not retryable else 503, retryable=retryable
    )
    async with dav_client(source) as dav:
        with caplog.at_level(logging.WARNING, logger="torrentstack.debrid.webdav"):
            reply = await dav.get(VIDEO_URL)
    assert reply.status_code == status
    assert "realdebrid" in caplog.text and "link expired" in caplog.text
    assert source.closed == 1


async def test_a_client_leaving_stops_the_reading():
    source = MemorySource(chunk_size=64 * 1024)
    big = Stored(size=32 * 1024 * 1024, pattern=counting_pattern)
    source.add("realdebrid", "Big", {"big.mkv": big})
    exchange = Exchange(
        webdav_app(source, authorize), url("realdebrid", "__all__", "Big", "big.mkv")
    )

    def leave(message):
        if len(exchange.messages) == 3:
            exchange.gone.set()

    exchange.on_body = leave
    await exchange.run()
    assert not exchange.complete
    assert source.pulled < 10
    assert source.closed == 1


# -- no input gives a 500 --

FRAGMENTS = [
    '<?xml version="1.0"?>',
    '<?xml version="1.0" encoding="utf-16"?>',
    '<D:propfind xmlns:D="DAV:">',
    "</D:propfind>",
    "<propfind>",
    '<propfind xmlns="DAV:">',
    "<D:prop>",
    "</D:prop>",
    "<D:allprop/>",
    "<D:propname/>",
    "<D:include/>",
    "<D:getcontentlength/>",
    "<D:displayname/>",
    '<x:y xmlns:x="urn:q"/>',
    "<D:a:b/>",
    "<y/>",
    '<!DOCTYPE x [<!ENTITY a "b">]>',
    '<!DOCTYPE x SYSTEM "http://127.0.0.1:9/x.dtd">',
    "&a;",
    "&#0;",
    "&#x1F600;",
    "<!-- c -->",
    "<![CDATA[z]]>",
    "<?pi x?>",
    "text",
    "\x00",
    "\ufeff",
]
bodies = st.one_of(
    st.binary(max_size=300),
    st.lists(st.sampled_from(FRAGMENTS), max_size=12).map("".join).map(str.encode),
    st.text(max_size=100).map(lambda text: text.encode("utf-8", "surrogatepass")),
)
header_text = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40)
ranges = st.one_of(
    st.none(),
    header_text,
    header_text.map(lambda text: "bytes=" + text),
    st.from_regex(r"bytes= ?[0-9]{0,25} ?-[0-9]{0,25}(, ?[0-9]{0,4}-[0-9]{0,4})?", fullmatch=True),
)
names = st.lists(st.text(max_size=12), max_size=4).map(
    lambda parts: url("realdebrid", "__all__", *parts)
)
paths = st.one_of(st.sampled_from([VIDEO_URL, url("realdebrid", "__all__", ODD)]), names)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    method=st.sampled_from(["PROPFIND", "GET", "HEAD"]),
    path=paths,
    body=bodies,
    range_=ranges,
    depth=st.sampled_from(["0", "1", "infinity", "", "2", None]),
)
def test_random_bodies_ranges_and_names_never_give_a_500(method, path, body, range_, depth):
    headers = {} if range_ is None else {"Range": range_, "If-Range": range_}
    if depth is not None:
        headers["Depth"] = depth

    async def one() -> httpx.Response:
        async with dav_client(sample_source()) as dav:
            return await dav.request(method, path, headers=headers, content=body)

    reply = asyncio.run(one())
    assert reply.status_code in (200, 206, 207, 400, 403, 404, 416), (reply.status_code, reply.text)
