"""The admin surface's router: members, roles, settings, statistics, the IP banlist."""

from __future__ import annotations

from fastapi import APIRouter

from torrentstack.site.admin.role_routes import router as roles
from torrentstack.site.admin.system_routes import router as system
from torrentstack.site.admin.user_routes import router as users

router = APIRouter()
for part in (users, roles, system):
    router.include_router(part)
