"""`/api/admin/torznab*`: the Torznab switch and limits (stored with the site's options),
members' keys (block, rotate), the request log and its counters."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import case, func, select

from torrentstack.site.admin.audit import record
from torrentstack.site.context import Context, Db
from torrentstack.site.errors import Missing
from torrentstack.site.models import TorznabRequest, User
from torrentstack.site.permissions import Admin
from torrentstack.site.schemas import ApiModel
from torrentstack.site.settings_store import (
    SiteOptionsPatch,
    TorznabOptions,
    load_options,
    update_options,
)

router = APIRouter(tags=["torznab admin"])


class KeyOut(ApiModel):
    user_id: int
    username: str
    key_prefix: str  # the first 6 characters: enough to tell keys apart, useless to call with
    blocked: bool
    requests: int
    last_used: datetime | None


class TorznabAdmin(ApiModel):
    config: TorznabOptions
    keys: list[KeyOut]


class LogOut(ApiModel):
    id: int
    user_id: int | None
    username: str | None
    function: str
    query: str
    status: int  # 0: answered; else the Newznab error code
    results: int
    created_at: datetime


class FunctionCount(ApiModel):
    function: str
    requests: int
    errors: int


class TorznabStats(ApiModel):
    total: int
    last_24h: int
    errors: int
    by_function: list[FunctionCount]


class KeyReply(ApiModel):
    success: bool = True
    user_id: int
    blocked: bool
    torznab_key: str | None = None  # the new key, after a reset


async def _keys(db: Db, active_only: bool) -> list[KeyOut]:
    usage = (
        select(
            TorznabRequest.user_id,
            func.count().label("requests"),
            func.max(TorznabRequest.created_at).label("last_used"),
        )
        .group_by(TorznabRequest.user_id)
        .subquery()
    )
    query = (
        select(User, usage.c.requests, usage.c.last_used)
        .outerjoin(usage, usage.c.user_id == User.id)
        .order_by(User.id)
    )
    if active_only:
        query = query.where(User.torznab_blocked.is_(False), User.banned.is_(False))
    rows = await db.execute(query.limit(1000))
    return [
        KeyOut(
            user_id=user.id,
            username=user.username,
            key_prefix=user.torznab_key[:6],
            blocked=user.torznab_blocked,
            requests=int(requests or 0),
            last_used=last_used,
        )
        for user, requests, last_used in rows
    ]


@router.get("/api/admin/torznab")
async def torznab_admin(viewer: Admin, db: Db) -> TorznabAdmin:
    return TorznabAdmin(config=(await load_options(db)).torznab, keys=await _keys(db, False))


@router.put("/api/admin/torznab")
async def torznab_config(
    body: TorznabOptions, viewer: Admin, db: Db, context: Context
) -> TorznabOptions:
    options = await update_options(db, SiteOptionsPatch(torznab=body))
    record(db, actor_id=viewer.user.id, action="torznab.config", target="torznab",
           now=context.now(), details=body.model_dump(by_alias=True))  # fmt: skip
    await db.commit()
    return options.torznab


@router.get("/api/admin/torznab/users")
async def torznab_users(viewer: Admin, db: Db) -> list[KeyOut]:
    return await _keys(db, True)


async def _user(db: Db, user_id: int) -> User:
    user = await db.get(User, user_id) if 0 < user_id < 2**31 else None
    if user is None:
        raise Missing("User not found")
    return user


@router.post("/api/admin/torznab/users/{user_id}/block")
async def block_key(user_id: int, viewer: Admin, db: Db, context: Context) -> KeyReply:
    user = await _user(db, user_id)
    user.torznab_blocked = True
    record(
        db, actor_id=viewer.user.id, action="torznab.block", target=str(user.id), now=context.now()
    )
    await db.commit()
    return KeyReply(user_id=user.id, blocked=True)


@router.post("/api/admin/torznab/users/{user_id}/reset")
async def reset_key(user_id: int, viewer: Admin, db: Db, context: Context) -> KeyReply:
    user = await _user(db, user_id)
    user.torznab_key, user.torznab_blocked = secrets.token_hex(16), False
    record(
        db, actor_id=viewer.user.id, action="torznab.reset", target=str(user.id), now=context.now()
    )
    await db.commit()
    return KeyReply(user_id=user.id, blocked=False, torznab_key=user.torznab_key)


@router.get("/api/admin/torznab/logs")
async def torznab_logs(
    viewer: Admin, db: Db, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[LogOut]:
    rows = await db.execute(
        select(TorznabRequest, User.username)
        .outerjoin(User, User.id == TorznabRequest.user_id)
        .order_by(TorznabRequest.id.desc())
        .limit(limit)
    )
    return [
        LogOut(
            id=r.id,
            user_id=r.user_id,
            username=name,
            function=r.function,
            query=r.query,
            status=r.status,
            results=r.results,
            created_at=r.created_at,
        )
        for r, name in rows
    ]


@router.get("/api/admin/torznab/stats")
async def torznab_stats(viewer: Admin, db: Db, context: Context) -> TorznabStats:
    since = context.now() - timedelta(hours=24)
    total = await db.scalar(select(func.count()).select_from(TorznabRequest))
    recent = await db.scalar(select(func.count()).where(TorznabRequest.created_at >= since))
    rows = await db.execute(
        select(
            TorznabRequest.function,
            func.count(),
            func.sum(case((TorznabRequest.status != 0, 1), else_=0)),
        ).group_by(TorznabRequest.function)
    )
    by_function = [
        FunctionCount(function=f, requests=int(n), errors=int(e or 0)) for f, n, e in rows
    ]
    return TorznabStats(
        total=int(total or 0),
        last_24h=int(recent or 0),
        errors=sum(f.errors for f in by_function),
        by_function=by_function,
    )
