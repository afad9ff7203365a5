"""`/api/rss/latest` and `/api/rss/category/:slug`: Atom feeds of the newest approved torrents."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from torrentstack.site.catalog.categories import category_ids_with_descendants
from torrentstack.site.context import Context, Db
from torrentstack.site.errors import Missing
from torrentstack.site.feeds.atom import FeedEntry, atom_feed
from torrentstack.site.models import Category, Torrent
from torrentstack.site.torrents.search import TorrentQuery, search

router = APIRouter(tags=["rss"])
ATOM = "application/atom+xml; charset=utf-8"
_ENTRIES = 50


async def _feed(
    request: Request, db: Db, context: Context, title: str, query: TorrentQuery
) -> Response:
    base = context.settings.public_url.rstrip("/") or str(request.base_url).rstrip("/")
    found = await search(db, query)
    names = {c.id: c.name for c in await db.scalars(select(Category))}
    ids = [t.id for t in found.torrents]
    described = select(Torrent.id, Torrent.description).where(Torrent.id.in_(ids))
    descriptions = {row.id: row.description for row in await db.execute(described)}
    entries = [
        FeedEntry(
            id=f"{base}/api/torrents/{t.info_hash}",
            title=t.title,
            link=f"{base}/api/torrents/{t.info_hash}",
            updated=t.updated_at,
            summary=descriptions.get(t.id, "")[:2000],
            category=names.get(t.category_id) if t.category_id is not None else None,
            size=t.size,
            author=None,
        )
        for t in found.torrents
    ]
    updated = max((e.updated for e in entries), default=context.now())
    body = atom_feed(
        feed_id=str(request.url), title=title, self_url=str(request.url), site_url=base,
        entries=entries, updated=updated,
    )  # fmt: skip
    return Response(body, media_type=ATOM)


@router.get("/api/rss/latest")
async def latest(request: Request, db: Db, context: Context) -> Response:
    return await _feed(request, db, context, "Latest torrents", TorrentQuery(limit=_ENTRIES))


@router.get("/api/rss/category/{slug}")
async def by_category(slug: str, request: Request, db: Db, context: Context) -> Response:
    category = await db.scalar(select(Category).where(Category.slug == slug))
    if category is None:
        raise Missing("Category not found")
    ids = tuple(await category_ids_with_descendants(db, [category.id]))
    query = TorrentQuery(categories=ids, limit=_ENTRIES)
    return await _feed(request, db, context, f"Latest in {category.name}", query)
