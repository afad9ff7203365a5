"""Who holds which role: attaching and detaching roles, the deprecated single-role setter, and
the rule that the site always keeps an admin (a member who may access the admin surface and
is not banned)."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from torrentstack.site.errors import AlreadyExists, InvalidRequest, Missing, SiteError
from torrentstack.site.models import Role, User, UserRole
from torrentstack.site.permissions import CAN_ACCESS_ADMIN, CAN_MODERATE

BASE_ROLE = "user"  # every member holds it; it is never detached


def banned_now(now: datetime) -> ColumnElement[bool]:
    """SQL: the member's ban is in force at `now` (as `accounts.sessions.banned`)."""
    return and_(User.banned.is_(True), or_(User.banned_until.is_(None), User.banned_until > now))


async def role_ids_granting(db: AsyncSession, permission: str) -> list[int]:
    """The ids of the roles that grant `permission`."""
    rows = await db.execute(select(Role.id, Role.permissions))
    return [role_id for role_id, names in rows if permission in json.loads(names)]


async def count_holders(
    db: AsyncSession, permission: str, now: datetime, *, include_banned: bool = False
) -> int:
    """How many members a role grants `permission` (banned ones left out unless asked)."""
    role_ids = await role_ids_granting(db, permission)
    if not role_ids:
        return 0
    query = (
        select(func.count(func.distinct(UserRole.user_id)))
        .join(User, User.id == UserRole.user_id)
        .where(UserRole.role_id.in_(role_ids))
    )
    if not include_banned:
        query = query.where(not_(banned_now(now)))
    return int(await db.scalar(query) or 0)


async def admin_count(db: AsyncSession, now: datetime) -> int:
    """Members who may access the admin surface and are not banned."""
    return await count_holders(db, CAN_ACCESS_ADMIN, now)


async def moderator_count(db: AsyncSession, now: datetime) -> int:
    """Members who may moderate and are not banned (admins included)."""
    return await count_holders(db, CAN_MODERATE, now)


async def keep_an_admin(db: AsyncSession, now: datetime) -> None:
    """Refuse (409) the pending change when it leaves the site without an admin."""
    await db.flush()
    if not await admin_count(db, now):
        raise SiteError("The site must keep at least one admin", status=409)


async def get_user(db: AsyncSession, user_id: int) -> User:
    """The member; Missing when there is none."""
    user = await db.get(User, user_id)
    if user is None:
        raise Missing("User not found")
    return user


async def attach(db: AsyncSession, user: User, role: Role) -> None:
    """Give `user` the role (not committed); AlreadyExists when they hold it."""
    if await db.get(UserRole, (user.id, role.id)) is not None:
        raise AlreadyExists("The user holds that role already")
    db.add(UserRole(user_id=user.id, role_id=role.id))
    await db.flush()


async def detach(db: AsyncSession, user: User, role: Role, now: datetime) -> None:
    """Take the role from `user` (not committed): never the base role, never the last admin's."""
    held = await db.get(UserRole, (user.id, role.id))
    if held is None:
        raise Missing("The user does not hold that role")
    if role.system and role.name == BASE_ROLE:
        raise InvalidRequest("Every member holds the user role")
    await db.delete(held)
    await keep_an_admin(db, now)


async def set_single_role(db: AsyncSession, user: User, role: Role | None, now: datetime) -> None:
    """Deprecated API: leave `user` the base role plus `role` (None: the base role alone)."""
    base_id = await db.scalar(select(Role.id).where(Role.name == BASE_ROLE, Role.system))
    keep = {i for i in (base_id, role.id if role else None) if i is not None}
    held = list(await db.scalars(select(UserRole).where(UserRole.user_id == user.id)))
    for row in held:
        if row.role_id not in keep:
            await db.delete(row)
    for role_id in keep - {row.role_id for row in held}:
        db.add(UserRole(user_id=user.id, role_id=role_id))
    await keep_an_admin(db, now)
