"""The public routes (no account needed): `/api/branding`, `/api/runtime-config`,
`/api/announcement`, `/api/homepage-content`, `/api/stats/public`, `/api/tracker-health`."""

from __future__ import annotations

from typing import Literal, cast

from fastapi import APIRouter, Request

from torrentstack.site.accounts.registration import registration_mode
from torrentstack.site.context import Context, Db
from torrentstack.site.public.announce_urls import AnnounceUrls, announce_urls
from torrentstack.site.public.counts import member_count, swarm_totals
from torrentstack.site.public.homepage import featured_rails
from torrentstack.site.public.schemas import (
    Branding,
    BrandingFeatures,
    Homepage,
    ProtocolHealth,
    PublicStats,
    RegistrationInfo,
    RuntimeConfig,
    TrackerHealth,
    UdpToggles,
)
from torrentstack.site.public.tracker_probe import TrackerProbe, http_target, udp_target
from torrentstack.site.settings_store import Announcement, load_options

router = APIRouter(tags=["public"])
Mode = Literal["open", "invite", "closed"]


def _urls(request: Request, context: Context) -> AnnounceUrls:
    return announce_urls(context.settings, context.tracker_port, request.url.hostname or "")


async def _mode(db: Db, context: Context) -> Mode:
    mode = await registration_mode(db, context.settings)
    return "open" if mode == "first" else cast(Mode, mode)


@router.get("/api/branding")
async def branding(db: Db, context: Context) -> Branding:
    options = await load_options(db)
    features = BrandingFeatures(
        registration=await _mode(db, context) != "closed",
        invites=options.features.invites,
        torznab=options.torznab.enabled,
        udp=True,  # the tracker answers UDP on its HTTP port (BEP 15)
    )
    return Branding(
        title=options.title,
        tagline=options.tagline,
        logo_url=options.logo_url,
        favicon_url=options.favicon_url,
        features=features,
    )


@router.get("/api/runtime-config")
async def runtime_config(request: Request, db: Db, context: Context) -> RuntimeConfig:
    options = await load_options(db)
    urls = _urls(request, context)
    return RuntimeConfig(
        announce_http=urls.http,
        announce_udp=urls.udp,
        announce_urls=urls.all,
        registration=RegistrationInfo(
            mode=await _mode(db, context), note=options.registration_note
        ),
        torznab_enabled=options.torznab.enabled,
    )


@router.get("/api/announcement")
async def announcement(db: Db) -> Announcement | None:
    """The banner (text and level), or null when there is none."""
    return (await load_options(db)).announcement


@router.get("/api/homepage-content")
async def homepage_content(db: Db) -> Homepage:
    content = (await load_options(db)).homepage_content
    return Homepage(featured=await featured_rails(db, content.featured), blocks=content.blocks)


@router.get("/api/stats/public")
async def public_stats(request: Request, db: Db, context: Context) -> PublicStats:
    swarm = await swarm_totals(db)
    udp = _urls(request, context).udp
    return PublicStats(
        users=await member_count(db),
        torrents=swarm.torrents,
        seeders=swarm.seeders,
        leechers=swarm.leechers,
        peers=swarm.peers,
        snatches=swarm.snatches,
        udp=UdpToggles(enabled=udp is not None, announce_url=udp),
    )


def _probe(request: Request, context: Context) -> TrackerProbe:
    # one probe per app, made on first use (its targets come from the settings alone)
    state = request.app.state
    probe = getattr(state, "tracker_probe", None)
    if not isinstance(probe, TrackerProbe):
        settings = context.settings
        probe = TrackerProbe(
            http_target(settings.announce_http, context.tracker_port),
            udp_target(settings.announce_udp),
        )
        state.tracker_probe = probe
    return probe


@router.get("/api/tracker-health")
async def tracker_health(request: Request, context: Context) -> TrackerHealth:
    """The announce URLs and whether the tracker answered a short probe on each (HTTP request
    to the announce path, BEP 15 connect); results are at most 10 s old."""
    urls = _urls(request, context)
    result = await _probe(request, context).result(context.now())
    probed = [up for up in (result.http, result.udp) if up is not None]
    status: Literal["up", "degraded", "down"] = (
        "up" if probed and all(probed) else "degraded" if any(probed) else "down"
    )
    return TrackerHealth(
        status=status,
        http=ProtocolHealth(url=urls.http, configured=urls.http_configured, up=result.http),
        udp=ProtocolHealth(
            url=urls.udp, configured=bool(context.settings.announce_udp), up=result.udp
        ),
        checked_at=result.checked_at,
    )
