"""Banning members: the ban (permanent or for some days) signs them out everywhere and puts
their last address on the IP banlist; staff may only be banned by an admin, and a ban an admin
issued only an admin lifts.

The last address is not banlisted when it is a loopback address (a reverse proxy's, shared by
everyone) or the address of the staff member banning (a shared network would lock them out).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from torrentstack.site.accounts import sessions
from torrentstack.site.admin import audit
from torrentstack.site.admin.banned_ips import banlist_address, parse_address
from torrentstack.site.errors import InvalidRequest, PermissionDenied, SiteError
from torrentstack.site.models import User
from torrentstack.site.permissions import (
    CAN_ACCESS_ADMIN,
    CAN_MODERATE,
    Viewer,
    permissions_of,
    roles_of,
)


async def _permissions(db: AsyncSession, user_id: int) -> frozenset[str]:
    return permissions_of(await roles_of(db, user_id))


def _banlistable(last_ip: str, actor_ip: str) -> bool:
    address = parse_address(last_ip)
    return (
        address is not None
        and not address.is_loopback
        and not address.is_unspecified
        and address != parse_address(actor_ip)
    )


async def ban(
    db: AsyncSession,
    actor: Viewer,
    user: User,
    *,
    reason: str,
    days: int | None,
    now: datetime,
    actor_ip: str,
) -> str | None:
    """Ban `user` (not committed): the address put on the banlist, if any."""
    if user.id == actor.user.id:
        raise InvalidRequest("You cannot ban yourself")
    target = await _permissions(db, user.id)
    if not actor.is_admin and (CAN_ACCESS_ADMIN in target or CAN_MODERATE in target):
        raise PermissionDenied("Only an admin may ban staff")
    if not actor.is_admin and await _admin_issued(db, user, now):
        raise PermissionDenied("This ban was issued by an admin")
    until = now + timedelta(days=days) if days else None
    user.banned, user.banned_until, user.ban_reason = True, until, reason
    user.banned_by = actor.user.id
    await sessions.revoke_others(db, user.id, keep=None)
    banned_ip = None
    if _banlistable(user.last_ip, actor_ip):
        note = f"ban of {user.username}: {reason}"
        banned_ip = await banlist_address(db, user.last_ip, note, until, now)
    details = {"reason": reason, "days": days, "ip": banned_ip}
    audit.record(
        db,
        actor_id=actor.user.id,
        action="user.ban",
        target=f"user:{user.id}",
        now=now,
        details=details,
    )
    return banned_ip


async def _admin_issued(db: AsyncSession, user: User, now: datetime) -> bool:
    """Whether `user` is under a ban whose issuer is (still) an admin."""
    if not sessions.banned(user, now) or user.banned_by is None:
        return False
    return CAN_ACCESS_ADMIN in await _permissions(db, user.banned_by)


async def unban(db: AsyncSession, actor: Viewer, user: User, now: datetime) -> None:
    """Lift `user`'s ban (not committed); the IP banlist keeps its row (remove it there)."""
    if not user.banned:
        raise SiteError("The user is not banned", status=409)
    if not actor.is_admin and await _admin_issued(db, user, now):
        raise PermissionDenied("Only an admin may lift a ban an admin issued")
    previous = {"reason": user.ban_reason, "bannedBy": user.banned_by}
    user.banned, user.banned_until, user.ban_reason, user.banned_by = False, None, "", None
    audit.record(
        db,
        actor_id=actor.user.id,
        action="user.unban",
        target=f"user:{user.id}",
        now=now,
        details=previous,
    )
