"""Every route the site serves against the auth label Trackarr's API document gives it, for
every kind of caller.

The route table comes from the app itself, so a route added without a label here fails
`test_every_served_route_has_a_label`; the labels are checked against the document's own list
(`DOCUMENT`, transcribed from trackarr-api-reference.md, every route of it, built or not).

Callers: anonymous; `user`, a plain member; `owner`, a plain member who uploaded the torrents
and wrote the comments the routes act on; `mod`, a member given the `moderator` role; `admin`,
the first member. Each (route, caller) is one test; the objects path parameters name are made
once per module (one site, one database), one per caller where the call changes or consumes
them (a comment to delete, a pending torrent to approve, a banned member to unban ...), so the
order the cells run in does not matter.

Label decisions (where the document, the code and the brief had to be read together):
- ban / unban are `mod`, not `admin`: the document puts them under the admin surface, but its
  unban row "refuses a mod trying to lift an admin-issued ban", which only a route moderators
  may call can do; the site lets moderators ban and unban members who are not staff
  (`admin/bans.py`). The matrix bans and unbans a plain member as the moderator.
- `thread` (the document's "thread†"): the uploader or staff; anyone else gets 404, not 403.
- `torznab key`: the member's Torznab key (`apikey`, or `r` on downloads) is the credential,
  not the session; refusals are Newznab XML (error 100/200 with 200 on `/api/torznab/api`, 401
  on downloads) for *arr clients, so those bodies are exempt from the JSON error shape. The
  session cookie alone must not open either route.
- `/openapi.json`, `/docs`, `/docs/oauth2-redirect` (and their HEAD) are not in the document:
  FastAPI's OpenAPI document and Swagger UI, public on purpose (`EXTRAS`).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import Route
from starlette.types import ASGIApp

from tests.support.clock import FakeClock
from tests.support.database import fresh_database
from tests.support.payloads import make_torrent
from tests.support.site import FAST, PASSWORD, login, member
from torrentstack.config import SiteSettings
from torrentstack.db import migrate
from torrentstack.db.engine import create_engine
from torrentstack.site.accounts import client as auth
from torrentstack.site.accounts.sessions import COOKIE
from torrentstack.site.app import site_app
from torrentstack.site.context import SiteContext
from torrentstack.site.runtime import SiteRuntime

try:  # FastAPI >= 0.137.2 keeps included routers as nodes of a tree in app.routes
    from fastapi.routing import iter_route_contexts
except ImportError:  # pragma: no cover - older FastAPI copies every route into app.routes
    iter_route_contexts = None

pytestmark = [pytest.mark.database, pytest.mark.libtorrent]

PUBLIC, USER, MOD, ADMIN = "public", "user", "mod", "admin"
UPLOADER, AUTHOR, THREAD, TORZNAB = "uploader / mod", "author / mod", "thread", "torznab key"

CALLERS = ("anon", "user", "owner", "mod", "admin")
MEMBERS = {"user": "carol", "owner": "bob", "mod": "dave", "admin": "alice"}
STAFF = {"mod", "admin"}
# who gets through each label (anyone else: 401 anonymous, else 403; 404 for `thread`)
ALLOWED = {
    PUBLIC: set(CALLERS),
    USER: {"user", "owner", "mod", "admin"},
    MOD: STAFF,
    ADMIN: {"admin"},
    UPLOADER: {"owner"} | STAFF,
    AUTHOR: {"owner"} | STAFF,
    THREAD: {"owner"} | STAFF,
}
ERROR_KEYS = {"url", "statusCode", "statusMessage", "message", "data"}

# Trackarr's API reference, every route with its auth label ("thread" is its "thread†"; the
# admin surface is all `admin`, "the admin surface is gated by canAccessAdmin").
DOCUMENT_TEXT = """
public: GET /api/health, GET /api/branding, GET /api/runtime-config, GET /api/announcement,
  GET /api/homepage-content, GET /api/categories, GET /api/tags, GET /api/upload-rules,
  GET /api/stats/public, GET /api/tracker-health, GET /api/torrents, GET /api/torrents/:hash,
  GET /api/users/:id, GET /api/users/:id/uploads,
  GET /api/auth/pow, POST /api/auth/register, GET /api/auth/challenge, POST /api/auth/login,
  GET /api/auth/status, GET /api/auth/passkey, POST /api/auth/passkey,
  GET /api/forum/categories, GET /api/forum/categories/:id, GET /api/forum/topics/:id,
  GET /api/forum/stats, GET /api/bonus/active, GET /api/rss/latest, GET /api/rss/category/:slug
user (1FA): POST /api/auth/2fa/passkey-options, POST /api/auth/2fa/passkey-verify,
  POST /api/auth/2fa/verify-totp
