"""Members of a site under test: register (proof of work + verifier) and log in through the
API, with the protocol's client side (`site.accounts.client`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from torrentstack.site.accounts import client as auth

PASSWORD = "correct horse battery staple"
# cheap protocol costs, and rate limits off unless a test sets them (many registrations come
# from one test address)
FAST = {
    "pow_difficulty": 1,
    "kdf_iterations": 1000,
    "rate_limits": {"auth": 0, "mutation": 0, "read": 0},
}


@dataclass
class Member:
    http: httpx.AsyncClient
    username: str
    password: str
    user: dict[str, Any]


async def register(
    http: httpx.AsyncClient, username: str, password: str = PASSWORD, invite: str | None = None
) -> httpx.Response:
    pow_ = (await http.get("/api/auth/pow")).json()
    salt, verifier = auth.new_credentials(password, pow_["kdf"]["iterations"])
    body: dict[str, Any] = {
        "username": username,
        "salt": salt,
        "verifier": verifier,
        "pow": {
            "challenge": pow_["challenge"],
            "nonce": auth.solve_pow(pow_["challenge"], pow_["difficulty"]),
        },
    }
    if invite is not None:
        body["invite"] = invite
    return await http.post("/api/auth/register", json=body)


async def login(http: httpx.AsyncClient, username: str, password: str = PASSWORD) -> httpx.Response:
    got = (await http.get("/api/auth/challenge", params={"username": username})).json()
    proof = auth.login_proof(
        password, got["salt"], got["kdf"]["iterations"], username, got["challenge"]
    )
    return await http.post(
        "/api/auth/login",
        json={"username": username, "challenge": got["challenge"], "proof": proof},
    )


async def member(
    http: httpx.AsyncClient, username: str, password: str = PASSWORD, invite: str | None = None
) -> Member:
    """Register and log in `username` on `http` (its cookie jar then holds the session)."""
    reply = await register(http, username, password, invite)
    assert reply.status_code == 201, reply.text
    reply = await login(http, username, password)
    assert reply.status_code == 200, reply.text
    return Member(http, username, password, reply.json()["user"])
