"""Make a .torrent from a file or a directory: walk it, read and hash it on every core, assemble.

The rules (file order, padding, hashing, the metainfo) are pure and live in `bittorrent/create.py`.
"""

from __future__ import annotations

import logging
import os
import stat
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from torrentstack import __version__
from torrentstack.bittorrent.create import (
    CreateError,
    FileEntry,
    Layout,
    Metadata,
    Version,
    assemble,
    check_piece_length,
    hash_pieces,
    plan_layout,
)

__all__ = ["CreateError", "CreateOptions", "ProgressCallback", "build_torrent", "list_files"]

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int], None]

# Each job reads and hashes about this much of the stream (whole pieces, at least one); small
# enough to stay in the CPU's caches between the read and the hashing, large enough that the
# per-job overhead vanishes.
_CHUNK_BYTES = 4 * 1024 * 1024
_WINDOW = 2  # jobs in flight per worker


@dataclass(frozen=True, slots=True)
class CreateOptions:
    """How to make a torrent; the defaults make a hybrid v1+v2 torrent like qBittorrent 4.4+."""

    version: Version = "hybrid"
    piece_length: int | None = None  # None: libtorrent's automatic size for the total length
    private: bool = False
    # Each item is one tier (BEP 12): a URL, or a sequence of URLs that share the tier.
    trackers: Sequence[str | Sequence[str]] = ()
    web_seeds: Sequence[str] = ()
    comment: str | None = None
    source: str | None = None
    created_by: str = f"torrentstack {__version__}"
    creation_date: int | None = None  # None: now; 0: leave the key out, as libtorrent does


def build_torrent(
    path: Path, options: CreateOptions, on_progress: ProgressCallback | None = None
) -> bytes:
    """Hash the file or directory at `path` and return the bencoded torrent.

    `on_progress(done_bytes, total_bytes)` is called from this thread, first with 0 and then as
    file content is hashed (pad bytes are not counted).
    """
    if options.piece_length is not None:
        try:
            check_piece_length(options.piece_length)
        except CreateError as exc:
            raise CreateError(str(exc), path=str(path), value=options.piece_length) from exc
    path = Path(os.path.abspath(path))
    name, files, single_file = list_files(path)
    layout = plan_layout(
        name,
        files,
        version=options.version,
        piece_length=options.piece_length,
        single_file=single_file,
    )
    pieces, roots = _hash(layout, path, on_progress)
    tiers = tuple(
        (tier,) if isinstance(tier, str) else tuple(tier) for tier in options.trackers if tier
    )
    creation_date = int(time.time()) if options.creation_date is None else options.creation_date
    meta = Metadata(
        trackers=tiers,
        web_seeds=tuple(options.web_seeds),
        private=options.private,
        comment=options.comment,
        source=options.source,
        created_by=options.created_by,
        creation_date=creation_date,
    )
    return assemble(layout, pieces, roots, meta)


def list_files(path: Path) -> tuple[str, list[FileEntry], bool]:
    """Return the torrent name, the files under `path` and whether it is a single-file torrent.

    Symlinks are followed, as libtorrent does by default (a loop is an error); hidden files are
    included. A broken link, an unreadable directory or anything but a regular file is an error:
    nothing is skipped silently. Empty directories cannot be expressed in a torrent; they are
    logged and left out.
    """
    # abspath, not resolve: a symlink given on the command line keeps its own name (libtorrent).
    root = Path(os.path.abspath(path))
    st = _stat(root)
    if stat.S_ISREG(st.st_mode):
        return root.name, [_entry((root.name,), st)], True
    if not stat.S_ISDIR(st.st_mode):
        raise CreateError("not a regular file or a directory", path=str(path))
    if not root.name:
        raise CreateError("the file system root cannot be a torrent", path=str(path))
    files = list(_walk(root, (), {(st.st_dev, st.st_ino)}))
    if not files:
        raise CreateError("the directory holds no files", path=str(path))
    return root.name, files, False


def _stat(path: Path) -> os.stat_result:
    try:
        return path.stat()  # follows symlinks
    except FileNotFoundError as exc:
        kind = "broken symlink" if path.is_symlink() else "no such file or directory"
        raise CreateError(kind, path=str(path)) from exc
    except OSError as exc:
        raise CreateError(f"cannot stat: {exc.strerror}", path=str(path)) from exc


def _walk(
    directory: Path, rel: tuple[str, ...], ancestors: set[tuple[int, int]]
) -> Iterator[FileEntry]:
    try:
        names = sorted(os.listdir(directory))
    except OSError as exc:
        raise CreateError(f"cannot list directory: {exc.strerror}", path=str(directory)) from exc
    if not names:
        logger.info("empty directory left out of the torrent: %s", directory)
    for name in names:
        path = directory / name
        if not _is_utf8(name):  # BEP 3 names are UTF-8; libtorrent would copy the raw bytes
            raise CreateError("file name is not valid UTF-8", path=str(path))
        st = _stat(path)
        if stat.S_ISDIR(st.st_mode):
            key = (st.st_dev, st.st_ino)
            if key in ancestors:
                raise CreateError("symlink loop", path=str(path))
            yield from _walk(path, (*rel, name), ancestors | {key})
        elif stat.S_ISREG(st.st_mode):
            yield _entry((*rel, name), st)
        else:
            raise CreateError("not a regular file or a directory", path=str(path))


