"""What happens to a match: `save` the .torrent to the output folder, or `inject` it into the
client that has the data (after linking it into a link dir when configured).

A failed or premature injection (the source still downloading) leaves the .torrent in the output
folder, named as cross-seed names it, where the retry job finds it again.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from torrentstack.bittorrent import metainfo
from torrentstack.crossseed.clients.base import TorrentClient, TorrentClientError
from torrentstack.crossseed.decision import ActionResult, Decision
from torrentstack.crossseed.linking import LinkError, LinkType, destination_dir, link_metafile
from torrentstack.crossseed.media import media_type
from torrentstack.crossseed.searchee import Metafile, Searchee, SearcheeSource
from torrentstack.errors import FormatError

logger = logging.getLogger(__name__)

_SAVED = re.compile(r"^\[(?P<kind>[^\]]*)\]\[(?P<tracker>[^\]]*)\]")
_UNSAFE = re.compile(r'[/\\\x00-\x1f<>:"|?*]')
_MAX_NAME = 255


def saved_name(meta: Metafile, tracker: str) -> str:
    """`[mediaType][tracker]name[infoHash].torrent`, at most 255 bytes (the name shortened)."""
    kind = media_type(meta.title, meta.files).value
    head = f"[{kind}][{_UNSAFE.sub('_', tracker)}]"
    tail = f"[{meta.info_hash}].torrent"
    name = _UNSAFE.sub("_", meta.name)
    room = _MAX_NAME - len((head + tail).encode())
    while len(name.encode()) > room:
        name = name[:-1]
    return head + name + tail


@dataclass(frozen=True, slots=True)
class ActionSettings:
    action: str  # "save" or "inject"
    output_dir: Path
    link_category: str | None = "cross-seed-link"
    link_dir: str | None = None  # the first of linkDirs: link there, then inject from there
    link_type: LinkType = LinkType.HARDLINK
    flat_linking: bool = False


class Actions:
    """Save or inject matches; the clients are the configured ones (ours by default)."""

    def __init__(self, settings: ActionSettings, clients: Sequence[TorrentClient]) -> None:
        self.settings = settings
        self.clients = list(clients)

    def saving_to(self, folder: Path) -> Actions:
        """These actions, saving into `folder` (a webhook's `outputDir`)."""
        return Actions(replace(self.settings, output_dir=folder), self.clients)

    def save(self, meta: Metafile, tracker: str) -> Path:
        folder = self.settings.output_dir
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / saved_name(meta, tracker)
        path.write_bytes(meta.raw)
        return path

    def saved(self) -> list[tuple[Path, Metafile, str]]:
        """The .torrent files waiting in the output folder: (path, torrent, tracker)."""
        found = []
        folder = self.settings.output_dir
        if not folder.is_dir():
            return []
        for path in sorted(folder.glob("*.torrent")):
            try:
                meta = Metafile.from_metainfo(metainfo.parse(path.read_bytes()))
            except (OSError, FormatError) as exc:
                logger.warning("skipping %s: %s", path.name, exc)
                continue
            m = _SAVED.match(path.name)
            found.append((path, meta, m.group("tracker") if m else ""))
        return found

    async def perform(
        self, meta: Metafile, searchee: Searchee, decision: Decision, tracker: str
    ) -> ActionResult:
        if self.settings.action == "save":
            await asyncio.to_thread(self.save, meta, tracker)
            logger.info("saved %s (%s) for %s", meta.name, decision.value, searchee.name)
            return ActionResult.SAVED
        client = self._client_for(searchee)
        if client is None:
            logger.warning("no client to inject %s into; saved instead", meta.name)
            await asyncio.to_thread(self.save, meta, tracker)
            return ActionResult.FAILURE
        if searchee.source is SearcheeSource.CLIENT and searchee.info_hash:
            try:
                complete = await client.is_complete(searchee.info_hash)
            except TorrentClientError as exc:
                logger.warning(
                    "cannot ask %s about %s: %s; saved", client.label, searchee.name, exc
                )
                await asyncio.to_thread(self.save, meta, tracker)
                return ActionResult.FAILURE
            if complete is False:
                await asyncio.to_thread(self.save, meta, tracker)
                return ActionResult.TORRENT_NOT_COMPLETE
        save_path: str | None = None
        if self.settings.link_dir:
            save_path = destination_dir(
                self.settings.link_dir, tracker, flat=self.settings.flat_linking
            )
            try:
                await link_metafile(meta, searchee, decision, save_path, self.settings.link_type)
            except LinkError as exc:
                logger.warning("cannot link %s: %s; saved instead", meta.name, exc)
                await asyncio.to_thread(self.save, meta, tracker)
                return ActionResult.FAILURE
        result = await client.inject(
            meta,
            searchee,
            decision,
            save_path=save_path,
            link_category=self.settings.link_category,
        )
        if result is ActionResult.FAILURE:
            await asyncio.to_thread(self.save, meta, tracker)
        logger.info(
            "%s %s (%s) into %s: %s",
            "injected" if result is ActionResult.INJECTED else "did not inject",
            meta.name,
            decision.value,
            client.label,
            result.value,
        )
        return result

    def _client_for(self, searchee: Searchee) -> TorrentClient | None:
        writable = [c for c in self.clients if not c.readonly]
        if searchee.client is not None:
            for c in self.clients:
                if c.label == searchee.client:
                    return None if c.readonly else c
        return writable[0] if writable else None
