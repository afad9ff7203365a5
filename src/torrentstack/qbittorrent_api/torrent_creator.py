"""`torrentcreator/addTask|status|torrentFile|deleteTask` (qBittorrent 5.0+)."""

from __future__ import annotations

from starlette.responses import Response

from torrentstack.qbittorrent import forms
from torrentstack.qbittorrent.torrent_creator import creator_params
from torrentstack.qbittorrent_api.backend_five import TorrentCreatorPart
from torrentstack.qbittorrent_api.dispatch import Call, WebApi
from torrentstack.qbittorrent_api.responses import SECURITY_HEADERS, json_body, text


def add_torrent_creator_endpoints(api: WebApi, creator: TorrentCreatorPart) -> None:
    async def add_task(call: Call) -> Response:
        task_id = creator.add_task(creator_params(call.params))
        return json_body({"taskID": task_id})

    async def status(call: Call) -> Response:
        return json_body(creator.status(call.params.get("taskID", "")))

    async def torrent_file(call: Call) -> Response:
        forms.require(call.params, "taskID")
        task_id = call.params["taskID"]
        data = creator.torrent_file(task_id)
        headers = {
            **SECURITY_HEADERS,
            "Content-Disposition": f'attachment; filename="{task_id}.torrent"',
        }
        return Response(data, 200, headers=headers, media_type="application/x-bittorrent")

    async def delete_task(call: Call) -> Response:
        forms.require(call.params, "taskID")
        creator.delete_task(call.params["taskID"])
        return text("")

    api.add("torrentcreator/addTask", add_task)
    api.add("torrentcreator/status", status)
    api.add("torrentcreator/torrentFile", torrent_file)
    api.add("torrentcreator/deleteTask", delete_task)