def _is_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _entry(rel: tuple[str, ...], st: os.stat_result) -> FileEntry:
    # BEP 47 attributes exactly as libtorrent sets them: 'x' from the owner's execute bit on
    # POSIX, 'h' from the hidden attribute on Windows (a leading dot is not "hidden" to it).
    windows = os.name == "nt"
    hidden = bool(getattr(st, "st_file_attributes", 0) & getattr(stat, "FILE_ATTRIBUTE_HIDDEN", 0))
    executable = not windows and bool(st.st_mode & stat.S_IXUSR)
    return FileEntry(rel, st.st_size, executable=executable, hidden=hidden)


def _workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class _Jobs:
    """Read and hash piece-aligned spans of the stream; one instance shared by the workers."""

    def __init__(self, layout: Layout, root: Path) -> None:
        self.layout = layout
        self._paths = [
            root if layout.single_file else root.joinpath(*entry.path) for entry in layout.files
        ]
        self._local = threading.local()
        # BEP 47 pad files are zeros; v2 alone never hashes the bytes under a pad.
        pads = [s.length for s in layout.segments if s.file is None]
        self._zeros = bytes(max(pads)) if pads and layout.version != "v2" else b""

    def run(self, first_piece: int, count: int) -> tuple[int, bytes, list[bytes], int]:
        """Hash pieces [first_piece, first_piece + count); return them with the bytes read."""
        plen = self.layout.piece_length
        start = first_piece * plen
        end = min(start + count * plen, self.layout.length)
        buffer: bytearray | None = getattr(self._local, "buffer", None)
        if buffer is None or len(buffer) < end - start:
            buffer = self._local.buffer = bytearray(end - start)
        view = memoryview(buffer)[: end - start]
        read = self._fill(view, start, end)
        pieces, roots = hash_pieces(self.layout, first_piece, view)
        return first_piece, pieces, roots, read

    def _fill(self, view: memoryview, start: int, end: int) -> int:
        read = 0
        for seg in self.layout.segments_between(start, end):
            lo = max(seg.offset, start)
            hi = min(seg.offset + seg.length, end)
            target = view[lo - start : hi - start]
            if seg.file is not None:
                self._read(seg.file, lo - seg.offset, target)
                read += hi - lo
            elif self._zeros:
                target[:] = self._zeros[: hi - lo]
        return read

    def _read(self, index: int, offset: int, target: memoryview) -> None:
        path = self._paths[index]
        try:
            with open(path, "rb", buffering=0) as f:
                f.seek(offset)
                while target:
                    n = f.readinto(target)
                    if not n:
                        raise CreateError("file shrank while it was being hashed", path=str(path))
                    target = target[n:]
        except OSError as exc:
            raise CreateError(f"cannot read: {exc.strerror}", path=str(path)) from exc


def _hash(
    layout: Layout, root: Path, on_progress: ProgressCallback | None
) -> tuple[bytes, list[bytes]]:
    """Hash the whole stream with one thread per core; hashlib drops the GIL on big buffers.

    Worker processes were measured and lost (bench/create/run.py, 1 and 4 GiB on 2 cores): the
    spawn start-up and the coordinating process cost more than the GIL hand-offs of the 16 KiB
    SHA-256 calls, and spawning re-imports the caller's __main__, which a library must not do.
    """
    workers = _workers()
    total = layout.content_length
    plen = layout.piece_length
    num_pieces = layout.num_pieces
    # Whole pieces per job, but no fewer jobs than workers when the content is small.
    per_job = max(1, min(_CHUNK_BYTES // plen, -(-num_pieces // workers)))
    pieces = bytearray(20 * num_pieces if layout.version != "v2" else 0)
    roots: list[bytes] = [b""] * (num_pieces if layout.version != "v1" else 0)
    done = 0
    if on_progress is not None:
        on_progress(0, total)
    starts = iter(range(0, num_pieces, per_job))
    run = _Jobs(layout, root).run
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hash") as pool:
        pending: set[Future[tuple[int, bytes, list[bytes], int]]] = set()
        try:
            while True:
                # Keep a few jobs queued per worker: memory stays bounded by the buffers.
                for first in starts:
                    pending.add(pool.submit(run, first, per_job))
                    if len(pending) >= _WINDOW * workers:
                        break
                if not pending:
                    break
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    first, sha1s, piece_roots, read = future.result()
                    pieces[20 * first : 20 * first + len(sha1s)] = sha1s
                    roots[first : first + len(piece_roots)] = piece_roots
                    done += read
                    if on_progress is not None:
                        on_progress(done, total)
        finally:
            for future in pending:
                future.cancel()
    return bytes(pieces), roots
