"""The WebUI's files: every path outside `/api/` serves the alternative WebUI folder as
qBittorrent's `WebApplication::sendWebUIFile` does (`public/` before login, `private/` then
`public/` after), or a page saying that no WebUI is set and how to set one."""

from __future__ import annotations

import asyncio
import errno
import logging
import mimetypes
import os
import re
import secrets
import stat
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

from torrentstack.client.preferences import Preferences
from torrentstack.qbittorrent_api.dispatch import COOKIE, WebApi

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 10 * 1024 * 1024  # qBittorrent's MAX_ALLOWED_FILESIZE
BUILTIN_CSP = (
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "script-src 'self' 'unsafe-inline'; object-src 'none'; form-action 'self'; "
    "frame-src 'self' blob:;"
)
NOT_REGULAR = "Unacceptable file type, only regular file is allowed."
SYMLINK = "Symlinks inside alternative UI folder are forbidden."
_TYPES = {
    ".html": "text/html", ".htm": "text/html", ".css": "text/css",
    ".js": "application/javascript", ".mjs": "application/javascript",
    ".json": "application/json", ".map": "application/json",
    ".webmanifest": "application/manifest+json", ".xml": "application/xml",
    ".svg": "image/svg+xml", ".png": "image/png", ".gif": "image/gif", ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg", ".webp": "image/webp", ".ico": "image/vnd.microsoft.icon",
    ".woff": "font/woff", ".woff2": "font/woff2", ".ttf": "font/ttf", ".txt": "text/plain",
    ".wasm": "application/wasm", ".qm": "application/octet-stream",
}  # fmt: skip
_TEXT = {"application/javascript", "application/json", "application/xml", "image/svg+xml",
         "application/manifest+json"}  # fmt: skip
_TRANSLATABLE = re.compile(
    r"QBT_TR\((([^)]|\)(?!QBT_TR))+)\)QBT_TR\[CONTEXT=([a-zA-Z_][a-zA-Z0-9_]*)\]"
)
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


class WebUiFiles:
    """The Starlette endpoint for every path the API does not own."""

    def __init__(self, prefs: Preferences, api: WebApi) -> None:
        self.prefs = prefs
        self.api = api
        self.cache_id = secrets.token_hex(4)  # qBittorrent's ${CACHEID}: new each run

    async def serve(self, request: Request) -> Response:
        root = self._root()
        headers = security_headers(self.prefs, alternative=root is not None)
        if self.api.cross_site(request):
            return _text(401, "Unauthorized", headers)
        path: str = request.scope["path"]  # percent-decoded: %2e%2e is `..` here
        parts = [part for part in path.split("/") if part]
        if "\\" in path or "\0" in path or "." in parts or ".." in parts:
            return _text(400, "Bad Request", headers)
        if root is None:
            if path in ("/", "/index.html"):
                headers["content-type"] = "text/html"
                return Response(self._no_webui_page(), 200, headers)
            return _text(404, "Not Found", headers)
        ip = request.client.host if request.client else ""
        private = self.api.auth.session(request.cookies.get(COOKIE)) is not None or (
            not self.api.auth.needs_login(ip)
        )
        try:
            local, data = await asyncio.to_thread(_read, root, private, parts or ["index.html"])
        except _Refused as refused:
            return _text(refused.status, refused.message, headers)
        content_type = _content_type(local)
        if _translatable(content_type):
            data = self._translate(data.decode("utf-8", errors="replace")).encode()
        headers["cache-control"] = _caching(content_type)
        headers["content-type"] = content_type  # as qBittorrent: no charset added
        return Response(data, 200, headers)

    def _root(self) -> Path | None:
        """The alternative WebUI's folder when it is on and is a folder, else None."""
        folder = str(self.prefs.get("alternative_webui_path") or "")
        if not self.prefs.get("alternative_webui_enabled") or not os.path.isabs(folder):
            return None
        root = Path(folder)
        return root if root.is_dir() else None

    def _translate(self, text: str) -> str:
        """qBittorrent's `translateDocument`, untranslated: the source texts stand."""
        locale = str(self.prefs.get("locale") or "en")
        text = text.replace("${LANG}", locale[:2]).replace("${CACHEID}", self.cache_id)
        text = text.replace("${LANGUAGE_OPTIONS}", '<option value="en">English</option>')
        return _TRANSLATABLE.sub(lambda m: m.group(1).replace('"', "&#34;"), text)

    def _no_webui_page(self) -> bytes:
        folder = str(self.prefs.get("alternative_webui_path") or "")
        state = (
            f"<p>The alternative WebUI is on, but <code>{_escape(folder)}</code> is not an "
            "absolute path to a folder this service can read.</p>"
            if self.prefs.get("alternative_webui_enabled")
            else ""
        )
        return NO_WEBUI_PAGE.replace("<!--state-->", state).encode()


