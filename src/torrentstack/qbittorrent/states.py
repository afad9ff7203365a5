"""Torrent states as qBittorrent computes them (`TorrentImpl::updateState`) and its filters.

State names are 4.x's (`pausedUP`/`pausedDL`); `state_name` gives a persona's spelling.
"""

from __future__ import annotations

from collections.abc import Callable

from torrentstack.qbittorrent.models import StateFacts, TorrentView

_STOPPED_5X = {"pausedUP": "stoppedUP", "pausedDL": "stoppedDL"}


def compute_state(f: StateFacts) -> str:
    """The rules in order; the first that holds names the state."""
    if f.checking_resume_data:
        return "checkingResumeData"
    if f.moving:
        return "moving"
    if f.missing_files:
        return "missingFiles"
    if f.error or f.upload_mode:
        return "error"
    if not f.has_metadata:
        if f.stopped:
            return "pausedDL"
        if f.queued:
            return "queuedDL"
        return "forcedMetaDL" if f.forced else "metaDL"
    if f.checking and not f.stopped:
        return "checkingUP" if f.has_finished_before else "checkingDL"
    if f.finished:
        if f.stopped:
            return "pausedUP"
        if f.queued:
            return "queuedUP"
        if f.forced:
            return "forcedUP"
        return "uploading" if f.upload_rate > 0 else "stalledUP"
    if f.stopped:
        return "pausedDL"
    if f.queued:
        return "queuedDL"
    if f.forced:
        return "forcedDL"
    return "downloading" if f.download_rate > 0 else "stalledDL"


def state_name(state: str, stop_vocabulary: bool) -> str:
    """A state's name as a persona spells it (5.x: `stoppedUP`/`stoppedDL`)."""
    return _STOPPED_5X.get(state, state) if stop_vocabulary else state


_DOWNLOADING = {
    "downloading",
    "metaDL",
    "forcedMetaDL",
    "stalledDL",
    "checkingDL",
    "pausedDL",
    "queuedDL",
    "forcedDL",
}
_SEEDING = {"uploading", "stalledUP", "checkingUP", "queuedUP", "forcedUP"}
_ACTIVE = {"downloading", "metaDL", "forcedMetaDL", "forcedDL", "uploading", "forcedUP", "moving"}
_CHECKING = {"checkingUP", "checkingDL", "checkingResumeData"}


def _active(t: TorrentView, state: str) -> bool:
    return state in _ACTIVE or (state == "stalledDL" and t.upspeed > 0)


# filter name -> predicate on (torrent, 4.x state); `paused`/`stopped` and `resumed`/`running`
# are chosen per persona in `filter_predicate`.
_FILTERS: dict[str, Callable[[TorrentView, str], bool]] = {
    "all": lambda t, s: True,
    "downloading": lambda t, s: s in _DOWNLOADING,
    "seeding": lambda t, s: s in _SEEDING,
    "completed": lambda t, s: s in _SEEDING or s == "pausedUP",
    "active": _active,
    "inactive": lambda t, s: not _active(t, s),
    "stalled": lambda t, s: s in ("stalledUP", "stalledDL"),
    "stalled_uploading": lambda t, s: s == "stalledUP",
    "stalled_downloading": lambda t, s: s == "stalledDL",
    "checking": lambda t, s: s in _CHECKING,
    "moving": lambda t, s: s == "moving",
    "errored": lambda t, s: s in ("error", "missingFiles"),
}


def filter_predicate(name: str | None, stop_vocabulary: bool) -> Callable[[TorrentView, str], bool]:
    """The `filter` parameter of `torrents/info`; unknown names mean `all`."""
    stopped, running = ("stopped", "running") if stop_vocabulary else ("paused", "resumed")
    if name == stopped:
        return lambda t, s: t.facts.stopped
    if name == running:
        return lambda t, s: not t.facts.stopped
    return _FILTERS.get(name or "all", _FILTERS["all"])
