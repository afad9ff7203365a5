"""`torrents/*` endpoints that edit torrents: setLocation, setSavePath, setDownloadPath,
trackers (add, edit, remove), file priorities, rename, renameFile, renameFolder."""

from __future__ import annotations

from starlette.responses import Response

from torrentstack.qbittorrent import forms
from torrentstack.qbittorrent.errors import BadParams
from torrentstack.qbittorrent_api.backend import TorrentEditor, TorrentReader
from torrentstack.qbittorrent_api.dispatch import Call, Handler, WebApi
from torrentstack.qbittorrent_api.responses import text


def add_edit_endpoints(api: WebApi, torrents: TorrentReader, editor: TorrentEditor) -> None:
    async def set_location(call: Call) -> Response:
        forms.require(call.params, "hashes", "location")
        hashes = torrents.hashes(forms.hashes(call.params))
        await editor.set_location(hashes, call.params["location"])
        return text("")

    def set_path(kind: str) -> Handler:
        async def handler(call: Call) -> Response:
            forms.require(call.params, "id", "path")
            hashes = torrents.hashes(forms.hashes(call.params, "id"))
            if kind == "download":
                await editor.set_download_path(hashes, call.params["path"])
            else:
                await editor.set_save_path(hashes, call.params["path"])
            return text("")

        return handler

    async def add_trackers(call: Call) -> Response:
        forms.require(call.params, "urls")
        hash_ = forms.single_hash(call.params)
        await editor.edit_trackers(
            hash_, add=[u for u in forms.lines(call.params["urls"]) if _url(u)]
        )
        return text("")

    async def edit_tracker(call: Call) -> Response:
        forms.require(call.params, "origUrl", "newUrl")
        hash_ = forms.single_hash(call.params)
        new = call.params["newUrl"].strip()
        if not _url(new):
            raise BadParams(f"New tracker URL is invalid: {new}")
        await editor.edit_trackers(hash_, replace=(call.params["origUrl"].strip(), new))
        return text("")

    async def remove_trackers(call: Call) -> Response:
        forms.require(call.params, "urls")
        hash_ = forms.single_hash(call.params)
        urls = [u.strip() for u in call.params["urls"].split("|") if u.strip()]
        await editor.edit_trackers(hash_, remove=urls)
        return text("")

    async def file_prio(call: Call) -> Response:
        forms.require(call.params, "id", "priority")
        hash_ = forms.single_hash(call.params)
        try:
            ids = [int(i) for i in call.params["id"].split("|")]
        except ValueError:
            raise BadParams("File IDs must be integers") from None
        priority = forms.integer(call.params, "priority")
        await editor.set_file_priority(hash_, ids, priority)
        return text("")

    async def rename(call: Call) -> Response:
        forms.require(call.params, "name")
        await editor.rename(forms.single_hash(call.params), call.params["name"])
        return text("")

    def rename_path(folder: bool) -> Handler:
        async def handler(call: Call) -> Response:
            forms.require(call.params, "oldPath", "newPath")
            await editor.rename_path(
                forms.single_hash(call.params),
                call.params["oldPath"],
                call.params["newPath"],
                folder,
            )
            return text("")

        return handler

    api.add("torrents/setLocation", set_location)
    api.add("torrents/setSavePath", set_path("save"))
    api.add("torrents/setDownloadPath", set_path("download"))
    api.add("torrents/addTrackers", add_trackers)
    api.add("torrents/editTracker", edit_tracker)
    api.add("torrents/removeTrackers", remove_trackers)
    api.add("torrents/filePrio", file_prio)
    api.add("torrents/rename", rename)
    api.add("torrents/renameFile", rename_path(folder=False))
    api.add("torrents/renameFolder", rename_path(folder=True))


def _url(text: str) -> bool:
    """qBittorrent takes whatever `QUrl` parses: any non-blank text without spaces."""
    stripped = text.strip()
    return bool(stripped) and not any(c.isspace() for c in stripped)
