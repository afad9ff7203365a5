"""`/api/admin/settings`, `/api/admin/stats`, `/api/admin/system/version` and the IP banlist
(`/api/admin/banned-ips`). `/api/admin/system/update` is not served: it asks GitHub for the
latest release, and the site makes no calls to the internet."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request

from torrentstack.site.admin import audit
from torrentstack.site.admin.banned_ips import add_ban, covers, list_bans, parse_address, remove_ban
from torrentstack.site.admin.schemas import (
    AdminStats,
    BannedIpBody,
    BannedIpList,
    BannedIpOut,
    BannedIpReply,
    VersionInfo,
)
from torrentstack.site.admin.stats import admin_stats
from torrentstack.site.admin.version import version_info
from torrentstack.site.context import Context, Db
from torrentstack.site.errors import InvalidRequest
from torrentstack.site.models import BannedIp
from torrentstack.site.permissions import Admin
from torrentstack.site.schemas import Ok
from torrentstack.site.settings_store import (
    SiteOptions,
    SiteOptionsPatch,
    load_options,
    update_options,
)

router = APIRouter(tags=["admin"])


@router.get("/api/admin/settings")
async def settings(viewer: Admin, db: Db) -> SiteOptions:
    return await load_options(db)


@router.put("/api/admin/settings")
async def save_settings(
    body: SiteOptionsPatch, viewer: Admin, db: Db, context: Context
) -> SiteOptions:
    """Save any subset of the settings: keys left out keep their value; objects merge key by
    key; a value that does not validate refuses the whole request (nothing is saved)."""
    options = await update_options(db, body)
    audit.record(
        db,
        actor_id=viewer.user.id,
        action="settings.update",
        target="settings",
        now=context.now(),
        details={"keys": sorted(body.model_dump(by_alias=True, exclude_unset=True))},
    )
    await db.commit()
    return options


@router.get("/api/admin/stats")
async def stats(viewer: Admin, db: Db, context: Context) -> AdminStats:
    return await admin_stats(db, context.now())


@router.get("/api/admin/system/version")
async def version(viewer: Admin) -> VersionInfo:
    return version_info()


def _out(row: BannedIp, now: datetime) -> BannedIpOut:
    return BannedIpOut(
        ip=row.ip,
        reason=row.reason,
        created_at=row.created_at,
        expires_at=row.expires_at,
        active=row.expires_at is None or row.expires_at > now,
    )


@router.get("/api/admin/banned-ips")
async def banned_ips(viewer: Admin, db: Db, context: Context) -> BannedIpList:
    now = context.now()
    return BannedIpList(banned_ips=[_out(row, now) for row in await list_bans(db)])


@router.post("/api/admin/banned-ips", status_code=201)
async def ban_ip(
    body: BannedIpBody, viewer: Admin, request: Request, db: Db, context: Context
) -> BannedIpReply:
    now = context.now()
    own = parse_address(request.client.host if request.client else "")
    row = await add_ban(db, body.ip, body.reason, body.expires_at, now)
    if own is not None and covers(row.ip, own):
        raise InvalidRequest("That would ban your own address")
    audit.record(
        db,
        actor_id=viewer.user.id,
        action="ip.ban",
        target=f"ip:{row.ip}",
        now=now,
        details={"reason": body.reason},
    )
    await db.commit()
    return BannedIpReply(banned_ip=_out(row, now))


@router.delete("/api/admin/banned-ips/{ip:path}")
async def unban_ip(
    ip: Annotated[str, Path(max_length=64)], viewer: Admin, db: Db, context: Context
) -> Ok:
    key = await remove_ban(db, ip)
    audit.record(
        db, actor_id=viewer.user.id, action="ip.unban", target=f"ip:{key}", now=context.now()
    )
    await db.commit()
    return Ok(message="Removed from the banlist")
