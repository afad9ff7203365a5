"""`/api/admin/users/*`: the member registry, bans (moderators may ban members who are not
staff), roles held, bonus points."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy import select

from torrentstack.site.admin import audit, bans
from torrentstack.site.admin.bonus import adjust_bonus
from torrentstack.site.admin.role_assignments import attach, detach, get_user, set_single_role
from torrentstack.site.admin.roles import get_role, member_counts, role_out
from torrentstack.site.admin.schemas import (
    AttachRoleBody,
    BanBody,
    BanReply,
    BonusBody,
    BonusReply,
    Pagination,
    PathId,
    SingleRoleBody,
    UserDirectory,
    UserReply,
    UserRoles,
)
from torrentstack.site.admin.user_directory import (
    admin_view,
    admin_views,
    find_users,
    role_names,
    user_kpis,
)
from torrentstack.site.context import Context, Db
from torrentstack.site.models import Role, User
from torrentstack.site.permissions import Admin, Moderator, roles_of
from torrentstack.site.schemas import NO_NUL

router = APIRouter(tags=["admin"])


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


async def _reply(db: Db, user: User, context: Context) -> UserReply:
    names = await role_names(db, [user.id])
    return UserReply(user=admin_view(user, names.get(user.id, []), context.now()))


async def _user_roles(db: Db, user: User) -> UserRoles:
    counts = await member_counts(db)
    held = sorted(await roles_of(db, user.id), key=lambda r: (not r.system, r.name))
    return UserRoles(user_id=user.id, roles=[role_out(r, counts) for r in held])


@router.get("/api/admin/users")
async def list_users(
    viewer: Admin,
    db: Db,
    context: Context,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    q: Annotated[
        str | None, Query(max_length=64, pattern=NO_NUL, description="Username prefix.")
    ] = None,
    search: Annotated[
        str | None, Query(max_length=64, pattern=NO_NUL, description="Same as q.")
    ] = None,
    role: Annotated[
        str | None, Query(max_length=64, pattern=NO_NUL, description="A role's name.")
    ] = None,
    banned: Annotated[bool | None, Query(description="Only banned (or unbanned) ones.")] = None,
) -> UserDirectory:
    now = context.now()
    users, total = await find_users(
        db, now, page=page, limit=limit, q=q or search, role=role, is_banned=banned
    )
    pages = -(-total // limit)
    return UserDirectory(
        data=await admin_views(db, users, now),
        pagination=Pagination(page=page, limit=limit, total=total, pages=pages),
        kpis=await user_kpis(db, now),
    )


@router.post("/api/admin/users/{user_id}/ban")
async def ban_user(
    user_id: PathId, body: BanBody, viewer: Moderator, request: Request, db: Db, context: Context
) -> BanReply:
    user = await get_user(db, user_id)
    banned_ip = await bans.ban(
        db,
        viewer,
        user,
        reason=body.reason,
        days=body.duration_days,
        now=context.now(),
        actor_ip=_client_ip(request),
    )
    await db.commit()
    reply = await _reply(db, user, context)
    return BanReply(user=reply.user, banned_ip=banned_ip)


@router.post("/api/admin/users/{user_id}/unban")
async def unban_user(user_id: PathId, viewer: Moderator, db: Db, context: Context) -> UserReply:
    user = await get_user(db, user_id)
    await bans.unban(db, viewer, user, context.now())
    await db.commit()
    return await _reply(db, user, context)


@router.put("/api/admin/users/{user_id}/role", deprecated=True)
async def set_role(
    user_id: PathId, body: SingleRoleBody, viewer: Admin, db: Db, context: Context
) -> UserRoles:
    """Deprecated: leaves the member `user` plus the one role given (use the role endpoints)."""
    user = await get_user(db, user_id)
    role: Role | None = None
    if "role_id" in body.model_fields_set:
        role = None if body.role_id is None else await get_role(db, body.role_id)
    elif body.is_admin or body.is_moderator:
        name = "admin" if body.is_admin else "moderator"
        role = await db.scalar(select(Role).where(Role.name == name, Role.system))
    now = context.now()
    await set_single_role(db, user, role, now)
    audit.record(
        db,
        actor_id=viewer.user.id,
        action="user.role.set",
        target=f"user:{user.id}",
        now=now,
        details={"role": role.name if role else None},
    )
    await db.commit()
    return await _user_roles(db, user)


@router.get("/api/admin/users/{user_id}/roles")
async def user_roles(user_id: PathId, viewer: Admin, db: Db) -> UserRoles:
    return await _user_roles(db, await get_user(db, user_id))


@router.post("/api/admin/users/{user_id}/roles", status_code=201)
async def attach_role(
    user_id: PathId, body: AttachRoleBody, viewer: Admin, db: Db, context: Context
) -> UserRoles:
    user = await get_user(db, user_id)
    role = await get_role(db, body.role_id)
    await attach(db, user, role)
    audit.record(
        db,
        actor_id=viewer.user.id,
        action="user.role.attach",
        target=f"user:{user.id}",
        now=context.now(),
        details={"role": role.name},
    )
    await db.commit()
    return await _user_roles(db, user)


@router.delete("/api/admin/users/{user_id}/roles/{role_id}")
async def detach_role(
    user_id: PathId, role_id: PathId, viewer: Admin, db: Db, context: Context
) -> UserRoles:
    user = await get_user(db, user_id)
    role = await get_role(db, role_id)
    now = context.now()
    await detach(db, user, role, now)
    audit.record(
        db,
        actor_id=viewer.user.id,
        action="user.role.detach",
        target=f"user:{user.id}",
        now=now,
        details={"role": role.name},
    )
    await db.commit()
    return await _user_roles(db, user)


@router.post("/api/admin/users/{user_id}/bonus-points")
async def bonus_points(
    user_id: PathId, body: BonusBody, viewer: Admin, db: Db, context: Context
) -> BonusReply:
    balance = await adjust_bonus(
        db,
        actor_id=viewer.user.id,
        user_id=user_id,
        amount=body.amount,
        reason=body.reason,
        now=context.now(),
    )
    await db.commit()
    return BonusReply(user_id=user_id, amount=body.amount, bonus_points=balance)
