"""Who may announce what: Torrust's four access modes, keys, whitelist, and the Registry seam.

`public` tracks any hash; `listed` only whitelisted hashes; `private` needs a valid key in the
URL; `private_listed` needs both. A `Registry` (the site, in a private deployment) may add its own
members' passkeys and decide per torrent; an `OpenRegistry` has no members and refuses nothing.
"""

from __future__ import annotations

import enum
import secrets
import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

KEY_LENGTH = 32
_KEY_ALPHABET = string.ascii_letters + string.digits

# Torrust's failure reasons, so clients and scripts see the same words.
REASON_NOT_WHITELISTED = "Tracker error: The torrent: {info_hash}, is not whitelisted"
REASON_MISSING_KEY = "Authentication error: Missing authentication key param for private tracker"
REASON_UNKNOWN_KEY = "Authentication error: Failed to read key: {key}"
REASON_EXPIRED_KEY = "Authentication error: Key has expired"
REASON_BAD_KEY = "Authentication error: Invalid format for authentication key param"


class TrackerMode(enum.StrEnum):
    PUBLIC = "public"
    LISTED = "listed"
    PRIVATE = "private"
    PRIVATE_LISTED = "private_listed"

    @property
    def listed(self) -> bool:
        return self in (TrackerMode.LISTED, TrackerMode.PRIVATE_LISTED)

    @property
    def private(self) -> bool:
        return self in (TrackerMode.PRIVATE, TrackerMode.PRIVATE_LISTED)


def is_valid_key(key: str) -> bool:
    """Return whether `key` has Torrust's shape: 32 ASCII letters or digits."""
    return len(key) == KEY_LENGTH and key.isascii() and key.isalnum()


def generate_key() -> str:
    """Return a new random 32-character alphanumeric key."""
    return "".join(secrets.choice(_KEY_ALPHABET) for _ in range(KEY_LENGTH))


@dataclass(frozen=True, slots=True)
class AuthKey:
    """A tracker key; `valid_until` None means permanent (epoch seconds otherwise)."""

    key: str
    valid_until: float | None

    def expired(self, now: float) -> bool:
        return self.valid_until is not None and now >= self.valid_until


@dataclass(frozen=True, slots=True)
class TransferDelta:
    """Bytes a member's peer moved since its previous announce (first announce: none)."""

    passkey: str
    info_hash: bytes
    uploaded: int
    downloaded: int
    left: int
    event: str


class Member(Protocol):
    """A site member, as the tracker needs to know one."""

    @property
    def passkey(self) -> str: ...


class Registry(Protocol):
    """The private-tracker policy seam: implemented by the site, wired in `app.py`."""

    async def member(self, passkey: str) -> Member | None:
        """Return the member owning `passkey`, or None."""
        ...

    async def refusal(self, member: Member, info_hash: bytes) -> str | None:
        """Return why `member` may not announce `info_hash`, or None when they may."""
        ...

    async def record_transfers(self, deltas: Sequence[TransferDelta]) -> None:
        """Take a batch of transfer deltas (never negative) for crediting."""
        ...


class OpenRegistry:
    """No members, refuses nothing, drops transfer reports: a public tracker's registry."""

    async def member(self, passkey: str) -> Member | None:
        return None

    async def refusal(self, member: Member, info_hash: bytes) -> str | None:
        return None

    async def record_transfers(self, deltas: Sequence[TransferDelta]) -> None:
        return None


class AccessPolicy:
    """The mode plus the in-memory whitelist and keys (the database holds the durable copy)."""

    def __init__(
        self,
        mode: TrackerMode,
        registry: Registry,
        whitelist: Iterable[bytes] = (),
        keys: Iterable[AuthKey] = (),
    ) -> None:
        self.mode = mode
        self.registry = registry
        self.whitelist: set[bytes] = set(whitelist)
        self.keys: dict[str, AuthKey] = {k.key: k for k in keys}

    def replace_whitelist(self, hashes: Iterable[bytes]) -> None:
        self.whitelist = set(hashes)

    def replace_keys(self, keys: Iterable[AuthKey]) -> None:
        self.keys = {k.key: k for k in keys}

    async def check(
        self, info_hash: bytes, key: str | None, now: float
    ) -> tuple[str | None, Member | None]:
        """Return (failure reason or None, the registry member behind `key` if any).

        One registry lookup per announce; only a member's transfers are reported back.
        """
        mode = self.mode
        member = None
        if mode.private:
            if key is None:
                return REASON_MISSING_KEY, None
            found = self.keys.get(key)
            if found is not None:
                if found.expired(now):
                    return REASON_EXPIRED_KEY, None
            else:
                member = await self.registry.member(key)
                if member is None:
                    if not is_valid_key(key):
                        return REASON_BAD_KEY, None
                    return REASON_UNKNOWN_KEY.format(key=key), None
        if mode.listed and info_hash not in self.whitelist:
            return REASON_NOT_WHITELISTED.format(info_hash=info_hash.hex()), None
        if member is not None:
            reason = await self.registry.refusal(member, info_hash)
            if reason is not None:
                return reason, None
        return None, member

    async def may_scrape(self, info_hash: bytes, key: str | None, now: float) -> bool:
        """Return whether scrape shows real counts (else Torrust answers zeros)."""
        if self.mode.private and await self._key_refusal(key, now) is not None:
            return False
        return not (self.mode.listed and info_hash not in self.whitelist)

    async def _key_refusal(self, key: str | None, now: float) -> str | None:
        if key is None:
            return REASON_MISSING_KEY
        found = self.keys.get(key)
        if found is not None:
            return REASON_EXPIRED_KEY if found.expired(now) else None
        if await self.registry.member(key) is not None:
            return None
        if not is_valid_key(key):
            return REASON_BAD_KEY
        return REASON_UNKNOWN_KEY.format(key=key)