user: POST /api/auth/logout, PUT /api/auth/password,
  GET /api/me/2fa/status, POST /api/me/2fa/totp/setup, POST /api/me/2fa/totp/enable,
  POST /api/me/2fa/totp/disable, POST /api/me/2fa/recovery-codes/regenerate,
  POST /api/me/2fa/passkey/register-challenge, POST /api/me/2fa/passkey/register-verify,
  DELETE /api/me/2fa/passkey/:id, GET /api/me/2fa/sessions, DELETE /api/me/2fa/sessions/:id,
  PUT /api/me/2fa/trust-devices,
  GET /api/me, PATCH /api/me, GET /api/me/downloads, GET /api/me/seeds,
  GET /api/me/bonus-history, GET /api/users/hnr,
  GET /api/me/notifications, GET /api/me/notifications/unread-count,
  GET /api/me/notifications/stream, POST /api/me/notifications/:id/read,
  POST /api/me/notifications/read-all, GET /api/me/notification-channels,
  PUT /api/me/notification-channels/:type, DELETE /api/me/notification-channels/:type,
  POST /api/me/notification-channels/:type/test, PUT /api/me/notification-routing,
  POST /api/torrents, POST /api/torrents/check, GET /api/torrents/:hash/download,
  POST /api/torrents/:hash/comments, GET /api/torrents/:hash/cross-seeds,
  GET /api/torrents/:hash/cross-seed-stats, POST /api/torrents/:hash/favorite,
  DELETE /api/torrents/:hash/favorite, GET /api/me/favorites,
  POST /api/users/:id/follow, DELETE /api/users/:id/follow, GET /api/me/following,
  POST /api/reports, GET /api/me/reports, DELETE /api/me/reports/:id,
  GET /api/requests, POST /api/requests, GET /api/requests/:id, POST /api/requests/:id/comments,
  POST /api/forum/topics, POST /api/forum/posts, GET /api/shop/items, POST /api/shop/buy,
  GET /api/invites, POST /api/invites, DELETE /api/invites/:id,
  GET /api/metadata/search, GET /api/metadata/lookup
uploader / mod: PATCH /api/torrents/:hash, DELETE /api/torrents/:hash,
  PUT /api/torrents/:hash/tags
author / mod: DELETE /api/torrents/comments/:id, DELETE /api/forum/topics/:id,
  PATCH /api/forum/posts/:id, DELETE /api/forum/posts/:id
thread: GET /api/torrents/:hash/moderation/messages, POST /api/torrents/:hash/moderation/messages
requester: PATCH /api/requests/:id, DELETE /api/requests/:id, POST /api/requests/:id/validate,
  POST /api/requests/:id/reject
user (not requester): POST /api/requests/:id/fill
author (15 min): PATCH /api/requests/:id/comments/:cid
author (15 min) / mod: DELETE /api/requests/:id/comments/:cid
mod: GET /api/debug/:hash, GET /api/mod/anti-cheat/flags, PUT /api/mod/anti-cheat/flags/:id,
  GET /api/mod/dashboard, GET /api/mod/torrents/pending, POST /api/mod/torrents/:hash/approve,
  POST /api/mod/torrents/:hash/request-changes, POST /api/mod/torrents/:hash/reject,
  POST /api/mod/torrents/:hash/reset, PUT /api/forum/topics/:id/pin,
  PUT /api/forum/topics/:id/lock
torznab key: GET /api/torznab/api, HEAD /api/torznab/api, GET /api/torznab/download
admin: POST /api/forum/categories, PUT /api/forum/categories/:id,
  DELETE /api/forum/categories/:id,
  GET /api/admin/users, POST /api/admin/users/:id/ban, POST /api/admin/users/:id/unban,
  PUT /api/admin/users/:id/role, GET /api/admin/users/:id/roles, POST /api/admin/users/:id/roles,
  DELETE /api/admin/users/:id/roles/:roleId, POST /api/admin/users/:id/bonus-points,
  GET /api/admin/roles, POST /api/admin/roles, PUT /api/admin/roles/:id,
  DELETE /api/admin/roles/:id, POST /api/admin/roles/recompute,
  GET /api/admin/settings, PUT /api/admin/settings, POST /api/admin/logo, POST /api/admin/favicon,
  GET /api/admin/stats, GET /api/admin/stats/history, GET /api/admin/system/version,
  GET /api/admin/system/update,
  POST /api/admin/categories, PUT /api/admin/categories/:id, DELETE /api/admin/categories/:id,
  POST /api/admin/categories/seed, POST /api/admin/tags, DELETE /api/admin/tags/:id,
  GET /api/admin/upload-rules, PUT /api/admin/upload-rules,
  GET /api/admin/bonus-rules, PATCH /api/admin/bonus-rules/rule/:kind,
  POST /api/admin/bonus-rules/tiers/seed-count, PATCH /api/admin/bonus-rules/tiers/seed-count/:id,
  DELETE /api/admin/bonus-rules/tiers/seed-count/:id, POST /api/admin/bonus-rules/tiers/age,
  PATCH /api/admin/bonus-rules/tiers/age/:id, DELETE /api/admin/bonus-rules/tiers/age/:id,
  GET /api/admin/bonus-events, POST /api/admin/bonus-events, PATCH /api/admin/bonus-events/:id,
  DELETE /api/admin/bonus-events/:id, POST /api/admin/bonus-events/:id/toggle,
  GET /api/admin/shop/items, POST /api/admin/shop/items, PATCH /api/admin/shop/items/:id,
  DELETE /api/admin/shop/items/:id, GET /api/admin/hnr, PUT /api/admin/hnr/:id,
  GET /api/admin/banned-ips, POST /api/admin/banned-ips, DELETE /api/admin/banned-ips/:ip,
  GET /api/admin/invites, POST /api/admin/invites/generate, POST /api/admin/invites/grant,
  DELETE /api/admin/invites/:id, GET /api/admin/reports, PUT /api/admin/reports/:id,
  GET /api/admin/notification-channels, PUT /api/admin/notification-channels/:type,
  POST /api/admin/notification-channels/:type/test,
  GET /api/admin/torznab, PUT /api/admin/torznab, GET /api/admin/torznab/users,
  POST /api/admin/torznab/users/:id/block, POST /api/admin/torznab/users/:id/reset,
  GET /api/admin/torznab/blacklist, POST /api/admin/torznab/unblock, GET /api/admin/torznab/logs,
  GET /api/admin/torznab/stats, GET /api/admin/panic, POST /api/admin/panic/encrypt,
  POST /api/admin/panic/restore, GET /api/admin/debug/tracker-status,
  GET /api/admin/debug/redis-peers, GET /api/admin/debug/redis-all-peers
