"""Results parsing: Jackett and Prowlarr feeds, the fallbacks of each field, fuzzing."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from torrentstack.crossseed.searchee import Candidate
from torrentstack.crossseed.torznab.errors import TorznabApiError, TorznabError, TorznabXmlError
from torrentstack.crossseed.torznab.feed import UNKNOWN_TRACKER, parse_feed, parse_pub_date

DATA = Path(__file__).parent / "data"


def test_jackett_results():
    found = parse_feed((DATA / "jackett-results.xml").read_bytes(), tracker="Jackett", indexer_id=3)
    assert [c.name for c in found] == [
        "Show.Name.S01E02.1080p.WEB-DL.DDP5.1.H.264-GRP",
        "The.Movie.2019.2160p.UHD.BluRay.x265-OTHER",
    ]
    episode, movie = found
    assert episode == Candidate(
        name="Show.Name.S01E02.1080p.WEB-DL.DDP5.1.H.264-GRP",
        guid="https://sometracker.example/torrents/12345",
        link="http://127.0.0.1:9117/dl/sometracker/?jackett_apikey=SECRETKEY&path=abc&file=Show.Name.S01E02",
        tracker="SomeTracker",
        size=1610612736,
        pub_date=datetime(2024, 10, 5, 12, 34, 56, tzinfo=UTC).timestamp(),
        indexer_id=3,
    )
    # no enclosure: <link> (a magnet here); the torznab size attr wins over <size>0</size>
    assert movie.link is not None and movie.link.startswith("magnet:?xt=urn:btih:")
    assert movie.size == 53687091200
    assert movie.pub_date == datetime(2024, 10, 4, 12, 0, tzinfo=UTC).timestamp()


def test_prowlarr_results():
    found = parse_feed((DATA / "prowlarr-results.xml").read_bytes(), tracker="Prowlarr")
    anime, album = found
    assert anime.tracker == "Nyaa.si"
    assert anime.size == 1447034880
    assert anime.link == "http://prowlarr:9696/7/download?apikey=SECRETKEY&link=abc&file=Some+Anime"
    # no indexer element: the caller's name; no <size> nor attr: the enclosure's length
    assert album.tracker == "Prowlarr"
    assert album.size == 123456789
    assert album.pub_date is None
    assert album.link == "https://music.example/torrents.php?action=download&id=99"


def test_defaults_when_nothing_names_the_tracker():
    xml = b"<rss><channel><item><title>a</title><guid>g</guid></item></channel></rss>"
    (only,) = parse_feed(xml)
    assert only == Candidate(name="a", guid="g", link=None, tracker=UNKNOWN_TRACKER)


def test_empty_channel_and_no_channel():
    assert parse_feed(b"<rss><channel/></rss>") == []
    assert parse_feed(b'<rss version="2.0"/>') == []


def test_newznab_error():
    with pytest.raises(TorznabApiError) as raised:
        parse_feed(b'<error code="500" description="Request limit reached"/>', indexer="x")
    assert raised.value.code == 500
    assert raised.value.indexer == "x"


@pytest.mark.parametrize("data", [b"", b"<html><body>Cloudflare</body></html>", b"<rss><channel>"])
def test_not_a_feed(data):
    with pytest.raises(TorznabXmlError):
        parse_feed(data)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sat, 05 Oct 2024 12:34:56 +0000", datetime(2024, 10, 5, 12, 34, 56, tzinfo=UTC)),
        ("Sat, 05 Oct 2024 12:34:56 GMT", datetime(2024, 10, 5, 12, 34, 56, tzinfo=UTC)),
        ("2024-10-05T12:34:56+02:00", datetime(2024, 10, 5, 10, 34, 56, tzinfo=UTC)),
        ("2024-10-05 12:34:56", datetime(2024, 10, 5, 12, 34, 56, tzinfo=UTC)),
        ("yesterday", None),
        ("", None),
        (None, None),
    ],
)
def test_pub_dates(text, expected):
    assert parse_pub_date(text) == (expected.timestamp() if expected else None)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_fuzz_bytes_only_raise_the_typed_error(data):
    with contextlib.suppress(TorznabError):
        parse_feed(data)


_text = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="<&\x00"), max_size=30)
_child = st.tuples(
    st.sampled_from(
        [
            "title",
            "guid",
            "link",
            "size",
            "pubDate",
            "prowlarrindexer",
            "jackettindexer",
            "enclosure",
            "torznab:attr",
            "x",
        ]
    ),
    _text,
    st.dictionaries(st.sampled_from(["url", "length", "name", "value"]), _text, max_size=3),
)


def _item(children) -> str:
    parts = []
    for tag, text, attrs in children:
        rendered = " ".join(f'{k}="{v.replace(chr(34), "")}"' for k, v in attrs.items())
        parts.append(f"<{tag} {rendered}>{text}</{tag}>")
    return f"<item>{''.join(parts)}</item>"


@settings(max_examples=120, deadline=None)
@given(st.lists(st.lists(_child, max_size=8), max_size=5))
def test_fuzz_items_only_raise_the_typed_error(items):
    xml = (
        '<rss xmlns:torznab="http://torznab.com/schemas/2015/feed"><channel>'
        + "".join(_item(children) for children in items)
        + "</channel></rss>"
    )
    try:
        found = parse_feed(xml)
    except TorznabError:
        return
    for candidate in found:
        assert candidate.name and candidate.guid
        assert candidate.size is None or candidate.size >= 0
