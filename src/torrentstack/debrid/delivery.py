"""Making a finished item's files appear under `<download_folder>/<category>/`: the actions.

- `download`: the bytes over HTTP from the provider, resumable (a partial file continues from
  its length), each file checked against the size the provider reported;
- `symlink`: links to the files under the mount of the bridge's WebDAV tree
  (`<mount_path>/<provider>/__all__/<item>/<path>`), once the mount shows them;
- `strm`: `<path>.strm` files holding the file's WebDAV URL;
- `none`: nothing.
Blocking file work runs in threads. Paths from a provider never leave the item's folder.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from torrentstack.debrid.errors import ProviderError
from torrentstack.debrid.items import Item
from torrentstack.debrid.providers.base import Provider, RemoteFile

logger = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]


class DeliveryError(ProviderError):
    """The files could not be made to appear (a size mismatch, a mount that never showed)."""


def safe_relative(path: str) -> PurePosixPath:
    """A provider's file path as a relative path that stays inside its folder."""
    parts = [p for p in PurePosixPath(path.replace("\\", "/")).parts if p not in ("", ".", "/")]
    if not parts or ".." in parts or any("\x00" in p for p in parts):
        raise DeliveryError("bridge", f"refusing the file path {path!r}")
    return PurePosixPath(*parts)


def target(item: Item, file: RemoteFile) -> Path:
    """Where the file appears: `<save_path>/<name>/<path>`, or `<save_path>/<name>` alone."""
    return Path(item.save_path) / safe_relative(item.relative(file)).as_posix()


def content_path(item: Item) -> str:
    return str(Path(item.save_path) / safe_relative(item.name).as_posix())


async def download(item: Item, provider: Provider) -> None:
    """Fetch every file, continuing partial ones; a wrong final size is an error."""
    for file in item.files:
        path = target(item, file)
        await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
        have = path.stat().st_size if path.exists() else 0
        if have > file.size:
            await asyncio.to_thread(path.unlink)
            have = 0
        if have < file.size:
            handle = await asyncio.to_thread(open, path, "ab")
            try:
                async for chunk in provider.stream(file, have, None):
                    await asyncio.to_thread(handle.write, chunk)
            finally:
                handle.close()  # at once, also when cancelled (no await here)
        size = path.stat().st_size
        if size != file.size:
            raise DeliveryError(
                provider.name, f"{file.path}: got {size} bytes, the provider said {file.size}"
            )


def mount_file(mount_path: str, item: Item, file: RemoteFile) -> Path:
    """The file as the mount of the bridge's WebDAV tree shows it."""
    inner = safe_relative(file.path).as_posix()
    return (
        Path(mount_path) / item.provider / "__all__" / safe_relative(item.name).as_posix() / inner
    )


async def symlink(
    item: Item, mount_path: str, wait_limit: float, *, sleep: Sleep = asyncio.sleep
) -> None:
    """Link every file into the mount once it shows them all (waiting up to `wait_limit` seconds)."""
    sources = [(mount_file(mount_path, item, f), target(item, f)) for f in item.files]
    waited, pause = 0.0, 0.1
    while not await asyncio.to_thread(_all_present, [s for s, _ in sources]):
        if waited >= wait_limit:
            missing = next(s for s, _ in sources if not s.exists())
            raise DeliveryError(
                item.provider or "bridge",
                f"the mount did not show {missing} within {wait_limit:.0f} s; is {mount_path} "
                "the mount of the bridge's WebDAV tree?",
            )
        await sleep(pause)
        waited += pause
        pause = min(pause * 2, 2.0)
    await asyncio.to_thread(_link_all, sources)


def _all_present(paths: list[Path]) -> bool:
    try:
        return all(path.is_file() for path in paths)
    except OSError:
        return False


def _link_all(pairs: list[tuple[Path, Path]]) -> None:
    for source, link in pairs:
        link.parent.mkdir(parents=True, exist_ok=True)
        if link.is_symlink() or link.exists():
            link.unlink()
        os.symlink(source, link)


async def strm(item: Item, base_url: str) -> None:
    """Write `<file>.strm` holding the file's WebDAV URL, for each file."""

    def write() -> None:
        for file in item.files:
            path = target(item, file)
            path.parent.mkdir(parents=True, exist_ok=True)
            url = "/".join(
                [base_url.rstrip("/"), "webdav", quote(item.provider), "__all__"]
                + [quote(part) for part in (item.name, *safe_relative(file.path).parts)]
            )
            path.with_name(path.name + ".strm").write_text(url + "\n")

    await asyncio.to_thread(write)


async def remove(item: Item) -> None:
    """Delete what the item made appear (files, links, .strm), never outside its save path."""

    def run() -> None:
        root = Path(item.save_path)
        try:
            top = root / safe_relative(item.name).as_posix()
        except DeliveryError:
            return
        if top.is_symlink() or top.is_file():
            top.unlink()
            strm_file = top.with_name(top.name + ".strm")
            if strm_file.exists():
                strm_file.unlink()
        elif top.is_dir():
            shutil.rmtree(top, ignore_errors=True)
        else:
            strm_file = top.with_name(top.name + ".strm")
            if strm_file.exists():
                strm_file.unlink()

    await asyncio.to_thread(run)
