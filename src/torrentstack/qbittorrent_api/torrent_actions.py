"""`torrents/*` endpoints that act on torrents: delete, pause/resume (stop/start), recheck,
reannounce, queue, force start, super seeding, share limits, speed limits, toggles, addPeers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.responses import Response

from torrentstack.qbittorrent import forms
from torrentstack.qbittorrent.errors import BadParams
from torrentstack.qbittorrent_api.backend import QueueMove, TorrentActions, TorrentReader
from torrentstack.qbittorrent_api.dispatch import Call, Handler, WebApi
from torrentstack.qbittorrent_api.responses import json_body, text

_QUEUE_ENDPOINTS: tuple[tuple[str, QueueMove], ...] = (
    ("topPrio", "top"),
    ("bottomPrio", "bottom"),
    ("increasePrio", "up"),
    ("decreasePrio", "down"),
)


def add_action_endpoints(api: WebApi, torrents: TorrentReader, actions: TorrentActions) -> None:
    persona = api.persona

    def chosen(call: Call) -> list[str]:
        return torrents.hashes(forms.hashes(call.params))

    def on_hashes(action: Callable[[list[str]], Awaitable[None]]) -> Handler:
        async def handler(call: Call) -> Response:
            await action(chosen(call))
            return text("")

        return handler

    async def delete(call: Call) -> Response:
        forms.require(call.params, "hashes", "deleteFiles")
        await actions.delete(chosen(call), forms.flag(call.params, "deleteFiles"))
        return text("")

    async def stop(hashes: list[str]) -> None:
        await actions.set_stopped(hashes, True)

    async def start(hashes: list[str]) -> None:
        await actions.set_stopped(hashes, False)

    def queue(move: QueueMove) -> Callable[[list[str]], Awaitable[None]]:
        async def run(hashes: list[str]) -> None:
            await actions.queue(hashes, move)

        return run

    async def set_force_start(call: Call) -> Response:
        await actions.set_forced(chosen(call), forms.flag(call.params, "value"))
        return text("")

    async def set_super_seeding(call: Call) -> Response:
        await actions.set_super_seeding(chosen(call), forms.flag(call.params, "value"))
        return text("")

    async def set_share_limits(call: Call) -> Response:
        forms.require(call.params, "hashes", "ratioLimit", "seedingTimeLimit")
        ratio = forms.number(call.params, "ratioLimit")
        seeding = forms.integer(call.params, "seedingTimeLimit")
        inactive = forms.integer(call.params, "inactiveSeedingTimeLimit", -2)
        await actions.set_share_limits(chosen(call), ratio, seeding, inactive)
        return text("")

    def set_limit(kind: str) -> Handler:
        async def handler(call: Call) -> Response:
            forms.require(call.params, "hashes", "limit")
            value = forms.integer(call.params, "limit")
            hashes = chosen(call)
            if kind == "download":
                await actions.set_limit(hashes, download=value, upload=None)
            else:
                await actions.set_limit(hashes, download=None, upload=value)
            return text("")

        return handler

    def get_limit(field: str) -> Handler:
        async def handler(call: Call) -> Response:
            return json_body({h: getattr(torrents.view(h), field) for h in chosen(call)})

        return handler

    async def add_peers(call: Call) -> Response:
        forms.require(call.params, "hashes", "peers")
        peers = forms.peers(call.params["peers"])
        if not peers:
            raise BadParams("No valid peers were specified")
        return json_body(await actions.add_peers(chosen(call), peers))

    api.add("torrents/addPeers", add_peers)
    api.add("torrents/delete", delete)
    stop_names = ("stop", "start") if persona.stop_vocabulary else ("pause", "resume")
    api.add(f"torrents/{stop_names[0]}", on_hashes(stop))
    api.add(f"torrents/{stop_names[1]}", on_hashes(start))
    api.add("torrents/recheck", on_hashes(actions.recheck))
    api.add("torrents/reannounce", on_hashes(actions.reannounce))
    for endpoint, move in _QUEUE_ENDPOINTS:
        api.add(f"torrents/{endpoint}", on_hashes(queue(move)))
    api.add("torrents/setForceStart", set_force_start)
    api.add("torrents/setSuperSeeding", set_super_seeding)
    api.add("torrents/setShareLimits", set_share_limits)
    api.add("torrents/setDownloadLimit", set_limit("download"))
    api.add("torrents/setUploadLimit", set_limit("upload"))
    api.add("torrents/downloadLimit", get_limit("dl_limit"))
    api.add("torrents/uploadLimit", get_limit("up_limit"))
    api.add("torrents/toggleSequentialDownload", on_hashes(actions.toggle_sequential))
    api.add("torrents/toggleFirstLastPiecePrio", on_hashes(actions.toggle_first_last))
