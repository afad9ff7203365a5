"""The site's ASGI application: every domain's router, one error renderer, OpenAPI at /docs."""

from __future__ import annotations

from fastapi import Depends, FastAPI

from torrentstack.site import errors
from torrentstack.site.accounts.routes import router as accounts
from torrentstack.site.admin.routes import router as admin
from torrentstack.site.catalog.routes import router as catalog
from torrentstack.site.context import SiteContext
from torrentstack.site.feeds.routes import router as feeds
from torrentstack.site.invites.routes import router as invites
from torrentstack.site.moderation.routes import router as moderation
from torrentstack.site.public.routes import router as public
from torrentstack.site.schemas import refuse_nul
from torrentstack.site.torrents.routes import router as torrents
from torrentstack.site.torznab.admin import router as torznab_admin
from torrentstack.site.torznab.routes import router as torznab


def site_app(context: SiteContext) -> FastAPI:
    app = FastAPI(
        title="torrentstack site",
        summary="Trackarr's API: accounts, torrents, moderation, Torznab, RSS",
        docs_url="/docs",
        openapi_url="/openapi.json",
        redoc_url=None,
        dependencies=[Depends(refuse_nul)],
    )
    app.state.site = context
    errors.install(app)
    domains = (accounts, public, invites, admin, catalog, torrents, moderation, torznab, feeds)
    for router in (*domains, torznab_admin):
        app.include_router(router)

    @app.get("/api/health", tags=["public"])
    async def health() -> dict[str, bool]:
        return {"ok": True}

    return app
