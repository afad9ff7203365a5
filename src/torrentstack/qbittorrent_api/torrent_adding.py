"""`torrents/add`: .torrent files, magnets, bare hashes and http(s) URLs (downloaded by the
backend after the call answers), several per request."""

from __future__ import annotations

from starlette.responses import Response

from torrentstack.qbittorrent import forms
from torrentstack.qbittorrent.adding import add_request
from torrentstack.qbittorrent_api.backend import Source, TorrentAdder
from torrentstack.qbittorrent_api.dispatch import Call, WebApi
from torrentstack.qbittorrent_api.responses import text


def add_adding_endpoints(api: WebApi, adder: TorrentAdder) -> None:
    async def add(call: Call) -> Response:
        request = add_request(call.params)
        urls = forms.lines(call.params.get("urls"))
        sources: list[Source] = []
        pending = 0
        for url in urls:
            if url.lower().startswith("magnet:"):
                sources.append(Source(magnet=url))
            elif _is_bare_hash(url):
                sources.append(Source(magnet=f"magnet:?xt=urn:btih:{url}"))
            elif url.lower().startswith(("http://", "https://")):
                adder.add_from_url(url, call.params.get("cookie", ""), request)
                pending += 1
            # anything else: qBittorrent would read a local file; we do not (docs/client.md)
        # a file that is not a torrent refuses the whole call (NotATorrent, 415)
        sources.extend(Source(torrent=data, name=name) for name, data in call.files)
        added = await adder.add(sources, request) if sources else 0
        return text("Ok." if added or pending else "Fails.")

    api.add("torrents/add", add)


def _is_bare_hash(text: str) -> bool:
    return len(text) in (32, 40) and all(c in "0123456789abcdefABCDEF" for c in text)
