"""The site as the tracker's Registry: members by passkey (not when banned), torrents announced
only when approved and not deleted, transfers credited with a rate clamp, snatches."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.support.clock import FakeClock
from torrentstack.site.models import Snatch, Torrent, User
from torrentstack.site.registry import REFUSED_PENDING, REFUSED_UNKNOWN, SiteRegistry

pytestmark = pytest.mark.database


@dataclass(frozen=True)
class Delta:
    passkey: str
    info_hash: bytes
    uploaded: int
    downloaded: int
    left: int
    event: str


def user(n: int, now: datetime, **extra) -> User:
    return User(
        username=f"u{n}", username_key=f"u{n}", salt="00" * 16, verifier="00" * 32,
        passkey=f"{n:032x}", torznab_key=f"{n + 100:032x}", created_at=now, **extra,
    )  # fmt: skip


def torrent(n: int, now: datetime, status: str = "accepted", deleted: bool = False) -> Torrent:
    return Torrent(
        info_hash=f"{n:040x}", name=f"t{n}", title=f"t{n}", size=1, file_count=1, files="[]",
        info=b"de", content_signature="x", status=status, deleted=deleted, created_at=now,
        updated_at=now,
    )  # fmt: skip


@pytest.fixture
async def registry(site_engine):
    clock = FakeClock()
    now = datetime.fromtimestamp(clock(), UTC)
    sessions = async_sessionmaker(site_engine, expire_on_commit=False)
    async with sessions() as db:
        db.add_all([user(1, now), user(2, now, banned=True)])
        db.add_all([torrent(1, now), torrent(2, now, "pending"), torrent(3, now, deleted=True)])
        hybrid = torrent(4, now)
        hybrid.info_hash_v2 = "ab" * 32
        db.add(hybrid)
        await db.commit()
    return SiteRegistry(sessions, clock, max_rate=1000, first_interval=10, ttl=5), clock, sessions


async def test_members_and_refusals(registry):
    site, _clock, _ = registry
    member = await site.member(f"{1:032x}")
    assert member is not None and member.user_id == 1
    assert await site.member(f"{2:032x}") is None  # banned
    assert await site.member("f" * 32) is None
    assert await site.refusal(member, bytes.fromhex(f"{1:040x}")) is None
    assert await site.refusal(member, bytes.fromhex(f"{2:040x}")) == REFUSED_PENDING
    assert await site.refusal(member, bytes.fromhex(f"{3:040x}")) == REFUSED_UNKNOWN
    assert await site.refusal(member, bytes(20)) == REFUSED_UNKNOWN


async def test_transfers_are_credited_clamped_and_snatches_recorded(registry):
    site, clock, sessions = registry
    key, ih = f"{1:032x}", bytes.fromhex(f"{1:040x}")
    # first report: at most max_rate * first_interval = 10,000 bytes
    await site.record_transfers([Delta(key, ih, 500, 50_000, 10, "")])
    clock.advance(100)  # 100 s later: up to 100,000 bytes
    await site.record_transfers([Delta(key, ih, 2_000, 5_000, 0, "completed")])
    await site.record_transfers([Delta("f" * 32, ih, 9, 9, 0, "")])  # unknown: dropped
    async with AsyncSession(sessions.kw["bind"]) as db:
        member = await db.get(User, 1)
        assert (member.uploaded, member.downloaded) == (2_500, 10_000 + 5_000)
        assert await db.get(Snatch, (1, 1)) is not None
        row = await db.get(Torrent, 1)
        assert (row.seeders, row.leechers, row.snatches) == (1, 0, 1)


async def test_a_hybrid_is_known_by_both_hashes_and_credited_once(registry):
    site, _clock, sessions = registry
    key, v1, v2 = f"{1:032x}", bytes.fromhex(f"{4:040x}"), bytes.fromhex("ab" * 20)
    member = await site.member(key)
    assert await site.refusal(member, v1) is None
    assert await site.refusal(member, v2) is None  # the truncated v2 hash (BEP 52)
    # libtorrent announces a hybrid under both hashes: the same bytes reported twice
    await site.record_transfers([Delta(key, v1, 100, 0, 0, ""), Delta(key, v2, 100, 0, 0, "")])
    async with AsyncSession(sessions.kw["bind"]) as db:
        assert (await db.get(User, 1)).uploaded == 100
