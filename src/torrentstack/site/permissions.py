"""Roles and what they allow; who is asking (`Viewer`) and the route guards of the document's
auth labels: public, user, mod (`canModerate`), admin (`canAccessAdmin`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, cast

from fastapi import Depends, Request
from sqlalchemy import select

from torrentstack.site.accounts import sessions
from torrentstack.site.context import Context, Db
from torrentstack.site.errors import NotAuthenticated, PermissionDenied
from torrentstack.site.models import Role, User, UserRole

CAN_MODERATE = "canModerate"
CAN_ACCESS_ADMIN = "canAccessAdmin"
CAN_UPLOAD_UNMODERATED = "canUploadWithoutModeration"
PERMISSIONS = (CAN_MODERATE, CAN_ACCESS_ADMIN, CAN_UPLOAD_UNMODERATED)

# the system roles, made at start; every member has "user"
SYSTEM_ROLES = {
    "user": (),
    "moderator": (CAN_MODERATE, CAN_UPLOAD_UNMODERATED),
    "admin": (CAN_MODERATE, CAN_ACCESS_ADMIN, CAN_UPLOAD_UNMODERATED),
}


@dataclass(frozen=True, slots=True)
class Viewer:
    user: User
    roles: tuple[str, ...]
    permissions: frozenset[str]
    session_id: str

    @property
    def can_moderate(self) -> bool:
        return CAN_MODERATE in self.permissions

    @property
    def is_admin(self) -> bool:
        return CAN_ACCESS_ADMIN in self.permissions


async def roles_of(db: Db, user_id: int) -> list[Role]:
    rows = await db.scalars(
        select(Role).join(UserRole, UserRole.role_id == Role.id).where(UserRole.user_id == user_id)
    )
    return list(rows)


def permissions_of(roles: list[Role]) -> frozenset[str]:
    granted: set[str] = set()
    for role in roles:
        granted.update(str(p) for p in json.loads(role.permissions))
    return frozenset(granted)


async def viewer_for(db: Db, user: User, session_id: str = "") -> Viewer:
    roles = await roles_of(db, user.id)
    return Viewer(user, tuple(r.name for r in roles), permissions_of(roles), session_id)


async def optional_viewer(request: Request, db: Db, context: Context) -> Viewer | None:
    """The member of the request's session cookie, or None (anonymous)."""
    cached = getattr(request.state, "viewer", False)
    if cached is not False:
        return cast(Viewer | None, cached)
    found = await sessions.resolve(db, request.cookies.get(sessions.COOKIE, ""), context.now())
    viewer = None if found is None else await viewer_for(db, found[1], found[0])
    request.state.viewer = viewer
    return viewer


async def require_user(viewer: Annotated[Viewer | None, Depends(optional_viewer)]) -> Viewer:
    if viewer is None:
        raise NotAuthenticated("Not authenticated")
    return viewer


async def require_mod(viewer: Annotated[Viewer, Depends(require_user)]) -> Viewer:
    if not viewer.can_moderate:
        raise PermissionDenied("Moderator permission required")
    return viewer


async def require_admin(viewer: Annotated[Viewer, Depends(require_user)]) -> Viewer:
    if not viewer.is_admin:
        raise PermissionDenied("Admin permission required")
    return viewer


Anyone = Annotated[Viewer | None, Depends(optional_viewer)]
Member = Annotated[Viewer, Depends(require_user)]
Moderator = Annotated[Viewer, Depends(require_mod)]
Admin = Annotated[Viewer, Depends(require_admin)]
