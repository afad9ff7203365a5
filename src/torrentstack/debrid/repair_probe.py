"""What repair looks at: an arr's media file (`ContentFile`, Decypharr's JSON), whether a file is
broken (`Prober`; `FileProber` reads through the symlink), whether the mount is up at all, and
the symlinks themselves (targets, removing broken ones). File system calls run in a thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

PROBE_BYTES = 1024  # what Decypharr reads of a file to call it readable


@dataclass(frozen=True, slots=True)
class ContentFile:
    """One file of a series or a movie, as the arr knows it.

    `media_id` is the arr's series or movie id, `file_id` its episode/movie file id,
    `episode_ids` the episodes the file holds (Sonarr; several for a multi-episode file).
    """

    media_id: int
    file_id: int
    path: str
    episode_ids: tuple[int, ...] = ()
    season_number: int = 0
    size: int = 0
    target_path: str = ""
    is_symlink: bool = False
    processed: bool = False

    def to_json(self) -> dict[str, Any]:
        """Decypharr 1.x's ContentFile fields (`showId`: the first episode), and `episodeIds`."""
        return {
            "name": os.path.basename(self.path),
            "path": self.path,
            "id": self.media_id,
            "showId": self.episode_ids[0] if self.episode_ids else 0,
            "episodeIds": list(self.episode_ids),
            "fileId": self.file_id,
            "targetPath": self.target_path,
            "isSymlink": self.is_symlink,
            "isBroken": True,
            "seasonNumber": self.season_number,
            "processed": self.processed,
            "size": self.size,
        }

    @classmethod
    def from_json(cls, item: Mapping[str, Any]) -> ContentFile:
        """The file `to_json` wrote (a `ValueError` for anything else)."""
        try:
            episodes = item.get("episodeIds") or ([item["showId"]] if item.get("showId") else [])
            return cls(
                media_id=_int(item["id"]),
                file_id=_int(item["fileId"]),
                path=str(item["path"]),
                episode_ids=tuple(_int(e) for e in episodes),
                season_number=_int(item.get("seasonNumber", 0)),
                size=_int(item.get("size", 0)),
                target_path=str(item.get("targetPath", "")),
                is_symlink=bool(item.get("isSymlink", False)),
                processed=bool(item.get("processed", False)),
            )
        except (AttributeError, KeyError, TypeError) as exc:
            raise ValueError(f"not a repair file: {exc!r}") from exc

    def done(self) -> ContentFile:
        return replace(self, processed=True)


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"not an integer: {value!r}")
    return value


class Prober(Protocol):
    """Decides whether a media file can still be played."""

    async def broken(self, path: str) -> bool: ...


def readable(path: str, size: int = PROBE_BYTES) -> bool:
    """Whether `path` (through its symlink) is a regular file whose first bytes can be read."""
    try:
        if not os.path.isfile(path):
            return False
        with open(path, "rb") as file:
            return file.read(size) != b""
    except OSError:
        return False


class FileProber:
    """Decypharr's file mode: stat and read a few bytes through the symlink, in a thread."""

    def __init__(self, size: int = PROBE_BYTES) -> None:
        self.size = size

    async def broken(self, path: str) -> bool:
        return not await asyncio.to_thread(readable, path, self.size)


def symlink_target(path: str) -> str:
    """The absolute path a symlink points to; "" when `path` is no symlink."""
    try:
        target = os.readlink(path)
    except OSError:
        return ""
    return os.path.normpath(os.path.join(os.path.dirname(path), target))


def mount_problem(files: Sequence[ContentFile]) -> str:
    """Why the files of a media cannot be judged (the mount looks down); "" when they can.

    The first file must exist (a dangling symlink does); for a symlink, the folder holding its
    target's folder (the mount's `__all__`) must exist too. A missing target folder alone is
    one torrent gone from the provider, a broken file rather than a mount down.
    """
    if not files:
        return ""
    path = files[0].path
    if not os.path.lexists(path):
        return f"{path} does not exist"
    target = symlink_target(path)
    if target:
        parent = os.path.dirname(os.path.dirname(target))
        if not os.path.isdir(parent):
            return f"the folder {parent} of the symlink target of {path} is missing"
    return ""


def with_targets(files: list[ContentFile]) -> list[ContentFile]:
    """The files with where their symlinks point (for the job's JSON)."""
    targets = [symlink_target(file.path) for file in files]
    return [
        replace(file, target_path=target, is_symlink=bool(target))
        for file, target in zip(files, targets, strict=True)
    ]


def remove_symlinks(paths: Sequence[str]) -> None:
    """Remove the broken files' symlinks the arr may have left (never a regular file)."""
    for path in paths:
        if os.path.islink(path):
            with contextlib.suppress(OSError):
                os.unlink(path)
