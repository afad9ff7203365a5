"""Feeds are fetched with the cookies `app/setCookies` keeps for their site."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.support.debrid_services.serving import serve_app
from torrentstack.client.rss.fetching import FeedFetcher

RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'


async def test_the_fetch_sends_the_cookie_header_for_the_feeds_url():
    seen: list[str] = []

    async def feed(request: Request) -> Response:
        seen.append(request.headers.get("cookie", ""))
        return Response(RSS, media_type="application/rss+xml")

    app = Starlette(routes=[Route("/feed", feed)])
    async with serve_app(app) as port:
        url = f"http://127.0.0.1:{port}/feed"
        jar = {url: "session=abc; lang=en"}
        fetcher = FeedFetcher(cookies=lambda u: jar.get(u, ""))
        try:
            assert (await fetcher.fetch(url)).body == RSS
            jar.clear()
            await fetcher.fetch(url)
        finally:
            await fetcher.aclose()
    assert seen == ["session=abc; lang=en", ""]