def _read(root: Path, private: bool, parts: list[str]) -> tuple[Path, bytes]:
    """The file for `parts` below `private/` (logged in) or `public/`: symlinks refused."""
    local = root.joinpath("private" if private else "public", *parts)
    if private and not local.exists():
        local = root.joinpath("public", *parts)  # no private file: the public one
    for step in (local, *local.parents):  # a symlink in the folder could lead anywhere
        if step == root:
            break
        if step.is_symlink():
            raise _Refused(500, SYMLINK)
    try:
        fd = os.open(local, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _Refused(500, SYMLINK) from exc
        raise _Refused(500, NOT_REGULAR) from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _Refused(500, NOT_REGULAR)
        if info.st_size > MAX_FILE_BYTES:
            logger.warning("WebUI file %s is over %d bytes", local, MAX_FILE_BYTES)
            raise _Refused(500, "File size exceeds limit")
        with os.fdopen(os.dup(fd), "rb") as file:
            return local, file.read(MAX_FILE_BYTES + 1)
    finally:
        os.close(fd)


def security_headers(prefs: Preferences, *, alternative: bool) -> dict[str, str]:
    """qBittorrent 5.1's headers for WebUI replies (`WebApplication::configure`)."""
    headers = {"x-xss-protection": "1; mode=block", "x-content-type-options": "nosniff"}
    if not alternative:
        headers["cross-origin-opener-policy"] = "same-origin"
        headers["referrer-policy"] = "same-origin"
    clickjacking = bool(prefs.get("web_ui_clickjacking_protection_enabled"))
    if clickjacking:
        headers["x-frame-options"] = "SAMEORIGIN"
    policy = (
        ("" if alternative else BUILTIN_CSP)
        + (" frame-ancestors 'self';" if clickjacking else "")
        + (" upgrade-insecure-requests;" if prefs.get("use_https") else "")
    ).strip()
    if policy:
        headers["content-security-policy"] = policy
    if prefs.get("web_ui_use_custom_http_headers_enabled"):
        for line in str(prefs.get("web_ui_custom_http_headers") or "").strip().splitlines():
            name, colon, value = line.partition(":")
            name, value = name.strip(), value.strip()
            if (
                not colon
                or not _TOKEN.match(name)
                or not value.isprintable()
                or not value.isascii()
            ):
                logger.warning("WebUI custom HTTP header left out: %r", line)
                continue
            headers[name.lower()] = value
    return headers


def _content_type(path: Path) -> str:
    suffix = path.suffix.lower()
    return _TYPES.get(suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def _translatable(content_type: str) -> bool:
    return content_type.startswith("text/") or content_type in _TEXT


def _caching(content_type: str) -> str:
    """qBittorrent's `getCachingInterval`."""
    if content_type.startswith("image/"):
        return "private, max-age=604800"
    if content_type in ("text/css", "application/javascript"):
        return "private, max-age=43200"
    return "no-store"


def _text(status: int, message: str, headers: dict[str, str]) -> Response:
    return Response(message.encode(), status, headers, "text/plain; charset=UTF-8")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


NO_WEBUI_PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="UTF-8"><title>torrentstack client: no WebUI</title>
<style>body{font-family:sans-serif;max-width:42em;margin:3em auto;line-height:1.5}
code{background:#eee;padding:0 .2em}</style></head>
<body>
<h1>No WebUI is configured</h1>
<p>This is the torrentstack client. Its qBittorrent WebUI API answers under
<code>/api/v2/</code> (Sonarr, Radarr, qbittorrent-api and other tools use it), but no WebUI
files are served.</p>
<!--state-->
<p>To serve one (VueTorrent, qBittorrent's own <code>src/webui/www</code> folder, ...):</p>
<ol>
<li>Unpack it into a folder this service can read; the folder must hold
<code>public/index.html</code> (VueTorrent's release zip unpacks to <code>vuetorrent/</code>,
which does).</li>
<li>Set the preferences <code>alternative_webui_enabled</code> to <code>true</code> and
<code>alternative_webui_path</code> to that folder's absolute path: through
<code>app/setPreferences</code>, or in the configuration under <code>[client.preferences]</code>.</li>
</ol>
</body>
</html>
"""
