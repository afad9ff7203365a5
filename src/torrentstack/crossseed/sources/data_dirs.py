"""`dataDirs`: files and folders on disk as data searchees (cross-seed's `src/dataFiles.ts`).

Every path up to `max_depth` levels below each data dir is a candidate root, except folders
named sample, proof, bdmv, bdrom, certificate or video_ts and loose files that are not video
(`shouldIgnorePathHeuristically`). A root's searchee has the root's absolute path, its files'
paths relative to the root's parent (`Show/Show.S01E01.mkv`) and the newest file's mtime.
Walking the disk runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Iterable, Sequence

from torrentstack.crossseed.searchee import File, Searchee

logger = logging.getLogger(__name__)

DEFAULT_MAX_DEPTH = 2
IGNORED_FOLDERS = frozenset({"sample", "proof", "bdmv", "bdrom", "certificate", "video_ts"})
VIDEO_EXTENSIONS = frozenset(
    {
        ".mkv", ".mp4", ".avi", ".ts", ".m4v", ".3gp", ".nsv", ".ty", ".strm", ".rm", ".rmvb",
        ".mov", ".qt", ".divx", ".xvid", ".bivx", ".pva", ".wmv", ".asf", ".asx", ".ogm", ".ogv",
        ".m2v", ".dvr-ms", ".mpg", ".mpeg", ".avc", ".vp3", ".svq3", ".nuv", ".viv", ".dv",
        ".fli", ".flv", ".wpl", ".wtv",
    }
)  # fmt: skip


def is_ignored(path: str, is_dir: bool) -> bool:
    """shouldIgnorePathHeuristically: an ignored folder name, or a file that is not video."""
    name = os.path.basename(path)
    if is_dir:
        return name.lower() in IGNORED_FOLDERS
    # cross-seed compares the extension as it is written (`.MKV` is not video there either)
    return os.path.splitext(name)[1] not in VIDEO_EXTENSIONS


def candidate_roots(data_dir: str, max_depth: int = DEFAULT_MAX_DEPTH) -> list[str]:
    """Every path up to `max_depth` levels below `data_dir` that may be a searchee (blocking),
    deepest first within each entry, as findPotentialNestedRoots lists them."""
    return [
        root
        for entry in _children(data_dir)
        for root in _nested_roots(entry.path, max_depth, entry.is_dir())
    ]


def _children(folder: str) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as entries:
            return sorted(entries, key=lambda e: e.name)
    except OSError as exc:
        logger.warning("dataDirs: cannot read %s: %s", folder, exc)
        return []


def _nested_roots(path: str, depth: int, is_dir: bool) -> list[str]:
    if depth <= 0 or is_ignored(path, is_dir):
        return []
    if not is_dir:
        return [path]
    nested = [r for e in _children(path) for r in _nested_roots(e.path, depth - 1, e.is_dir())]
    return [*nested, path]


def _walk_files(root: str) -> Iterable[str]:
    if not os.path.isdir(root):
        yield root
        return
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            yield os.path.join(folder, name)


def data_searchee(root: str) -> Searchee | None:
    """The data searchee of a file or folder (blocking); None when it holds no file."""
    root = os.path.abspath(root)
    parent = os.path.dirname(root)
    files: list[File] = []
    newest = 0.0
    try:
        for path in _walk_files(root):
            st = os.stat(path)
            relative = os.path.relpath(path, parent).replace(os.sep, "/")
            files.append(File(relative, st.st_size))
            newest = max(newest, st.st_mtime)
    except OSError as exc:
        logger.info("dataDirs: skipping %s: %s", root, exc)
        return None
    if not files:
        return None
    return Searchee(name=os.path.basename(root), files=tuple(files), path=root, mtime=newest)


def scan_data_dirs(data_dirs: Sequence[str], max_depth: int = DEFAULT_MAX_DEPTH) -> list[Searchee]:
    """Every data searchee below `data_dirs` (blocking)."""
    found = []
    for data_dir in data_dirs:
        for root in candidate_roots(os.path.abspath(data_dir), max_depth):
            searchee = data_searchee(root)
            if searchee is not None:
                found.append(searchee)
    return found


class DataDirs:
    """The configured `dataDirs` and `maxDataDepth`."""

    def __init__(self, data_dirs: Sequence[str], max_depth: int = DEFAULT_MAX_DEPTH) -> None:
        self.data_dirs = tuple(os.path.abspath(d) for d in data_dirs)
        self.max_depth = max_depth

    async def searchees(self) -> list[Searchee]:
        """Walk the data dirs (in a worker thread) and return their data searchees."""
        return await asyncio.to_thread(scan_data_dirs, self.data_dirs, self.max_depth)
