"""`search/*`: search jobs (start, stop, status, results, delete) and plugins (list, install,
uninstall, enable, update), as qBittorrent's `SearchController` answers them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from starlette.responses import Response

from torrentstack.qbittorrent import forms
from torrentstack.qbittorrent.adding import AddRequest, Source
from torrentstack.qbittorrent.errors import Conflict
from torrentstack.qbittorrent.search import (
    PluginInfo,
    SearchResult,
    serialize_plugin,
    serialize_result,
)
from torrentstack.qbittorrent_api.backend import TorrentAdder
from torrentstack.qbittorrent_api.dispatch import Call, WebApi
from torrentstack.qbittorrent_api.responses import json_body, text


class SearchPart(Protocol):
    """What the `search/*` endpoints need; methods raise NotFound (404) / Conflict (409)."""

    def plugins(self) -> list[PluginInfo]: ...
    async def install(self, sources: list[str]) -> None: ...
    async def uninstall(self, names: list[str]) -> None: ...
    async def enable(self, names: list[str], enable: bool) -> None: ...
    def update_plugins(self) -> None: ...
    def start_search(self, pattern: str, category: str, plugins: list[str]) -> int: ...
    def stop_search(self, job_id: int) -> None: ...
    def delete_search(self, job_id: int) -> None: ...
    def search_status(self, job_id: int | None) -> list[tuple[int, bool, int]]: ...
    def search_results(self, job_id: int) -> tuple[list[SearchResult], bool]: ...


def _qt_int(params: Mapping[str, str], name: str) -> int:
    """`QString::toInt`: absent or not a number is 0."""
    try:
        return int(params.get(name, "").strip())
    except ValueError:
        return 0


def add_search_endpoints(
    api: WebApi, search: SearchPart, adder: TorrentAdder | None = None
) -> None:
    """The `search/*` endpoints; with an `adder`, 5.x's `downloadTorrent` too."""
    with_engine = api.persona.stop_vocabulary  # 5.x results carry engineName and pubDate

    def status_word(running: bool) -> str:
        return "Running" if running else "Stopped"

    async def start(call: Call) -> Response:
        forms.require(call.params, "pattern", "category", "plugins")
        job_id = search.start_search(
            call.params["pattern"].strip(),
            call.params["category"].strip(),
            call.params["plugins"].split("|"),
        )
        return json_body({"id": job_id})

    async def stop(call: Call) -> Response:
        forms.require(call.params, "id")
        search.stop_search(_qt_int(call.params, "id"))
        return text("")

    async def status(call: Call) -> Response:
        job_id = _qt_int(call.params, "id")
        rows = search.search_status(job_id or None)
        return json_body(
            [
                {"id": i, "status": status_word(running), "total": total}
                for i, running, total in rows
            ]
        )

    async def results(call: Call) -> Response:
        forms.require(call.params, "id")
        params = call.params
        found, running = search.search_results(_qt_int(params, "id"))
        limit, offset, size = _qt_int(params, "limit"), _qt_int(params, "offset"), len(found)
        if offset > size:
            raise Conflict("Offset is out of range")
        if offset < 0:
            offset += size
        if offset < 0:
            raise Conflict("Offset is out of range")
        page = found[offset : offset + limit] if limit > 0 else found[offset:]
        return json_body(
            {
                "results": [serialize_result(r, with_engine=with_engine) for r in page],
                "status": status_word(running),
                "total": size,
            }
        )

    async def delete(call: Call) -> Response:
        forms.require(call.params, "id")
        search.delete_search(_qt_int(call.params, "id"))
        return text("")

    async def plugins(_call: Call) -> Response:
        return json_body([serialize_plugin(plugin) for plugin in search.plugins()])

    async def install(call: Call) -> Response:
        forms.require(call.params, "sources")
        await search.install(call.params["sources"].split("|"))
        return text("")

    async def uninstall(call: Call) -> Response:
        forms.require(call.params, "names")
        await search.uninstall(call.params["names"].split("|"))
        return text("")

    async def enable(call: Call) -> Response:
        forms.require(call.params, "names", "enable")
        value = forms.parse_bool(call.params["enable"]) or False
        await search.enable(call.params["names"].split("|"), value)
        return text("")

    async def update(_call: Call) -> Response:
        search.update_plugins()
        return text("")

    async def download_torrent(call: Call) -> Response:
        """5.x: add a result's link (a magnet, else the URL is downloaded). A plugin's own
        `download_torrent` (for sites that need a login) is not used."""
        forms.require(call.params, "torrentUrl", "pluginName")
        url = call.params["torrentUrl"].strip()
        if adder is None:
            return text("")
        if url.lower().startswith("magnet:"):
            await adder.add([Source(magnet=url)], AddRequest())
        else:
            adder.add_from_url(url, "", AddRequest())
        return text("")

    if adder is not None and api.persona.stop_vocabulary:
        api.add("search/downloadTorrent", download_torrent)
    api.add("search/start", start)
    api.add("search/stop", stop)
    api.add("search/status", status)
    api.add("search/results", results)
    api.add("search/delete", delete)
    api.add("search/plugins", plugins)
    api.add("search/installPlugin", install)
    api.add("search/uninstallPlugin", uninstall)
    api.add("search/enablePlugin", enable)
    api.add("search/updatePlugins", update)
