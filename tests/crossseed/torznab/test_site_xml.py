"""Our own site's Torznab answers (site/torznab/xml.py) read back through the crossseed parsers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from torrentstack.crossseed.torznab.caps import PageLimits, parse_caps
from torrentstack.crossseed.torznab.errors import TorznabApiError
from torrentstack.crossseed.torznab.feed import parse_feed
from torrentstack.site.torznab.xml import (
    CapsCategory,
    TorznabItem,
    caps_xml,
    error_xml,
    results_xml,
)


def test_the_sites_caps():
    xml = caps_xml(
        server_title="torrentstack",
        categories=[
            CapsCategory(2000, "Movies", (CapsCategory(2040, "Movies/HD"),)),
            CapsCategory(5000, "TV"),
            CapsCategory(8000, "Other"),
        ],
        limit_default=50,
        limit_max=200,
    )
    caps = parse_caps(xml)
    assert caps.search and caps.tv_search and caps.movie_search
    assert not (caps.music_search or caps.audio_search or caps.book_search)
    assert caps.tv_params == {"q", "season", "ep"}
    assert caps.tv_ids() == frozenset()
    assert caps.limits == PageLimits(50, 200)
    assert caps.categories.movie and caps.categories.tv and not caps.categories.additional


def test_the_sites_results():
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    item = TorznabItem(
        title="Show.Name.S01E02.1080p.WEB-DL-GRP",
        guid="https://site.example/torrents/7",
        details_url="https://site.example/torrents/7",
        download_url="https://site.example/torrents/7/download?passkey=abc",
        pub_date=when,
        size=123_456,
        categories=(5040,),
        seeders=1,
        leechers=0,
        grabs=2,
        info_hash="ab" * 20,
        files=1,
    )
    xml = results_xml([item], title="Site", link="https://site.example/", offset=0, total=1)
    (found,) = parse_feed(xml, tracker="Site")
    assert (found.name, found.guid, found.link) == (item.title, item.guid, item.download_url)
    assert (found.size, found.pub_date, found.tracker) == (123_456, when.timestamp(), "Site")


def test_the_sites_error():
    with pytest.raises(TorznabApiError) as raised:
        parse_feed(error_xml(100))
    assert raised.value.code == 100
