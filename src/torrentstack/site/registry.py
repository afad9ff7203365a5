"""The site as the tracker's `Registry` (tracker/policy.py; wired in services.py): members are
the site's users by passkey, a torrent may be announced when it is approved and not deleted,
and transfer deltas are credited to members, clamped to a maximum rate (a basic anti-cheat),
with a snatch recorded on `completed`.

Lookups are cached for a few seconds (an announce must not wait on the database each time);
a ban or a moderation decision therefore takes effect within `ttl` seconds.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Generic, Protocol, TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from torrentstack.clock import Clock
from torrentstack.site.accounts.sessions import banned
from torrentstack.site.models import Snatch, Torrent, Transfer, User

logger = logging.getLogger(__name__)

REFUSED_UNKNOWN = "unregistered torrent"
REFUSED_PENDING = "torrent not approved"
_MAX_CACHED = 100_000
_RECENT = timedelta(hours=1)  # longer than any announce interval a tracker asks for


class Delta(Protocol):
    """What the tracker reports (`tracker.policy.TransferDelta`, by shape: siblings do not
    import each other)."""

    @property
    def passkey(self) -> str: ...
    @property
    def info_hash(self) -> bytes: ...
    @property
    def uploaded(self) -> int: ...
    @property
    def downloaded(self) -> int: ...
    @property
    def left(self) -> int: ...
    @property
    def event(self) -> str: ...


@dataclass(frozen=True, slots=True)
class SiteMember:
    passkey: str
    user_id: int


K = TypeVar("K")
V = TypeVar("V")


class _Ttl(Generic[K, V]):
    """A small expiring cache, bounded (cleared whole when full: entries are cheap to refetch)."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._items: dict[K, tuple[float, V]] = {}

    def get(self, key: K, now: float) -> tuple[bool, V | None]:
        found = self._items.get(key)
        if found is None or found[0] <= now:
            return False, None
        return True, found[1]

    def put(self, key: K, value: V, now: float) -> None:
        if len(self._items) >= _MAX_CACHED:
            self._items.clear()
        self._items[key] = (now + self.ttl, value)


class SiteRegistry:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        max_rate: int,
        first_interval: float = 1800.0,
        ttl: float = 10.0,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._max_rate = max_rate
        self._first_interval = first_interval
        self._members: _Ttl[str, SiteMember] = _Ttl(ttl)
        # info hash as announced -> (torrent id, status, announced under a hybrid's v2 hash)
        self._torrents: _Ttl[bytes, tuple[int, str, bool]] = _Ttl(ttl)

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    async def member(self, passkey: str) -> SiteMember | None:
        now = self._clock()
        hit, cached = self._members.get(passkey, now)
        if hit:
            return cached
        async with self._sessions() as db:
            user = await db.scalar(select(User).where(User.passkey == passkey))
        found = None
        if user is not None and not banned(user, self._now()):
            found = SiteMember(passkey, user.id)
        self._members.put(passkey, found, now)  # type: ignore[arg-type]
        return found

    async def _torrent(self, info_hash: bytes) -> tuple[int, str, bool] | None:
        now = self._clock()
        hit, cached = self._torrents.get(info_hash, now)
        if hit:
            return cached
        short = info_hash[:20].hex()
        columns = select(Torrent.id, Torrent.status, Torrent.deleted)
        via_v2 = False
        async with self._sessions() as db:
            row = (await db.execute(columns.where(Torrent.info_hash == short))).first()
            if row is None:  # a hybrid announced under its v2 hash, truncated (BEP 52)
                v2 = Torrent.info_hash_v2
                query = columns.where(v2 >= short, v2 < short + "g")  # the prefix, indexed
                row = (await db.execute(query)).first()
                via_v2 = True
        found = None if row is None or row.deleted else (int(row.id), str(row.status), via_v2)
        self._torrents.put(info_hash, found, now)  # type: ignore[arg-type]
        return found

    async def refusal(self, member: object, info_hash: bytes) -> str | None:
        torrent = await self._torrent(info_hash)
        if torrent is None:
            return REFUSED_UNKNOWN
        return None if torrent[1] == "accepted" else REFUSED_PENDING

    async def record_transfers(self, deltas: Sequence[Delta]) -> None:
        """Credit a batch (one transaction); deltas of unknown members or torrents are dropped."""
        if not deltas:
            return
        now = self._now()
        async with self._sessions() as db:
            touched: set[int] = set()
            for delta in deltas:
                member = await self.member(delta.passkey)
                torrent = await self._torrent(delta.info_hash)
                # a hybrid is announced under both hashes (libtorrent does): its v1 reports
                # are the ones credited, or every transfer would count twice
                if member is None or torrent is None or torrent[2]:
                    continue
                await self._credit(db, member.user_id, torrent[0], delta, now)
                touched.add(torrent[0])
            for torrent_id in touched:
                await _recount(db, torrent_id, now)
            await db.commit()

    async def _credit(
        self, db: AsyncSession, user_id: int, torrent_id: int, delta: Delta, now: datetime
    ) -> None:
        transfer = await db.get(Transfer, (user_id, torrent_id))
        if transfer is None:
            transfer = Transfer(
                user_id=user_id, torrent_id=torrent_id, uploaded=0, downloaded=0,
                left=delta.left, seeding=False, active=True, last_announce=now,
            )  # fmt: skip
            db.add(transfer)
            elapsed = self._first_interval
        else:
            elapsed = max((now - transfer.last_announce).total_seconds(), 1.0)
        cap = int(self._max_rate * elapsed)
        uploaded, downloaded = min(delta.uploaded, cap), min(delta.downloaded, cap)
        if (uploaded, downloaded) != (delta.uploaded, delta.downloaded):
            logger.warning("site: clamped a transfer report of member %d (over the rate)", user_id)
        transfer.uploaded += uploaded
        transfer.downloaded += downloaded
        transfer.left = delta.left
        transfer.seeding = delta.left == 0
        transfer.active = delta.event != "stopped"
        transfer.last_announce = now
        user = await db.get(User, user_id)
        if user is not None:
            user.uploaded += uploaded
            user.downloaded += downloaded
        if delta.event == "completed" and await db.get(Snatch, (user_id, torrent_id)) is None:
            db.add(Snatch(user_id=user_id, torrent_id=torrent_id, completed_at=now))
            await db.flush()


async def _recount(db: AsyncSession, torrent_id: int, now: datetime) -> None:
    """The torrent's seeders, leechers and snatches as its members' reports say (a peer not
    heard from in `_RECENT` is no longer counted)."""
    await db.flush()
    active = select(Transfer).where(
        Transfer.torrent_id == torrent_id,
        Transfer.active.is_(True),
        Transfer.last_announce >= now - _RECENT,
    )
    rows = list(await db.scalars(active))
    torrent = await db.get(Torrent, torrent_id)
    if torrent is None:
        return
    torrent.seeders = sum(1 for r in rows if r.seeding)
    torrent.leechers = sum(1 for r in rows if not r.seeding)
    snatches = select(func.count()).where(Snatch.torrent_id == torrent_id)
    torrent.snatches = int(await db.scalar(snatches) or 0)
