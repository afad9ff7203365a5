"""The admin surface: auth labels, the member registry, bans (sessions revoked, login refused,
the IP banlist), roles and the last-admin rule, bonus points with their audit row, the IP
banlist, settings (partial, atomic), statistics and the version."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.support.site import login, member
from torrentstack.site.guard import Banlist
from torrentstack.site.models import AuditEntry, Setting, User
from torrentstack.site.settings_store import (
    SiteOptions,
    SiteOptionsPatch,
    read_setting,
    write_setting,
)

pytestmark = pytest.mark.database

ADMIN_ROUTES = [
    ("GET", "/api/admin/users", None),
    ("PUT", "/api/admin/users/1/role", {"roleId": None}),
    ("GET", "/api/admin/users/1/roles", None),
    ("POST", "/api/admin/users/1/roles", {"roleId": 1}),
    ("DELETE", "/api/admin/users/1/roles/1", None),
    ("POST", "/api/admin/users/1/bonus-points", {"amount": 1, "reason": "x"}),
    ("GET", "/api/admin/roles", None),
    ("POST", "/api/admin/roles", {"name": "vip"}),
    ("PUT", "/api/admin/roles/1", {"color": "#fff"}),
    ("DELETE", "/api/admin/roles/1", None),
    ("POST", "/api/admin/roles/recompute", None),
    ("GET", "/api/admin/settings", None),
    ("PUT", "/api/admin/settings", {"title": "x"}),
    ("GET", "/api/admin/stats", None),
    ("GET", "/api/admin/system/version", None),
    ("GET", "/api/admin/banned-ips", None),
    ("POST", "/api/admin/banned-ips", {"ip": "192.0.2.1"}),
    ("DELETE", "/api/admin/banned-ips/192.0.2.1", None),
    ("GET", "/api/admin/invites", None),
    ("POST", "/api/admin/invites/generate", {"count": 1}),
    ("POST", "/api/admin/invites/grant", {"userId": 1, "count": 1}),
    ("DELETE", "/api/admin/invites/1", None),
]
MOD_ROUTES = [
    ("POST", "/api/admin/users/1/ban", {"reason": "x"}),
    ("POST", "/api/admin/users/1/unban", None),
]


def assert_error(reply, status: int, url: str | None = None) -> dict:
    body = reply.json()
    assert reply.status_code == status, reply.text
    assert set(body) == {"url", "statusCode", "statusMessage", "message", "data"}
    assert body["statusCode"] == status and (url is None or body["url"] == url)
    return body


@pytest.fixture
async def crew(make_site):
    """An open site: alice (admin, the first member), bob and carol (plain members)."""
    client = await make_site(registration="open")
    return client, [await member(client(), name) for name in ("alice", "bob", "carol")]


async def role_id(http, name: str) -> int:
    roles = (await http.get("/api/admin/roles")).json()["roles"]
    return next(r["id"] for r in roles if r["name"] == name)


async def test_auth_labels_in_the_error_shape(crew):
    client, (_, bob, _) = crew
    for method, path, body in ADMIN_ROUTES + MOD_ROUTES:
        url = path.split("?")[0]
        assert_error(await client().request(method, path, json=body), 401, url)
        assert_error(await bob.http.request(method, path, json=body), 403, url)


async def test_user_registry_filters_pages_and_kpis(crew):
    _, (alice, bob, _) = crew
    await alice.http.post(f"/api/admin/users/{bob.user['id']}/ban", json={"reason": "spam"})
    reply = await alice.http.get("/api/admin/users", params={"limit": 2})
    body = reply.json()
    assert [u["username"] for u in body["data"]] == ["carol", "bob"]
    assert body["pagination"] == {"page": 1, "limit": 2, "total": 3, "pages": 2}
    assert body["kpis"] == {
        "total": 3, "banned": 1, "admins": 1, "moderators": 1, "joinedLast7Days": 3,
    }  # fmt: skip
    second = (await alice.http.get("/api/admin/users?limit=2&page=2")).json()["data"]
    assert [u["username"] for u in second] == ["alice"] and second[0]["roles"] == ["admin", "user"]
    found = (await alice.http.get("/api/admin/users?q=B")).json()["data"]
    assert [u["username"] for u in found] == ["bob"] and found[0]["banReason"] == "spam"
    assert (await alice.http.get("/api/admin/users?q=%25")).json()["data"] == []  # LIKE escaped
    admins = (await alice.http.get("/api/admin/users?role=admin")).json()["data"]
    assert [u["username"] for u in admins] == ["alice"]
    unbanned = (await alice.http.get("/api/admin/users?banned=false")).json()["data"]
    assert {u["username"] for u in unbanned} == {"alice", "carol"}
    assert_error(await alice.http.get("/api/admin/users?limit=1000"), 400)
    assert_error(await alice.http.get("/api/admin/users?banned=maybe"), 400)


async def test_ban_revokes_sessions_refuses_login_and_banlists_the_address(
    crew, site_engine, clock
):
    client, (alice, bob, _) = crew
    async with AsyncSession(site_engine) as db:
        await db.execute(
            update(User).where(User.id == bob.user["id"]).values(last_ip="203.0.113.7")
        )
        await db.commit()
    bid = bob.user["id"]
    reply = await alice.http.post(f"/api/admin/users/{bid}/ban", json={"reason": "cheating"})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["bannedIp"] == "203.0.113.7"
    assert body["user"]["banned"] is True and body["user"]["bannedUntil"] is None
    assert body["user"]["bannedBy"] == alice.user["id"]
    assert_error(await bob.http.get("/api/me"), 401, "/api/me")  # signed out everywhere
    refused = assert_error(await login(client(), "bob"), 403, "/api/auth/login")
    assert refused["data"] == {"reason": "cheating"}
    listed = (await alice.http.get("/api/admin/banned-ips")).json()["bannedIps"]
    assert [(b["ip"], b["active"]) for b in listed] == [("203.0.113.7", True)]
    banlist = Banlist(async_sessionmaker(site_engine), clock)  # what the guard consults
    assert await banlist.banned("203.0.113.7")
    assert await banlist.banned("::ffff:203.0.113.7")
    assert not await banlist.banned("203.0.113.8")
    reply = await alice.http.post(f"/api/admin/users/{bid}/unban")
    assert reply.status_code == 200 and reply.json()["user"]["banned"] is False
    assert_error(await bob.http.get("/api/me"), 401)  # the old session stays revoked
    assert (await login(client(), "bob")).status_code == 200
    # unbanning leaves the address on the banlist
    assert len((await alice.http.get("/api/admin/banned-ips")).json()["bannedIps"]) == 1
    assert_error(await alice.http.post(f"/api/admin/users/{bid}/unban"), 409)
    async with AsyncSession(site_engine) as db:
        actions = list(await db.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions == ["user.ban", "user.unban"]


async def test_a_ban_with_a_duration_ends(crew, clock):
    client, (alice, bob, _) = crew
    reply = await alice.http.post(
        f"/api/admin/users/{bob.user['id']}/ban", json={"reason": "cool off", "durationDays": 1}
    )
    body = reply.json()
    assert body["bannedIp"] is None  # the last address is loopback: never banlisted
    assert body["user"]["bannedUntil"] is not None
    assert (await login(client(), "bob")).status_code == 403
    clock.advance(86_401)
    assert (await login(client(), "bob")).status_code == 200


async def test_ban_rules_for_self_staff_and_moderators(crew):
    _, (alice, bob, carol) = crew
    aid, bid, cid = alice.user["id"], bob.user["id"], carol.user["id"]
    assert_error(await alice.http.post(f"/api/admin/users/{aid}/ban", json={"reason": "x"}), 400)
    assert_error(await alice.http.post("/api/admin/users/999/ban", json={"reason": "x"}), 404)
    assert_error(await alice.http.post(f"/api/admin/users/{bid}/ban", json={}), 400)
    body = {"reason": "x", "durationDays": 0}
    assert_error(await alice.http.post(f"/api/admin/users/{bid}/ban", json=body), 400)
    reply = await alice.http.post(
        f"/api/admin/users/{cid}/roles", json={"roleId": await role_id(alice.http, "moderator")}
    )
    assert reply.status_code == 201  # carol's session has the role from her next request on
    # a moderator bans a plain member and lifts their own ban ...
    assert (
        await carol.http.post(f"/api/admin/users/{bid}/ban", json=body | {"durationDays": 2})
    ).status_code == 200
    assert (await carol.http.post(f"/api/admin/users/{bid}/unban")).status_code == 200
    # ... but bans no admin, and lifts no ban an admin issued
    assert_error(await carol.http.post(f"/api/admin/users/{aid}/ban", json={"reason": "x"}), 403)
    await alice.http.post(f"/api/admin/users/{bid}/ban", json={"reason": "admin's call"})
    assert_error(await carol.http.post(f"/api/admin/users/{bid}/unban"), 403)
    assert_error(await carol.http.post(f"/api/admin/users/{bid}/ban", json={"reason": "y"}), 403)
    # a moderator is not an admin: the rest of the admin surface stays closed
    assert_error(await carol.http.get("/api/admin/users"), 403)


async def test_roles_catalogue(crew):
    _, (alice, bob, _) = crew
    http = alice.http
    listed = (await http.get("/api/admin/roles")).json()
    assert [r["name"] for r in listed["roles"]] == ["admin", "moderator", "user"]
    assert {r["name"]: r["members"] for r in listed["roles"]} == {
        "admin": 1, "moderator": 0, "user": 3,
    }  # fmt: skip
    assert "canAccessAdmin" in listed["permissions"]
    reply = await http.post(
        "/api/admin/roles",
        json={"name": "Uploader", "color": "#0a0", "permissions": ["canUploadWithoutModeration"]},
    )
    assert reply.status_code == 201, reply.text
    role = reply.json()["role"]
    assert_error(await http.post("/api/admin/roles", json={"name": "uploader"}), 409)
    assert_error(
        await http.post("/api/admin/roles", json={"name": "x", "permissions": ["fly"]}), 400
    )
    assert_error(await http.post("/api/admin/roles", json={"name": " "}), 400)
    assert_error(await http.post("/api/admin/roles", json={"name": "x", "autoRules": []}), 400)
    edited = await http.put(
        f"/api/admin/roles/{role['id']}", json={"name": "Seeder", "permissions": []}
    )
    assert edited.json()["role"]["name"] == "Seeder" and edited.json()["role"]["permissions"] == []
    admin_id = await role_id(http, "admin")
    assert_error(await http.put(f"/api/admin/roles/{admin_id}", json={"name": "boss"}), 400)
    assert_error(await http.delete(f"/api/admin/roles/{admin_id}"), 400)
    assert_error(await http.put(f"/api/admin/roles/{role['id']}", json={"name": "Admin"}), 409)
    assert_error(await http.put("/api/admin/roles/999", json={}), 404)
    await http.post(f"/api/admin/users/{bob.user['id']}/roles", json={"roleId": role["id"]})
    assert (await http.delete(f"/api/admin/roles/{role['id']}")).status_code == 200
    held = (await http.get(f"/api/admin/users/{bob.user['id']}/roles")).json()["roles"]
    assert [r["name"] for r in held] == ["user"]
    assert_error(await http.delete(f"/api/admin/roles/{role['id']}"), 404)
    recompute = (await http.post("/api/admin/roles/recompute")).json()
    assert recompute == {"success": True, "recomputed": 0, "rules": 0}


async def test_attach_detach_and_the_last_admin(crew):
    _, (alice, bob, _) = crew
    http, aid, bid = alice.http, alice.user["id"], bob.user["id"]
    admin, moderator, user = [await role_id(http, n) for n in ("admin", "moderator", "user")]
    reply = await http.post(f"/api/admin/users/{bid}/roles", json={"roleId": moderator})
    assert [r["name"] for r in reply.json()["roles"]] == ["moderator", "user"]
    assert_error(await http.post(f"/api/admin/users/{bid}/roles", json={"roleId": moderator}), 409)
    assert_error(await http.post(f"/api/admin/users/{bid}/roles", json={"roleId": 999}), 404)
    assert_error(await http.post("/api/admin/users/999/roles", json={"roleId": moderator}), 404)
    assert_error(await http.get("/api/admin/users/99999999999/roles"), 400)  # not a 500
    assert (await http.delete(f"/api/admin/users/{bid}/roles/{moderator}")).status_code == 200
    assert_error(await http.delete(f"/api/admin/users/{bid}/roles/{moderator}"), 404)
    assert_error(await http.delete(f"/api/admin/users/{bid}/roles/{user}"), 400)
    # the last admin keeps the admin role, and the admin role keeps its permission
    assert_error(await http.delete(f"/api/admin/users/{aid}/roles/{admin}"), 409)
    assert_error(await http.put(f"/api/admin/users/{aid}/role", json={"roleId": None}), 409)
    body = {"permissions": ["canModerate"]}
    assert_error(await http.put(f"/api/admin/roles/{admin}", json=body), 409)
    assert [
        r["name"] for r in (await http.get(f"/api/admin/users/{aid}/roles")).json()["roles"]
    ] == ["admin", "user"]
    # with a second admin, the first may step down (deprecated single-role form)
    reply = await http.put(f"/api/admin/users/{bid}/role", json={"isAdmin": True})
    assert [r["name"] for r in reply.json()["roles"]] == ["admin", "user"]
    assert (await http.delete(f"/api/admin/users/{aid}/roles/{admin}")).status_code == 200
    assert_error(await http.get("/api/admin/users"), 403)  # alice is a member now
    both = {"roleId": None, "isModerator": True}
    assert_error(await bob.http.put(f"/api/admin/users/{aid}/role", json=both), 400)
    assert_error(await bob.http.put(f"/api/admin/users/{aid}/role", json={}), 400)
    reply = await bob.http.put(f"/api/admin/users/{aid}/role", json={"isModerator": True})
    assert [r["name"] for r in reply.json()["roles"]] == ["moderator", "user"]


async def test_bonus_points_are_audited(crew, site_engine):
    _, (alice, bob, _) = crew
    url = f"/api/admin/users/{bob.user['id']}/bonus-points"
    reply = await alice.http.post(url, json={"amount": 50, "reason": "helped a newcomer"})
    assert reply.json() == {
        "success": True,
        "userId": bob.user["id"],
        "amount": 50,
        "bonusPoints": 50,
    }
    reply = await alice.http.post(url, json={"amount": -20, "reason": "correction"})
    assert reply.json()["bonusPoints"] == 30
    assert (await bob.http.get("/api/me")).json()["bonusPoints"] == 30
    assert_error(await alice.http.post(url, json={"amount": -31, "reason": "too much"}), 400)
    assert_error(await alice.http.post(url, json={"amount": 0, "reason": "nothing"}), 400)
    assert_error(await alice.http.post(url, json={"amount": 5}), 400)
    assert_error(await alice.http.post(url, json={"amount": 5, "reason": ""}), 400)
    body = {"amount": 5, "reason": "x"}
    assert_error(await alice.http.post("/api/admin/users/999/bonus-points", json=body), 404)
    async with AsyncSession(site_engine) as db:
        rows = list(await db.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    assert [(r.action, r.actor_id, r.target) for r in rows] == [
        ("user.bonus_points", alice.user["id"], f"user:{bob.user['id']}"),
    ] * 2
    assert json.loads(rows[0].details) == {
        "amount": 50,
        "reason": "helped a newcomer",
        "balance": 50,
    }


async def test_ip_banlist(crew, site_engine, clock):
    _, (alice, _, _) = crew
    http = alice.http
    reply = await http.post(
        "/api/admin/banned-ips", json={"ip": "198.51.100.0/24", "reason": "abuse"}
    )
    assert reply.status_code == 201, reply.text
    assert reply.json()["bannedIp"]["ip"] == "198.51.100.0/24"
    soon = (datetime.fromtimestamp(clock.now, UTC) + timedelta(hours=1)).isoformat()
    reply = await http.post("/api/admin/banned-ips", json={"ip": "2001:DB8::1", "expiresAt": soon})
    assert reply.json()["bannedIp"]["ip"] == "2001:db8::1"
    assert_error(await http.post("/api/admin/banned-ips", json={"ip": "2001:db8::1/128"}), 409)
    for bad in ("nope", "10.0.0.1/8", "300.1.1.1", "", "fe80::1%eth0"):
        assert_error(await http.post("/api/admin/banned-ips", json={"ip": bad}), 400)
    past = {"ip": "192.0.2.1", "expiresAt": "2000-01-01T00:00:00Z"}
    assert_error(await http.post("/api/admin/banned-ips", json=past), 400)
    for when in ("2099-01-01T00:00:00", "9999-12-31T23:59:59-14:00"):  # naive, no UTC time
        body = {"ip": "192.0.2.1", "expiresAt": when}
        assert_error(await http.post("/api/admin/banned-ips", json=body), 400)
    assert_error(await http.post("/api/admin/banned-ips", json={"ip": "127.0.0.0/8"}), 400)  # yours
    banlist = Banlist(async_sessionmaker(site_engine), clock)  # what the guard consults
    assert await banlist.banned("198.51.100.77")
    assert await banlist.banned("2001:db8:0::1")
    assert not await banlist.banned("198.51.101.1") and not await banlist.banned("junk")
    clock.advance(7200)
    assert not await banlist.banned("2001:db8::1")  # expired (and the list reread)
    listed = {
        b["ip"]: b["active"] for b in (await http.get("/api/admin/banned-ips")).json()["bannedIps"]
    }
    assert listed == {"198.51.100.0/24": True, "2001:db8::1": False}
    assert (await http.delete("/api/admin/banned-ips/198.51.100.0/24")).status_code == 200
    assert_error(await http.delete("/api/admin/banned-ips/198.51.100.0/24"), 404)
    assert_error(await http.delete("/api/admin/banned-ips/garbage"), 404)


async def test_settings_partial_update_is_atomic(crew, site_engine):
    _, (alice, _, _) = crew
    http = alice.http
    defaults = (await http.get("/api/admin/settings")).json()
    assert defaults == SiteOptions().model_dump(mode="json", by_alias=True)
    reply = await http.put(
        "/api/admin/settings", json={"title": "Tracker", "torznab": {"maxLimit": 500}}
    )
    assert reply.status_code == 200, reply.text
    saved = reply.json()
    assert saved["title"] == "Tracker" and saved["tagline"] == ""
    assert saved["torznab"] == {"enabled": True, "maxLimit": 500, "defaultLimit": 25}  # merged
    refused = [
        {"title": "Other", "torznab": {"defaultLimit": 501}},  # above the stored maxLimit
        {"title": "Other", "colour": "red"},  # unknown key
        {"title": "Other", "features": {"invites": True, "forum": True}},  # unknown nested key
        {"title": "Other", "inviteExpiryDays": "soon"},  # wrong type
        {"title": None},  # not nullable
        {"title": "Other", "logoUrl": "javascript:alert(1)"},
        {"title": "Other", "announcement": {"text": "hi", "level": "shout"}},
        {"homepageContent": {"featured": [{"title": "x", "torrentIds": [2**40]}]}},
    ]
    for body in refused:
        assert_error(await http.put("/api/admin/settings", json=body), 400, "/api/admin/settings")
    assert (await http.get("/api/admin/settings")).json() == saved
    cleared = await http.put("/api/admin/settings", json={"inviteExpiryDays": None})
    assert cleared.json()["inviteExpiryDays"] is None and cleared.json()["title"] == "Tracker"
    # a stored value that no longer validates falls back to its default; other keys stay
    async with AsyncSession(site_engine) as db:
        await db.execute(update(Setting).where(Setting.key == "torznab").values(value='{"x":1}'))
        await write_setting(db, "someone_elses", [1])  # another domain's key
        await db.commit()
        assert await read_setting(db, "someone_elses") == [1]
        assert await read_setting(db, "nobodys") is None
    assert (await http.get("/api/admin/settings")).json()["torznab"]["maxLimit"] == 100
    assert (await http.get("/api/branding")).json()["title"] == "Tracker"


def test_the_patch_model_covers_every_option():
    assert set(SiteOptionsPatch.model_fields) == set(SiteOptions.model_fields)


async def test_stats_and_version(crew):
    _, (alice, _, _) = crew
    await alice.http.post("/api/admin/invites/generate", json={"count": 2})
    stats = (await alice.http.get("/api/admin/stats")).json()
    assert stats["users"]["total"] == 3 and stats["users"]["admins"] == 1
    assert stats["torrents"] == {"total": 0, "byStatus": {}, "deleted": 0}
    assert stats["peers"] == {"seeders": 0, "leechers": 0, "peers": 0}
    assert stats["invites"] == {"unused": 2, "used": 0}
    assert stats["database"]["backend"] in ("sqlite", "postgresql")
    assert stats["database"]["sizeBytes"] > 0
    version = (await alice.http.get("/api/admin/system/version")).json()
    assert version["version"] and version["python"] in version["runtime"]
    assert set(version) == {"version", "commit", "runtime", "python"}
    assert_error(await alice.http.get("/api/admin/system/update"), 404)  # not served
