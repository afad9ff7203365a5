"""Stateless BEP 15 connection ids: a keyed hash of (client IP address, time bucket).

Why: a connection id proves the client can receive at the address it claims. Without it, a
spoofed-source announce would make the tracker send peer lists to a victim (amplification) or
plant fake peers. Ids are never stored: `issue` hashes the IP with the current minute under
a per-process secret; `valid` recomputes it for the current and two previous minutes (so an id
lives at least the 2 minutes BEP 15 asks for) and compares each candidate in constant time.
"""

from __future__ import annotations

import hmac
import secrets
from hashlib import blake2b

BUCKET_SECONDS = 60
BUCKETS_ACCEPTED = 3  # current + 2 previous: valid for 120..180 s
_MAX_CHECKED = 200_000  # remembered valid ids; cleared when full (a cache, not state)


class ConnectionIds:
    """Issue and check connection ids for one tracker process."""

    __slots__ = ("_secret", "checked")

    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret if secret is not None else secrets.token_bytes(32)
        # IP -> (connection id, bucket it was issued in): a client announces many times on one
        # id, and re-hashing it each time is most of the cost of a check. The compiled UDP fast
        # path (native.py) reads this dict and leaves misses to `valid`.
        self.checked: dict[bytes, tuple[int, int]] = {}

    def _compute(self, address: bytes, bucket: int) -> bytes:
        return blake2b(
            bucket.to_bytes(8, "big") + address, key=self._secret, digest_size=8
        ).digest()

    def issue(self, address: bytes, now: float) -> int:
        """Return the 64-bit id for `address` (packed IP + port; the port is not bound).

        The id covers the IP only, as in opentracker and aquatic: libtorrent caches one id per
        tracker for the whole process and sends it from every socket it has (other sessions,
        its SSL port), and NATs may change the port. Spoofing still needs the victim's IP.
        """
        return int.from_bytes(self._compute(address[:-2], int(now) // BUCKET_SECONDS), "big")

    def valid(self, connection_id: int, address: bytes, now: float) -> bool:
        """Return whether `connection_id` was issued to `address`'s IP in the last 2-3 minutes."""
        bucket = int(now) // BUCKET_SECONDS
        ip = address[:-2]
        known = self.checked.get(ip)
        if known is not None and known[0] == connection_id:  # fixed-width ints: no timing leak
            return bucket - BUCKETS_ACCEPTED < known[1] <= bucket
        given = connection_id.to_bytes(8, "big")
        # Each comparison is constant-time. Stopping at the first match tells a timing observer
        # only how old a *valid* id is, which it knows already; it never leaks the secret.
        for age in range(BUCKETS_ACCEPTED):
            if hmac.compare_digest(given, self._compute(ip, bucket - age)):
                if len(self.checked) >= _MAX_CHECKED:
                    self.checked.clear()
                self.checked[ip] = (connection_id, bucket - age)
                return True
        return False
