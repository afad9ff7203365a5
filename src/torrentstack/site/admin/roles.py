"""The role catalogue: making, editing and removing roles whose permissions are known names;
the system roles (user, moderator, admin) keep their names and are never removed."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from torrentstack.site.admin.role_assignments import keep_an_admin
from torrentstack.site.admin.schemas import RoleOut
from torrentstack.site.errors import AlreadyExists, InvalidRequest, Missing
from torrentstack.site.models import Role, UserRole
from torrentstack.site.permissions import PERMISSIONS


def role_permissions(role: Role) -> list[str]:
    """The role's permission names."""
    return [str(p) for p in json.loads(role.permissions)]


def checked_permissions(names: Iterable[str]) -> list[str]:
    """`names` once each, in order; InvalidRequest naming any that is not a known permission."""
    unique = list(dict.fromkeys(names))
    unknown = [n for n in unique if n not in PERMISSIONS]
    if unknown:
        raise InvalidRequest(
            f"Unknown permission: {', '.join(unknown)}", data={"known": list(PERMISSIONS)}
        )
    return unique


def role_out(role: Role, counts: dict[int, int]) -> RoleOut:
    """The role as the API shows it, with how many members hold it."""
    return RoleOut(
        id=role.id,
        name=role.name,
        color=role.color,
        permissions=role_permissions(role),
        system=role.system,
        members=counts.get(role.id, 0),
    )


async def member_counts(db: AsyncSession) -> dict[int, int]:
    """How many members hold each role (roles nobody holds are absent)."""
    rows = await db.execute(select(UserRole.role_id, func.count()).group_by(UserRole.role_id))
    return {role_id: count for role_id, count in rows}


async def list_roles(db: AsyncSession) -> list[Role]:
    """Every role: the system ones first, then by name."""
    return list(await db.scalars(select(Role).order_by(Role.system.desc(), Role.name)))


async def get_role(db: AsyncSession, role_id: int) -> Role:
    """The role; Missing when there is none."""
    role = await db.get(Role, role_id)
    if role is None:
        raise Missing("Role not found")
    return role


async def _refuse_taken(db: AsyncSession, name: str, role_id: int | None = None) -> None:
    # names are unique without regard to case, so "Admin" cannot pass for "admin"
    for other_id, other in await db.execute(select(Role.id, Role.name)):
        if other_id != role_id and other.casefold() == name.casefold():
            raise AlreadyExists("A role of that name exists")


async def create_role(db: AsyncSession, name: str, color: str, permissions: Iterable[str]) -> Role:
    """A new role (not committed)."""
    granted = checked_permissions(permissions)
    await _refuse_taken(db, name)
    role = Role(name=name, color=color, permissions=json.dumps(granted), system=False)
    db.add(role)
    await db.flush()
    return role


async def edit_role(
    db: AsyncSession,
    role: Role,
    now: datetime,
    *,
    name: str | None = None,
    color: str | None = None,
    permissions: Iterable[str] | None = None,
) -> None:
    """Change what is given (not committed); a system role keeps its name, and the site keeps
    an admin."""
    if name is not None and name != role.name:
        if role.system:
            raise InvalidRequest("A system role cannot be renamed")
        await _refuse_taken(db, name, role.id)
        role.name = name
    if color is not None:
        role.color = color
    if permissions is not None:
        role.permissions = json.dumps(checked_permissions(permissions))
        await keep_an_admin(db, now)


async def delete_role(db: AsyncSession, role: Role, now: datetime) -> None:
    """Remove a role and every member's hold of it (not committed); never a system role."""
    if role.system:
        raise InvalidRequest("A system role cannot be deleted")
    await db.execute(delete(UserRole).where(UserRole.role_id == role.id))
    await db.delete(role)
    await keep_an_admin(db, now)
