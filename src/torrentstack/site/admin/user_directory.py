"""The admin's member registry: members filtered (username prefix, role, ban state) a page at a
time, each with their roles, and the KPI strip above the list."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Select, func, not_, select
from sqlalchemy.ext.asyncio import AsyncSession

from torrentstack.site.accounts.profiles import ratio
from torrentstack.site.accounts.protocol import username_key
from torrentstack.site.accounts.sessions import banned
from torrentstack.site.admin.role_assignments import admin_count, banned_now, moderator_count
from torrentstack.site.admin.schemas import AdminUser, UserKpis
from torrentstack.site.models import Role, User, UserRole

_Query = TypeVar("_Query", bound=Select[Any])


def _like_prefix(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%"


def _filtered(
    query: _Query, now: datetime, q: str | None, role: str | None, is_banned: bool | None
) -> _Query:
    if q:
        query = query.where(User.username_key.like(_like_prefix(username_key(q)), escape="\\"))
    if role:
        holders = select(UserRole.user_id).join(Role, Role.id == UserRole.role_id)
        query = query.where(User.id.in_(holders.where(Role.name == role)))
    if is_banned is not None:
        query = query.where(banned_now(now) if is_banned else not_(banned_now(now)))
    return query


async def find_users(
    db: AsyncSession,
    now: datetime,
    *,
    page: int,
    limit: int,
    q: str | None = None,
    role: str | None = None,
    is_banned: bool | None = None,
) -> tuple[list[User], int]:
    """A page of members (newest first) and how many match in all."""
    count = _filtered(select(func.count(User.id)), now, q, role, is_banned)
    total = int(await db.scalar(count) or 0)
    rows = _filtered(select(User), now, q, role, is_banned)
    rows = rows.order_by(User.id.desc()).offset((page - 1) * limit).limit(limit)
    return list(await db.scalars(rows)), total


async def role_names(db: AsyncSession, user_ids: Iterable[int]) -> dict[int, list[str]]:
    """Each member's role names, by id."""
    names: dict[int, list[str]] = defaultdict(list)
    ids = list(user_ids)
    if ids:
        query = (
            select(UserRole.user_id, Role.name)
            .join(Role, Role.id == UserRole.role_id)
            .where(UserRole.user_id.in_(ids))
            .order_by(Role.system.desc(), Role.name)
        )
        for user_id, name in await db.execute(query):
            names[user_id].append(name)
    return names


def admin_view(user: User, roles: list[str], now: datetime) -> AdminUser:
    """The member as the admin surface shows them (address and ban included)."""
    return AdminUser(
        id=user.id,
        username=user.username,
        display_name=user.display_name or user.username,
        roles=roles,
        created_at=user.created_at,
        last_seen=user.last_seen,
        last_ip=user.last_ip or None,
        uploaded=user.uploaded,
        downloaded=user.downloaded,
        ratio=ratio(user),
        bonus_points=user.bonus_points,
        invites_remaining=user.invites_remaining,
        invited_by=user.invited_by,
        banned=banned(user, now),
        banned_until=user.banned_until if user.banned else None,
        ban_reason=user.ban_reason if user.banned else None,
        banned_by=user.banned_by if user.banned else None,
    )


async def admin_views(db: AsyncSession, users: list[User], now: datetime) -> list[AdminUser]:
    """`admin_view` of several members, their roles read in one query."""
    names = await role_names(db, (u.id for u in users))
    return [admin_view(u, names.get(u.id, []), now) for u in users]


async def user_kpis(db: AsyncSession, now: datetime) -> UserKpis:
    """Counts over every member: all, banned, admins, moderators, joined in the last 7 days."""
    count = select(func.count(User.id))
    return UserKpis(
        total=int(await db.scalar(count) or 0),
        banned=int(await db.scalar(count.where(banned_now(now))) or 0),
        admins=await admin_count(db, now),
        moderators=await moderator_count(db, now),
        joined_last7_days=int(
            await db.scalar(count.where(User.created_at > now - timedelta(days=7))) or 0
        ),
    )
