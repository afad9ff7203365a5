"""Invite codes: members spend their quota on codes (admins spend none), revoke unused ones for
a refund; admins generate codes in batches, grant quota and revoke any unused code.

A code is a row of `site_invites` that `accounts.registration` accepts while it is unused, not
revoked and not expired; registering marks it used.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from torrentstack.site.errors import Missing, PermissionDenied, SiteError
from torrentstack.site.invites.schemas import InviteStatus
from torrentstack.site.models import Invite, User
from torrentstack.site.permissions import Viewer


def new_code() -> str:
    """A fresh code: 32 upper-case hex digits (128 random bits)."""
    return secrets.token_hex(16).upper()


def status_of(invite: Invite, now: datetime) -> InviteStatus:
    """Used, revoked, expired or unused (in that order of precedence)."""
    if invite.used_by is not None:
        return "used"
    if invite.revoked:
        return "revoked"
    if invite.expires_at is not None and invite.expires_at <= now:
        return "expired"
    return "unused"


def status_is(status: InviteStatus, now: datetime) -> ColumnElement[bool]:
    """SQL: the invite's status (as `status_of`) is `status`."""
    unused_by = Invite.used_by.is_(None)
    lapsed = and_(Invite.expires_at.is_not(None), Invite.expires_at <= now)
    return {
        "used": Invite.used_by.is_not(None),
        "revoked": and_(unused_by, Invite.revoked.is_(True)),
        "expired": and_(unused_by, Invite.revoked.is_(False), lapsed),
        "unused": and_(
            unused_by,
            Invite.revoked.is_(False),
            or_(Invite.expires_at.is_(None), Invite.expires_at > now),
        ),
    }[status]


async def usernames(db: AsyncSession, ids: set[int | None]) -> dict[int, str]:
    """The usernames of these member ids."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = await db.execute(select(User.id, User.username).where(User.id.in_(wanted)))
    return {user_id: name for user_id, name in rows}


async def own_invites(db: AsyncSession, user_id: int) -> list[Invite]:
    """The codes a member created, newest first."""
    query = select(Invite).where(Invite.created_by == user_id).order_by(Invite.id.desc())
    return list(await db.scalars(query))


async def _add(
    db: AsyncSession, creator_id: int, expires_at: datetime | None, now: datetime
) -> Invite:
    invite = Invite(code=new_code(), created_by=creator_id, created_at=now, expires_at=expires_at)
    db.add(invite)
    await db.flush()
    return invite


async def create_invite(
    db: AsyncSession, viewer: Viewer, *, expiry_days: int | None, enabled: bool, now: datetime
) -> Invite:
    """A new code of the member's, spending one of their quota (not committed); admins spend
    none and may create codes while member invites are disabled."""
    if not viewer.is_admin:
        if not enabled:
            raise PermissionDenied("Invitations are disabled")
        spent = await db.execute(
            update(User)
            .where(User.id == viewer.user.id, User.invites_remaining > 0)
            .values(invites_remaining=User.invites_remaining - 1)
            .execution_options(synchronize_session="fetch")
        )
        if getattr(spent, "rowcount", 0) != 1:
            raise PermissionDenied("No invites remaining")
    expires_at = now + timedelta(days=expiry_days) if expiry_days else None
    return await _add(db, viewer.user.id, expires_at, now)


def _refuse_spent(invite: Invite) -> None:
    if invite.used_by is not None:
        raise SiteError("The code has been used", status=409)
    if invite.revoked:
        raise SiteError("The code is revoked already", status=409)


async def revoke_own(db: AsyncSession, viewer: Viewer, invite_id: int) -> None:
    """Revoke one of the member's unused codes and refund it (not committed); a code of
    someone else's is Missing, as if it did not exist."""
    invite = await db.get(Invite, invite_id)
    if invite is None or invite.created_by != viewer.user.id:
        raise Missing("Invite not found")
    _refuse_spent(invite)
    invite.revoked = True
    if not viewer.is_admin:
        await grant_quota(db, viewer.user.id, 1)


async def revoke_any(db: AsyncSession, invite_id: int) -> Invite:
    """Revoke any unused code (not committed); its creator gets no refund."""
    invite = await db.get(Invite, invite_id)
    if invite is None:
        raise Missing("Invite not found")
    _refuse_spent(invite)
    invite.revoked = True
    return invite


async def generate_batch(
    db: AsyncSession, admin_id: int, count: int, expires_at: datetime | None, now: datetime
) -> list[Invite]:
    """`count` new codes of the admin's, spending no quota (not committed)."""
    return [await _add(db, admin_id, expires_at, now) for _ in range(count)]


async def grant_quota(db: AsyncSession, user_id: int, count: int) -> int:
    """Add `count` to the member's quota (not committed): the new quota; Missing if no member."""
    result = await db.execute(
        update(User)
        .where(User.id == user_id)
        .values(invites_remaining=User.invites_remaining + count)
        .execution_options(synchronize_session="fetch")
    )
    if getattr(result, "rowcount", 0) != 1:
        raise Missing("User not found")
    remaining = await db.scalar(select(User.invites_remaining).where(User.id == user_id))
    return int(remaining or 0)


async def all_invites(
    db: AsyncSession, now: datetime, *, page: int, limit: int, status: InviteStatus | None
) -> tuple[list[Invite], int]:
    """A page of every code (newest first), and how many match in all."""
    query = select(Invite)
    count = select(func.count(Invite.id))
    if status is not None:
        query, count = query.where(status_is(status, now)), count.where(status_is(status, now))
    total = int(await db.scalar(count) or 0)
    rows = await db.scalars(
        query.order_by(Invite.id.desc()).offset((page - 1) * limit).limit(limit)
    )
    return list(rows), total
