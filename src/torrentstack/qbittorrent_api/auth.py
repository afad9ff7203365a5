"""WebUI authentication as qBittorrent 4.1-5.1 does it: password hash, sessions, IP bans.

- The password is kept as a PBKDF2-HMAC-SHA512 hash (100,000 rounds, 16-byte salt, as
  qBittorrent's `WebUI\\Password_PBKDF2`), compared in constant time.
- A session is a random `SID` cookie (32 URL-safe base64 characters); it expires after `timeout`
  seconds without a request and every request refreshes it.
- Each failed login counts against the client IP; at `max_fail_count` the IP is banned for
  `ban_duration` seconds, during which even a right password gets 403. A good login clears it.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import ipaddress
import logging
import secrets
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

from torrentstack.clock import Clock

PBKDF2_ROUNDS = 100_000
_SALT_BYTES = 16
_KEY_BYTES = 64


logger = logging.getLogger(__name__)

# Password checks run here, never on the event loop every service shares (PBKDF2 takes ~50 ms
# of CPU; hashlib releases the GIL). Two at a time: a flood of logins queues up here instead of
# taking the default executor's threads from file and database work.
_hashing = ThreadPoolExecutor(max_workers=2, thread_name_prefix="password-check")


def hash_password(password: str, salt: bytes | None = None) -> str:
    """Return `base64(salt):base64(key)`, the form qBittorrent keeps in its config."""
    salt = salt if salt is not None else secrets.token_bytes(_SALT_BYTES)
    key = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, PBKDF2_ROUNDS, _KEY_BYTES)
    return f"{base64.b64encode(salt).decode()}:{base64.b64encode(key).decode()}"


def verify_password(password: str, stored: str) -> bool:
    """Check `password` against a `hash_password` result (False for a malformed hash)."""
    try:
        salt_text, key_text = stored.split(":", 1)
        salt, key = (
            base64.b64decode(salt_text, validate=True),
            base64.b64decode(key_text, validate=True),
        )
    except ValueError:
        return False
    if not salt or not key:
        return False
    given = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, PBKDF2_ROUNDS, len(key))
    return hmac.compare_digest(given, key)


@dataclass(slots=True)
class Session:
    sid: str
    ip: str
    last_seen: float
    identity: str = ""  # who an external login said this is (the debrid bridge's arrs)


# An outside check of credentials that are not the WebUI user's (the debrid bridge asks the
# arr named by the user name): the identity it vouches for, or None.
ExternalLogin = Callable[[str, str], Awaitable[str | None]]


@dataclass(slots=True)
class _Failures:
    count: int = 0
    banned_until: float = 0.0


class Authenticator:
    """Credentials, live sessions and failed-login bans of one WebUI listener."""

    def __init__(
        self,
        username: str,
        password_hash: str,
        *,
        clock: Clock,
        timeout: float = 3600,
        max_fail_count: int = 5,
        ban_duration: float = 3600,
        localhost_auth: bool = True,
        whitelist: Sequence[str] = (),
    ) -> None:
        self.username = username
        self.password_hash = password_hash
        self.clock = clock
        self.timeout = timeout
        self.max_fail_count = max_fail_count
        self.ban_duration = ban_duration
        self.localhost_auth = localhost_auth
        self.whitelist: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        self.set_whitelist(whitelist)
        self.sessions: dict[str, Session] = {}
        self._failures: dict[str, _Failures] = {}
        # user -> password hash: logins of the stack's other services (cross-seed), beside the
        # WebUI user; not changed by the WebUI's preferences
        self.service_accounts: dict[str, str] = {}
        self.external: ExternalLogin | None = None

    def set_whitelist(self, networks: Sequence[str]) -> None:
        """Networks whose clients need no login; malformed entries are skipped."""
        parsed = []
        for net in networks:
            try:
                parsed.append(ipaddress.ip_network(net.strip(), strict=False))
            except ValueError:
                logger.warning("auth subnet whitelist: %r is not a network", net)
        self.whitelist = parsed

    def banned(self, ip: str) -> bool:
        failures = self._failures.get(ip)
        return failures is not None and failures.banned_until > self.clock()

    async def login(
        self, ip: str, username: str, password: str
    ) -> Session | Literal["failed", "banned"]:
        """Start a session for good credentials; count a failure (maybe a ban) otherwise.

        The caller checks `banned` first: a banned IP is refused before its password is read.
        The password is checked off the event loop; an IP banned while its attempt waited for
        a check is refused without one. Expired sessions and finished bans are swept here, so
        neither table only grows.
        """
        self.expire()
        if self.external is not None and username != self.username:
            identity = await self.external(username, password)
            if identity is not None and not self.banned(ip):
                self._failures.pop(ip, None)
                session = self._new_session(ip)
                session.identity = identity
                return session
        stored = self.service_accounts.get(username)
        if stored is None:
            stored = self.password_hash
            good = hmac.compare_digest(username.encode(), self.username.encode())
        else:
            good = True
        loop = asyncio.get_running_loop()
        checked = loop.run_in_executor(_hashing, self._check_unless_banned, ip, password, stored)
        verdict = await checked
        if verdict is None:
            return "banned"  # banned meanwhile: nothing more to count
        good = verdict and good
        if not good:
            failures = self._failures.setdefault(ip, _Failures())
            failures.count += 1
            if self.max_fail_count and failures.count >= self.max_fail_count:
                failures.banned_until = self.clock() + self.ban_duration
                failures.count = 0
            return "failed"
        self._failures.pop(ip, None)
        return self._new_session(ip)

    def _check_unless_banned(self, ip: str, password: str, stored: str) -> bool | None:
        """On a hashing thread: None when `ip` was banned while waiting, else the verdict."""
        if self.banned(ip):
            return None
        return verify_password(password, stored)

    def _new_session(self, ip: str) -> Session:
        sid = secrets.token_urlsafe(24)  # 32 characters that need no quoting in a cookie
        session = Session(sid, ip, self.clock())
        self.sessions[sid] = session
        return session

    def session(self, sid: str | None) -> Session | None:
        """The live session of a cookie (refreshed), or None when unknown or expired."""
        if not sid:
            return None
        session = self.sessions.get(sid)
        if session is None:
            return None
        now = self.clock()
        if now - session.last_seen > self.timeout:
            del self.sessions[sid]
            return None
        session.last_seen = now
        return session

    def logout(self, sid: str) -> None:
        self.sessions.pop(sid, None)

    def needs_login(self, ip: str) -> bool:
        """False for a client the bypass settings let in without a session."""
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return True
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if not self.localhost_auth and address.is_loopback:
            return False
        return not any(address in net for net in self.whitelist)

    def expire(self) -> None:
        """Drop expired sessions and finished bans (every login attempt calls it)."""
        now = self.clock()
        for sid in [s for s, v in self.sessions.items() if now - v.last_seen > self.timeout]:
            del self.sessions[sid]
        for ip in [i for i, f in self._failures.items() if f.count == 0 and f.banned_until <= now]:
            del self._failures[ip]
