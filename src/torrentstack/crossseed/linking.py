"""Linking a matched torrent's files from the data the user has into a link dir (cross-seed's
`linkAllFilesInMetafile`, `src/action.ts`): pure planning (`plan_links`), then the file-system
work (`link_planned`, blocking; `link_metafile` runs it off the event loop).

Each file of the metafile takes a file of the searchee of the same size (by name when several
have that size). Link types: hardlink, symlink (to the absolute, symlink-free source), reflink
(FICLONE) and reflinkOrCopy. A destination that exists is left alone. When a link fails, the
links this attempt made are removed again and a `LinkError` says which link, of which type.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import errno
import fcntl
import os
import posixpath
import shutil
from dataclasses import dataclass

from torrentstack.crossseed.decision import Decision
from torrentstack.crossseed.searchee import File, Metafile, Searchee
from torrentstack.errors import TorrentstackError

FICLONE = 0x40049409  # linux/fs.h: _IOW(0x94, 9, int)
# errors by which a file system says "not this kind of link here"
_REFUSALS = frozenset(
    {errno.EXDEV, errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOTTY, errno.EINVAL}
)
_MAX_SYMLINK_HOPS = 16


class LinkType(enum.StrEnum):
    """cross-seed's `linkType` values."""

    HARDLINK = "hardlink"
    SYMLINK = "symlink"
    REFLINK = "reflink"
    REFLINK_OR_COPY = "reflinkOrCopy"


class LinkError(TorrentstackError):
    """A file could not be linked; `link_type`, `source`, `destination` and `errno` say which."""

    def __init__(
        self, message: str, *, link_type: LinkType, source: str, destination: str, code: int | None
    ) -> None:
        self.link_type = link_type
        self.source = source
        self.destination = destination
        self.errno = code
        super().__init__(message)


class LinkRefused(LinkError):
    """The file system refuses this link type between these paths (another device, no reflink
    support, links not permitted)."""


@dataclass(frozen=True, slots=True)
class LinkPlan:
    """Where each linked file comes from and goes; `unmatched` files have no source."""

    destination_dir: str
    links: tuple[tuple[str, str], ...]  # (absolute source, absolute destination)
    unmatched: tuple[File, ...] = ()


@dataclass(frozen=True, slots=True)
class LinkResult:
    """What linking did: the files it made, those already there, the folders it created."""

    linked: tuple[str, ...]
    existing: tuple[str, ...]
    created_dirs: tuple[str, ...]

    @property
    def linked_new_files(self) -> bool:
        return bool(self.linked)


def destination_dir(link_dir: str, tracker: str, *, flat: bool = False) -> str:
    """`linkDir/<tracker>`, or `linkDir` itself with flatLinking."""
    if flat:
        return link_dir
    safe = tracker.replace("/", "_").replace("\\", "_").replace("\x00", "").strip(". ") or "_"
    return posixpath.join(link_dir, safe)


def source_root(searchee: Searchee) -> str | None:
    """The folder a searchee's relative file paths start from: the client's save path, the
    parent of a data searchee's path; None for a virtual searchee (absolute file paths)."""
    if searchee.save_path is not None:
        return searchee.save_path
    if searchee.path is not None:
        return posixpath.dirname(searchee.path.rstrip("/")) or "/"
    return None


def plan_links(
    meta: Metafile,
    searchee: Searchee,
    decision: Decision,
    destination: str,
    *,
    save_path: str | None = None,
) -> LinkPlan:
    """Pair each file of `meta` with a file of `searchee` (pure: no file system access).

    `save_path` is where the searchee's relative paths start (default `source_root`). An exact
    MATCH with a save path links each file to the same path, as cross-seed does.
    """
    root = save_path if save_path is not None else source_root(searchee)
    if decision == Decision.MATCH and root is not None:
        links = tuple(
            (posixpath.join(root, f.path), posixpath.join(destination, f.path)) for f in meta.files
        )
        return LinkPlan(destination, links)
    available = list(searchee.files)
    pairs: list[tuple[str, str]] = []
    unmatched: list[File] = []
    for wanted in meta.files:
        same_size = [f for f in available if f.length == wanted.length]
        if len(same_size) > 1:
            same_size = [f for f in same_size if f.name == wanted.name]
        if not same_size:
            unmatched.append(wanted)
            continue
        chosen = same_size[0]
        available.remove(chosen)
        source = posixpath.join(root, chosen.path) if root is not None else chosen.path
        pairs.append((source, posixpath.join(destination, wanted.path)))
    return LinkPlan(destination, tuple(pairs), tuple(unmatched))