"""


def route_key(method: str, path: str) -> tuple[str, str]:
    """A route with its parameters unnamed: `/api/x/{user_id}` and `/api/x/:id` are one."""
    return method, re.sub(r"\{[^}]*\}|:\w+", "{}", path)


def parse_document(text: str) -> dict[tuple[str, str], str]:
    labels: dict[tuple[str, str], str] = {}
    for label, routes in re.findall(r"^(\S[^:\n]*): (.*?)(?=^\S|\Z)", text, re.M | re.S):
        for route in routes.split(","):
            method, path = route.split()
            assert route_key(method, path) not in labels, f"listed twice: {method} {path}"
            labels[route_key(method, path)] = label
    return labels


DOCUMENT = parse_document(DOCUMENT_TEXT)
EXTRAS_REASON = "FastAPI's OpenAPI document and its Swagger UI: public on purpose, not Trackarr's"
# routes the app serves that the document does not list, each with the reason
EXTRAS = {
    (method, path): EXTRAS_REASON
    for path in ("/openapi.json", "/docs", "/docs/oauth2-redirect")
    for method in ("GET", "HEAD")
}
# where this table's label differs from the document's, and why
OVERRIDES = {
    ("POST", "/api/admin/users/{user_id}/ban"): "moderators ban members who are not staff",
    ("POST", "/api/admin/users/{user_id}/unban"): "the document: unban refuses a mod trying "
    "to lift an admin-issued ban, so moderators call it",
}


@dataclass(frozen=True)
class Request:
    url: str
    json: Any = None
    params: dict[str, str] | None = None
    data: dict[str, str] | None = None
    files: dict[str, tuple[str, bytes]] | None = None
    token: str | None = None  # a session of the caller's other than their usual one


Ids = dict[str, Any]
Build = Callable[["World", str, Ids], Awaitable[Request]]


@dataclass(frozen=True)
class Spec:
    label: str
    path: str | None = None  # the URL, `{name}` filled from the world's ids (default: the route)
    json: Any = None  # a body, or a function of the ids
    params: dict[str, str] | None = None
    build: Build | None = None  # for requests that need the site first (a login, an upload)

    async def request(self, world: World, caller: str, template: str) -> Request:
        ids = world.ids_for(caller)
        if self.build is not None:
            return await self.build(world, caller, ids)
        body = self.json(ids) if callable(self.json) else self.json
        return Request((self.path or template).format(**ids), json=body, params=self.params)


async def register_body(world: World, caller: str, ids: Ids) -> Request:
    async with world.http() as http:
        pow_ = (await http.get("/api/auth/pow")).json()
    salt, verifier = auth.new_credentials(PASSWORD, pow_["kdf"]["iterations"])
    nonce = auth.solve_pow(pow_["challenge"], pow_["difficulty"])
    body = {
        "username": f"new-{caller}",
        "salt": salt,
        "verifier": verifier,
        "pow": {"challenge": pow_["challenge"], "nonce": nonce},
    }
    return Request("/api/auth/register", json=body)


async def proof_for(world: World, username: str) -> dict[str, str]:
    async with world.http() as http:
        got = (await http.get("/api/auth/challenge", params={"username": username})).json()
    proof = auth.login_proof(
        PASSWORD, got["salt"], got["kdf"]["iterations"], username, got["challenge"]
    )
    return {"challenge": got["challenge"], "proof": proof}


async def login_body(world: World, caller: str, ids: Ids) -> Request:
    body = {"username": "loginee", **await proof_for(world, "loginee")}
    return Request("/api/auth/login", json=body)


async def logout_request(world: World, caller: str, ids: Ids) -> Request:
    """Log out a second session of the caller's: their usual one stays for the other cells."""
    if caller == "anon":
        return Request("/api/auth/logout")
    async with world.http() as http:
        assert (await login(http, MEMBERS[caller])).status_code == 200
        token = http.cookies[COOKIE]
    return Request("/api/auth/logout", token=token)


