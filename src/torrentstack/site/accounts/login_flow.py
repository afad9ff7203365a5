"""Logging in to a site from a program (the `torrentstack site login` helper): the challenge,
the proof made with `client`, the session cookie back. Standard library HTTP only."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from http.cookies import SimpleCookie
from typing import Any

from torrentstack.errors import TorrentstackError
from torrentstack.site.accounts import client
from torrentstack.site.accounts.sessions import COOKIE


class LoginFailed(TorrentstackError):
    """The site refused the login or could not be reached; `status` is its HTTP status (0: none)."""

    def __init__(self, message: str, *, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


def _call(url: str, body: dict[str, Any] | None = None, timeout: float = 30.0) -> tuple[Any, str]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(  # noqa: S310 - the site's own URL, given by the user
        url,
        data=data,
        headers={"Content-Type": "application/json"},
        method="POST" if data else "GET",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:  # noqa: S310
            return json.loads(reply.read()), reply.headers.get("Set-Cookie", "")
    except urllib.error.HTTPError as exc:
        try:
            message = json.loads(exc.read()).get("message", exc.reason)
        except (ValueError, AttributeError):
            message = exc.reason
        raise LoginFailed(f"{message} (HTTP {exc.code})", status=exc.code) from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise LoginFailed(f"cannot reach the site: {exc}") from None


def login(site_url: str, username: str, password: str) -> tuple[str, dict[str, Any]]:
    """Log in; return (the session cookie's value, the member as the site shows them)."""
    base = site_url.rstrip("/")
    query = urllib.parse.urlencode({"username": username})
    got, _ = _call(f"{base}/api/auth/challenge?{query}")
    proof = client.login_proof(
        password, got["salt"], int(got["kdf"]["iterations"]), username, got["challenge"]
    )
    body = {"username": username, "challenge": got["challenge"], "proof": proof}
    reply, cookie_header = _call(f"{base}/api/auth/login", body)
    cookie = SimpleCookie()
    cookie.load(cookie_header)
    if COOKIE not in cookie:
        raise LoginFailed("the site answered without a session cookie")
    return cookie[COOKIE].value, reply.get("user", {})
