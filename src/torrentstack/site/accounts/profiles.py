"""Members as the API shows them: the public profile, and the member's own (`/api/me`)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from torrentstack.site.accounts.schemas import Me, PublicUser
from torrentstack.site.models import Torrent, User
from torrentstack.site.permissions import Viewer, roles_of


def ratio(user: User) -> float | None:
    return round(user.uploaded / user.downloaded, 3) if user.downloaded else None


async def uploads_count(db: AsyncSession, user_id: int) -> int:
    query = select(func.count()).where(
        Torrent.uploader_id == user_id, Torrent.status == "accepted", Torrent.deleted.is_(False)
    )
    return int(await db.scalar(query) or 0)


async def public_profile(db: AsyncSession, user: User) -> PublicUser:
    roles = [r.name for r in await roles_of(db, user.id)]
    return PublicUser(
        id=user.id,
        username=user.username,
        display_name=user.display_name or user.username,
        roles=roles,
        created_at=user.created_at,
        last_seen=None if user.hide_last_seen else user.last_seen,
        uploaded=user.uploaded,
        downloaded=user.downloaded,
        ratio=ratio(user),
        uploads=await uploads_count(db, user.id),
    )


async def own_profile(db: AsyncSession, viewer: Viewer) -> Me:
    user = viewer.user
    public = await public_profile(db, user)
    return Me(
        **public.model_dump(exclude={"last_seen"}),
        last_seen=user.last_seen,
        passkey=user.passkey,
        torznab_key=None if user.torznab_blocked else user.torznab_key,
        bio=user.bio,
        locale=user.locale,
        theme=user.theme,
        hide_last_seen=user.hide_last_seen,
        bonus_points=user.bonus_points,
        invites_remaining=user.invites_remaining,
        permissions=sorted(viewer.permissions),
    )