async def password_body(world: World, caller: str, ids: Ids) -> Request:
    """A real rotation, to the same password (other sessions of the caller's are signed out)."""
    salt, verifier = auth.new_credentials(PASSWORD, FAST["kdf_iterations"])
    username = MEMBERS.get(caller, "bob")
    body = {**await proof_for(world, username), "salt": salt, "verifier": verifier}
    return Request("/api/auth/password", json=body)


async def upload_form(world: World, caller: str, ids: Ids) -> Request:
    torrent = world.torrent(f"Matrix.Upload.{caller}")
    return Request(
        "/api/torrents",
        data={"title": f"Upload by {caller}", "description": "d"},
        files={"torrent": ("x.torrent", torrent)},
    )


def torznab(path: str) -> Build:
    async def build(world: World, caller: str, ids: Ids) -> Request:
        params = {"t": "search"} if path.endswith("/api") else {"id": ids["approved"]}
        if caller != "anon":
            params["apikey" if path.endswith("/api") else "r"] = ids["torznab_key"]
        return Request(path, params=params)

    return build


# the label of every (method, path template) the app serves, and how to call it
ROUTES: dict[tuple[str, str], Spec] = {
    # accounts
    ("GET", "/api/auth/pow"): Spec(PUBLIC),
    ("POST", "/api/auth/register"): Spec(PUBLIC, build=register_body),
    ("GET", "/api/auth/challenge"): Spec(PUBLIC, params={"username": "bob"}),
    ("POST", "/api/auth/login"): Spec(PUBLIC, build=login_body),
    ("POST", "/api/auth/logout"): Spec(USER, build=logout_request),
    ("GET", "/api/auth/status"): Spec(PUBLIC),
    ("PUT", "/api/auth/password"): Spec(USER, build=password_body),
    ("GET", "/api/me"): Spec(USER),
    ("PATCH", "/api/me"): Spec(USER, json={"bio": "matrix"}),
    ("GET", "/api/users/{user_id}"): Spec(PUBLIC, "/api/users/{owner_id}"),
    # public basics
    ("GET", "/api/health"): Spec(PUBLIC),
    ("GET", "/api/branding"): Spec(PUBLIC),
    ("GET", "/api/runtime-config"): Spec(PUBLIC),
    ("GET", "/api/announcement"): Spec(PUBLIC),
    ("GET", "/api/homepage-content"): Spec(PUBLIC),
    ("GET", "/api/stats/public"): Spec(PUBLIC),
    ("GET", "/api/tracker-health"): Spec(PUBLIC),
    # invitations
    ("GET", "/api/invites"): Spec(USER),
    ("POST", "/api/invites"): Spec(USER),
    ("DELETE", "/api/invites/{invite_id}"): Spec(USER, "/api/invites/{own_invite}"),
    ("GET", "/api/admin/invites"): Spec(ADMIN),
    ("POST", "/api/admin/invites/generate"): Spec(ADMIN, json={"count": 1}),
    ("POST", "/api/admin/invites/grant"): Spec(
        ADMIN, json=lambda ids: {"userId": ids["owner_id"], "count": 1}
    ),
    ("DELETE", "/api/admin/invites/{invite_id}"): Spec(ADMIN, "/api/admin/invites/{any_invite}"),
    # members, bans, roles
    ("GET", "/api/admin/users"): Spec(ADMIN),
    ("POST", "/api/admin/users/{user_id}/ban"): Spec(
        MOD, "/api/admin/users/{to_ban}/ban", json={"reason": "matrix"}
    ),
    ("POST", "/api/admin/users/{user_id}/unban"): Spec(MOD, "/api/admin/users/{to_unban}/unban"),
    ("PUT", "/api/admin/users/{user_id}/role"): Spec(
        ADMIN, "/api/admin/users/{role_target}/role", json={"roleId": None}
    ),
    ("GET", "/api/admin/users/{user_id}/roles"): Spec(ADMIN, "/api/admin/users/{owner_id}/roles"),
    ("POST", "/api/admin/users/{user_id}/roles"): Spec(
        ADMIN, "/api/admin/users/{to_attach}/roles", json=lambda ids: {"roleId": ids["vip"]}
    ),
    ("DELETE", "/api/admin/users/{user_id}/roles/{role_id}"): Spec(
        ADMIN, "/api/admin/users/{to_detach}/roles/{vip}"
    ),
    ("POST", "/api/admin/users/{user_id}/bonus-points"): Spec(
        ADMIN, "/api/admin/users/{owner_id}/bonus-points", json={"amount": 5, "reason": "matrix"}
    ),
    # Torznab administration (the config put back as it was: the Torznab cells need it on)
    ("GET", "/api/admin/torznab"): Spec(ADMIN),
    ("PUT", "/api/admin/torznab"): Spec(
        ADMIN, json={"enabled": True, "maxLimit": 100, "defaultLimit": 25}
    ),
    ("GET", "/api/admin/torznab/users"): Spec(ADMIN),
    ("POST", "/api/admin/torznab/users/{user_id}/block"): Spec(
        ADMIN, "/api/admin/torznab/users/{to_attach}/block"
    ),
    ("POST", "/api/admin/torznab/users/{user_id}/reset"): Spec(
        ADMIN, "/api/admin/torznab/users/{to_attach}/reset"
    ),
    ("GET", "/api/admin/torznab/logs"): Spec(ADMIN),
    ("GET", "/api/admin/torznab/stats"): Spec(ADMIN),
    ("GET", "/api/admin/roles"): Spec(ADMIN),
    ("POST", "/api/admin/roles"): Spec(ADMIN, json=lambda ids: {"name": f"new-{ids['caller']}"}),
    ("POST", "/api/admin/roles/recompute"): Spec(ADMIN),
    ("PUT", "/api/admin/roles/{role_id}"): Spec(
        ADMIN, "/api/admin/roles/{vip}", json={"color": "#123456"}
    ),
    ("DELETE", "/api/admin/roles/{role_id}"): Spec(ADMIN, "/api/admin/roles/{doomed_role}"),
    # settings, statistics, the IP banlist
    ("GET", "/api/admin/settings"): Spec(ADMIN),
    ("PUT", "/api/admin/settings"): Spec(ADMIN, json={"tagline": "matrix"}),
    ("GET", "/api/admin/stats"): Spec(ADMIN),
    ("GET", "/api/admin/system/version"): Spec(ADMIN),
    ("GET", "/api/admin/banned-ips"): Spec(ADMIN),
    ("POST", "/api/admin/banned-ips"): Spec(ADMIN, json=lambda ids: {"ip": ids["ip_to_ban"]}),
    ("DELETE", "/api/admin/banned-ips/{ip:path}"): Spec(ADMIN, "/api/admin/banned-ips/{ip_banned}"),
    # categories and tags
    ("GET", "/api/categories"): Spec(PUBLIC),
    ("POST", "/api/admin/categories"): Spec(
        ADMIN, json=lambda ids: {"name": f"New {ids['caller']}"}
    ),
    ("POST", "/api/admin/categories/seed"): Spec(ADMIN),
    ("PUT", "/api/admin/categories/{category_id}"): Spec(
        ADMIN, "/api/admin/categories/{category}", json={"position": 3}
    ),
    ("DELETE", "/api/admin/categories/{category_id}"): Spec(
        ADMIN, "/api/admin/categories/{doomed_category}"
    ),
    ("GET", "/api/tags"): Spec(PUBLIC),
    ("POST", "/api/admin/tags"): Spec(ADMIN, json=lambda ids: {"name": f"new-{ids['caller']}"}),
    ("DELETE", "/api/admin/tags/{tag_id}"): Spec(ADMIN, "/api/admin/tags/{doomed_tag}"),
    # torrents
    ("POST", "/api/torrents"): Spec(USER, build=upload_form),
    ("POST", "/api/torrents/check"): Spec(USER, json=lambda ids: {"infoHash": ids["approved"]}),
    ("GET", "/api/torrents"): Spec(PUBLIC),
    ("GET", "/api/torrents/{info_hash}"): Spec(PUBLIC, "/api/torrents/{approved}"),
    ("PATCH", "/api/torrents/{info_hash}"): Spec(
        UPLOADER, "/api/torrents/{approved}", json={"description": "edited"}
    ),
    ("DELETE", "/api/torrents/{info_hash}"): Spec(UPLOADER, "/api/torrents/{doomed_torrent}"),
    ("GET", "/api/torrents/{info_hash}/download"): Spec(USER, "/api/torrents/{approved}/download"),
    ("PUT", "/api/torrents/{info_hash}/tags"): Spec(
        UPLOADER, "/api/torrents/{approved}/tags", json={"tags": ["matrix"]}
    ),
    ("POST", "/api/torrents/{info_hash}/comments"): Spec(
        USER, "/api/torrents/{approved}/comments", json={"body": "hello"}
    ),
    ("DELETE", "/api/torrents/comments/{comment_id}"): Spec(
        AUTHOR, "/api/torrents/comments/{comment}"
    ),
    ("POST", "/api/torrents/{info_hash}/favorite"): Spec(USER, "/api/torrents/{approved}/favorite"),
    ("DELETE", "/api/torrents/{info_hash}/favorite"): Spec(
        USER, "/api/torrents/{approved}/favorite"
    ),
    ("GET", "/api/me/favorites"): Spec(USER),
    ("GET", "/api/users/{user_id}/uploads"): Spec(PUBLIC, "/api/users/{owner_id}/uploads"),
    ("GET", "/api/torrents/{info_hash}/cross-seeds"): Spec(
        USER, "/api/torrents/{approved}/cross-seeds"
    ),
    ("GET", "/api/torrents/{info_hash}/cross-seed-stats"): Spec(
        USER, "/api/torrents/{approved}/cross-seed-stats"
    ),
    ("GET", "/api/upload-rules"): Spec(PUBLIC),
    ("GET", "/api/admin/upload-rules"): Spec(ADMIN),
    ("PUT", "/api/admin/upload-rules"): Spec(ADMIN, json={}),
    # moderation
    ("GET", "/api/mod/dashboard"): Spec(MOD),
    ("GET", "/api/mod/torrents/pending"): Spec(MOD),
    ("POST", "/api/mod/torrents/{info_hash}/approve"): Spec(
        MOD, "/api/mod/torrents/{to_approve}/approve", json={}
    ),
    ("POST", "/api/mod/torrents/{info_hash}/request-changes"): Spec(
        MOD, "/api/mod/torrents/{to_change}/request-changes", json={"message": "NFO?"}
    ),
    ("POST", "/api/mod/torrents/{info_hash}/reject"): Spec(
        MOD, "/api/mod/torrents/{to_reject}/reject", json={"message": "no"}
    ),
    ("POST", "/api/mod/torrents/{info_hash}/reset"): Spec(
        MOD, "/api/mod/torrents/{to_reset}/reset", json={"message": "again"}
    ),
    ("GET", "/api/torrents/{info_hash}/moderation/messages"): Spec(
        THREAD, "/api/torrents/{pending}/moderation/messages"
    ),
    ("POST", "/api/torrents/{info_hash}/moderation/messages"): Spec(
        THREAD, "/api/torrents/{pending}/moderation/messages", json={"message": "hello"}
    ),
    # Torznab and RSS
    ("GET", "/api/torznab/api"): Spec(TORZNAB, build=torznab("/api/torznab/api")),
    ("HEAD", "/api/torznab/api"): Spec(TORZNAB, build=torznab("/api/torznab/api")),
    ("GET", "/api/torznab/download"): Spec(TORZNAB, build=torznab("/api/torznab/download")),
    ("GET", "/api/rss/latest"): Spec(PUBLIC),
    ("GET", "/api/rss/category/{slug}"): Spec(PUBLIC, "/api/rss/category/{category_slug}"),
    # not in the document (EXTRAS)
    ("GET", "/openapi.json"): Spec(PUBLIC),
    ("HEAD", "/openapi.json"): Spec(PUBLIC),
    ("GET", "/docs"): Spec(PUBLIC),
    ("HEAD", "/docs"): Spec(PUBLIC),
    ("GET", "/docs/oauth2-redirect"): Spec(PUBLIC),
    ("HEAD", "/docs/oauth2-redirect"): Spec(PUBLIC),
}


