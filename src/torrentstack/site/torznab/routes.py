"""`/api/torznab/api` (GET and HEAD) and `/api/torznab/download`: Torznab for the *arrs,
keyed by the member's Torznab key (`apikey`, or `r` on downloads). Newznab errors are XML
`<error code description/>` answered with 200, as Newznab indexers do."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy import delete, func, select

from torrentstack.site.accounts.sessions import banned
from torrentstack.site.context import Context, Db
from torrentstack.site.models import Torrent, TorznabRequest, User
from torrentstack.site.settings_store import load_options
from torrentstack.site.torrents.routes import personal_torrent, torrent_response
from torrentstack.site.torrents.search import TorrentQuery, search
from torrentstack.site.torznab.categories import newznab_map
from torrentstack.site.torznab.query import NewznabError, TorznabQuery, parse_query
from torrentstack.site.torznab.xml import TorznabItem, caps_xml, error_xml, results_xml

router = APIRouter(tags=["torznab"])
XML = "application/xml; charset=utf-8"
_KEY = re.compile(r"[0-9a-f]{32}")
_KEPT_REQUESTS = 10_000
_HASH = re.compile(r"[0-9a-f]{40}")  # an info hash, v1 or a v2 one truncated (hybrids)


def _xml(body: bytes, request: Request) -> Response:
    if request.method == "HEAD":
        return Response(b"", media_type=XML, headers={"Content-Length": str(len(body))})
    return Response(body, media_type=XML)


async def _member(db: Db, context: Context, key: str) -> User:
    if not key:
        raise NewznabError(200, "Missing parameter")
    user = None
    if _KEY.fullmatch(key):
        user = await db.scalar(select(User).where(User.torznab_key == key))
    if user is None or user.torznab_blocked:
        raise NewznabError(100)
    if banned(user, context.now()):
        raise NewznabError(101)
    return user


def _words(query: TorznabQuery) -> str:
    words = query.q or ""
    if query.function == "tvsearch" and query.season is not None:
        tag = f"S{query.season:02d}"
        if query.episode is not None and query.episode.isdigit():
            tag += f"E{int(query.episode):02d}"
        words = f"{words} {tag}".strip()
    return words


async def _log(
    db: Db,
    context: Context,
    user: User | None,
    query: str,
    function: str,
    status: int,
    results: int,
) -> None:
    db.add(
        TorznabRequest(
            user_id=user.id if user else None,
            function=function,
            query=query[:500],
            status=status,
            results=results,
            created_at=context.now(),
        )
    )
    await db.flush()
    latest = await db.scalar(select(func.max(TorznabRequest.id)))
    if (
        latest is not None and latest % 100 == 0
    ):  # keep the last _KEPT_REQUESTS, pruned now and then
        await db.execute(delete(TorznabRequest).where(TorznabRequest.id <= latest - _KEPT_REQUESTS))
    await db.commit()


@router.get("/api/torznab/api")
async def torznab(request: Request, db: Db, context: Context) -> Response:
    """Newznab/Torznab: t=caps|search|tvsearch|movie (apikey = the member's Torznab key)."""
    return await _answer(request, db, context)


@router.head("/api/torznab/api")
async def torznab_head(request: Request, db: Db, context: Context) -> Response:
    """As GET, without the body (Prowlarr's availability check)."""
    return await _answer(request, db, context)


async def _answer(request: Request, db: Db, context: Context) -> Response:
    params = dict(request.query_params)
    user: User | None = None
    function = params.get("t", "")[:16].replace("\x00", "")  # as the log can keep it
    options = (await load_options(db)).torznab
    try:
        if not options.enabled:
            raise NewznabError(910)
        limits = {"limit_default": options.default_limit, "limit_max": min(options.max_limit, 100)}
        query = parse_query(params, **limits)
        categories = await newznab_map(db)
        if query.function == "caps":
            body = caps_xml(
                server_title="torrentstack", categories=categories.tree,
                limit_default=limits["limit_default"], limit_max=limits["limit_max"],
            )  # fmt: skip
            return _xml(body, request)
        user = await _member(db, context, query.apikey or "")
        if (query.function == "movie" and not query.q) or (
            query.function == "tvsearch" and not query.q and query.season is None
            and (query.imdbid or query.tvdbid or query.tmdbid)
        ):  # fmt: skip
            found_torrents: list[Torrent] = []  # an id-only search: no torrent carries ids yet
            total, offset = 0, 0
            if query.function == "movie" and not (query.imdbid or query.tmdbid):
                page = await search(db, TorrentQuery(limit=query.limit, page=1))  # RSS mode
                found_torrents, total = list(page.torrents), page.total
        else:
            wanted = categories.selecting(query.categories) if query.categories else ()
            if query.categories and not wanted:
                found_torrents, total, offset = [], 0, 0
            else:
                # pages are whole multiples of `limit`: the offset served is said in the answer
                page = await search(
                    db,
                    TorrentQuery(
                        q=_words(query), categories=wanted, limit=query.limit,
                        page=query.offset // query.limit + 1,
                    ),
                )  # fmt: skip
                found_torrents, total = list(page.torrents), page.total
                offset = (page.page - 1) * page.limit
    except NewznabError as exc:
        await _log(db, context, user, str(request.url.query), function, exc.code, 0)
        return _xml(error_xml(exc.code, exc.description), request)
    except ValueError:
        await _log(db, context, user, str(request.url.query), function, 201, 0)
        return _xml(error_xml(201, "Incorrect parameter"), request)
    base = context.settings.public_url.rstrip("/") or str(request.base_url).rstrip("/")
    key = user.torznab_key
    items = [
        TorznabItem(
            title=t.title,
            guid=f"{base}/api/torrents/{t.info_hash}",
            details_url=f"{base}/api/torrents/{t.info_hash}",
            download_url=f"{base}/api/torznab/download?id={t.info_hash}&r={key}",
            pub_date=t.created_at,
            size=t.size,
            categories=(categories.newznab(t.category_id),),
            seeders=t.seeders,
            leechers=t.leechers,
            grabs=t.snatches,
            info_hash=t.info_hash,
            files=t.file_count,
        )
        for t in found_torrents
    ]
    await _log(db, context, user, query.q or "", query.function, 0, len(items))
    body = results_xml(
        items, title="torrentstack", link=base, offset=offset, total=total,
        self_url=str(request.url.remove_query_params(["apikey"])),
    )  # fmt: skip
    return _xml(body, request)


@router.get("/api/torznab/download")
async def torznab_download(
    request: Request,
    db: Db,
    context: Context,
    id: Annotated[str, Query(max_length=64)] = "",
    r: Annotated[str, Query(max_length=64)] = "",
    apikey: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    try:
        user = await _member(db, context, r or apikey)
    except NewznabError as exc:
        return Response(error_xml(exc.code, exc.description), media_type=XML, status_code=401)
    torrent = None
    if _HASH.fullmatch(id.lower()):  # anything else names no torrent (a NUL, no query at all)
        torrent = await db.scalar(select(Torrent).where(Torrent.info_hash == id.lower()))
    if torrent is None or torrent.deleted or torrent.status != "accepted":
        return Response(error_xml(300, "No such item"), media_type=XML, status_code=404)
    return torrent_response(torrent, personal_torrent(request, context, torrent, user.passkey))
