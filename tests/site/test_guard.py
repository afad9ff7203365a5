"""The request guard in front of the site: the document's rate-limit buckets per address (429 in
the error shape, with Retry-After) and the IP banlist (403)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from torrentstack.site.models import BannedIp

pytestmark = pytest.mark.database


async def test_the_auth_bucket_answers_429_past_its_limit(make_site, clock):
    client = await make_site(rate_limits={"auth": 3, "read": 0, "mutation": 0})
    http = client()
    for _ in range(3):
        assert (await http.get("/api/auth/pow")).status_code == 200
    reply = await http.get("/api/auth/pow")
    assert reply.status_code == 429
    body = reply.json()
    assert (body["statusCode"], body["url"], body["data"]["bucket"]) == (
        429,
        "/api/auth/pow",
        "auth",
    )
    assert int(reply.headers["retry-after"]) >= 1
    assert (await http.get("/api/auth/status")).status_code == 200  # a read, not an auth attempt
    clock.advance(int(reply.headers["retry-after"]))  # as long as it said to wait
    assert (await http.get("/api/auth/pow")).status_code == 200


async def test_mutations_have_their_own_bucket(make_site):
    client = await make_site(rate_limits={"auth": 0, "read": 0, "mutation": 2})
    http = client()
    for _ in range(2):
        assert (await http.post("/api/me")).status_code == 405  # counted, then refused
    assert (await http.post("/api/me")).status_code == 429
    assert (await http.post("/api/auth/logout")).status_code == 401  # auth: its own bucket
    assert (await http.get("/api/health")).status_code == 200


async def test_a_banned_address_gets_403(make_site, site_engine, clock):
    client = await make_site()
    async with AsyncSession(site_engine) as db:
        now = datetime.fromtimestamp(clock(), UTC)
        db.add(
            BannedIp(
                ip="127.0.0.0/8", reason="test", created_at=now, expires_at=now + timedelta(hours=1)
            )
        )
        await db.commit()
    reply = await client().get("/api/health")
    assert reply.status_code == 403
    assert reply.json()["message"] == "Your address is banned"
    clock.advance(3601 + 11)  # expired, and the banlist reread
    assert (await client().get("/api/health")).status_code == 200