def served_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path template) of every route `app` serves, from its own route table."""
    if iter_route_contexts is not None:
        routes = [(c.original_route, c.path, c.methods) for c in iter_route_contexts(app.routes)]
    else:  # pragma: no cover
        routes = [(r, getattr(r, "path", None), getattr(r, "methods", None)) for r in app.routes]
    served = set()
    for route, path, methods in routes:
        # APIRoute is a starlette Route; anything else (a mount, a websocket) needs a label too
        assert isinstance(route, APIRoute | Route) and methods, f"a route of its own: {route!r}"
        served |= {(method, path) for method in methods}
    return served


def the_app() -> FastAPI:
    return site_app(cast(SiteContext, None))  # the route table needs no database


def test_every_served_route_has_a_label():
    served = served_routes(the_app())
    assert len(served) > 80  # the route table was read, included routers and all
    unlabelled = sorted(served - set(ROUTES))
    gone = sorted(set(ROUTES) - served)
    assert not unlabelled, f"routes without a label in ROUTES: {unlabelled}"
    assert not gone, f"ROUTES lists routes the app does not serve: {gone}"


def test_every_label_is_the_documents():
    wrong = []
    for (method, path), spec in ROUTES.items():
        if (method, path) in EXTRAS:
            assert spec.label == PUBLIC, f"{method} {path}: an extra, {EXTRAS[method, path]}"
            continue
        documented = DOCUMENT.get(route_key(method, path))
        if documented is None:
            wrong.append(f"{method} {path}: not in the document and not an extra")
        elif documented != spec.label and (method, path) not in OVERRIDES:
            wrong.append(f"{method} {path}: {spec.label}, the document says {documented}")
    assert not wrong, "\n".join(wrong)
    assert set(OVERRIDES) <= set(ROUTES) and set(EXTRAS) <= set(ROUTES)
    for method, path in OVERRIDES:  # an override the document now agrees with is stale
        assert DOCUMENT[route_key(method, path)] != ROUTES[method, path].label, (method, path)


def test_the_document_table_was_read_whole():
    assert len(DOCUMENT) == 196  # 197 rows, 2 listed twice, one GET / HEAD
    assert DOCUMENT[route_key("DELETE", "/api/torrents/comments/:id")] == AUTHOR
    assert DOCUMENT[route_key("POST", "/api/admin/users/:id/ban")] == ADMIN
    assert DOCUMENT[route_key("GET", "/api/admin/debug/redis-all-peers")] == ADMIN


# ---- the site every cell runs against ----------------------------------------------------


@dataclass
class World:
    app: ASGIApp
    tmp: Path
    tokens: dict[str, str] = field(default_factory=dict)  # caller -> session token
    shared: Ids = field(default_factory=dict)
    own: dict[str, Ids] = field(default_factory=lambda: {c: {} for c in CALLERS})
    names: itertools.count[int] = field(default_factory=itertools.count)

    def http(self, token: str | None = None) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app, client=("127.0.0.1", 50000))
        headers = {"Cookie": f"{COOKIE}={token}"} if token else {}
        return httpx.AsyncClient(transport=transport, base_url="http://site.test", headers=headers)

    def ids_for(self, caller: str) -> Ids:
        return {**self.shared, **self.own[caller], "caller": caller}

    def torrent(self, name: str) -> bytes:
        data, _ = make_torrent(self.tmp / f"src{next(self.names)}", name, {name: 20_000})
        return data

    async def call(self, caller: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
        async with self.http(self.tokens.get(caller)) as http:
            return await http.request(method, url, **kwargs)

    async def ok(self, caller: str, method: str, url: str, **kwargs: Any) -> Any:
        reply = await self.call(caller, method, url, **kwargs)
        assert reply.status_code < 300, f"setup: {method} {url}: {reply.text}"
        return reply.json()

    async def upload(self, name: str, *, state: str = "pending") -> str:
        """A torrent of the owner's, left pending, approved ("accepted") or "rejected"."""
        files = {"torrent": ("x.torrent", self.torrent(name))}
        data = await self.ok("owner", "POST", "/api/torrents", data={"title": name}, files=files)
        info_hash = str(data["data"]["infoHash"])
        if state == "accepted":
            await self.ok("mod", "POST", f"/api/mod/torrents/{info_hash}/approve", json={})
        elif state == "rejected":
            body = {"message": "no"}
            await self.ok("mod", "POST", f"/api/mod/torrents/{info_hash}/reject", json=body)
        return info_hash

    async def new_member(self, name: str) -> int:
        async with self.http() as http:
            return int((await member(http, name)).user["id"])


