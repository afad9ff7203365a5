"""The cross-seed pipelines: an announced listing against the library, and a searchee against
the indexers (webhook, full search). Decisions, downloads and actions in cross-seed v6's order.

An announce finds the searchees the name may be (the library index), keeps those the prefilter
keeps, orders them (client torrents, then .torrent files, then data; more files first), and
assesses each: name and size checks, the .torrent downloaded once per listing (or found again
by its guid), the file trees; the first match is acted on. Its outcome maps to the API's status
as cross-seed's determineResponse does.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from torrentstack.crossseed.actions import Actions
from torrentstack.crossseed.decide import (
    MatchOptions,
    assess_candidate,
    assess_metafile,
    fuzzy_size_factor,
)
from torrentstack.crossseed.decision import ActionResult, Decision
from torrentstack.crossseed.library import Library
from torrentstack.crossseed.prefilter import FilterOptions, Trigger, why_excluded
from torrentstack.crossseed.searchee import Candidate, Metafile, Searchee, SearcheeSource

logger = logging.getLogger(__name__)

Snatch = Callable[[Candidate], Awaitable["Metafile | Decision"]]


class Response(enum.IntEnum):
    """The status `/api/announce` answers with."""

    DONE = 200  # injected, saved, or already there
    INCOMPLETE = 202  # the matching local torrent is still downloading: retry later
    NOTHING = 204


@dataclass(frozen=True, slots=True)
class Assessment:
    searchee: Searchee
    decision: Decision
    metafile: Metafile | None = None
    action: ActionResult | None = None


@dataclass(slots=True)
class AnnounceOutcome:
    response: Response
    assessments: list[Assessment] = field(default_factory=list)

    @property
    def message(self) -> str:
        for a in self.assessments:
            if a.action is not None:
                return a.action.value
        return self.response.name


def _order(searchee: Searchee) -> tuple[int, int]:
    rank = {
        SearcheeSource.CLIENT: 0,
        SearcheeSource.TORRENT_FILE: 1,
        SearcheeSource.DATA: 2,
        SearcheeSource.VIRTUAL: 3,
    }[searchee.source]
    return rank, -len(searchee.files)


class MetafileCache(dict[str, "Metafile | Decision"]):
    """Downloads of one pipeline run, by guid: a listing is fetched at most once."""


class CrossSeeder:
    """The decisions and actions of the daemon, over its library, clients and indexers."""

    def __init__(
        self,
        library: Library,
        options: FilterOptions,
        actions: Actions,
        snatch: Snatch,
        existing: Callable[[], Awaitable[set[str]]],
        remember: Callable[[Searchee, Candidate, Metafile, Decision, float], Awaitable[None]]
        | None = None,
        cached: Callable[[str], Awaitable[Metafile | None]] | None = None,
    ) -> None:
        self.library = library
        self.options = options
        self.actions = actions
        self._snatch = snatch
        self._existing = existing
        self._remember = remember
        self._cached = cached
        self._lookup = asyncio.Semaphore(1)  # one reverse lookup at a time, as the original

    def acting_with(self, actions: Actions, options: FilterOptions) -> CrossSeeder:
        """The same library, downloads and store, with other actions and options."""
        twin = CrossSeeder(
            self.library,
            options,
            actions,
            self._snatch,
            self._existing,
            remember=self._remember,
            cached=self._cached,
        )
        twin._lookup = self._lookup
        return twin

    @property
    def match(self) -> MatchOptions:
        return self.options.match

    def similar(self, candidate: Candidate, trigger: Trigger = Trigger.ANNOUNCE) -> list[Searchee]:
        """The searchees an announced listing may be, filtered and in assessment order."""
        found = self.library.similar(
            candidate.name, candidate.size, self.match.fuzzy_size_threshold
        )
        kept = [s for s in found if why_excluded(s, trigger, self.options) is None]
        return sorted(kept, key=_order)

    async def announce(
        self, candidate: Candidate, trigger: Trigger = Trigger.ANNOUNCE
    ) -> AnnounceOutcome:
        """A new listing (an announce, or an RSS item) against the library, acted on."""
        async with self._lookup:
            searchees = self.similar(candidate, trigger)
        outcome = AnnounceOutcome(Response.NOTHING)
        if not searchees:
            return outcome
        downloads = MetafileCache()
        existing = await self._existing()
        final: Assessment | None = None
        for searchee in searchees:
            assessment = await self.assess(searchee, candidate, existing, downloads)
            outcome.assessments.append(assessment)
            if assessment.decision is Decision.INFO_HASH_ALREADY_EXISTS:
                final = assessment
                break
            action = assessment.action
            if action is None:
                continue
            if action is ActionResult.SAVED or (
                assessment.decision is not Decision.MATCH_PARTIAL
                and action in (ActionResult.INJECTED, ActionResult.ALREADY_EXISTS)
            ):
                final = assessment
                break
            if _keeps(final, action):
                continue
            final = assessment
        outcome.response = respond(final)
        return outcome

    async def assess(
        self,
        searchee: Searchee,
        candidate: Candidate,
        existing: set[str],
        downloads: MetafileCache | None = None,
        *,
        act: bool = True,
    ) -> Assessment:
        """Decide one (searchee, listing) pair, downloading the .torrent if needed; act on a
        match when `act`."""
        meta = await self._known(candidate)
        if meta is None:
            early = assess_candidate(searchee, candidate, self.match)
            if early is not None:
                return Assessment(searchee, early)
            fetched = await self._download(candidate, downloads)
            if isinstance(fetched, Decision):
                return Assessment(searchee, fetched)
            meta = fetched
        decision = assess_metafile(searchee, meta, self.match, existing)
        if self._remember is not None:
            await self._remember(
                searchee, candidate, meta, decision, fuzzy_size_factor(searchee, self.match)
            )
        if not decision.is_match or not act:
            return Assessment(searchee, decision, meta)
        result = await self.actions.perform(meta, searchee, decision, candidate.tracker)
        if result in (ActionResult.INJECTED, ActionResult.SAVED):
            existing.add(meta.info_hash)
        return Assessment(searchee, decision, meta, result)

    async def _known(self, candidate: Candidate) -> Metafile | None:
        if self._cached is None:
            return None
        return await self._cached(candidate.guid)

    async def _download(
        self, candidate: Candidate, downloads: MetafileCache | None
    ) -> Metafile | Decision:
        key = candidate.link or candidate.guid
        if downloads is not None and key in downloads:
            return downloads[key]
        fetched = await self._snatch(candidate)
        if downloads is not None:
            downloads[key] = fetched
        return fetched

    async def search_candidates(
        self, searchee: Searchee, candidates: Iterable[Candidate]
    ) -> list[Assessment]:
        """Assess what an indexer search returned for one searchee, acting on matches."""
        existing = await self._existing()
        downloads = MetafileCache()
        results = []
        for candidate in candidates:
            results.append(await self.assess(searchee, candidate, existing, downloads))
        return results


def _keeps(final: Assessment | None, action: ActionResult) -> bool:
    """Whether an earlier outcome stands against a later searchee's `action` (the original's
    rules: an injection stands; any outcome stands against a failure; an existing torrent
    stands against an incomplete one)."""
    held = final.action if final is not None else None
    if held is None:
        return False
    if held is ActionResult.INJECTED or action is ActionResult.FAILURE:
        return True
    return held is ActionResult.ALREADY_EXISTS and action is ActionResult.TORRENT_NOT_COMPLETE


def respond(final: Assessment | None) -> Response:
    """cross-seed's determineResponse: what the announce endpoint answers."""
    if final is None:
        return Response.NOTHING
    if final.action in (ActionResult.INJECTED, ActionResult.SAVED, ActionResult.FAILURE):
        return Response.DONE
    if final.decision is Decision.INFO_HASH_ALREADY_EXISTS or (
        final.action is ActionResult.ALREADY_EXISTS
    ):
        return Response.DONE
    if final.action is ActionResult.TORRENT_NOT_COMPLETE:
        return Response.INCOMPLETE
    return Response.NOTHING
