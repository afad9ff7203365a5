"""atom_feed: Atom 1.0 (RFC 4287) documents, read back with lxml."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from torrentstack.site.feeds.atom import FeedEntry, atom_feed
from torrentstack.site.torznab.xml import xml_text

A = "{http://www.w3.org/2005/Atom}"
PARSER = etree.XMLParser(resolve_entities=False, no_network=True)
ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()))
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)

FIRST = FeedEntry(
    id="https://site.test/torrents/1",
    title="Some.Show.S01E01",
    link="https://site.test/torrents/1",
    updated=NOW - timedelta(hours=1),
    summary="First & best",
    category="TV/HD",
    size=1_460_985_071,
    author="uploader",
    download_url="https://site.test/download/1?passkey=p&x=1",
)
SECOND = FeedEntry(
    id="https://site.test/torrents/2",
    title="A.Movie.2026",
    link="https://site.test/torrents/2",
    updated=datetime(2026, 5, 1, 9, 30, tzinfo=timezone(timedelta(hours=2))),
    summary="",
    category=None,
    size=10,
    author=None,
)


def feed(*entries: FeedEntry, title: str = "Site") -> etree._Element:
    document = atom_feed(
        feed_id="https://site.test/feeds/all",
        title=title,
        self_url="https://site.test/feeds/all.atom",
        site_url="https://site.test/",
        entries=entries,
        updated=NOW,
    )
    assert document.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    return etree.fromstring(document, PARSER)


def links(element: etree._Element) -> dict[str, etree._Element]:
    found = element.findall(f"{A}link")
    by_rel = {link.get("rel", "alternate"): link for link in found}
    assert len(by_rel) == len(found), "one link per relation"
    return by_rel


def assert_valid_atom(root: etree._Element) -> None:
    """RFC 4287's must-haves for what atom_feed writes."""
    assert root.tag == f"{A}feed"
    for name in ("id", "title", "updated"):
        assert len(root.findall(f"{A}{name}")) == 1, name
    assert root.findtext(f"{A}id").strip()
    datetime.fromisoformat(root.findtext(f"{A}updated"))
    assert "self" in links(root)
    feed_has_author = any(a.findtext(f"{A}name") for a in root.findall(f"{A}author"))
    for entry in root.findall(f"{A}entry"):
        for name in ("id", "title", "updated"):
            assert len(entry.findall(f"{A}{name}")) == 1, name
        assert entry.findtext(f"{A}id").strip()
        assert datetime.fromisoformat(entry.findtext(f"{A}updated")).utcoffset() is not None
        assert "alternate" in links(entry) or entry.find(f"{A}content") is not None
        assert feed_has_author or entry.find(f"{A}author/{A}name") is not None


def test_feed_head():
    root = feed(FIRST, SECOND)
    assert_valid_atom(root)
    assert root.findtext(f"{A}id") == "https://site.test/feeds/all"
    assert root.findtext(f"{A}title") == "Site"
    assert datetime.fromisoformat(root.findtext(f"{A}updated")) == NOW
    feed_links = links(root)
    assert feed_links["self"].get("href") == "https://site.test/feeds/all.atom"
    assert feed_links["self"].get("type") == "application/atom+xml"
    assert feed_links["alternate"].get("href") == "https://site.test/"
    assert root.findtext(f"{A}author/{A}name") == "Site"


def test_entries_in_order_with_their_fields():
    first, second = feed(FIRST, SECOND).findall(f"{A}entry")
    assert first.findtext(f"{A}id") == FIRST.id
    assert first.findtext(f"{A}title") == "Some.Show.S01E01"
    assert datetime.fromisoformat(first.findtext(f"{A}updated")) == FIRST.updated
    assert first.findtext(f"{A}summary") == "First & best"
    assert first.find(f"{A}category").get("term") == "TV/HD"
    assert first.findtext(f"{A}author/{A}name") == "uploader"
    assert second.findtext(f"{A}id") == SECOND.id
    assert datetime.fromisoformat(second.findtext(f"{A}updated")) == SECOND.updated


def test_entry_links_carry_their_relation_and_the_enclosure_its_size():
    entry_links = links(feed(FIRST).find(f"{A}entry"))
    assert set(entry_links) == {"alternate", "enclosure"}
    assert entry_links["alternate"].get("rel") == "alternate"
    assert entry_links["alternate"].get("href") == FIRST.link
    enclosure = entry_links["enclosure"]
    assert enclosure.get("href") == FIRST.download_url
    assert enclosure.get("type") == "application/x-bittorrent"
    assert int(enclosure.get("length")) == FIRST.size


def test_optional_parts_are_left_out():
    entry = feed(SECOND).find(f"{A}entry")
    assert set(links(entry)) == {"alternate"}
    assert entry.find(f"{A}summary") is None
    assert entry.find(f"{A}category") is None
    assert entry.find(f"{A}author") is None


def test_an_empty_feed_is_valid():
    root = feed()
    assert_valid_atom(root)
    assert root.findall(f"{A}entry") == []


def test_titles_emptied_by_cleaning_fall_back_to_the_id():
    root = feed(replace(SECOND, title="\x00\x01"), title="\ud800")
    assert root.findtext(f"{A}title") == "https://site.test/feeds/all"
    assert root.find(f"{A}entry").findtext(f"{A}title") == SECOND.id


@pytest.mark.parametrize(
    "entry",
    [
        replace(FIRST, updated=datetime(2026, 1, 1)),  # naive
        replace(FIRST, id="  "),
        replace(FIRST, id="\x00"),
        replace(FIRST, size=-1),
    ],
)
def test_impossible_entries_are_refused(entry):
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        feed(entry)


def test_a_naive_feed_date_is_refused():
    with pytest.raises(ValueError, match="timezone"):
        atom_feed(
            feed_id="x",
            title="t",
            self_url="https://s/",
            site_url="https://s/",
            entries=[],
            updated=datetime(2026, 1, 1),
        )


@given(title=ANY_TEXT, summary=ANY_TEXT, category=ANY_TEXT, author=ANY_TEXT, name=ANY_TEXT)
def test_any_text_gives_a_valid_feed(title, summary, category, author, name):
    entry = replace(
        FIRST, title=title + "\x00\ud800", summary=summary, category=category, author=author
    )
    root = feed(entry, SECOND, title=name)
    assert_valid_atom(root)
    assert root.findtext(f"{A}title") == (xml_text(name) or "https://site.test/feeds/all")
    read = root.find(f"{A}entry")
    assert read.findtext(f"{A}title") == (xml_text(title) or FIRST.id)
    assert (read.findtext(f"{A}summary") or "") == xml_text(summary)
    term = read.find(f"{A}category")
    assert (term.get("term") if term is not None else "") == xml_text(category)
    assert (read.findtext(f"{A}author/{A}name") or "") == xml_text(author)
