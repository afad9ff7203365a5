"""`/api/invites*` (a member's own codes and quota) and `/api/admin/invites*` (every code,
batches, quota grants)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from torrentstack.site.admin import audit
from torrentstack.site.admin.schemas import Pagination, PathId
from torrentstack.site.context import Context, Db
from torrentstack.site.invites import codes
from torrentstack.site.invites.schemas import (
    AdminInviteList,
    AdminInviteView,
    CreatedInvite,
    GenerateBody,
    GeneratedInvites,
    GrantBody,
    GrantReply,
    InviteStatus,
    InviteView,
    MyInvites,
    RevokedInvite,
)
from torrentstack.site.models import Invite, User
from torrentstack.site.permissions import Admin, Member, Viewer
from torrentstack.site.schemas import Ok
from torrentstack.site.settings_store import load_options

router = APIRouter(tags=["invites"])


def _view(invite: Invite, names: dict[int, str], now: datetime) -> InviteView:
    return InviteView(
        id=invite.id,
        code=invite.code,
        created_at=invite.created_at,
        expires_at=invite.expires_at,
        used_by=invite.used_by,
        used_at=invite.used_at,
        revoked=invite.revoked,
        status=codes.status_of(invite, now),
        used_by_username=names.get(invite.used_by) if invite.used_by else None,
    )


async def _admin_views(db: Db, invites: list[Invite], now: datetime) -> list[AdminInviteView]:
    names = await codes.usernames(
        db, {i.created_by for i in invites} | {i.used_by for i in invites}
    )
    return [
        AdminInviteView(
            **_view(i, names, now).model_dump(),
            created_by=i.created_by,
            created_by_username=names.get(i.created_by) if i.created_by else None,
        )
        for i in invites
    ]


async def _remaining(db: Db, viewer: Viewer) -> int:
    user = await db.get(User, viewer.user.id, populate_existing=True)
    return user.invites_remaining if user else 0


@router.get("/api/invites")
async def my_invites(viewer: Member, db: Db, context: Context) -> MyInvites:
    invites = await codes.own_invites(db, viewer.user.id)
    names = await codes.usernames(db, {i.used_by for i in invites})
    return MyInvites(
        invites=[_view(i, names, context.now()) for i in invites],
        remaining=await _remaining(db, viewer),
        unlimited=viewer.is_admin,
    )


@router.post("/api/invites", status_code=201)
async def create_invite(viewer: Member, db: Db, context: Context) -> CreatedInvite:
    """A new code, spending one of the member's quota (403 when none is left)."""
    options = await load_options(db)
    now = context.now()
    invite = await codes.create_invite(
        db,
        viewer,
        expiry_days=options.invite_expiry_days,
        enabled=options.features.invites,
        now=now,
    )
    await db.commit()
    return CreatedInvite(
        invite=_view(invite, {}, now),
        remaining=await _remaining(db, viewer),
        unlimited=viewer.is_admin,
    )


@router.delete("/api/invites/{invite_id}")
async def revoke_invite(invite_id: PathId, viewer: Member, db: Db) -> RevokedInvite:
    """Revoke one of my unused codes; the quota it spent comes back."""
    await codes.revoke_own(db, viewer, invite_id)
    await db.commit()
    return RevokedInvite(
        message="Invite revoked",
        remaining=await _remaining(db, viewer),
        unlimited=viewer.is_admin,
    )


@router.get("/api/admin/invites", tags=["admin"])
async def every_invite(
    viewer: Admin,
    db: Db,
    context: Context,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    status: InviteStatus | None = None,
) -> AdminInviteList:
    now = context.now()
    invites, total = await codes.all_invites(db, now, page=page, limit=limit, status=status)
    return AdminInviteList(
        data=await _admin_views(db, invites, now),
        pagination=Pagination(page=page, limit=limit, total=total, pages=-(-total // limit)),
    )


@router.post("/api/admin/invites/generate", status_code=201, tags=["admin"])
async def generate(body: GenerateBody, viewer: Admin, db: Db, context: Context) -> GeneratedInvites:
    now = context.now()
    days = body.expires_in_days
    expires_at = now + timedelta(days=days) if days else None
    invites = await codes.generate_batch(db, viewer.user.id, body.count, expires_at, now)
    audit.record(
        db,
        actor_id=viewer.user.id,
        action="invites.generate",
        target=f"user:{viewer.user.id}",
        now=now,
        details={"count": body.count, "expiresInDays": days},
    )
    await db.commit()
    return GeneratedInvites(
        codes=[i.code for i in invites],
        expires_at=expires_at,
        invites=await _admin_views(db, invites, now),
    )


@router.post("/api/admin/invites/grant", tags=["admin"])
async def grant(body: GrantBody, viewer: Admin, db: Db, context: Context) -> GrantReply:
    remaining = await codes.grant_quota(db, body.user_id, body.count)
    audit.record(
        db,
        actor_id=viewer.user.id,
        action="invites.grant",
        target=f"user:{body.user_id}",
        now=context.now(),
        details={"count": body.count},
    )
    await db.commit()
    return GrantReply(user_id=body.user_id, invites_remaining=remaining)


@router.delete("/api/admin/invites/{invite_id}", tags=["admin"])
async def revoke_any(invite_id: PathId, viewer: Admin, db: Db, context: Context) -> Ok:
    invite = await codes.revoke_any(db, invite_id)
    audit.record(
        db,
        actor_id=viewer.user.id,
        action="invites.revoke",
        target=f"invite:{invite.id}",
        now=context.now(),
        details={"createdBy": invite.created_by},
    )
    await db.commit()
    return Ok(message="Invite revoked")
