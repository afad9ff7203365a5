"""`torrentcreator/addTask`'s parameters as qBittorrent 5.1 reads them (torrentcreatorcontroller):
booleans and integers that do not parse take their defaults, an unknown format is hybrid."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from torrentstack.qbittorrent import forms

Format = Literal["v1", "v2", "hybrid"]


@dataclass(frozen=True, slots=True)
class CreatorParams:
    """What one task makes, as qBittorrent's `TorrentCreatorParams`."""

    source_path: str
    torrent_file_path: str = ""
    format: Format = "hybrid"
    piece_size: int = 0  # 0: automatic
    private: bool = False
    optimize_alignment: bool = True  # libtorrent 1.2 only: reported, not used
    padded_file_size_limit: int = -1  # likewise
    comment: str = ""
    source: str = ""
    trackers: tuple[str, ...] = ()  # an empty item starts the next tier
    url_seeds: tuple[str, ...] = ()
    start_seeding: bool = True


def _int_or(text: str | None, default: int) -> int:
    try:
        return int((text or "").strip())
    except ValueError:
        return default


def creator_params(params: Mapping[str, str]) -> CreatorParams:
    """`sourcePath` is required (400); `startSeeding` defaults to "no torrentFilePath given"."""
    forms.require(params, "sourcePath")
    torrent_file_path = params.get("torrentFilePath", "")
    fmt = params.get("format", "").lower()
    start = forms.optional_flag(params, "startSeeding")
    trackers = params.get("trackers", "")
    url_seeds = params.get("urlSeeds", "")
    return CreatorParams(
        source_path=params["sourcePath"],
        torrent_file_path=torrent_file_path,
        format=fmt if fmt in ("v1", "v2") else "hybrid",  # type: ignore[arg-type]
        piece_size=_int_or(params.get("pieceSize"), 0),
        private=forms.flag(params, "private", False),
        optimize_alignment=forms.flag(params, "optimizeAlignment", True),
        padded_file_size_limit=_int_or(params.get("paddedFileSizeLimit"), -1),
        comment=params.get("comment", ""),
        source=params.get("source", ""),
        trackers=tuple(trackers.split("|")) if trackers else (),
        url_seeds=tuple(url_seeds.split("|")) if url_seeds else (),
        start_seeding=not torrent_file_path if start is None else start,
    )


def status_object(
    task_id: str,
    params: CreatorParams,
    *,
    status: str,
    time_added: str,
    time_started: str | None,
    time_finished: str | None,
    progress: int,
    piece_size: int,
    error: str | None,
) -> dict[str, object]:
    """One entry of `torrentcreator/status`, with the keys 5.1 sends (optional ones only when
    they have a value; `progress` while running, `errorMessage` once failed)."""
    entry: dict[str, object] = {
        "taskID": task_id,
        "sourcePath": params.source_path,
        "pieceSize": params.piece_size,
        "private": params.private,
        "timeAdded": time_added,
        "format": params.format,
        "status": status,
    }
    optional = {
        "comment": params.comment,
        "torrentFilePath": params.torrent_file_path,
        "source": params.source,
        "trackers": list(params.trackers),
        "urlSeeds": list(params.url_seeds),
        "timeStarted": time_started,
        "timeFinished": time_finished,
    }
    entry.update({key: value for key, value in optional.items() if value})
    if status == "Failed":
        entry["errorMessage"] = error or ""
    elif status == "Finished":
        entry["pieceSize"] = piece_size
    elif status == "Running":
        entry["progress"] = progress
    return entry