async def build_world(world: World) -> None:
    for caller in ("admin", "owner", "user", "mod"):  # the first member is the admin
        name = MEMBERS[caller]
        async with world.http() as http:
            registered = await member(http, name)
            world.tokens[caller] = http.cookies[COOKIE]
        world.own[caller]["torznab_key"] = registered.user["torznabKey"]
        world.shared[f"{caller}_id"] = registered.user["id"]
    roles = (await world.ok("admin", "GET", "/api/admin/roles"))["roles"]
    role_ids = {r["name"]: r["id"] for r in roles}
    moderator = {"roleId": role_ids["moderator"]}
    await world.ok(
        "admin", "POST", f"/api/admin/users/{world.shared['mod_id']}/roles", json=moderator
    )
    vip = (await world.ok("admin", "POST", "/api/admin/roles", json={"name": "vip"}))["role"]["id"]
    shared = world.shared
    shared["vip"] = vip
    await world.new_member("loginee")
    shared["role_target"] = await world.new_member("role-target")
    shared["to_attach"] = await world.new_member("attach-target")
    shared["to_detach"] = await world.new_member("detach-target")
    detach = f"/api/admin/users/{shared['to_detach']}/roles"
    await world.ok("admin", "POST", detach, json={"roleId": vip})
    category = await world.ok("admin", "POST", "/api/admin/categories", json={"name": "Matrix"})
    shared["category"], shared["category_slug"] = category["id"], category["slug"]
    await world.ok("admin", "POST", "/api/admin/tags", json={"name": "matrix"})
    shared["approved"] = await world.upload("Matrix.Approved", state="accepted")
    shared["pending"] = await world.upload("Matrix.Pending")
    for caller in ("user", "owner", "mod"):  # member quota for POST /api/invites
        grant = {"userId": shared[f"{caller}_id"], "count": 5}
        await world.ok("admin", "POST", "/api/admin/invites/grant", json=grant)
    batch = await world.ok("admin", "POST", "/api/admin/invites/generate", json={"count": 5})
    for n, caller in enumerate(CALLERS):
        own = world.own[caller]
        own["any_invite"] = batch["invites"][n]["id"]
        creator = caller if caller != "anon" else "user"
        own["own_invite"] = (await world.ok(creator, "POST", "/api/invites"))["invite"]["id"]
        own["to_ban"] = await world.new_member(f"ban-{caller}")
        own["to_unban"] = await world.new_member(f"unban-{caller}")
        ban = {"reason": "setup"}
        await world.ok("mod", "POST", f"/api/admin/users/{own['to_unban']}/ban", json=ban)
        role = await world.ok(
            "admin", "POST", "/api/admin/roles", json={"name": f"doomed-{caller}"}
        )
        own["doomed_role"] = role["role"]["id"]
        doomed = {"name": f"Doomed {caller}"}
        own["doomed_category"] = (
            await world.ok("admin", "POST", "/api/admin/categories", json=doomed)
        )["id"]
        tag = await world.ok("admin", "POST", "/api/admin/tags", json={"name": f"doomed-{caller}"})
        own["doomed_tag"] = tag["id"]
        own["ip_to_ban"] = f"192.0.2.{n + 1}"
        own["ip_banned"] = f"198.51.100.{n + 1}"
        await world.ok("admin", "POST", "/api/admin/banned-ips", json={"ip": own["ip_banned"]})
        own["doomed_torrent"] = await world.upload(f"Doomed.{caller}", state="accepted")
        own["to_approve"] = await world.upload(f"Approve.{caller}")
        own["to_change"] = await world.upload(f"Change.{caller}")
        own["to_reject"] = await world.upload(f"Reject.{caller}")
        own["to_reset"] = await world.upload(f"Reset.{caller}", state="rejected")
        comment = await world.ok(
            "owner", "POST", f"/api/torrents/{shared['approved']}/comments", json={"body": "c"}
        )
        own["comment"] = comment["id"]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[World]:
    """One site for the whole matrix: its members, torrents, comments, roles and the rest."""
    tmp = tmp_path_factory.mktemp("auth-matrix")
    backend = request.config.getoption("--db")
    async with fresh_database(backend, request.config.getoption("--postgres-url"), tmp) as db:
        engine = create_engine(db, tmp)
        runtime: SiteRuntime | None = None
        try:
            await migrate.upgrade(engine)
            settings = SiteSettings(**(FAST | {"registration": "open"}))
            runtime = SiteRuntime(settings, database=engine, clock=FakeClock(), secret=b"s" * 32)
            built = World(await runtime.app(), tmp)
            await build_world(built)
            yield built
        finally:
            if runtime is not None:
                await runtime.close()
            await engine.dispose()


