"""What cross-seed needs from a torrent client (`TorrentClient`), and the rules every client shares:
the tag, the category suffix, when an injected torrent is rechecked.

No client library here: each `clients/<kind>.py` imports its own and translates its errors.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from torrentstack.crossseed.decision import ActionResult, Decision
from torrentstack.crossseed.searchee import Metafile, Searchee
from torrentstack.errors import TorrentstackError

logger = logging.getLogger(__name__)

TAG = "cross-seed"  # cross-seed's TORRENT_TAG: the tag (label) on everything it injects
CATEGORY_SUFFIX = ".cross-seed"  # TORRENT_CATEGORY_SUFFIX, for duplicateCategories
LINK_CATEGORY = "cross-seed-link"  # linkCategory's default
# Disc structures are always rechecked (shouldRecheck, src/clients/TorrentClient.ts)
VIDEO_DISC_EXTENSIONS = (".m2ts", ".ifo", ".vob", ".bup")


class TorrentClientError(TorrentstackError):
    """A client could not be reached or refused a call; `client` is its label (no credentials)."""

    def __init__(self, message: str, *, client: str) -> None:
        self.client = client
        super().__init__(f"[{client}] {message}")


@dataclass(frozen=True, slots=True)
class ClientOptions:
    """The cross-seed settings that change how a client injects."""

    duplicate_categories: bool = False  # inject into `<category>.cross-seed`, not the source's
    skip_recheck: bool = True  # add exact matches seeding, unchecked


class TorrentClient(Protocol):
    """A torrent client as cross-seed uses it: a source of searchees and a target of injection."""

    label: str  # "<kind>:<url without credentials>"
    readonly: bool

    async def searchees(self) -> list[Searchee]:
        """Every torrent in the client as a client searchee."""
        ...

    async def info_hashes(self) -> set[str]:
        """The lower-case v1 hex info hash of every torrent in the client."""
        ...

    async def is_complete(self, info_hash: str) -> bool | None:
        """Whether the client has all of the torrent; None when it is not in the client."""
        ...

    async def inject(
        self,
        meta: Metafile,
        searchee: Searchee,
        decision: Decision,
        *,
        save_path: str | None = None,
        link_category: str | None = None,
        only_completed: bool = True,
    ) -> ActionResult:
        """Add `meta` seeding from `searchee`'s data (or from `save_path`, a link destination).

        Never raises for client or network errors: those are `ActionResult.FAILURE`.
        """
        ...

    async def close(self) -> None:
        """Log out and drop the connection."""
        ...


def should_recheck(meta: Metafile, decision: Decision, *, skip_recheck: bool = True) -> bool:
    """Whether an injected torrent is added paused and rechecked rather than seeding unchecked."""
    if not skip_recheck or decision == Decision.MATCH_PARTIAL:
        return True
    return any(f.path.lower().endswith(VIDEO_DISC_EXTENSIONS) for f in meta.files)


def duplicate_category(category: str, link_category: str | None = None) -> str:
    """`<category>.cross-seed` (duplicateCategories); empty and the link category stay as they are."""
    if not category or category == link_category or category.endswith(CATEGORY_SUFFIX):
        return category
    return category + CATEGORY_SUFFIX


def torrent_filename(meta: Metafile) -> str:
    """`<name>.cross-seed.torrent`, the name made safe for a file system (no separators)."""
    safe = meta.name.replace("/", "_").replace("\\", "_").replace("\x00", "") or meta.info_hash
    return f"{safe}.{TAG}.torrent"


async def guarded_inject(
    client: TorrentClient, meta: Metafile, attempt: Callable[[], Awaitable[ActionResult]]
) -> ActionResult:
    """What every client's `inject` does around its own work: refuse on a read-only client or
    without .torrent bytes, and turn the client's errors into FAILURE (logged, never raised)."""
    if client.readonly:
        logger.warning("[%s] is read-only: not injecting %s", client.label, meta.name)
        return ActionResult.FAILURE
    if not meta.raw:
        logger.error("[%s] no .torrent bytes for %s", client.label, meta.name)
        return ActionResult.FAILURE
    try:
        return await attempt()
    except TorrentClientError as exc:
        logger.error("[%s] injection of %s failed: %s", client.label, meta.name, exc)
        return ActionResult.FAILURE
