"""Indexer URLs: cross-seed's rules (a path ending in /api, an apikey) and the key kept secret."""

from __future__ import annotations

import pytest

from torrentstack.crossseed.torznab.errors import IndexerUrlError
from torrentstack.crossseed.torznab.url import IndexerUrl


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://prowlarr:9696/1/api?apikey=SECRETKEY", None),
        (
            "https://jackett.example/api/v2.0/indexers/all/results/torznab/api?apikey=SECRETKEY",
            None,
        ),
        ("http://prowlarr:9696/1/api", "does not specify an apikey"),
        ("http://prowlarr:9696/1/api?apikey=", "does not specify an apikey"),
        ("http://prowlarr:9696/1/?apikey=SECRETKEY", "must have a path ending in /api"),
        ("http://prowlarr:9696/1/api/?apikey=SECRETKEY", "must have a path ending in /api"),
        ("ftp://prowlarr/api?apikey=SECRETKEY", "http:// or https://"),
        ("prowlarr:9696/api?apikey=SECRETKEY", "http:// or https://"),
        ("http://prowlarr:99999/api?apikey=SECRETKEY", "not a valid URL"),
    ],
)
def test_indexer_urls_are_validated(url, message):
    if message is None:
        parsed = IndexerUrl.parse(url)
        assert parsed.apikey == "SECRETKEY" and "SECRETKEY" not in str(parsed) + repr(parsed)
        return
    with pytest.raises(IndexerUrlError, match=message) as raised:
        IndexerUrl.parse(url)
    assert "SECRETKEY" not in str(raised.value) and "SECRETKEY" not in raised.value.url


def test_the_base_drops_the_query_and_keeps_the_path():
    url = IndexerUrl.parse("HTTP://prowlarr:9696/1/api?apikey=KEY&extra=1")
    assert url.base == "http://prowlarr:9696/1/api"
    assert str(url) == "http://prowlarr:9696/1/api?apikey=***"


def test_a_password_in_the_url_is_not_shown():
    url = IndexerUrl.parse("http://user:hunter2@jackett/api?apikey=KEY")
    assert "hunter2" not in str(url)
