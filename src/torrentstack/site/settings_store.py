"""The operator's site options (`SiteOptions`), one JSON value per key in `site_settings`:
branding, the announcement, homepage content, feature flags, Torznab limits, invite expiry.

A key is the option's field name; its value is the option as the API shows it (camelCase JSON).
Other domains may keep keys of their own in the table (`read_setting`, `write_setting`):
`load_options` reads only its own keys, and a stored value that no longer validates (an older
shape) falls back to the option's default, logged, rather than failing every request.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, model_validator
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from torrentstack.site.errors import InvalidRequest
from torrentstack.site.models import Setting
from torrentstack.site.schemas import ApiModel

logger = logging.getLogger(__name__)

# empty, a path on the site, or an http(s) address: never `javascript:` or `data:`
_LINK = r"^(|/\S*|https?://\S+)$"

Title = Annotated[str, Field(min_length=1, max_length=100)]
Tagline = Annotated[str, Field(max_length=200)]
Link = Annotated[str, Field(max_length=500, pattern=_LINK)]
Note = Annotated[str, Field(max_length=2000)]
ExpiryDays = Annotated[int, Field(ge=1, le=365)]
TorrentId = Annotated[int, Field(ge=1, le=2_147_483_647)]  # the id column's range


class Announcement(ApiModel):
    """The banner on every page; plain text (clients escape it, the site renders no HTML)."""

    text: str = Field(min_length=1, max_length=2000)
    level: Literal["info", "warning", "danger"] = "info"


class FeaturedRail(ApiModel):
    """A row of hand-picked torrents on the homepage, in the order given."""

    title: str = Field(min_length=1, max_length=100)
    torrent_ids: list[TorrentId] = Field(default_factory=list, max_length=50)


class CustomBlock(ApiModel):
    """A block of the operator's text on the homepage (plain text or Markdown, never HTML)."""

    title: str = Field(default="", max_length=200)
    body: str = Field(min_length=1, max_length=20_000)


class HomepageContent(ApiModel):
    featured: list[FeaturedRail] = Field(default_factory=list, max_length=20)
    blocks: list[CustomBlock] = Field(default_factory=list, max_length=50)


class FeatureFlags(ApiModel):
    invites: bool = Field(
        default=True, description="Members may create invite codes from their quota."
    )


class TorznabOptions(ApiModel):
    enabled: bool = True
    max_limit: int = Field(default=100, ge=1, le=1000, description="Most results per page.")
    default_limit: int = Field(default=25, ge=1, le=1000, description="Results when not asked.")


class SiteOptions(ApiModel):
    """Every option of the site the operator edits through `/api/admin/settings`."""

    title: Title = "torrentstack"
    tagline: Tagline = ""
    logo_url: Link = ""
    favicon_url: Link = ""
    announcement: Announcement | None = None
    homepage_content: HomepageContent = Field(default_factory=HomepageContent)
    registration_note: Note = Field(
        default="", description="Shown on the registration page (how to get an invite ...)."
    )
    features: FeatureFlags = Field(default_factory=FeatureFlags)
    torznab: TorznabOptions = Field(default_factory=TorznabOptions)
    invite_expiry_days: ExpiryDays | None = Field(
        default=7, description="Days a member's new invite code stays valid; null: forever."
    )

    @model_validator(mode="after")
    def _limits_agree(self) -> SiteOptions:
        if self.torznab.default_limit > self.torznab.max_limit:
            raise ValueError("torznab.defaultLimit may not exceed torznab.maxLimit")
        return self


class SiteOptionsPatch(ApiModel):
    """Any subset of the options: keys left out keep their value; an object merges key by key
    with the stored one, anything else (text, number, list, null) replaces it."""

    title: Title | None = None
    tagline: Tagline | None = None
    logo_url: Link | None = None
    favicon_url: Link | None = None
    announcement: Announcement | None = None
    homepage_content: HomepageContent | None = None
    registration_note: Note | None = None
    features: FeatureFlags | None = None
    torznab: TorznabOptions | None = None
    invite_expiry_days: ExpiryDays | None = None


_KEYS = tuple(SiteOptions.model_fields)


def _issues(error: ValidationError) -> dict[str, Any]:
    return {
        "issues": [
            {"path": [str(p) for p in e["loc"]], "message": e["msg"]} for e in error.errors()
        ]
    }


async def read_setting(db: AsyncSession, key: str) -> Any:
    """The JSON value stored under `key`, or None when there is none."""
    text = await db.scalar(select(Setting.value).where(Setting.key == key))
    return None if text is None else json.loads(text)


async def write_setting(db: AsyncSession, key: str, value: Any) -> None:
    """Store `value` (JSON-able) under `key`, replacing what was there. Not committed."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    dialect = db.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(Setting).values(key=key, value=text)
    await db.execute(statement.on_conflict_do_update(index_elements=["key"], set_={"value": text}))


async def load_options(db: AsyncSession) -> SiteOptions:
    """The site's options: stored values over the defaults."""
    rows = await db.execute(select(Setting.key, Setting.value).where(Setting.key.in_(_KEYS)))
    valid: dict[str, Any] = {}
    for key, text in rows:
        try:
            value = json.loads(text)
            SiteOptions.model_validate({key: value})
        except (ValueError, ValidationError):
            logger.warning("site setting %s does not validate; its default applies", key)
            continue
        valid[key] = value
    return SiteOptions.model_validate(valid)


def _merged(current: dict[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(current)
    for key, value in changes.items():
        old = merged.get(key)
        if isinstance(old, dict) and isinstance(value, Mapping):
            merged[key] = _merged(old, value)
        else:
            merged[key] = value
    return merged


async def update_options(db: AsyncSession, patch: SiteOptionsPatch) -> SiteOptions:
    """Apply `patch` to the stored options: all of it or, on InvalidRequest, none. Not committed."""
    changes = patch.model_dump(exclude_unset=True)
    current = await load_options(db)
    try:
        updated = SiteOptions.model_validate(_merged(current.model_dump(), changes))
    except ValidationError as error:
        raise InvalidRequest("Validation failed", data=_issues(error)) from None
    wire = updated.model_dump(mode="json", by_alias=True)
    for key in changes:
        await write_setting(db, key, wire[SiteOptions.model_fields[key].alias or key])
    return updated
