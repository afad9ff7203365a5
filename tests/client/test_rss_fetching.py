"""Feed downloads (client/rss/fetching.py): validators sent back (304), the size cap, only
http(s), and every failure a FeedFetchError."""

from __future__ import annotations

import pytest

from tests.support.rss_feeds import Feed, Item, serve_feed_site
from tests.support.torrent_clients import free_port
from torrentstack.client.rss.fetching import FeedFetcher, FeedFetchError


async def test_conditional_get_and_failures(tmp_path):
    fetcher = FeedFetcher(limit=4096)
    try:
        async with serve_feed_site() as site:
            site.feeds["f"] = Feed("T", [Item("a", "1")])
            first = await fetcher.fetch(site.url("f"))
            assert first.body == site.body("f")
            assert first.etag.startswith('"') and first.last_modified
            again = await fetcher.fetch(
                site.url("f"), etag=first.etag, last_modified=first.last_modified
            )
            assert again.body is None and again.etag == first.etag
            assert site.not_modified == 1
            site.feeds["f"].items.append(Item("b", "2"))
            changed = await fetcher.fetch(site.url("f"), etag=first.etag)
            assert changed.body == site.body("f") and changed.etag != first.etag

            site.failures["big"] = b"x" * 5000
            site.failures["gone"] = 410
            for url in [site.url("big"), site.url("gone"), site.url("missing")]:
                with pytest.raises(FeedFetchError):
                    await fetcher.fetch(url)
        secret = tmp_path / "secret"
        secret.write_text("<rss/>")
        for url in [f"file://{secret}", "ftp://127.0.0.1/x", f"http://127.0.0.1:{free_port()}/"]:
            with pytest.raises(FeedFetchError):
                await fetcher.fetch(url)
        with pytest.raises(FeedFetchError):
            await fetcher.fetch("http://[::1/x")
    finally:
        await fetcher.aclose()