# ---- the matrix --------------------------------------------------------------------------


def refusal(label: str, caller: str) -> int | None:
    """The status a label refuses `caller` with; None when the caller gets through."""
    if caller in ALLOWED[label]:
        return None
    if caller == "anon":
        return 401
    return 404 if label == THREAD else 403


def assert_error_shape(reply: httpx.Response, where: str) -> None:
    body = reply.json()
    assert set(body) == ERROR_KEYS, f"{where}: not the error shape: {reply.text}"
    assert body["statusCode"] == reply.status_code, f"{where}: {reply.text}"


async def send(world: World, method: str, caller: str, request: Request) -> httpx.Response:
    token = request.token or world.tokens.get(caller)
    async with world.http(token) as http:
        return await http.request(
            method, request.url, json=request.json, params=request.params,
            data=request.data, files=request.files,
        )  # fmt: skip


async def check_torznab(
    world: World, method: str, caller: str, request: Request, reply: httpx.Response
) -> None:
    """The Torznab key opens these routes; neither anonymity nor a session cookie does."""
    where = f"{method} {request.url} as {caller}"
    download = request.url.endswith("/download")
    if method == "HEAD":  # as GET without the body: compare the lengths
        assert reply.status_code == 200 and reply.content == b"", where
        got = await send(world, "GET", caller, request)
        assert reply.headers["content-length"] == str(len(got.content)), where
        reply = got
    if caller == "anon":
        refused = reply.status_code == 401 if download else b"<error code=" in reply.content
        assert refused, f"{where}: not refused: {reply.status_code} {reply.text[:300]}"
        return
    if download:
        assert reply.status_code == 200, f"{where}: {reply.text[:300]}"
        assert reply.headers["content-type"] == "application/x-bittorrent", where
    else:
        assert reply.status_code == 200 and b"<error" not in reply.content, reply.text[:300]
        assert b"<rss" in reply.content, where
    # the member's session cookie without the key: refused all the same
    params = {k: v for k, v in (request.params or {}).items() if k not in ("apikey", "r")}
    keyless = await send(world, "GET", caller, Request(request.url, params=params))
    refused = keyless.status_code == 401 if download else b"<error code=" in keyless.content
    assert refused, f"{where}: the session alone opened it: {keyless.status_code}"


CELLS = [(method, path, caller) for (method, path) in ROUTES for caller in CALLERS]


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize(
    ("method", "path", "caller"), CELLS, ids=[f"{m} {p} as {c}" for m, p, c in CELLS]
)
async def test_route_answers_the_caller_as_its_label_says(world, method, path, caller):
    spec = ROUTES[method, path]
    request = await spec.request(world, caller, path)
    reply = await send(world, method, caller, request)
    where = f"{method} {request.url} ({spec.label}) as {caller}"
    assert reply.status_code < 500, f"{where}: {reply.status_code} {reply.text[:500]}"
    if spec.label == TORZNAB:
        await check_torznab(world, method, caller, request, reply)
        return
    expected = refusal(spec.label, caller)
    if expected is not None:
        assert reply.status_code == expected, f"{where}: {reply.status_code} {reply.text[:500]}"
    else:
        assert 200 <= reply.status_code < 300, f"{where}: {reply.status_code} {reply.text[:500]}"
    if reply.status_code in (401, 403, 404) and method != "HEAD":
        assert_error_shape(reply, where)
