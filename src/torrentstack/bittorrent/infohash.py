"""`InfoHash`: the SHA-1 (v1, BEP 3) or SHA-256 (v2, BEP 52) digest of a torrent's info dict.

Only the value and its text forms live here; which bytes get hashed is `metainfo.py`'s business.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from typing import Literal

from torrentstack.errors import FormatError

__all__ = ["InfoHash", "InfoHashError"]

_V1_SIZE = 20
_V2_SIZE = 32
_HEX = frozenset("0123456789abcdefABCDEF")
_BASE32 = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567abcdefghijklmnopqrstuvwxyz")


class InfoHashError(FormatError):
    """A value that is not an info hash; `value` keeps what was given."""

    def __init__(self, message: str, value: object) -> None:
        self.value = value
        super().__init__(message)


@dataclass(frozen=True, slots=True, order=True)
class InfoHash:
    """A v1 (20-byte SHA-1) or v2 (32-byte SHA-256) info hash; the length decides the version."""

    digest: bytes

    def __post_init__(self) -> None:
        if type(self.digest) is not bytes:
            raise InfoHashError("an info hash digest must be bytes", self.digest)
        if len(self.digest) not in (_V1_SIZE, _V2_SIZE):
            raise InfoHashError(
                f"an info hash is 20 (v1) or 32 (v2) bytes, not {len(self.digest)}", self.digest
            )

    @classmethod
    def v1_of(cls, info_bytes: bytes) -> InfoHash:
        """Hash the exact bencoded info dict with SHA-1 (BEP 3)."""
        return cls(hashlib.sha1(info_bytes, usedforsecurity=False).digest())  # BEP 3 mandates SHA-1

    @classmethod
    def v2_of(cls, info_bytes: bytes) -> InfoHash:
        """Hash the exact bencoded info dict with SHA-256 (BEP 52)."""
        return cls(hashlib.sha256(info_bytes).digest())

    @classmethod
    def from_bytes(cls, digest: bytes | bytearray | memoryview) -> InfoHash:
        """Wrap a raw digest: 20 bytes is v1, 32 bytes is v2."""
        if not isinstance(digest, bytes | bytearray | memoryview):
            raise InfoHashError("an info hash digest must be bytes", digest)
        return cls(bytes(digest))

    @classmethod
    def from_hex(cls, text: str) -> InfoHash:
        """Parse 40 (v1) or 64 (v2) hex digits, in either case."""
        if not isinstance(text, str) or len(text) not in (40, 64) or not _HEX.issuperset(text):
            raise InfoHashError("an info hash in hex is 40 or 64 hex digits", text)
        return cls(bytes.fromhex(text))

    @classmethod
    def from_base32(cls, text: str) -> InfoHash:
        """Parse the 32-character base32 form of a v1 hash, as old magnet links carry it."""
        if not isinstance(text, str) or len(text) != 32 or not _BASE32.issuperset(text):
            raise InfoHashError("an info hash in base32 is 32 characters A-Z, 2-7", text)
        try:
            return cls(base64.b32decode(text, casefold=True))
        except binascii.Error:  # pragma: no cover - the alphabet and length are checked above
            raise InfoHashError("bad base32 info hash", text) from None

    @classmethod
    def parse(cls, text: str) -> InfoHash:
        """Parse hex (40 or 64 digits) or base32 (32 characters)."""
        if isinstance(text, str) and len(text) == 32:
            return cls.from_base32(text)
        if isinstance(text, str) and len(text) in (40, 64):
            return cls.from_hex(text)
        raise InfoHashError("an info hash is 40 or 64 hex digits or 32 base32 characters", text)

    @property
    def version(self) -> Literal[1, 2]:
        """Return 1 for a SHA-1 digest, 2 for a SHA-256 digest."""
        return 1 if len(self.digest) == _V1_SIZE else 2

    @property
    def hex(self) -> str:
        """Return the digest as lower-case hex."""
        return self.digest.hex()

    @property
    def base32(self) -> str:
        """Return the digest as upper-case base32 without padding (32 characters for v1)."""
        return base64.b32encode(self.digest).decode("ascii").rstrip("=")

    @property
    def truncated(self) -> bytes:
        """Return the first 20 bytes: the form trackers and the DHT use, also for v2 (BEP 52)."""
        return self.digest[:_V1_SIZE]

    @property
    def percent_encoded(self) -> str:
        """Return `truncated` with every byte %XX-encoded, ready for a tracker query string."""
        return "".join(f"%{b:02X}" for b in self.truncated)

    def __str__(self) -> str:
        return self.hex

    def __repr__(self) -> str:
        return f"InfoHash.from_hex({self.hex!r})"
