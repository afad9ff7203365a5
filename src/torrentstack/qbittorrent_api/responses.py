"""Responses shaped as qBittorrent's: plain-text bodies, compact JSON, its security headers."""

from __future__ import annotations

import gzip
import json

from starlette.requests import Request
from starlette.responses import Response

# What qbittorrent-nox sends with every WebUI response (sample 01 of the 4.5.2 capture).
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; script-src 'self' 'unsafe-inline'; object-src 'none'; "
    "form-action 'self'; frame-ancestors 'self';",
    "referrer-policy": "same-origin",
    "x-content-type-options": "nosniff",
    "x-frame-options": "SAMEORIGIN",
    "x-xss-protection": "1; mode=block",
}

REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    415: "Unsupported Media Type",
}


def text(body: str, status: int = 200) -> Response:
    """A `text/plain; charset=UTF-8` response."""
    return Response(
        body.encode(), status, headers=SECURITY_HEADERS, media_type="text/plain; charset=UTF-8"
    )


def error(status: int, message: str = "") -> Response:
    """An API error: the message, or the reason phrase when there is none (as qBittorrent)."""
    return text(message or REASONS[status], status)


def json_body(value: object) -> Response:
    """Compact JSON, as Qt's `QJsonDocument::Compact`."""
    body = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    return Response(body, 200, headers=SECURITY_HEADERS, media_type="application/json")


GZIP_MIN_BYTES = 1024


def gzipped(response: Response, request: Request) -> Response:
    """Compress a body worth it when the client accepts gzip, as qBittorrent does."""
    body = bytes(response.body)
    accepts = request.headers.get("accept-encoding", "")
    if len(body) < GZIP_MIN_BYTES or "gzip" not in accepts.lower():
        return response
    response.body = gzip.compress(body, compresslevel=3)
    response.headers["content-encoding"] = "gzip"
    response.headers["content-length"] = str(len(response.body))
    response.headers["vary"] = "Accept-Encoding"
    return response
