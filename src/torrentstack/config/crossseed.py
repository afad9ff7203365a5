"""The `[crossseed]` table: the cross-seed daemon's API, what it matches and how it injects.

Names follow cross-seed's options in snake case (`matchMode` -> `match_mode`); values are
written as cross-seed users write them (`torznab` URLs, `torrent_clients` such as
`qbittorrent:http://user:pass@host:8080`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from torrentstack.config.base import SECRET, ListenerSettings, Port

MatchModeName = Literal["strict", "flexible", "partial", "safe", "risky"]


class CrossseedSettings(ListenerSettings):
    port: Port = Field(default=2468, description="Port of the cross-seed HTTP API.")
    api_key: str = Field(
        default="",
        json_schema_extra=SECRET,
        description="API key of `/api/*` (X-Api-Key header or `apikey` query parameter); at "
        "least 24 characters. Empty: one is generated on first start and kept in the data "
        "directory; `torrentstack crossseed api-key` prints it.",
    )
    match_mode: MatchModeName = Field(
        default="flexible",
        description="`strict` (same paths and sizes), `flexible` (same sizes, other names; "
        "needs link_dirs to inject data matches) or `partial` (enough of the pieces). "
        "`safe`/`risky` are the legacy names of strict/flexible.",
    )
    fuzzy_size_threshold: float = Field(
        default=0.02, gt=0, le=1, description="Size difference a listing may have (fraction)."
    )
    include_single_episodes: bool = Field(
        default=False, description="Search for single episodes too (announces always match)."
    )
    include_non_videos: bool = Field(
        default=False, description="Search for torrents that are not mostly video."
    )
    season_from_episodes: float | None = Field(
        default=None,
        gt=0,
        le=1,
        description="Build season packs from episodes when this share of them is present "
        "(not built yet: leave empty).",
    )
    block_list: list[str] = Field(
        default_factory=list,
        description="Releases never to match: `name:`, `nameRegex:`, `folder:`, "
        "`folderRegex:`, `category:`, `tag:`, `tracker:`, `infoHash:`, `sizeBelow:`, "
        "`sizeAbove:` entries or plain strings.",
    )
    torznab: list[str] = Field(
        default_factory=list,
        description="Torznab indexer URLs (`http://host/api?apikey=KEY`). Empty with the site "
        "enabled: the site's own Torznab feed.",
    )
    torrent_clients: list[str] = Field(
        default_factory=list,
        description="Clients to read and inject into: `qbittorrent:http://user:pass@host:8080`, "
        "`transmission:http://user:pass@host:9091/transmission/rpc`, "
        "`deluge:http://:pass@host:8112/json`; a `readonly:` prefix never injects. Empty with "
        "the client enabled: torrentstack's own client.",
    )
    use_client_torrents: bool = Field(
        default=True, description="Searchees are the torrents of the clients."
    )
    torrent_dir: str = Field(
        default="", description="A folder of .torrent files to use as searchees instead."
    )
    data_dirs: list[str] = Field(
        default_factory=list, description="Folders whose files and folders are searchees."
    )
    max_data_depth: int = Field(
        default=2, ge=1, description="How deep below each data dir a searchee may start."
    )
    link_dirs: list[str] = Field(
        default_factory=list, description="Where to link matched data before injecting it."
    )
    link_type: Literal["hardlink", "symlink", "reflink", "reflinkOrCopy"] = Field(
        default="hardlink", description="How to link files into link_dirs."
    )
    flat_linking: bool = Field(
        default=False, description="Link into the link dir itself, not `<dir>/<tracker>`."
    )
    link_category: str = Field(
        default="cross-seed-link", description="Category of injected linked torrents."
    )
    duplicate_categories: bool = Field(
        default=False, description="Inject into `<category>.cross-seed` instead of the source's."
    )
    action: Literal["save", "inject"] = Field(
        default="inject", description="`inject` into the client, or `save` .torrent files."
    )
    output_dir: str = Field(
        default="",
        description="Where `save` writes .torrent files and failed injections wait for a retry "
        "(empty: `cross-seeds` in the data directory).",
    )
    skip_recheck: bool = Field(
        default=True, description="Add exact matches seeding without a recheck."
    )
    auto_resume_max_download: int = Field(
        default=52428800,
        ge=0,
        le=52428800,
        description="Bytes a partial match may still download before it is resumed.",
    )
    delay: int = Field(default=30, ge=30, le=3600, description="Seconds between searches.")
    search_limit: int = Field(
        default=400, ge=0, description="Searches per indexer per run (0: no limit)."
    )
    search_cadence: int | None = Field(
        default=None, ge=86400, description="Seconds between full searches (empty: off)."
    )
    rss_cadence: int | None = Field(
        default=None, ge=600, le=7200, description="Seconds between RSS scans (empty: off)."
    )
    exclude_older: int | None = Field(
        default=None, ge=0, description="Skip searchees first searched this many seconds ago."
    )
    exclude_recent_search: int | None = Field(
        default=None, ge=0, description="Skip searchees searched within this many seconds."
    )
    search_timeout: float = Field(default=120, gt=0, description="Seconds a search may take.")
    snatch_timeout: float = Field(
        default=30, gt=0, description="Seconds a .torrent download may take."
    )
    indexer_interval: float = Field(
        default=0.5,
        ge=0,
        description="Seconds between the starts of two requests to one indexer (searches, RSS "
        "pages, downloads).",
    )
    retry_backoff: int = Field(
        default=600,
        ge=1,
        description="Seconds an indexer rests after a failure that gives no Retry-After "
        "(cross-seed rests zero then; a 429 rests an hour).",
    )

    @field_validator("api_key")
    @classmethod
    def _long_enough(cls, value: str) -> str:
        if value and len(value) < 24:
            raise ValueError("the API key must be at least 24 characters")
        return value
