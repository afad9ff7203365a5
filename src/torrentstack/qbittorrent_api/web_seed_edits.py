"""`torrents/addWebSeeds`, `editWebSeed` and `removeWebSeeds` (qBittorrent 5.1)."""

from __future__ import annotations

from starlette.responses import Response

from torrentstack.qbittorrent import forms
from torrentstack.qbittorrent_api.backend_five import WebSeedEditor
from torrentstack.qbittorrent_api.dispatch import Call, WebApi
from torrentstack.qbittorrent_api.responses import text


def add_web_seed_endpoints(api: WebApi, seeds: WebSeedEditor) -> None:
    async def add(call: Call) -> Response:
        forms.require(call.params, "hash", "urls")
        await seeds.add_web_seeds(call.params["hash"].lower(), call.params["urls"])
        return text("")

    async def edit(call: Call) -> Response:
        forms.require(call.params, "hash", "origUrl", "newUrl")
        params = call.params
        await seeds.edit_web_seed(params["hash"].lower(), params["origUrl"], params["newUrl"])
        return text("")

    async def remove(call: Call) -> Response:
        forms.require(call.params, "hash", "urls")
        await seeds.remove_web_seeds(call.params["hash"].lower(), call.params["urls"])
        return text("")

    api.add("torrents/addWebSeeds", add)
    api.add("torrents/editWebSeed", edit)
    api.add("torrents/removeWebSeeds", remove)
