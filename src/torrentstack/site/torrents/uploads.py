"""Taking an upload: the .torrent made private and hashed after that (so the hash members
download is the one stored), the upload rules, duplicates, category and tags, and whether it
waits for moderation."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from torrentstack.site.catalog.tags import tags_by_name
from torrentstack.site.errors import AlreadyExists, InvalidRequest
from torrentstack.site.models import Category, Setting, Torrent, TorrentTag
from torrentstack.site.permissions import CAN_UPLOAD_UNMODERATED, Viewer
from torrentstack.site.torrents.metafile import InvalidTorrent, prepare_upload
from torrentstack.site.torrents.rules import UploadRules, check
from torrentstack.site.torrents.search import search_words

RULES_KEY = "uploadRules"


async def load_rules(db: AsyncSession) -> UploadRules:
    stored = await db.get(Setting, RULES_KEY)
    return UploadRules() if stored is None else UploadRules.model_validate_json(stored.value)


async def save_rules(db: AsyncSession, rules: UploadRules) -> None:
    value = rules.model_dump_json(by_alias=True)
    stored = await db.get(Setting, RULES_KEY)
    if stored is None:
        db.add(Setting(key=RULES_KEY, value=value))
    else:
        stored.value = value


async def set_tags(db: AsyncSession, torrent_id: int, names: list[str]) -> list[str]:
    """Replace the torrent's tags with `names` (made in the master list when new; a name that
    makes no valid tag is a 400)."""
    tags = await tags_by_name(db, names, create=True)
    await db.execute(delete(TorrentTag).where(TorrentTag.torrent_id == torrent_id))
    for tag in tags:
        db.add(TorrentTag(torrent_id=torrent_id, tag_id=tag.id))
    return [t.name for t in tags]


def parse_tags(text: str | None) -> list[str]:
    """The upload form's `tags`: a JSON array of names (a comma list is taken too)."""
    if not text:
        return []
    try:
        value = json.loads(text)
    except ValueError:
        value = text.split(",")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidRequest("tags: a JSON array of tag names")
    if len(value) > 50:
        raise InvalidRequest("tags: at most 50")
    return [str(v) for v in value]


@dataclass(frozen=True, slots=True)
class Upload:
    data: bytes
    title: str | None
    description: str
    category_id: int | None
    tags: list[str]
    nfo: str | None


async def create(
    db: AsyncSession, upload: Upload, viewer: Viewer, now: datetime, max_bytes: int
) -> Torrent:
    """Store the upload (committed); 400 for an invalid torrent or a broken rule, 409 for a
    torrent already on the site."""
    try:
        prepared = prepare_upload(upload.data, max_bytes=max_bytes)
    except InvalidTorrent as exc:
        raise InvalidRequest(f"Invalid torrent file: {exc.reason}") from None
    title = (upload.title or "").strip() or prepared.name
    violations = check(
        await load_rules(db),
        prepared,
        title=title,
        description=upload.description,
        has_nfo=upload.nfo is not None,
    )
    if violations:
        raise InvalidRequest("The upload breaks the upload rules", data={"violations": violations})
    if upload.category_id is not None and await db.get(Category, upload.category_id) is None:
        raise InvalidRequest("Unknown category")
    if await db.scalar(select(func.count()).where(Torrent.info_hash == prepared.info_hash)):
        raise AlreadyExists("This torrent is already on the site")
    unmoderated = CAN_UPLOAD_UNMODERATED in viewer.permissions
    torrent = Torrent(
        info_hash=prepared.info_hash,
        info_hash_v2=prepared.info_hash_v2,
        name=prepared.name,
        title=title[:300],
        description=upload.description,
        nfo=upload.nfo,
        category_id=upload.category_id,
        uploader_id=viewer.user.id,
        size=prepared.size,
        file_count=len(prepared.files),
        files=json.dumps([[f.path, f.length] for f in prepared.files]),
        info=prepared.info,
        piece_layers=prepared.piece_layers,
        creation_date=prepared.creation_date,
        comment=prepared.comment or "",
        created_by=prepared.created_by or "",
        content_signature=prepared.content_signature,
        search_text=search_words(title, prepared.name),
        status="accepted" if unmoderated else "pending",
        created_at=now,
        updated_at=now,
    )
    db.add(torrent)
    try:
        await db.flush()
    except IntegrityError:  # the same torrent uploaded at the same moment
        await db.rollback()
        raise AlreadyExists("This torrent is already on the site") from None
    await set_tags(db, torrent.id, upload.tags)
    await db.commit()
    return torrent
