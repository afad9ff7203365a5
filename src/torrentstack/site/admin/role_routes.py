"""`/api/admin/roles*`: the role catalogue. Roles have no auto-assignment rules here, so
`recompute` reports that nothing was recomputed."""

from __future__ import annotations

from fastapi import APIRouter

from torrentstack.site.admin import audit
from torrentstack.site.admin.roles import (
    create_role,
    delete_role,
    edit_role,
    get_role,
    list_roles,
    member_counts,
    role_out,
)
from torrentstack.site.admin.schemas import (
    PathId,
    RecomputeReply,
    RoleBody,
    RoleList,
    RolePatch,
    RoleReply,
)
from torrentstack.site.context import Context, Db
from torrentstack.site.permissions import PERMISSIONS, Admin
from torrentstack.site.schemas import Ok

router = APIRouter(tags=["admin"])


@router.get("/api/admin/roles")
async def roles(viewer: Admin, db: Db) -> RoleList:
    counts = await member_counts(db)
    return RoleList(
        roles=[role_out(r, counts) for r in await list_roles(db)], permissions=list(PERMISSIONS)
    )


@router.post("/api/admin/roles", status_code=201)
async def new_role(body: RoleBody, viewer: Admin, db: Db, context: Context) -> RoleReply:
    role = await create_role(db, body.name, body.color, body.permissions)
    audit.record(
        db,
        actor_id=viewer.user.id,
        action="role.create",
        target=f"role:{role.id}",
        now=context.now(),
        details=body.model_dump(by_alias=True),
    )
    await db.commit()
    return RoleReply(role=role_out(role, {}))


@router.post("/api/admin/roles/recompute")
async def recompute(viewer: Admin) -> RecomputeReply:
    """No auto-assignment rules exist, so nothing is recomputed (always 0)."""
    return RecomputeReply()


@router.put("/api/admin/roles/{role_id}")
async def change_role(
    role_id: PathId, body: RolePatch, viewer: Admin, db: Db, context: Context
) -> RoleReply:
    role = await get_role(db, role_id)
    now = context.now()
    await edit_role(db, role, now, name=body.name, color=body.color, permissions=body.permissions)
    audit.record(
        db,
        actor_id=viewer.user.id,
        action="role.edit",
        target=f"role:{role.id}",
        now=now,
        details=body.model_dump(by_alias=True, exclude_unset=True),
    )
    await db.commit()
    return RoleReply(role=role_out(role, await member_counts(db)))


@router.delete("/api/admin/roles/{role_id}")
async def remove_role(role_id: PathId, viewer: Admin, db: Db, context: Context) -> Ok:
    role = await get_role(db, role_id)
    now = context.now()
    await delete_role(db, role, now)
    audit.record(
        db,
        actor_id=viewer.user.id,
        action="role.delete",
        target=f"role:{role_id}",
        now=now,
        details={"name": role.name},
    )
    await db.commit()
    return Ok(message="Role deleted")
