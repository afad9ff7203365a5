"""`/api/torrents*`, favorites, a member's uploads, upload rules: the torrents domain's routes."""

from __future__ import annotations

from typing import Annotated, Any, cast
from urllib.parse import urlsplit

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy import ColumnElement, delete, select

from torrentstack.site.admin.schemas import PathId
from torrentstack.site.catalog.categories import category_ids_with_descendants
from torrentstack.site.catalog.names import fold_tag
from torrentstack.site.context import Context, Db
from torrentstack.site.errors import InvalidRequest, Missing, PermissionDenied
from torrentstack.site.models import Category, Comment, Favorite, Torrent, User
from torrentstack.site.permissions import Admin, Anyone, Member, Viewer
from torrentstack.site.public.announce_urls import announce_urls as site_announce_urls
from torrentstack.site.schemas import NO_NUL, Ok
from torrentstack.site.torrents import uploads, views
from torrentstack.site.torrents.metafile import announce_urls, magnet_link, torrent_file
from torrentstack.site.torrents.rules import UploadRules
from torrentstack.site.torrents.schemas import (
    CheckBody,
    CheckReply,
    CommentBody,
    CommentOut,
    CrossSeed,
    CrossSeedStats,
    TagsBody,
    TorrentDetail,
    TorrentPage,
    TorrentPatch,
    UploadData,
    UploadReply,
)
from torrentstack.site.torrents.search import (
    SORTS,
    Sort,
    TorrentQuery,
    search,
    search_words,
)

router = APIRouter(tags=["torrents"])
Hash = Annotated[str, "a torrent's 40-hex info hash"]


def _may_edit(torrent: Torrent, viewer: Viewer) -> None:
    if torrent.uploader_id != viewer.user.id and not viewer.can_moderate:
        raise PermissionDenied("Only the uploader or staff may change this torrent")


async def _read_limited(upload: UploadFile, limit: int, what: str) -> bytes:
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise InvalidRequest(f"{what} is over {limit} bytes")
    return data


@router.post("/api/torrents", status_code=201)
async def upload_torrent(
    viewer: Member,
    db: Db,
    context: Context,
    torrent: Annotated[UploadFile, File()],
    title: Annotated[str | None, Form(max_length=300, pattern=NO_NUL)] = None,
    description: Annotated[str, Form(max_length=100_000, pattern=NO_NUL)] = "",
    categoryId: Annotated[int | None, Form()] = None,
    tags: Annotated[str | None, Form(max_length=10_000, pattern=NO_NUL)] = None,
    nfo: Annotated[UploadFile | None, File()] = None,
) -> UploadReply:
    data = await _read_limited(torrent, context.settings.max_torrent_bytes, "The torrent file")
    nfo_text = None
    if nfo is not None:
        nfo_text = (await _read_limited(nfo, 1_000_000, "The NFO")).decode("utf-8", "replace")
    upload = uploads.Upload(
        data, title, description, categoryId, uploads.parse_tags(tags), nfo_text
    )
    row = await uploads.create(
        db, upload, viewer, context.now(), context.settings.max_torrent_bytes
    )
    approved = row.status == "accepted"
    return UploadReply(
        message="Torrent uploaded" if approved else "Torrent uploaded; awaiting moderation",
        data=UploadData(
            id=row.id,
            info_hash=row.info_hash,
            name=row.name,
            title=row.title,
            size=row.size,
            is_approved=approved,
            status=row.status,
            magnet_link=magnet_link(
                row.info_hash, row.name, row.size, info_hash_v2=row.info_hash_v2
            ),
        ),
    )


@router.post("/api/torrents/check")
async def check_torrent(body: CheckBody, viewer: Member, db: Db) -> CheckReply:
    key = body.info_hash.lower()[:40]
    torrent = await db.scalar(select(Torrent).where(Torrent.info_hash == key))
    if torrent is None:
        return CheckReply(exists=False)
    shown = views.visible(torrent, viewer)
    return CheckReply(
        exists=True, torrent=(await views.summaries(db, [torrent]))[0] if shown else None
    )


@router.get("/api/torrents")
async def browse(
    db: Db,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    category: Annotated[int | None, Query()] = None,
    tags: Annotated[str | None, Query(max_length=1000)] = None,
    q: Annotated[str | None, Query(max_length=500)] = None,
    sort: Annotated[str, Query(max_length=20)] = "newest",
) -> TorrentPage:
    if sort not in SORTS:
        raise InvalidRequest(f"sort: one of {', '.join(SORTS)}")
    categories = (
        tuple(await category_ids_with_descendants(db, [category])) if category is not None else ()
    )
    names = tuple(fold_tag(t) for t in (tags or "").split(",") if t.strip())
    try:
        query = TorrentQuery(
            q=q or "", categories=categories, tags=names, sort=cast(Sort, sort), page=page,
            limit=limit,
        )  # fmt: skip
        found = await search(db, query)
    except ValueError as exc:
        raise InvalidRequest(str(exc)) from None
    return TorrentPage(
        torrents=await views.summaries(db, found.torrents),
        page=page,
        limit=limit,
        total=found.total,
    )


