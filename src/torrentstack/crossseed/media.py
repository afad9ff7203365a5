"""Media kinds and searchee titles, decided from a name and its files as cross-seed v6 does.

`media_type` takes the first rule that applies: an episode name, a season name, then the files'
extensions (video: movie, anime or plain video; disc structures; a `.rar` with a movie name),
then audio, book or other. `repair_title` rebuilds a name that says nothing (no digit, or a
Sonarr `Season 01` folder) from its episode files, adding the resolution, streaming source,
REPACK and group when every video file agrees (cross-seed-notes §1.1).
"""

from __future__ import annotations

import enum
import posixpath
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from torrentstack.crossseed.extensions import (
    AUDIO_EXTENSIONS,
    BOOK_EXTENSIONS,
    DISC_EXTENSIONS,
    VIDEO_EXTENSIONS,
)
from torrentstack.crossseed.release import (
    EPISODE_RE,
    MOVIE_RE,
    SEASON_RE,
    parse_anime,
    parse_source,
    release_group,
    repack_or_proper,
    strict_resolution,
    strip_extension,
)

if TYPE_CHECKING:
    from torrentstack.crossseed.searchee import File

_SONARR_SEASON_FOLDER = re.compile(r"^S(?:eason )?(?P<n>\d{1,4})$", re.IGNORECASE)
_DIGIT = re.compile(r"\d")


class MediaType(enum.StrEnum):
    EPISODE = "episode"
    SEASON = "pack"
    MOVIE = "movie"
    ANIME = "anime"
    VIDEO = "video"
    AUDIO = "audio"
    BOOK = "ebook"
    OTHER = "unknown"


def extension(name: str) -> str:
    return posixpath.splitext(name.lower())[1]


def has_extension(files: Sequence[File], extensions: frozenset[str]) -> bool:
    return any(extension(f.name) in extensions for f in files)


def with_extension(files: Sequence[File], extensions: frozenset[str]) -> list[File]:
    return [f for f in files if extension(f.name) in extensions]


def is_video(name: str) -> bool:
    ext = extension(name)
    return ext in VIDEO_EXTENSIONS or ext in DISC_EXTENSIONS


def media_type(title: str, files: Sequence[File]) -> MediaType:
    """cross-seed's getMediaType for a searchee or metafile with this title and these files."""
    if EPISODE_RE.search(title):
        return MediaType.EPISODE
    if SEASON_RE.search(title):
        return MediaType.SEASON
    if has_extension(files, VIDEO_EXTENSIONS):
        if MOVIE_RE.search(title):
            return MediaType.MOVIE
        if parse_anime(title) is not None:
            return MediaType.ANIME
        return MediaType.VIDEO
    if has_extension(files, DISC_EXTENSIONS):
        return MediaType.MOVIE if MOVIE_RE.search(title) else MediaType.VIDEO
    if has_extension(files, frozenset({".rar"})) and MOVIE_RE.search(title):
        return MediaType.MOVIE
    if has_extension(files, AUDIO_EXTENSIONS):
        return MediaType.AUDIO
    if has_extension(files, BOOK_EXTENSIONS):
        return MediaType.BOOK
    return MediaType.OTHER


def is_single_episode(title: str, files: Sequence[File]) -> bool:
    """An episode, or anime with exactly one video file."""
    kind = media_type(title, files)
    if kind is MediaType.EPISODE:
        return True
    return kind is MediaType.ANIME and len(with_extension(files, VIDEO_EXTENSIONS)) == 1


def _agreed_info(video_names: Sequence[str]) -> str:
    """` REPACK 1080p AMZN-GROUP`: what every video file's name agrees on."""
    stems = [strip_extension(n) for n in video_names]
    info = ""
    if any(repack_or_proper(s) for s in stems):
        info += " REPACK"
    for values, fmt in (
        ([strict_resolution(s) for s in stems], " {}"),
        ([parse_source(s) for s in stems], " {}"),
    ):
        if values and all(v is not None and v == values[0] for v in values):
            info += fmt.format(values[0])
    groups = [release_group(s) for s in stems]
    if groups and all(g is not None and g.lower() == groups[0].lower() for g in groups):  # type: ignore[union-attr]
        info += f"-{groups[0]}"
    return info


def repair_title(name: str, files: Sequence[File], path: str | None = None) -> str:
    """cross-seed's parseTitle: the name, or a title rebuilt from the episode files."""
    season_folder = _SONARR_SEASON_FOLDER.match(name) if len(name) < 12 else None
    if season_folder is None and (
        _DIGIT.search(name) or not has_extension(files, VIDEO_EXTENSIONS)
    ):
        return name
    videos = with_extension(files, VIDEO_EXTENSIONS)
    names = [v.name for v in videos]
    for video in videos:
        ep = EPISODE_RE.search(video.name)
        if ep is not None:
            season_value = (
                ep.group("season")
                or ep.group("y")
                or (season_folder.group("n") if season_folder else None)
            )
            season = f"S{int(_DIGIT_RUN.search(season_value).group())}" if season_value else ""  # type: ignore[union-attr]
            episode = ""
            if len(videos) == 1:
                episode = (
                    f"E{int(ep.group('ep'))}"
                    if ep.group("ep") is not None
                    else f"E{ep.group('m')}.{ep.group('d')}"
                )
            if season or episode or season_folder is None:
                return f"{ep.group('title')} {season}{episode}{_agreed_info(names)}".strip()
        anime = parse_anime(video.name)
        if anime is not None:
            season = f"S{season_folder.group('n')}" if season_folder else ""
            if season or season_folder is None:
                return f"{anime} {season}{_agreed_info(names)}".strip()
    return name


_DIGIT_RUN = re.compile(r"\d+")
