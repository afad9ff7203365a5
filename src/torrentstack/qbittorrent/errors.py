"""qBittorrent's API error types (`APIErrorType`) and the HTTP status each one answers with.

A handler raises one; the dispatcher turns it into a plain-text reply: the message, or the
reason phrase when there is none (`requireParams` failures: 400 `Bad Request`).
"""

from __future__ import annotations

from torrentstack.errors import TorrentstackError


class ApiError(TorrentstackError):
    status = 500

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


class BadParams(ApiError):
    status = 400


class AccessDenied(ApiError):
    status = 403


class NotFound(ApiError):
    status = 404


class Conflict(ApiError):
    status = 409


class BadData(ApiError):
    status = 415


class NotATorrent(BadData):
    """`torrents/add` with a file that is not a torrent: nothing of the call is added."""

    def __init__(self, name: str) -> None:
        super().__init__(f"Error: '{name}' is not a valid torrent file.")