@router.get("/api/torrents/{info_hash}")
async def torrent_detail(info_hash: Hash, viewer: Anyone, db: Db) -> TorrentDetail:
    torrent = await views.find(db, info_hash, viewer)
    return await views.detail(db, torrent, viewer)


@router.patch("/api/torrents/{info_hash}")
async def edit_torrent(
    info_hash: Hash, body: TorrentPatch, viewer: Member, db: Db, context: Context
) -> TorrentDetail:
    torrent = await views.find(db, info_hash, viewer)
    _may_edit(torrent, viewer)
    if body.title is not None:
        torrent.title = body.title
    if body.description is not None:
        torrent.description = body.description
    if "category_id" in body.model_fields_set:
        if body.category_id is not None and await db.get(Category, body.category_id) is None:
            raise InvalidRequest("Unknown category")
        torrent.category_id = body.category_id
    if body.tags is not None:
        await uploads.set_tags(db, torrent.id, body.tags)
    torrent.search_text = search_words(torrent.title, torrent.name)
    torrent.updated_at = context.now()
    await db.commit()
    return await views.detail(db, torrent, viewer)


@router.delete("/api/torrents/{info_hash}")
async def delete_torrent(info_hash: Hash, viewer: Member, db: Db, context: Context) -> Ok:
    torrent = await views.find(db, info_hash, viewer)
    _may_edit(torrent, viewer)
    torrent.deleted, torrent.updated_at = True, context.now()
    await db.commit()
    return Ok(message="Torrent deleted")


def _base(url: str) -> str:
    """An announce URL without its `/announce` (metafile appends `/announce/PASSKEY`)."""
    return url.removesuffix("/").removesuffix("/announce")


def personal_torrent(request: Request, context: Context, torrent: Torrent, passkey: str) -> bytes:
    host = urlsplit(str(request.base_url)).hostname or ""
    bases = site_announce_urls(context.settings, context.tracker_port, host)
    urls = announce_urls(
        passkey, http_base=_base(bases.http), udp_base=_base(bases.udp) if bases.udp else None
    )
    return torrent_file(
        torrent.info,
        announce_urls=urls,
        comment=torrent.comment or None,
        created_by=torrent.created_by or None,
        creation_date=torrent.creation_date,
        piece_layers=torrent.piece_layers,
    )


def torrent_response(torrent: Torrent, data: bytes) -> Response:
    safe = "".join(c for c in torrent.name if c.isalnum() or c in " ._-()[]")[:150] or "torrent"
    return Response(
        data,
        media_type="application/x-bittorrent",
        headers={"Content-Disposition": f'attachment; filename="{safe}.torrent"'},
    )


@router.get("/api/torrents/{info_hash}/download")
async def download(
    info_hash: Hash, request: Request, viewer: Member, db: Db, context: Context
) -> Response:
    torrent = await views.find(db, info_hash, viewer)
    return torrent_response(
        torrent, personal_torrent(request, context, torrent, viewer.user.passkey)
    )


@router.put("/api/torrents/{info_hash}/tags")
async def replace_tags(info_hash: Hash, body: TagsBody, viewer: Member, db: Db) -> TorrentDetail:
    torrent = await views.find(db, info_hash, viewer)
    _may_edit(torrent, viewer)
    await uploads.set_tags(db, torrent.id, body.tags)
    await db.commit()
    return await views.detail(db, torrent, viewer)


@router.post("/api/torrents/{info_hash}/comments", status_code=201)
async def add_comment(
    info_hash: Hash, body: CommentBody, viewer: Member, db: Db, context: Context
) -> CommentOut:
    torrent = await views.find(db, info_hash, viewer)
    comment = Comment(
        torrent_id=torrent.id, user_id=viewer.user.id, body=body.body, created_at=context.now()
    )
    db.add(comment)
    await db.commit()
    return CommentOut(
        id=comment.id, user_id=viewer.user.id, username=viewer.user.username,
        body=comment.body, created_at=comment.created_at,
    )  # fmt: skip


