"""The Torznab documents, read back the way Prowlarr, Sonarr and Radarr read them.

The readers below follow those clients' parsers: caps elements by name under `<caps>`,
`torznab:attr` found by name case-insensitively in the torznab namespace (first match), the
download from the enclosure, the details page from `comments`, the date from `pubDate`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from torrentstack.site.torznab.query import parse_query
from torrentstack.site.torznab.xml import (
    ATOM_NS,
    NEWZNAB_NS,
    TORZNAB_NS,
    CapsCategory,
    TorznabItem,
    caps_xml,
    error_xml,
    results_xml,
    xml_text,
)

ATTR = f"{{{TORZNAB_NS}}}attr"
PARSER = etree.XMLParser(resolve_entities=False, no_network=True)
# every character a Python str can hold, lone surrogates and C0/C1 controls included
ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()))
NASTY = "\x00\x01\x08\x0b\x0c\x1b\x7f\x85\ud800\udfff\ufffe\uffff"


def parse(document: bytes) -> etree._Element:
    assert document.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    return etree.fromstring(document, PARSER)


def torznab_attr(item: etree._Element, name: str) -> str | None:
    for attr in item.iter(ATTR):
        if attr.get("name").lower() == name:
            return attr.get("value")
    return None


def torznab_attrs(item: etree._Element, name: str) -> list[str]:
    return [a.get("value") for a in item.iter(ATTR) if a.get("name").lower() == name]


ITEM = TorznabItem(
    title="Some.Show.S01E02.1080p.WEB-DL",
    guid="https://site.test/torrents/42",
    details_url="https://site.test/torrents/42",
    download_url="https://site.test/download/42?passkey=abc&x=1",
    pub_date=datetime(2026, 3, 14, 17, 10, 42, tzinfo=timezone(timedelta(hours=-4))),
    size=1_460_985_071,
    categories=(5000, 5040),
    seeders=12,
    leechers=3,
    grabs=57,
    info_hash="C12FE1C06BBA254A9DC9F519B335AA7C1367A88A",
    files=4,
    description="A show & its <episode>",
    download_volume_factor=0.0,
    upload_volume_factor=2.0,
    imdbid=944947,
    tvdbid=121361,
)


def results(*items: TorznabItem, offset: int = 0, total: int | None = None) -> etree._Element:
    return parse(
        results_xml(
            items,
            title="Site",
            link="https://site.test/",
            offset=offset,
            total=len(items) if total is None else total,
            self_url="https://site.test/api?t=search&q=x",
        )
    )


def test_results_declare_the_namespaces_prowlarr_reads():
    rss = results(ITEM)
    assert rss.tag == "rss" and rss.get("version") == "2.0"
    assert rss.nsmap == {"atom": ATOM_NS, "torznab": TORZNAB_NS, "newznab": NEWZNAB_NS}
    assert TORZNAB_NS == "http://torznab.com/schemas/2015/feed"


def test_channel_has_self_link_and_newznab_response():
    channel = results(ITEM, ITEM, offset=100, total=250).find("channel")
    self_link = channel.find(f"{{{ATOM_NS}}}link")
    assert (self_link.get("rel"), self_link.get("href")) == (
        "self",
        "https://site.test/api?t=search&q=x",
    )
    assert channel.findtext("title") == "Site" and channel.findtext("link") == "https://site.test/"
    response = channel.find(f"{{{NEWZNAB_NS}}}response")
    assert (response.get("offset"), response.get("total")) == ("100", "250")
    assert len(channel.findall("item")) == 2


def test_an_item_as_prowlarr_reads_it():
    item = results(ITEM).find("channel/item")
    assert item.findtext("title") == ITEM.title
    assert item.findtext("description") == "A show & its <episode>"
    guid = item.find("guid")
    assert (guid.text, guid.get("isPermaLink")) == (ITEM.guid, "false")
    assert item.findtext("link") == ITEM.download_url
    assert item.findtext("comments") == ITEM.details_url
    enclosure = item.find("enclosure")
    assert enclosure.get("url") == ITEM.download_url
    assert enclosure.get("type") == "application/x-bittorrent"
    assert int(enclosure.get("length")) == ITEM.size == int(torznab_attr(item, "size"))
    assert torznab_attrs(item, "category") == ["5000", "5040"]
    assert torznab_attr(item, "seeders") == "12"
    assert torznab_attr(item, "leechers") == "3"
    assert torznab_attr(item, "peers") == "15"  # seeders + leechers
    assert torznab_attr(item, "grabs") == "57" and torznab_attr(item, "files") == "4"
    assert torznab_attr(item, "infohash") == ITEM.info_hash.lower()
    assert torznab_attr(item, "tvdbid") == "121361"
    assert torznab_attr(item, "tmdbid") is None


def test_pub_date_is_rfc_822_and_keeps_the_moment():
    item = results(ITEM).find("channel/item")
    text = item.findtext("pubDate")
    assert text == "Sat, 14 Mar 2026 17:10:42 -0400"
    assert parsedate_to_datetime(text) == ITEM.pub_date


def test_imdb_is_given_as_digits_and_with_tt():
    # Radarr parses `imdb` as an int; Prowlarr tries `imdb` then `imdbid`, and strips `tt` from
    # `imdbid` before its own parse
    item = results(ITEM).find("channel/item")
    assert torznab_attr(item, "imdb") == "0944947"
    assert int(torznab_attr(item, "imdb")) == 944947
    assert torznab_attr(item, "imdbid") == "tt0944947"
    without = results(replace(ITEM, imdbid=None, tvdbid=None)).find("channel/item")
    assert torznab_attr(without, "imdb") is torznab_attr(without, "imdbid") is None
    assert torznab_attr(without, "tvdbid") is None


@pytest.mark.parametrize(
    ("download", "upload", "shown"),
    [(0.0, 1.0, ("0", "1")), (0.5, 2.0, ("0.5", "2")), (1.0, 1.0, ("1", "1")), (0.25, 1.5, ("0.25", "1.5"))],
)  # fmt: skip
def test_volume_factors_read_as_prowlarrs_freeleech_flags(download, upload, shown):
    changed = replace(ITEM, download_volume_factor=download, upload_volume_factor=upload)
    item = results(changed).find("channel/item")
    values = (torznab_attr(item, "downloadvolumefactor"), torznab_attr(item, "uploadvolumefactor"))
    assert values == shown
    assert (float(values[0]), float(values[1])) == (download, upload)


def test_whole_number_factors_given_as_ints_are_written_alike():
    changed = replace(ITEM, download_volume_factor=0, upload_volume_factor=2)
    item = results(changed).find("channel/item")
    assert torznab_attr(item, "downloadvolumefactor") == "0"
    assert torznab_attr(item, "uploadvolumefactor") == "2"


def test_seeding_rules_appear_only_when_set():
    plain = results(ITEM).find("channel/item")
    assert torznab_attr(plain, "minimumratio") is torznab_attr(plain, "minimumseedtime") is None
    ruled = results(replace(ITEM, minimum_ratio=1.0, minimum_seed_time=259200))
    item = ruled.find("channel/item")
    assert (torznab_attr(item, "minimumratio"), torznab_attr(item, "minimumseedtime")) == (
        "1",
        "259200",
    )


def test_every_attribute_but_category_appears_once():
    # old Sonarr reads attributes with SingleOrDefault: a repeated name would throw
    item = results(replace(ITEM, minimum_ratio=0.5, minimum_seed_time=60, tmdbid=5)).find(
        "channel/item"
    )
    names = [a.get("name") for a in item.iter(ATTR) if a.get("name") != "category"]
    assert len(names) == len(set(names))
    assert {"size", "files", "grabs", "seeders", "leechers", "peers", "infohash"} <= set(names)


def test_an_empty_page_still_reports_the_total():
    channel = results(offset=500, total=120).find("channel")
    assert channel.findall("item") == []
    assert channel.find(f"{{{NEWZNAB_NS}}}response").get("total") == "120"


@pytest.mark.parametrize(
    "changes",
    [
        {"pub_date": datetime(2026, 1, 1)},  # naive
        {"categories": ()},
        {"size": -1},
        {"seeders": -1},
        {"categories": (5000, -1)},
        {"info_hash": "abc"},
        {"info_hash": "g" * 40},
        {"download_volume_factor": float("nan")},
        {"upload_volume_factor": -1.0},
        {"minimum_ratio": float("inf")},
        {"imdbid": -3},
    ],
)
def test_an_item_refuses_impossible_values(changes):
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        replace(ITEM, **changes)


def test_a_v2_info_hash_is_accepted():
    item = results(replace(ITEM, info_hash="AB" * 32)).find("channel/item")
    assert torznab_attr(item, "infohash") == "ab" * 32


CATEGORIES = [
    CapsCategory(
        2000, "Movies", (CapsCategory(2040, "Movies/HD"), CapsCategory(2045, "Movies/UHD"))
    ),
    CapsCategory(5000, "TV", (CapsCategory(5040, "TV/HD"),)),
    CapsCategory(100001, "Site & Special"),
]


def caps() -> etree._Element:
    document = caps_xml(server_title="Site", categories=CATEGORIES, limit_default=50, limit_max=100)
    return parse(document)


def test_caps_server_and_limits():
    root = caps()
    assert root.tag == "caps"
    assert root.find("server").get("title") == "Site"
    limits = root.find("limits")
    assert (int(limits.get("default")), int(limits.get("max"))) == (50, 100)


def test_caps_searching_as_prowlarr_parses_it():
    searching = caps().find("searching")
    modes = {
        mode.tag: (mode.get("available"), mode.get("supportedParams").split(","))
        for mode in searching
    }
    assert modes["search"] == ("yes", ["q"])
    # only what the site answers: no external ids on its torrents yet
    assert modes["tv-search"] == ("yes", ["q", "season", "ep"])
    assert modes["movie-search"] == ("yes", ["q"])
    for unsupported in ("music-search", "audio-search", "book-search"):
        assert modes[unsupported][0] == "no"


@pytest.mark.parametrize(("mode", "function"), [("search", "search"), ("tv-search", "tvsearch"), ("movie-search", "movie")])  # fmt: skip
def test_every_advertised_parameter_is_read_by_the_query_parser(mode, function):
    examples = {
        "q": "x",
        "season": "1",
        "ep": "2",
        "imdbid": "tt0944947",
        "tvdbid": "7",
        "tmdbid": "8",
    }
    element = caps().find(f"searching/{mode}")
    advertised = element.get("supportedParams").split(",")
    query = parse_query({"t": function, **{name: examples[name] for name in advertised}})
    read = {"q": query.q, "season": query.season, "ep": query.episode, "imdbid": query.imdbid}
    read |= {"tvdbid": query.tvdbid, "tmdbid": query.tmdbid}
    assert all(read[name] is not None for name in advertised)


def test_caps_categories_and_subcats():
    listed = [
        (c.get("id"), c.get("name"), [(s.get("id"), s.get("name")) for s in c.findall("subcat")])
        for c in caps().find("categories").findall("category")
    ]
    assert listed == [
        ("2000", "Movies", [("2040", "Movies/HD"), ("2045", "Movies/UHD")]),
        ("5000", "TV", [("5040", "TV/HD")]),
        ("100001", "Site & Special", []),
    ]


@pytest.mark.parametrize(("default", "maximum"), [(0, 100), (101, 100)])
def test_caps_limits_must_be_possible(default, maximum):
    with pytest.raises(ValueError, match="limit_default"):
        caps_xml(server_title="S", categories=[], limit_default=default, limit_max=maximum)


def test_caps_categories_nest_one_level_only():
    with pytest.raises(ValueError, match="one level"):
        CapsCategory(1, "a", (CapsCategory(2, "b", (CapsCategory(3, "c"),)),))


def test_error_document():
    root = parse(error_xml(201, "Incorrect parameter: cat"))
    assert (root.tag, root.get("code"), root.get("description")) == (
        "error",
        "201",
        "Incorrect parameter: cat",
    )
    assert len(root) == 0


def test_error_description_defaults_to_newznabs_text():
    root = parse(error_xml(100))
    assert (root.get("code"), root.get("description")) == ("100", "Incorrect user credentials")


def test_an_error_outside_the_table_needs_a_description():
    with pytest.raises(ValueError, match="499"):
        error_xml(499)
    assert parse(error_xml(500, "Request limit reached")).get("code") == "500"


def test_xml_text_keeps_what_xml_allows_and_drops_the_rest():
    allowed = "tab\tnl\ncr\r é \U0001f600 \ue000 \ufffd \U0010ffff"
    assert xml_text(allowed) == allowed
    assert xml_text(f"a{NASTY}b") == "a\x7f\x85b"  # DEL and C1 controls are XML 1.0 Chars


def test_forbidden_characters_are_stripped_not_fatal():
    dirty = replace(ITEM, title=f"Bad{NASTY}Title", description=f"\x00{NASTY}")
    item = results(dirty).find("channel/item")
    assert item.findtext("title") == "Bad\x7f\x85Title"
    assert item.findtext("description") == "\x7f\x85"


@given(title=ANY_TEXT, description=ANY_TEXT, name=ANY_TEXT)
def test_any_text_gives_well_formed_xml(title, description, name):
    item = replace(ITEM, title=title + NASTY[: len(title) % 13], description=description)
    channel = parse(results_xml([item], title=name, link="https://site.test/", offset=0, total=1))
    channel = channel.find("channel")
    read = channel.find("item")
    # a parser turns a raw CR into LF (and whitespace in attributes into spaces): lxml escapes them
    assert (read.findtext("title") or "") == xml_text(item.title)
    assert (read.findtext("description") or "") == xml_text(description)
    assert (channel.findtext("title") or "") == xml_text(name)
    document = caps_xml(
        server_title=name, categories=[CapsCategory(1, title)], limit_default=1, limit_max=1
    )
    assert parse(document).find("categories/category").get("name") == xml_text(title)
    assert parse(error_xml(900, description)).get("description") == xml_text(description)


def test_aware_dates_in_any_zone_are_written_with_their_offset():
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    item = results(replace(ITEM, pub_date=moment)).find("channel/item")
    assert item.findtext("pubDate") == "Fri, 02 Jan 2026 03:04:05 +0000"
