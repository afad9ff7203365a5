"""`torrents/*` endpoints that change things: add, delete, pause/resume (stop/start), queue,
limits, share limits, categories, tags, flags, location."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import httpx
from starlette.responses import Response

from torrentstack.qbittorrent import forms
from torrentstack.qbittorrent.adding import add_request
from torrentstack.qbittorrent.errors import BadData, BadParams
from torrentstack.qbittorrent_api.backend import Backend, Source
from torrentstack.qbittorrent_api.dispatch import Call, WebApi
from torrentstack.qbittorrent_api.responses import SECURITY_HEADERS, json_body, text

logger = logging.getLogger(__name__)

MAX_TORRENT_DOWNLOAD = 100 * 1024 * 1024  # qBittorrent's torrent_file_size_limit default


def _ok() -> Response:
    return text("")


def add_action_endpoints(
    api: WebApi, backend: Backend, fetch: Callable[[str, str], Awaitable[Source | None]]
) -> None:
    persona = api.persona

    async def add(call: Call) -> Response:
        request = add_request(call.params)
        urls = forms.lines(call.params.get("urls"))
        sources: list[Source] = []
        for url in urls:
            if url.lower().startswith("magnet:") or _is_bare_hash(url):
                sources.append(
                    Source(
                        magnet=url
                        if url.lower().startswith("magnet:")
                        else f"magnet:?xt=urn:btih:{url}"
                    )
                )
            elif url.lower().startswith(("http://", "https://")):
                backend.add_later(fetch(url, call.params.get("cookie", "")), request)
                sources.append(Source(pending=True))
            # anything else: qBittorrent would read a local file; we do not (docs/client.md)
        for name, data in call.files:
            if not backend.is_torrent(data):
                raise BadData(f"Error: '{name}' is not a valid torrent file.")
            sources.append(Source(torrent=data))
        real = [s for s in sources if not s.pending]
        added = await backend.add(real, request) if real else 0
        pending = len(sources) - len(real)
        return text("Ok." if added or pending else "Fails.")

    async def delete(call: Call) -> Response:
        forms.require(call.params, "hashes", "deleteFiles")
        await backend.delete(
            backend.hashes(forms.hashes(call.params)), forms.flag(call.params, "deleteFiles")
        )
        return _ok()

    def on_hashes(
        action: Callable[[list[str]], Awaitable[None]],
    ) -> Callable[[Call], Awaitable[Response]]:
        async def handler(call: Call) -> Response:
            await action(backend.hashes(forms.hashes(call.params)))
            return _ok()

        return handler

    async def stop(hashes: list[str]) -> None:
        await backend.set_stopped(hashes, True)

    async def start(hashes: list[str]) -> None:
        await backend.set_stopped(hashes, False)

    def queue(where: str) -> Callable[[list[str]], Awaitable[None]]:
        async def run(hashes: list[str]) -> None:
            await backend.queue(hashes, where)

        return run

    async def set_force_start(call: Call) -> Response:
        value = forms.flag(call.params, "value")
        await backend.set_forced(backend.hashes(forms.hashes(call.params)), value)
        return _ok()

    async def set_super_seeding(call: Call) -> Response:
        value = forms.flag(call.params, "value")
        await backend.set_super_seeding(backend.hashes(forms.hashes(call.params)), value)
        return _ok()

    async def set_auto_management(call: Call) -> Response:
        enable = forms.flag(call.params, "enable")
        await backend.set_auto_tmm(backend.hashes(forms.hashes(call.params)), enable)
        return _ok()

    async def set_share_limits(call: Call) -> Response:
        forms.require(call.params, "hashes", "ratioLimit", "seedingTimeLimit")
        ratio = forms.number(call.params, "ratioLimit")
        seeding = forms.integer(call.params, "seedingTimeLimit")
        inactive = forms.integer(call.params, "inactiveSeedingTimeLimit", -2)
        await backend.set_share_limits(
            backend.hashes(forms.hashes(call.params)), ratio, seeding, inactive
        )
        return _ok()

    def limit(kind: str) -> Callable[[Call], Awaitable[Response]]:
        async def handler(call: Call) -> Response:
            forms.require(call.params, "hashes", "limit")
            value = forms.integer(call.params, "limit")
            hashes = backend.hashes(forms.hashes(call.params))
            if kind == "download":
                await backend.set_limit(hashes, download=value, upload=None)
            else:
                await backend.set_limit(hashes, download=None, upload=value)
            return _ok()

        return handler

    def get_limit(field: str) -> Callable[[Call], Awaitable[Response]]:
        async def handler(call: Call) -> Response:
            hashes = backend.hashes(forms.hashes(call.params))
            return json_body({h: getattr(backend.view(h), field) for h in hashes})

        return handler

    async def toggle_seq(call: Call) -> Response:
        await backend.toggle(backend.hashes(forms.hashes(call.params)), "seq_dl")
        return _ok()

    async def toggle_flp(call: Call) -> Response:
        await backend.toggle(backend.hashes(forms.hashes(call.params)), "f_l_piece_prio")
        return _ok()

    async def set_location(call: Call) -> Response:
        forms.require(call.params, "hashes", "location")
        await backend.set_location(
            backend.hashes(forms.hashes(call.params)), call.params["location"]
        )
        return _ok()

    async def create_category(call: Call) -> Response:
        forms.require(call.params, "category")
        await backend.create_category(
            call.params["category"].strip(),
            call.params.get("savePath", ""),
            _download_path(call),
        )
        return _ok()

    async def edit_category(call: Call) -> Response:
        forms.require(call.params, "category", "savePath")
        await backend.edit_category(
            call.params["category"].strip(), call.params["savePath"], _download_path(call)
        )
        return _ok()

    async def remove_categories(call: Call) -> Response:
        forms.require(call.params, "categories")
        await backend.remove_categories(forms.lines(call.params["categories"]))
        return _ok()

    async def set_category(call: Call) -> Response:
        forms.require(call.params, "hashes", "category")
        await backend.set_category(
            backend.hashes(forms.hashes(call.params)), call.params["category"].strip()
        )
        return _ok()

    async def create_tags(call: Call) -> Response:
        forms.require(call.params, "tags")
        await backend.create_tags(forms.tags(call.params["tags"]))
        return _ok()

    async def delete_tags(call: Call) -> Response:
        forms.require(call.params, "tags")
        await backend.delete_tags(forms.tags(call.params["tags"]))
        return _ok()

    async def add_tags(call: Call) -> Response:
        forms.require(call.params, "hashes", "tags")
        await backend.add_tags(
            backend.hashes(forms.hashes(call.params)), forms.tags(call.params["tags"])
        )
        return _ok()

    async def remove_tags(call: Call) -> Response:
        forms.require(call.params, "hashes")
        await backend.remove_tags(
            backend.hashes(forms.hashes(call.params)), forms.tags(call.params.get("tags"))
        )
        return _ok()

    async def set_tags(call: Call) -> Response:
        forms.require(call.params, "hashes", "tags")
        await backend.set_tags(
            backend.hashes(forms.hashes(call.params)), forms.tags(call.params["tags"])
        )
        return _ok()

    async def add_peers(call: Call) -> Response:
        forms.require(call.params, "hashes", "peers")
        peers = forms.peers(call.params["peers"])
        if not peers:
            raise BadParams("No valid peers were specified")
        return json_body(await backend.add_peers(backend.hashes(forms.hashes(call.params)), peers))

    async def add_trackers(call: Call) -> Response:
        forms.require(call.params, "urls")
        hash_ = forms.single_hash(call.params)
        await backend.edit_trackers(
            hash_, add=[u for u in forms.lines(call.params["urls"]) if _url(u)]
        )
        return _ok()

    async def edit_tracker(call: Call) -> Response:
        forms.require(call.params, "origUrl", "newUrl")
        hash_ = forms.single_hash(call.params)
        new = call.params["newUrl"].strip()
        if not _url(new):
            raise BadParams(f"New tracker URL is invalid: {new}")
        await backend.edit_trackers(hash_, replace=(call.params["origUrl"].strip(), new))
        return _ok()

    async def remove_trackers(call: Call) -> Response:
        forms.require(call.params, "urls")
        hash_ = forms.single_hash(call.params)
        urls = [u.strip() for u in call.params["urls"].split("|") if u.strip()]
        await backend.edit_trackers(hash_, remove=urls)
        return _ok()

    async def file_prio(call: Call) -> Response:
        forms.require(call.params, "id", "priority")
        hash_ = forms.single_hash(call.params)
        try:
            ids = [int(i) for i in call.params["id"].split("|")]
        except ValueError:
            raise BadParams("File IDs must be integers") from None
        priority = forms.integer(call.params, "priority")
        await backend.set_file_priority(hash_, ids, priority)
        return _ok()

    async def rename(call: Call) -> Response:
        forms.require(call.params, "name")
        await backend.rename(forms.single_hash(call.params), call.params["name"])
        return _ok()

    def rename_path(folder: bool) -> Callable[[Call], Awaitable[Response]]:
        async def handler(call: Call) -> Response:
            forms.require(call.params, "oldPath", "newPath")
            await backend.rename_path(
                forms.single_hash(call.params),
                call.params["oldPath"],
                call.params["newPath"],
                folder,
            )
            return _ok()

        return handler

    def set_path(kind: str) -> Callable[[Call], Awaitable[Response]]:
        async def handler(call: Call) -> Response:
            forms.require(call.params, "id", "path")
            hashes = backend.hashes(forms.hashes(call.params, "id"))
            await backend.set_path(hashes, call.params["path"], kind)
            return _ok()

        return handler

    async def export(call: Call) -> Response:
        data = await backend.export(forms.single_hash(call.params))
        return Response(data, 200, headers=SECURITY_HEADERS, media_type="application/x-bittorrent")

    api.add("torrents/setSavePath", set_path("save"))
    api.add("torrents/setDownloadPath", set_path("download"))
    api.add("torrents/export", export)
    api.add("torrents/addTrackers", add_trackers)
    api.add("torrents/editTracker", edit_tracker)
    api.add("torrents/removeTrackers", remove_trackers)
    api.add("torrents/filePrio", file_prio)
    api.add("torrents/rename", rename)
    api.add("torrents/renameFile", rename_path(folder=False))
    api.add("torrents/renameFolder", rename_path(folder=True))
    api.add("torrents/add", add)
    api.add("torrents/addPeers", add_peers)
    api.add("torrents/delete", delete)
    stop_names = ("stop", "start") if persona.stop_vocabulary else ("pause", "resume")
    api.add(f"torrents/{stop_names[0]}", on_hashes(stop))
    api.add(f"torrents/{stop_names[1]}", on_hashes(start))
    api.add("torrents/recheck", on_hashes(backend.recheck))
    api.add("torrents/reannounce", on_hashes(backend.reannounce))
    for endpoint, where in (
        ("topPrio", "top"),
        ("bottomPrio", "bottom"),
        ("increasePrio", "up"),
        ("decreasePrio", "down"),
    ):
        api.add(f"torrents/{endpoint}", on_hashes(queue(where)))
    api.add("torrents/setForceStart", set_force_start)
    api.add("torrents/setSuperSeeding", set_super_seeding)
    api.add("torrents/setAutoManagement", set_auto_management)
    api.add("torrents/setShareLimits", set_share_limits)
    api.add("torrents/setDownloadLimit", limit("download"))
    api.add("torrents/setUploadLimit", limit("upload"))
    api.add("torrents/downloadLimit", get_limit("dl_limit"))
    api.add("torrents/uploadLimit", get_limit("up_limit"))
    api.add("torrents/toggleSequentialDownload", toggle_seq)
    api.add("torrents/toggleFirstLastPiecePrio", toggle_flp)
    api.add("torrents/setLocation", set_location)
    api.add("torrents/createCategory", create_category)
    api.add("torrents/editCategory", edit_category)
    api.add("torrents/removeCategories", remove_categories)
    api.add("torrents/setCategory", set_category)
    api.add("torrents/createTags", create_tags)
    api.add("torrents/deleteTags", delete_tags)
    api.add("torrents/addTags", add_tags)
    api.add("torrents/removeTags", remove_tags)
    if persona.stop_vocabulary:
        api.add("torrents/setTags", set_tags)


def _download_path(call: Call) -> str | None:
    enabled = forms.optional_flag(call.params, "downloadPathEnabled")
    if enabled is False:
        return None
    path = call.params.get("downloadPath")
    return path if path is not None else None


def _url(text: str) -> bool:
    """qBittorrent takes whatever `QUrl` parses: any non-blank text without spaces."""
    stripped = text.strip()
    return bool(stripped) and not any(c.isspace() for c in stripped)


def _is_bare_hash(text: str) -> bool:
    return len(text) in (32, 40) and all(c in "0123456789abcdefABCDEF" for c in text)


async def fetch_torrent(url: str, cookie: str) -> Source | None:
    """Download a .torrent (or follow a redirect to a magnet) with httpx; None on failure."""
    headers = {"Cookie": cookie} if cookie else {}
    try:
        async with httpx.AsyncClient(follow_redirects=False, timeout=30.0) as client:
            for _ in range(10):
                response = await client.get(url, headers=headers)
                location = response.headers.get("location", "")
                if response.is_redirect and location.lower().startswith("magnet:"):
                    return Source(magnet=location)
                if response.is_redirect and location:
                    url = str(response.url.join(location))
                    continue
                if response.status_code != 200:
                    logger.info("torrent download failed: HTTP %s", response.status_code)
                    return None
                if len(response.content) > MAX_TORRENT_DOWNLOAD:
                    return None
                return Source(torrent=response.content)
    except httpx.HTTPError as exc:
        logger.info("torrent download failed: %s", type(exc).__name__)
    return None
