"""Login sessions: an opaque random cookie whose SHA-256 is the stored id, so a copy of the
table opens no session; expiry, and revocation one by one or all but the current."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from torrentstack.site.models import LoginSession, User

COOKIE = "ts_session"


def session_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def open_session(
    db: AsyncSession, user: User, now: datetime, days: int, ip: str
) -> tuple[str, datetime]:
    """A new session for `user`: (the cookie's token, when it expires). Not committed."""
    token = secrets.token_urlsafe(32)
    expires = now + timedelta(days=days)
    db.add(
        LoginSession(
            id=session_id(token), user_id=user.id, created_at=now, expires_at=expires, ip=ip
        )
    )
    return token, expires


async def resolve(db: AsyncSession, token: str, now: datetime) -> tuple[str, User] | None:
    """The live session of a cookie and its member (None: none, expired, revoked, banned)."""
    if not token or len(token) > 100:
        return None
    row = (
        await db.execute(
            select(LoginSession, User)
            .join(User, User.id == LoginSession.user_id)
            .where(LoginSession.id == session_id(token))
        )
    ).first()
    if row is None:
        return None
    session, user = row
    if session.revoked or session.expires_at <= now or banned(user, now):
        return None
    return session.id, user


def banned(user: User, now: datetime) -> bool:
    return user.banned and (user.banned_until is None or user.banned_until > now)


async def revoke(db: AsyncSession, sid: str) -> None:
    await db.execute(update(LoginSession).where(LoginSession.id == sid).values(revoked=True))


async def revoke_others(db: AsyncSession, user_id: int, keep: str | None) -> None:
    """Revoke every session of the user but `keep` (all of them when None)."""
    query = update(LoginSession).where(LoginSession.user_id == user_id)
    if keep is not None:
        query = query.where(LoginSession.id != keep)
    await db.execute(query.values(revoked=True))
