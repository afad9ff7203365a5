"""The `app/*` endpoints of qBittorrent 5.x: getDirectoryContent, cookies, setCookies and
sendTestEmail."""

from __future__ import annotations

import asyncio
import json
import os
import stat

from starlette.responses import Response

from torrentstack.qbittorrent import forms
from torrentstack.qbittorrent.errors import BadParams, NotFound
from torrentstack.qbittorrent_api.backend_five import CookieKeeper, Mailer
from torrentstack.qbittorrent_api.dispatch import Call, WebApi
from torrentstack.qbittorrent_api.responses import json_body, text

_MODES = {"all": (True, True), "dirs": (True, False), "files": (False, True)}


def directory_content(directory: str, mode: str) -> list[str]:
    """Blocking: the paths in `directory` (not hidden ones, nor `.`/`..`, as QDirIterator with
    Dirs|Files lists them); 400 for a relative or empty path or a bad mode, 404 when absent."""
    if not directory or directory.startswith(":") or not os.path.isabs(directory):
        raise BadParams("Invalid directory path")
    if not os.path.isdir(directory):
        raise NotFound("Directory does not exist")
    if mode not in _MODES:
        raise BadParams("Invalid mode, allowed values: all, dirs, files")
    dirs, files = _MODES[mode]
    base = directory.rstrip("/") or "/"
    found: list[str] = []
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError:
        return []
    for entry in entries:
        if entry.name.startswith("."):
            continue
        try:
            kind = os.stat(entry.path).st_mode  # follows symlinks; a broken one is left out
        except OSError:
            continue
        if (dirs and stat.S_ISDIR(kind)) or (files and stat.S_ISREG(kind)):
            found.append(os.path.join(base, entry.name))
    return found


def add_application_five_endpoints(api: WebApi, cookies: CookieKeeper, mailer: Mailer) -> None:
    async def get_directory_content(call: Call) -> Response:
        forms.require(call.params, "dirPath")
        mode = call.params.get("mode", "all")
        listing = await asyncio.to_thread(directory_content, call.params["dirPath"], mode)
        return json_body(listing)

    async def list_cookies(_call: Call) -> Response:
        return json_body(cookies.cookies())

    async def set_cookies(call: Call) -> Response:
        forms.require(call.params, "cookies")
        try:
            value = json.loads(call.params["cookies"].strip())
        except (ValueError, RecursionError) as exc:
            raise BadParams(str(exc)) from None
        if not isinstance(value, list):
            raise BadParams("cookies must be array")
        await cookies.set_cookies(value)
        return text("")

    async def send_test_email(_call: Call) -> Response:
        await mailer.send_test_email()
        return text("")

    api.add("app/getDirectoryContent", get_directory_content)
    api.add("app/cookies", list_cookies)
    api.add("app/setCookies", set_cookies)
    api.add("app/sendTestEmail", send_test_email)
