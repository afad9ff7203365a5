"""Invitations: a member spends quota on codes, a code registers one new member once, revoked
and expired codes register nobody; admins generate codes, grant quota and revoke codes."""

from __future__ import annotations

import pytest

from tests.support.site import member, register

pytestmark = pytest.mark.database


def assert_error(reply, status: int, url: str | None = None) -> dict:
    body = reply.json()
    assert reply.status_code == status, reply.text
    assert set(body) == {"url", "statusCode", "statusMessage", "message", "data"}
    assert body["statusCode"] == status and (url is None or body["url"] == url)
    return body


@pytest.fixture
async def pair(site):
    """An invite-only site: alice (admin) and bob, who joined with alice's code."""
    alice = await member(site(), "alice")
    code = (await alice.http.post("/api/invites")).json()["invite"]["code"]
    return alice, await member(site(), "bob", invite=code)


async def test_a_code_registers_one_member_once(site):
    alice = await member(site(), "alice")
    reply = await alice.http.post("/api/invites")
    assert reply.status_code == 201, reply.text
    created = reply.json()
    assert created["unlimited"] is True and created["remaining"] == 0  # admins spend nothing
    code = created["invite"]["code"]
    assert len(code) == 32 and created["invite"]["status"] == "unused"
    assert created["invite"]["expiresAt"] is not None  # 7 days by default
    bob = await member(site(), "bob", invite=code)
    assert bob.user["username"] == "bob"
    assert_error(await register(site(), "carol", invite=code), 403, "/api/auth/register")
    mine = (await alice.http.get("/api/invites")).json()
    assert [(i["status"], i["usedBy"], i["usedByUsername"]) for i in mine["invites"]] == [
        ("used", bob.user["id"], "bob"),
    ]
    assert_error(await alice.http.delete(f"/api/invites/{created['invite']['id']}"), 409)


async def test_member_quota_spend_refund_and_refusals(pair, site):
    alice, bob = pair
    assert (await bob.http.get("/api/invites")).json() == {
        "remaining": 0, "unlimited": False, "invites": [],
    }  # fmt: skip
    assert_error(await bob.http.post("/api/invites"), 403, "/api/invites")
    grant = await alice.http.post(
        "/api/admin/invites/grant", json={"userId": bob.user["id"], "count": 2}
    )
    assert grant.json() == {"success": True, "userId": bob.user["id"], "invitesRemaining": 2}
    first = (await bob.http.post("/api/invites")).json()
    assert first["remaining"] == 1 and first["unlimited"] is False
    second = (await bob.http.post("/api/invites")).json()
    assert second["remaining"] == 0
    assert_error(await bob.http.post("/api/invites"), 403)
    revoked = await bob.http.delete(f"/api/invites/{first['invite']['id']}")
    assert revoked.status_code == 200 and revoked.json()["remaining"] == 1  # refunded
    assert_error(await bob.http.delete(f"/api/invites/{first['invite']['id']}"), 409)
    assert_error(await register(site(), "carol", invite=first["invite"]["code"]), 403)
    # someone else's code looks like no code at all
    assert_error(await alice.http.delete(f"/api/invites/{second['invite']['id']}"), 404)
    assert_error(await bob.http.delete("/api/invites/999"), 404)
    assert_error(await bob.http.delete("/api/invites/abc"), 400)
    statuses = [i["status"] for i in (await bob.http.get("/api/invites")).json()["invites"]]
    assert statuses == ["unused", "revoked"]
    assert (await bob.http.get("/api/me")).json()["invitesRemaining"] == 1


async def test_codes_expire_and_the_feature_can_be_off(pair, site, clock):
    alice, bob = pair
    await alice.http.post("/api/admin/invites/grant", json={"userId": bob.user["id"], "count": 3})
    await alice.http.put("/api/admin/settings", json={"inviteExpiryDays": 2})
    code = (await bob.http.post("/api/invites")).json()["invite"]["code"]
    clock.advance(2 * 86_400 + 1)
    assert_error(await register(site(), "carol", invite=code), 403)
    assert [i["status"] for i in (await bob.http.get("/api/invites")).json()["invites"]] == [
        "expired"
    ]
    await alice.http.put("/api/admin/settings", json={"features": {"invites": False}})
    assert_error(await bob.http.post("/api/invites"), 403)
    assert (await alice.http.post("/api/invites")).status_code == 201  # admins still may
    await alice.http.put("/api/admin/settings", json={"inviteExpiryDays": None})
    forever = (await alice.http.post("/api/invites")).json()["invite"]
    assert forever["expiresAt"] is None


async def test_admin_generates_lists_and_revokes(pair, site, clock):
    alice, _ = pair
    reply = await alice.http.post(
        "/api/admin/invites/generate", json={"count": 3, "expiresInDays": 1}
    )
    assert reply.status_code == 201, reply.text
    batch = reply.json()
    assert len(batch["codes"]) == len(set(batch["codes"])) == 3
    assert batch["expiresAt"] is not None
    assert {i["createdByUsername"] for i in batch["invites"]} == {"alice"}
    never = (await alice.http.post("/api/admin/invites/generate", json={})).json()
    assert len(never["codes"]) == 1 and never["expiresAt"] is None
    listed = (await alice.http.get("/api/admin/invites", params={"limit": 2})).json()
    assert listed["pagination"] == {"page": 1, "limit": 2, "total": 5, "pages": 3}
    used = (await alice.http.get("/api/admin/invites?status=used")).json()["data"]
    assert [(i["usedByUsername"], i["createdBy"]) for i in used] == [("bob", alice.user["id"])]
    target = batch["invites"][0]
    assert (await alice.http.delete(f"/api/admin/invites/{target['id']}")).status_code == 200
    assert_error(await alice.http.delete(f"/api/admin/invites/{target['id']}"), 409)
    assert_error(await alice.http.delete(f"/api/admin/invites/{used[0]['id']}"), 409)
    assert_error(await alice.http.delete("/api/admin/invites/999"), 404)
    assert_error(await register(site(), "carol", invite=target["code"]), 403)
    revoked = (await alice.http.get("/api/admin/invites?status=revoked")).json()["data"]
    assert [i["id"] for i in revoked] == [target["id"]]
    clock.advance(86_401)
    expired = (await alice.http.get("/api/admin/invites?status=expired")).json()["pagination"]
    unused = (await alice.http.get("/api/admin/invites?status=unused")).json()["pagination"]
    assert (expired["total"], unused["total"]) == (2, 1)
    await member(site(), "carol", invite=never["codes"][0])
    assert_error(await alice.http.get("/api/admin/invites?status=lost"), 400)


async def test_grant_and_generate_validate(pair):
    alice, bob = pair
    grant = "/api/admin/invites/grant"
    assert_error(await alice.http.post(grant, json={"userId": 999, "count": 1}), 404)
    assert_error(await alice.http.post(grant, json={"userId": bob.user["id"], "count": 0}), 400)
    assert_error(await alice.http.post(grant, json={"userId": bob.user["id"]}), 400)
    generate = "/api/admin/invites/generate"
    assert_error(await alice.http.post(generate, json={"count": 101}), 400)
    assert_error(await alice.http.post(generate, json={"count": 1, "expiresInDays": 0}), 400)
    assert_error(await bob.http.get("/api/admin/invites"), 403, "/api/admin/invites")


async def test_anonymous_callers_get_401(site):
    http = site()
    assert_error(await http.get("/api/invites"), 401, "/api/invites")
    assert_error(await http.post("/api/invites"), 401, "/api/invites")
    assert_error(await http.delete("/api/invites/1"), 401, "/api/invites/1")
