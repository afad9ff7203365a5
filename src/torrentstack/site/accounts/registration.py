"""Creating members: who may register (`site.registration`, invites), the first member becomes
admin, each gets a passkey and a Torznab key; the system roles exist before anyone."""

from __future__ import annotations

import json
import secrets
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from torrentstack.config import SiteSettings
from torrentstack.site.accounts.protocol import username_key
from torrentstack.site.errors import AlreadyExists, PermissionDenied
from torrentstack.site.models import Invite, Role, User, UserRole
from torrentstack.site.permissions import SYSTEM_ROLES


async def ensure_system_roles(db: AsyncSession) -> None:
    """Make the user, moderator and admin roles if they are missing (committed)."""
    existing = set(await db.scalars(select(Role.name).where(Role.system.is_(True))))
    for name, permissions in SYSTEM_ROLES.items():
        if name not in existing:
            db.add(Role(name=name, permissions=json.dumps(list(permissions)), system=True))
    try:
        await db.commit()
    except IntegrityError:  # another process made them first
        await db.rollback()


async def registration_mode(db: AsyncSession, settings: SiteSettings) -> str:
    if not await db.scalar(select(func.count()).select_from(User)):
        return "first"
    return settings.registration or "invite"


async def _usable_invite(db: AsyncSession, code: str | None, now: datetime) -> Invite:
    invite = await db.scalar(select(Invite).where(Invite.code == (code or "")))
    if (
        invite is None
        or invite.used_by is not None
        or invite.revoked
        or (invite.expires_at is not None and invite.expires_at <= now)
    ):
        raise PermissionDenied("A valid invite code is required")
    return invite


async def _role_id(db: AsyncSession, name: str) -> int:
    role_id = await db.scalar(select(Role.id).where(Role.name == name))
    if role_id is None:
        raise RuntimeError(f"system role {name} missing (ensure_system_roles runs at start)")
    return int(role_id)


async def register(
    db: AsyncSession,
    settings: SiteSettings,
    *,
    username: str,
    salt: str,
    verifier: str,
    invite_code: str | None,
    now: datetime,
    ip: str,
) -> User:
    """Create the member (committed); PermissionDenied when registration does not allow it."""
    mode = await registration_mode(db, settings)
    invite = None
    if mode == "closed":
        raise PermissionDenied("Registration is closed")
    if mode == "invite":
        invite = await _usable_invite(db, invite_code, now)
    user = User(
        username=username,
        username_key=username_key(username),
        salt=salt,
        verifier=verifier,
        passkey=secrets.token_hex(16),
        torznab_key=secrets.token_hex(16),
        display_name=username,
        invited_by=invite.created_by if invite else None,
        last_ip=ip,
        created_at=now,
    )
    db.add(user)
    try:
        await db.flush()
    except IntegrityError:
        await db.rollback()
        raise AlreadyExists("Username already taken") from None
    db.add(UserRole(user_id=user.id, role_id=await _role_id(db, "user")))
    # the first member is admin: decided by id, so two racing first registrations make one
    if not await db.scalar(select(func.count()).where(User.id < user.id)):
        db.add(UserRole(user_id=user.id, role_id=await _role_id(db, "admin")))
    if invite is not None:
        invite.used_by, invite.used_at = user.id, now
    await db.commit()
    return user
