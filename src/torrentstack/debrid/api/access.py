"""Who may use the bridge's own API and WebDAV: the Bearer (or `Token`) API token, the
`auth-session` cookie of a web login, or HTTP Basic with the bridge's user (WebDAV)."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac

from fastapi import Request

from torrentstack.qbittorrent_api.auth import Authenticator, verify_password

COOKIE = "auth-session"
UNAUTHORIZED = (
    "Authentication required. Please provide a valid API token in the Authorization header "
    "(Bearer <token>) or authenticate via session cookies."
)


class Unauthorized(Exception):
    """No valid credentials: 401 with Decypharr's message."""


class Access:
    def __init__(self, api_token: str, web: Authenticator) -> None:
        self.api_token = api_token
        self.web = web  # the web login's user, sessions and failed-login bans
        self._good_basic: bytes | None = None  # digest of the last Basic credentials that held

    def token_ok(self, header: str) -> bool:
        scheme, _, value = header.partition(" ")
        if scheme not in ("Bearer", "Token") or not value.strip():
            return False
        return hmac.compare_digest(value.strip().encode(), self.api_token.encode())

    def allowed(self, request: Request) -> bool:
        """A valid token or web session (the JSON API)."""
        if self.token_ok(request.headers.get("authorization", "")):
            return True
        return self.web.session(request.cookies.get(COOKIE)) is not None

    async def basic_ok(self, header: str) -> bool:
        """HTTP Basic with the bridge's user. The password hash is checked once (in a thread:
        it costs ~50 ms); the same credentials again compare a digest (rclone sends them on
        every request)."""
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, sep, password = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        if not sep or not hmac.compare_digest(user.encode(), self.web.username.encode()):
            return False
        digest = hashlib.sha256(f"{user}\0{password}".encode()).digest()
        if self._good_basic is not None and hmac.compare_digest(digest, self._good_basic):
            return True
        if await asyncio.to_thread(verify_password, password, self.web.password_hash):
            self._good_basic = digest
            return True
        return False

    async def webdav_ok(self, authorization: str) -> bool:
        return self.token_ok(authorization) or await self.basic_ok(authorization)

    async def require(self, request: Request) -> None:
        """A FastAPI dependency: 401 unless the request carries valid credentials."""
        if not self.allowed(request):
            raise Unauthorized()
