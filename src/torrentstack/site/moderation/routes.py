"""`/api/mod/*` and `/api/torrents/:hash/moderation/messages`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field
from sqlalchemy import func, select

from torrentstack.site.context import Context, Db
from torrentstack.site.errors import AlreadyExists, InvalidRequest, Missing
from torrentstack.site.models import ModerationMessage, Torrent, User
from torrentstack.site.permissions import Member, Moderator, Viewer
from torrentstack.site.schemas import ApiModel
from torrentstack.site.torrents import views
from torrentstack.site.torrents.schemas import TorrentPage

router = APIRouter(tags=["moderation"])

# decision -> (the states it may start from, the state it leaves, whether a message is required)
DECISIONS = {
    "approve": ({"pending", "changes_requested"}, "accepted", False),
    "request-changes": ({"pending", "accepted"}, "changes_requested", True),
    "reject": ({"pending", "changes_requested", "accepted"}, "rejected", True),
    "reset": ({"rejected"}, "pending", True),
}


class DecisionBody(ApiModel):
    message: str | None = Field(default=None, max_length=20_000)


class MessageBody(ApiModel):
    message: str = Field(min_length=1, max_length=20_000)


class MessageOut(ApiModel):
    id: int
    user_id: int | None
    username: str | None
    status: str | None
    message: str
    created_at: datetime


class Thread(ApiModel):
    status: str
    messages: list[MessageOut]


class Dashboard(ApiModel):
    pending_uploads: int
    changes_requested: int
    rejected: int
    accepted: int


async def _count(db: Db, status: str) -> int:
    query = select(func.count()).where(Torrent.status == status, Torrent.deleted.is_(False))
    return int(await db.scalar(query) or 0)


@router.get("/api/mod/dashboard")
async def dashboard(viewer: Moderator, db: Db) -> Dashboard:
    return Dashboard(
        pending_uploads=await _count(db, "pending"),
        changes_requested=await _count(db, "changes_requested"),
        rejected=await _count(db, "rejected"),
        accepted=await _count(db, "accepted"),
    )


@router.get("/api/mod/torrents/pending")
async def pending(
    viewer: Moderator,
    db: Db,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
) -> TorrentPage:
    base = select(Torrent).where(Torrent.status == "pending", Torrent.deleted.is_(False))
    return await views.page_of(db, base, Torrent.id, page, limit)


def _decide(decision: str) -> Callable[..., Awaitable[Thread]]:
    allowed_from, to, needs_message = DECISIONS[decision]

    async def decide(
        info_hash: str,
        viewer: Moderator,
        db: Db,
        context: Context,
        body: DecisionBody | None = None,
    ) -> Thread:
        torrent = await views.find(db, info_hash, viewer)
        message = (body.message if body else None) or ""
        if needs_message and not message.strip():
            raise InvalidRequest("A message is required")
        if torrent.deleted or torrent.status not in allowed_from:
            raise AlreadyExists(f"Cannot {decision} a torrent that is {torrent.status}")
        now = context.now()
        torrent.status, torrent.updated_at = to, now
        db.add(
            ModerationMessage(
                torrent_id=torrent.id,
                user_id=viewer.user.id,
                status=to,
                body=message,
                created_at=now,
            )
        )
        await db.commit()
        return await _thread(db, torrent)

    decide.__name__ = decision.replace("-", "_")
    return decide


for _name in DECISIONS:
    router.add_api_route(
        f"/api/mod/torrents/{{info_hash}}/{_name}", _decide(_name), methods=["POST"]
    )


async def _thread(db: Db, torrent: Torrent) -> Thread:
    rows = await db.execute(
        select(ModerationMessage, User.username)
        .outerjoin(User, User.id == ModerationMessage.user_id)
        .where(ModerationMessage.torrent_id == torrent.id)
        .order_by(ModerationMessage.id)
    )
    messages = [
        MessageOut(
            id=m.id,
            user_id=m.user_id,
            username=name,
            status=m.status,
            message=m.body,
            created_at=m.created_at,
        )
        for m, name in rows
    ]
    return Thread(status=torrent.status, messages=messages)


async def _thread_torrent(db: Db, info_hash: str, viewer: Viewer) -> Torrent:
    """The torrent whose thread the viewer may read: its uploader's or any for staff; 404
    for everyone else, deliberately (the thread's existence is not shown)."""
    torrent = await db.scalar(select(Torrent).where(Torrent.info_hash == info_hash.lower()))
    if torrent is None or not (viewer.can_moderate or torrent.uploader_id == viewer.user.id):
        raise Missing("Not found")
    return torrent


@router.get("/api/torrents/{info_hash}/moderation/messages")
async def thread(info_hash: str, viewer: Member, db: Db) -> Thread:
    return await _thread(db, await _thread_torrent(db, info_hash, viewer))


@router.post("/api/torrents/{info_hash}/moderation/messages", status_code=201)
async def reply(
    info_hash: str, body: MessageBody, viewer: Member, db: Db, context: Context
) -> Thread:
    torrent = await _thread_torrent(db, info_hash, viewer)
    db.add(
        ModerationMessage(
            torrent_id=torrent.id,
            user_id=viewer.user.id,
            status=None,
            body=body.message,
            created_at=context.now(),
        )
    )
    await db.commit()
    return await _thread(db, torrent)
