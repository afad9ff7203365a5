"""A stand-in for the private-tracker site behind the tracker's Registry seam: two members (one
banned) and one torrent they may not announce."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tests.support.wire import HASH_B
from torrentstack.tracker.policy import Member, TransferDelta

PASSKEY = "MemberPasskey0123456789abcdefghi"
BANNED = "BannedPasskey0123456789abcdefghi"


@dataclass(frozen=True)
class SiteMember:
    passkey: str


class SiteRegistry:
    """A stand-in for the site: two members, one torrent each may not announce."""

    def __init__(self) -> None:
        self.batches: list[list[TransferDelta]] = []
        self.lookups = 0

    async def member(self, passkey: str) -> Member | None:
        self.lookups += 1
        return SiteMember(passkey) if passkey in (PASSKEY, BANNED) else None

    async def refusal(self, member: Member, info_hash: bytes) -> str | None:
        if member.passkey == BANNED:
            return "Your account is disabled"
        return "Unregistered torrent" if info_hash == HASH_B else None

    async def record_transfers(self, deltas: Sequence[TransferDelta]) -> None:
        self.batches.append(list(deltas))
