"""`transfer/*`: global transfer info, speed limits (normal and alternative), banPeers."""

from __future__ import annotations

from starlette.responses import Response

from torrentstack.qbittorrent import forms
from torrentstack.qbittorrent.errors import BadParams
from torrentstack.qbittorrent_api.backend import Direction, Transfer
from torrentstack.qbittorrent_api.dispatch import Call, Handler, WebApi
from torrentstack.qbittorrent_api.responses import json_body, text


def add_transfer_endpoints(api: WebApi, transfer: Transfer) -> None:
    async def info(_call: Call) -> Response:
        return json_body(await transfer.transfer_info())

    async def speed_limits_mode(_call: Call) -> Response:
        return text("1" if transfer.alt_speed else "0")

    async def toggle_speed_limits_mode(_call: Call) -> Response:
        await transfer.set_alt_speed(not transfer.alt_speed)
        return text("")

    async def set_speed_limits_mode(call: Call) -> Response:
        forms.require(call.params, "mode")
        mode = forms.integer(call.params, "mode")
        if mode not in (0, 1):
            raise BadParams("'mode' must be 0 or 1")
        await transfer.set_alt_speed(mode == 1)
        return text("")

    def get_limit(direction: Direction) -> Handler:
        async def handler(_call: Call) -> Response:
            state = await transfer.transfer_info()
            return text(str(state[f"{direction}_rate_limit"]))

        return handler

    def set_limit(direction: Direction) -> Handler:
        async def handler(call: Call) -> Response:
            forms.require(call.params, "limit")
            await transfer.set_global_limit(direction, forms.integer(call.params, "limit"))
            return text("")

        return handler

    async def ban_peers(call: Call) -> Response:
        forms.require(call.params, "peers")
        peers = forms.peers(call.params["peers"])
        await transfer.ban_peers(peers)
        return text("")

    api.add("transfer/info", info)
    api.add("transfer/speedLimitsMode", speed_limits_mode)
    api.add("transfer/toggleSpeedLimitsMode", toggle_speed_limits_mode)
    api.add("transfer/setSpeedLimitsMode", set_speed_limits_mode)
    api.add("transfer/downloadLimit", get_limit("dl"))
    api.add("transfer/uploadLimit", get_limit("up"))
    api.add("transfer/setDownloadLimit", set_limit("dl"))
    api.add("transfer/setUploadLimit", set_limit("up"))
    api.add("transfer/banPeers", ban_peers)