@router.delete("/api/torrents/comments/{comment_id}")
async def delete_comment(comment_id: PathId, viewer: Member, db: Db) -> Ok:
    comment = await db.get(Comment, comment_id)
    if comment is None:
        raise Missing("Comment not found")
    if comment.user_id != viewer.user.id and not viewer.can_moderate:
        raise PermissionDenied("Only the author or staff may delete this comment")
    await db.delete(comment)
    await db.commit()
    return Ok(message="Comment deleted")


@router.post("/api/torrents/{info_hash}/favorite")
async def favorite(info_hash: Hash, viewer: Member, db: Db, context: Context) -> Ok:
    torrent = await views.find(db, info_hash, viewer)
    if await db.get(Favorite, (viewer.user.id, torrent.id)) is None:
        db.add(Favorite(user_id=viewer.user.id, torrent_id=torrent.id, created_at=context.now()))
        await db.commit()
    return Ok(message="Starred")


@router.delete("/api/torrents/{info_hash}/favorite")
async def unfavorite(info_hash: Hash, viewer: Member, db: Db) -> Ok:
    torrent = await views.find(db, info_hash, viewer)
    await db.execute(
        delete(Favorite).where(
            Favorite.user_id == viewer.user.id, Favorite.torrent_id == torrent.id
        )
    )
    await db.commit()
    return Ok(message="Unstarred")


@router.get("/api/me/favorites")
async def my_favorites(
    viewer: Member,
    db: Db,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    sort: Annotated[str, Query(pattern="^(recent|name|seeders)$")] = "recent",
) -> TorrentPage:
    order: dict[str, ColumnElement[Any]] = {
        "recent": Favorite.created_at.desc(),
        "name": Torrent.title.asc(),
        "seeders": Torrent.seeders.desc(),
    }
    base = (
        select(Torrent)
        .join(Favorite, Favorite.torrent_id == Torrent.id)
        .where(Favorite.user_id == viewer.user.id, Torrent.deleted.is_(False))
    )
    return await views.page_of(db, base, order[sort], page, limit)


@router.get("/api/users/{user_id}/uploads")
async def user_uploads(
    user_id: PathId,
    db: Db,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
) -> TorrentPage:
    if await db.get(User, user_id) is None:
        raise Missing("User not found")
    try:
        query = TorrentQuery(uploader_id=user_id, page=page, limit=limit, sort="newest")
    except ValueError as exc:  # a page too deep
        raise InvalidRequest(str(exc)) from None
    found = await search(db, query)
    return TorrentPage(
        torrents=await views.summaries(db, found.torrents),
        page=page,
        limit=limit,
        total=found.total,
    )


async def _siblings(db: Db, torrent: Torrent) -> list[Torrent]:
    query = (
        select(Torrent)
        .where(
            Torrent.content_signature == torrent.content_signature,
            Torrent.id != torrent.id,
            Torrent.status == "accepted",
            Torrent.deleted.is_(False),
        )
        .order_by(Torrent.id.desc())
        .limit(50)
    )
    return list(await db.scalars(query))


@router.get("/api/torrents/{info_hash}/cross-seeds")
async def cross_seeds(info_hash: Hash, viewer: Member, db: Db) -> list[CrossSeed]:
    torrent = await views.find(db, info_hash, viewer)
    return [
        CrossSeed(
            info_hash=t.info_hash,
            title=t.title,
            size=t.size,
            seeders=t.seeders,
            leechers=t.leechers,
        )
        for t in await _siblings(db, torrent)
    ]


@router.get("/api/torrents/{info_hash}/cross-seed-stats")
async def cross_seed_stats(info_hash: Hash, viewer: Member, db: Db) -> CrossSeedStats:
    torrent = await views.find(db, info_hash, viewer)
    siblings = await _siblings(db, torrent)
    every = [torrent, *siblings]
    snatches = sum(t.snatches for t in every)
    return CrossSeedStats(
        siblings=len(siblings),
        seeders=sum(t.seeders for t in every),
        leechers=sum(t.leechers for t in every),
        snatches=snatches,
        volume_share=round(torrent.snatches / snatches, 4) if snatches else 0.0,
    )


@router.get("/api/upload-rules")
async def upload_rules(db: Db) -> UploadRules:
    return await uploads.load_rules(db)


@router.get("/api/admin/upload-rules")
async def admin_upload_rules(viewer: Admin, db: Db) -> UploadRules:
    return await uploads.load_rules(db)


@router.put("/api/admin/upload-rules")
async def save_upload_rules(body: UploadRules, viewer: Admin, db: Db) -> UploadRules:
    await uploads.save_rules(db, body)
    await db.commit()
    return body
