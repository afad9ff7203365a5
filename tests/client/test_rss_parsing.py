"""Feed parsing (client/rss/parsing.py): RSS 2.0 and Atom, what each item adds (enclosure,
magnet link, `torrent:` namespace), ids, dates, malformed and hostile documents, and a fuzz:
any bytes give articles or a FeedParseError, nothing else."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.rss_feeds import Feed, FeedSite, Item
from torrentstack.client.rss.parsing import FeedParseError, ParsedFeed, parse_feed

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
HASH = "0123456789abcdef0123456789abcdef01234567"


def site_with(feed: Feed) -> FeedSite:
    site = FeedSite(feeds={"f": feed}, base="http://feeds.test")
    return site


def test_rss_items_pick_what_is_added_as_qbittorrent_does():
    day = datetime(2025, 5, 1, 8, 30, tzinfo=UTC)
    feed = Feed(
        "Shows",
        [
            Item("Enclosure wins", guid="g1", date=day, link="http://x/page", torrent="one",
                 magnet_uri="magnet:?xt=urn:btih:" + "1" * 40),
            Item("Magnet link", guid="g2", magnet="magnet:?xt=urn:btih:" + "2" * 40),
            Item("Namespace magnet", guid="g3", link="http://x/3",
                 magnet_uri="magnet:?xt=urn:btih:" + "3" * 40),
            Item("Only a link", guid="g4", link="http://x/4.torrent"),
            Item("Only an info hash", guid="g5", info_hash=HASH),
            Item("No guid", link="http://x/6"),
        ],
        last_build="Thu, 01 May 2025 09:00:00 +0000",
    )  # fmt: skip
    parsed = parse_feed(site_with(feed).body("f"), NOW)
    assert parsed.title == "Shows"
    assert parsed.last_build_date == "Thu, 01 May 2025 09:00:00 +0000"
    assert parsed.error == ""
    by_title = {a.title: a for a in parsed.articles}
    first = by_title["Enclosure wins"]
    assert first.torrent_url == "http://feeds.test/torrents/one.torrent"
    assert first.link == "http://x/page"
    assert first.id == "g1"
    assert first.date == day
    assert first.to_json()["date"] == "01 May 2025 08:30:00 +0000"
    assert by_title["Magnet link"].torrent_url.startswith("magnet:?xt=urn:btih:2222")
    assert by_title["Magnet link"].link == ""
    assert by_title["Namespace magnet"].torrent_url.startswith("magnet:?xt=urn:btih:3333")
    assert by_title["Namespace magnet"].link == "http://x/3"
    assert by_title["Only a link"].torrent_url == "http://x/4.torrent"
    assert by_title["Only an info hash"].torrent_url == f"magnet:?xt=urn:btih:{HASH}"
    assert by_title["No guid"].id == "http://x/6"  # no guid: the torrent URL, as qBittorrent
    assert parsed.articles[0].title == "Enclosure wins"  # document order


def test_items_without_a_date_keep_the_documents_order_below_now():
    parsed = parse_feed(site_with(Feed("T", [Item("a", "1"), Item("b", "2")])).body("f"), NOW)
    assert [a.date for a in parsed.articles] == [NOW, NOW - timedelta(microseconds=1)]


def test_atom_entries():
    day = datetime(2025, 6, 2, 1, 2, 3, tzinfo=UTC)
    feed = Feed(
        "Atom shows",
        [
            Item("Atom one", guid="urn:1", date=day, link="http://x/1", torrent="a1",
                 description="about it"),
            Item("Atom magnet", guid="urn:2", magnet="magnet:?xt=urn:btih:" + "4" * 40),
        ],
        atom=True,
        last_build="2025-06-02T01:02:03Z",
    )  # fmt: skip
    parsed = parse_feed(site_with(feed).body("f"), NOW)
    assert parsed.title == "Atom shows"
    assert parsed.last_build_date == "2025-06-02T01:02:03Z"
    one, magnet = parsed.articles
    assert (one.id, one.torrent_url, one.link, one.date) == (
        "urn:1",
        "http://feeds.test/torrents/a1.torrent",
        "http://x/1",
        day,
    )
    assert one.description == "about it"
    assert magnet.torrent_url.startswith("magnet:?xt=urn:btih:4444")


def test_repeated_ids_and_items_with_nothing_to_identify_them_are_left_out():
    body = (
        b"<rss version='2.0'><channel><title>t</title>"
        b"<item><guid>same</guid><title>first</title></item>"
        b"<item><guid>same</guid><title>second</title></item>"
        b"<item><description>nothing else</description></item>"
        b"</channel></rss>"
    )
    parsed = parse_feed(body, NOW)
    assert [a.title for a in parsed.articles] == ["first"]


@pytest.mark.parametrize("body", [b"", b"hello", b"<html><body>not a feed</body></html>", b"{}"])
def test_documents_that_are_no_feed_are_refused(body: bytes):
    with pytest.raises(FeedParseError):
        parse_feed(body, NOW)


def test_a_malformed_feed_gives_what_it_could_read_and_an_error():
    parsed = parse_feed(b"<rss version='2.0'><channel><item><title>cut</title></item><item>", NOW)
    assert [a.title for a in parsed.articles] == ["cut"]
    assert parsed.error


BILLION_LAUGHS = (
    b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">"""
    + b"".join(
        b'<!ENTITY %c "%s">' % (ord("b") + i, (b"&%c;" % (ord("a") + i)) * 10) for i in range(10)
    )
    + b"""]>
<rss version="2.0"><channel><title>&k;</title><item><title>&k;</title></item></channel></rss>"""
)


def test_an_entity_expansion_bomb_is_refused_at_once():
    started = time.monotonic()
    with pytest.raises(FeedParseError):
        parse_feed(BILLION_LAUGHS, NOW)
    assert time.monotonic() - started < 1


@pytest.fixture
def dtd_server() -> Iterator[tuple[str, list[str]]]:
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'<!ENTITY leak "LEAKED">')

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()
    server.server_close()


def test_external_entities_and_dtds_are_never_fetched(dtd_server, tmp_path):
    base, hits = dtd_server
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    external_entity = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file://{secret}">]>'
        "<rss version='2.0'><channel><title>&x;</title><item><title>a&x;</title></item>"
        "</channel></rss>"
    ).encode()
    with pytest.raises(FeedParseError):
        parse_feed(external_entity, NOW)
    external_dtd = (
        f'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "{base}/evil.dtd">'
        "<rss version='2.0'><channel><title>t &leak;</title><item><title>a</title></item>"
        "</channel></rss>"
    ).encode()
    parsed = parse_feed(external_dtd, NOW)
    assert "LEAKED" not in parsed.title + "".join(a.title for a in parsed.articles)
    assert hits == []


VALID = site_with(
    Feed("T", [Item("x", "g", link="http://x", torrent="t"), Item("y", info_hash=HASH)])
).body("f")


def _outcome(body: bytes) -> None:
    try:
        result = parse_feed(body, NOW)
    except FeedParseError:
        return
    assert isinstance(result, ParsedFeed)
    for article in result.articles:
        assert article.id
        article.to_json()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048))
def test_fuzz_any_bytes_give_a_feed_or_a_parse_error(body: bytes):
    _outcome(body)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, len(VALID)), st.integers(0, 64), st.binary(max_size=64))
def test_fuzz_damaged_feeds_give_a_feed_or_a_parse_error(at: int, cut: int, junk: bytes):
    _outcome(VALID[:at] + junk + VALID[at + cut :])
