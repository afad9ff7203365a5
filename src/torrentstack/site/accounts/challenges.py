"""Single-use, expiring challenges kept in the database, so that any process of the site can
answer the login that another one's challenge started."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from torrentstack.site.accounts.protocol import CHALLENGE_SECONDS, is_hex
from torrentstack.site.models import Challenge


async def issue(db: AsyncSession, purpose: str, now: datetime, username_key: str = "") -> str:
    """A new challenge (committed); expired ones are swept on the way."""
    await db.execute(delete(Challenge).where(Challenge.expires_at <= now))
    challenge = secrets.token_hex(32)
    db.add(
        Challenge(
            challenge=challenge,
            purpose=purpose,
            username_key=username_key,
            expires_at=now + timedelta(seconds=CHALLENGE_SECONDS),
        )
    )
    await db.commit()
    return challenge


async def consume(
    db: AsyncSession, challenge: str, purpose: str, now: datetime, username_key: str = ""
) -> bool:
    """Use up a live challenge (committed): True once, False ever after or if it never was."""
    if not is_hex(challenge, 64):
        return False
    result = await db.execute(
        delete(Challenge).where(
            Challenge.challenge == challenge,
            Challenge.purpose == purpose,
            Challenge.username_key == username_key,
            Challenge.expires_at > now,
        )
    )
    await db.commit()
    return bool(getattr(result, "rowcount", 0) == 1)
