"""Staff adjustments of a member's bonus points: one atomic update (never below zero) and an
audit row with the reason."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from torrentstack.site.admin import audit
from torrentstack.site.errors import InvalidRequest, Missing
from torrentstack.site.models import User


async def adjust_bonus(
    db: AsyncSession, *, actor_id: int, user_id: int, amount: int, reason: str, now: datetime
) -> int:
    """Add `amount` (< 0 removes) to the member's points (not committed): the new balance."""
    result = await db.execute(
        update(User)
        .where(User.id == user_id, User.bonus_points + amount >= 0)
        .values(bonus_points=User.bonus_points + amount)
        .execution_options(synchronize_session="fetch")
    )
    if getattr(result, "rowcount", 0) != 1:
        if await db.get(User, user_id) is None:
            raise Missing("User not found")
        raise InvalidRequest("The balance cannot go below zero")
    balance = int(await db.scalar(select(User.bonus_points).where(User.id == user_id)) or 0)
    audit.record(
        db,
        actor_id=actor_id,
        action="user.bonus_points",
        target=f"user:{user_id}",
        now=now,
        details={"amount": amount, "reason": reason, "balance": balance},
    )
    return balance