def _unwrap_symlinks(path: str) -> str:
    """Follow symlinks of the file itself (not of its folders), as cross-seed's unwrapSymlinks."""
    for _ in range(_MAX_SYMLINK_HOPS):
        if not os.path.islink(path):
            return path
        path = os.path.normpath(os.path.join(os.path.dirname(path), os.readlink(path)))
    raise OSError(errno.ELOOP, "too many levels of symbolic links", path)


def _reflink(source: str, destination: str, *, or_copy: bool) -> None:
    with open(source, "rb") as src:
        fd = os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            with os.fdopen(fd, "wb") as dst:
                try:
                    fcntl.ioctl(dst.fileno(), FICLONE, src.fileno())
                except OSError as exc:
                    if not or_copy or exc.errno not in _REFUSALS:
                        raise
                    shutil.copyfileobj(src, dst, 1024 * 1024)
        except BaseException:
            os.unlink(destination)
            raise


def link_file(source: str, destination: str, link_type: LinkType) -> bool:
    """Link one file; False when the destination already exists (left as it is).

    Raises `LinkRefused` when the file system refuses the link type, `LinkError` otherwise.
    """
    try:
        resolved = _unwrap_symlinks(source)
        if link_type is LinkType.HARDLINK:
            os.link(resolved, destination)
        elif link_type is LinkType.SYMLINK:
            os.symlink(os.path.abspath(resolved), os.path.abspath(destination))
        else:
            _reflink(resolved, destination, or_copy=link_type is LinkType.REFLINK_OR_COPY)
    except FileExistsError:
        return False
    except OSError as exc:
        refused = exc.errno in _REFUSALS
        cls = LinkRefused if refused else LinkError
        reason = "the file system refuses it" if refused else "it failed"
        raise cls(
            f"cannot {link_type} {source} -> {destination}: {reason} "
            f"({exc.strerror or exc}; errno {exc.errno})"
            + (". Hardlinks and reflinks need both paths on one file system" if refused else ""),
            link_type=link_type,
            source=source,
            destination=destination,
            code=exc.errno,
        ) from exc
    return True


def link_planned(
    plan: LinkPlan, link_type: LinkType, *, ignore_missing: bool = False
) -> LinkResult:
    """Make the plan's links (blocking). On any failure, undo what this call made and raise."""
    linked: list[str] = []
    existing: list[str] = []
    created_dirs: list[str] = []
    try:
        todo = []
        for source, destination in plan.links:
            if os.path.lexists(destination):
                existing.append(destination)
            elif os.path.exists(source):
                todo.append((source, destination))
            elif not ignore_missing:
                raise LinkError(
                    f"cannot {link_type} {source} -> {destination}: the source does not exist",
                    link_type=link_type,
                    source=source,
                    destination=destination,
                    code=errno.ENOENT,
                )
        for source, destination in todo:
            created_dirs += _make_parents(os.path.dirname(destination))
            if link_file(source, destination, link_type):
                linked.append(destination)
            else:
                existing.append(destination)
    except BaseException:
        unlink(LinkResult(tuple(linked), (), tuple(created_dirs)))
        raise
    return LinkResult(tuple(linked), tuple(existing), tuple(created_dirs))


def unlink(result: LinkResult) -> None:
    """Remove the files a linking made, then the folders it created if they are empty."""
    for path in result.linked:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
    for folder in reversed(result.created_dirs):
        with contextlib.suppress(OSError):  # not empty: something else lives there now
            os.rmdir(folder)


def _make_parents(folder: str) -> list[str]:
    """mkdir -p, returning the folders it created, outermost first."""
    missing = []
    while folder and not os.path.isdir(folder):
        missing.append(folder)
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    created = []
    for path in reversed(missing):
        try:
            os.mkdir(path)
        except FileExistsError:
            continue
        created.append(path)
    return created


async def link_metafile(
    meta: Metafile,
    searchee: Searchee,
    decision: Decision,
    destination: str,
    link_type: LinkType,
    *,
    save_path: str | None = None,
    ignore_missing: bool = False,
) -> LinkResult:
    """Plan and make the links of `meta` in `destination`, in a worker thread."""
    plan = plan_links(meta, searchee, decision, destination, save_path=save_path)
    return await asyncio.to_thread(link_planned, plan, link_type, ignore_missing=ignore_missing)
