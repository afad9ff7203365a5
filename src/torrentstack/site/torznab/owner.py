"""The Torznab key the stack's own cross-seed uses: the site owner's (the first admin who is not
banned and whose Torznab access is not blocked). A fresh site has none until someone registers."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from torrentstack.site.models import Role, User, UserRole


async def owner_torznab_key(db: AsyncSession) -> str | None:
    key = await db.scalar(
        select(User.torznab_key)
        .join(UserRole, UserRole.user_id == User.id)
        .join(Role, Role.id == UserRole.role_id)
        .where(Role.name == "admin", User.banned.is_(False), User.torznab_blocked.is_(False))
        .order_by(User.id)
        .limit(1)
    )
    return str(key) if key else None
