"""The `helpers` module nova3 plugins import (torrentstack's own): `retrieve_url`, `download_file`.

Not part of the torrentstack package (its name is the one plugins import): copied beside a plugin
and run by `runner.py`. Bodies are capped at 32 MiB.
"""

from __future__ import annotations

import gzip
import html
import os
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

MAX_BODY = 32 * 1024 * 1024
headers: dict[str, str] = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Firefox/128.0"}


def htmlentitydecode(text: str) -> str:
    return html.unescape(text)


def _read(url: str, extra: Mapping[str, Any], data: Any, context: Any) -> tuple[bytes, str]:
    request = urllib.request.Request(url, data, {**headers, **extra})
    with urllib.request.urlopen(request, context=context, timeout=30) as response:
        body: bytes = response.read(MAX_BODY + 1)[:MAX_BODY]
        content_type = response.headers.get("Content-Type", "")
    if body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)[:MAX_BODY]
    return body, content_type


def retrieve_url(
    url: str,
    custom_headers: Mapping[str, Any] | None = None,
    request_data: Any = None,
    ssl_context: Any = None,
    unescape_html_entities: bool = True,
) -> str:
    """The page at `url` as text ("" on a connection error, which goes to stderr)."""
    try:
        body, content_type = _read(url, custom_headers or {}, request_data, ssl_context)
    except urllib.error.URLError as exc:
        print(f"Connection error: {exc.reason}", file=sys.stderr)
        return ""
    charset = "utf-8"
    if "charset=" in content_type:
        charset = content_type.split("charset=", 1)[1].split(";")[0].strip() or charset
    try:
        text = body.decode(charset, "replace")
    except LookupError:
        text = body.decode("utf-8", "replace")
    return html.unescape(text) if unescape_html_entities else text


def download_file(url: str, referer: str | None = None, ssl_context: Any = None) -> str:
    """Save `url` to a temporary file; answers "<path> <url>" as nova3's helper does."""
    extra = {"referer": referer} if referer is not None else {}
    body, _ = _read(url, extra, None, ssl_context)
    handle, path = tempfile.mkstemp()
    with os.fdopen(handle, "wb") as file:
        file.write(body)
    return f"{path} {url}"
