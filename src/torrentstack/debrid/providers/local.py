"""The `local` provider: a qBittorrent WebUI API client (by default the stack's own client
service) downloads the torrent, and the bridge reads the finished files from disk.

Only HTTP to the client here (never `torrentstack.client`); files are read only under the save
path we add torrents with, so a client's answer cannot point us at any other file.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import httpx

from torrentstack.bittorrent import magnet as magnets
from torrentstack.bittorrent import metainfo
from torrentstack.bittorrent.infohash import InfoHash
from torrentstack.config.debrid import ProviderSettings
from torrentstack.debrid.errors import NotFoundRemote, ProviderError
from torrentstack.debrid.providers.base import Profile, RemoteFile, RemoteStatus, RemoteTorrent
from torrentstack.debrid.providers.http import ServiceHttp, Sleep, describe_json
from torrentstack.errors import FormatError

logger = logging.getLogger(__name__)
T = TypeVar("T")

CATEGORY = "debrid"
CHUNK = 64 * 1024
FREE_SLOTS = 1000  # the client queues what it cannot start: there is no account limit
# how long to wait for a torrent just added to be listed (the client adds asynchronously)
_LISTED_DELAYS = (0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2)

_FETCHING = frozenset({"downloading", "stalledDL", "forcedDL"})
_COMPLETE = frozenset(
    {"uploading", "stalledUP", "pausedUP", "stoppedUP", "queuedUP", "forcedUP", "checkingUP"}
)
_BROKEN = frozenset({"error", "missingFiles"})


def remote_status(state: str, progress: float) -> RemoteStatus:
    """Map a qBittorrent torrent state (and its progress) onto the bridge's statuses."""
    if state in _BROKEN:
        return RemoteStatus.FAILED
    if state in _COMPLETE and progress >= 1:
        return RemoteStatus.DOWNLOADED
    if state in _FETCHING:
        return RemoteStatus.DOWNLOADING
    # waiting (metadata, queue, checks, moving, paused ...): downloading once bytes came in
    return RemoteStatus.DOWNLOADING if progress > 0 else RemoteStatus.QUEUED


def info_hash_of(source: str | bytes) -> str:
    """The id qBittorrent lists a magnet (str) or .torrent (bytes) under: the v1 hash in
    lower-case hex, or the truncated v2 hash of a v2-only torrent. ValueError if unreadable."""
    found: InfoHash
    try:
        if isinstance(source, str):
            parsed_magnet = magnets.parse(source)
            found = parsed_magnet.info_hash_v1 or parsed_magnet.info_hash
        else:
            parsed = metainfo.parse(source)
            found = parsed.info_hash_v1 or parsed.info_hash
    except FormatError as exc:
        raise ValueError(str(exc)) from exc
    return found.hex.lower()[:40]


def file_path(name: str, torrent_name: str) -> str:
    """A torrents/files `name` relative to the torrent's folder (multi-file torrents list
    `<torrent name>/<path>`; single-file ones the bare name)."""
    prefix = torrent_name + "/"
    return name[len(prefix) :] if torrent_name and name.startswith(prefix) else name


def remote_torrent(raw: Mapping[str, Any], files: tuple[RemoteFile, ...]) -> RemoteTorrent:
    """A torrents/info row as the bridge sees it (ValueError/TypeError if a number is not)."""
    state = str(raw.get("state", ""))
    progress = min(max(float(raw.get("progress") or 0), 0.0), 1.0)
    status = remote_status(state, progress)
    info_hash = str(raw.get("hash", "")).lower()
    return RemoteTorrent(
        id=info_hash,
        info_hash=str(raw.get("infohash_v1") or info_hash).lower(),
        name=str(raw.get("name", "")),
        size=_count(raw, "size"),  # the wanted files' (before metadata: 0, or what xl said)
        status=status,
        progress=progress,
        speed=_count(raw, "dlspeed"),
        seeders=_count(raw, "num_seeds"),
        files=files,
        message=f"the client reports {state}" if status is RemoteStatus.FAILED else "",
    )


def _count(row: Mapping[str, Any], key: str) -> int:
    """A non-negative number of the row (qBittorrent says -1 for unknown)."""
    return max(0, int(row.get(key) or 0))


def _inside(path: Path, roots: Sequence[Path]) -> bool:
    """Whether `path`, symlinks resolved, lies under every one of `roots` (also resolved)."""
    try:
        resolved = path.resolve()
        return all(resolved.is_relative_to(root.resolve()) for root in roots)
    except (OSError, RuntimeError):  # a symlink loop (RuntimeError before Python 3.13)
        return False


class LocalProvider:
    """A qBittorrent WebUI (`api_url`, login `api_key` = `user:password`) as a debrid service."""

    KIND = "local"

    def __init__(
        self, settings: ProviderSettings, *, save_root: Path, sleep: Sleep = asyncio.sleep
    ) -> None:
        self.name = settings.label
        self.kind = self.KIND
        if not settings.api_url:
            raise ProviderError(self.name, "no client WebUI URL (api_url) is configured")
        user, _, password = settings.api_key.partition(":")
        self._credentials = {"username": user, "password": password}
        self._needs_login = bool(settings.api_key)
        self._save_root = save_root.absolute()  # the client must not resolve it elsewhere
        self._sleep = sleep
        self._http = ServiceHttp(
            self.name,
            settings.api_url,
            "",
            rate=settings.rate_limit,
            describe=describe_json(),
            sleep=sleep,
            auth_header=False,
        )
        self._login_lock = asyncio.Lock()
        self._session = 0  # bumped at each login; 0: not logged in
        self._category_ready = False
        # a link's torrent save path as the client last reported it (stream checks it too)
        self._save_paths: dict[str, str] = {}

    # -- the WebUI session ----------------------------------------------------------------

    async def _login(self, stale: int) -> None:
        """Log in unless another call already did since session `stale` was seen."""
        async with self._login_lock:
            if self._session != stale:
                return
            self._http.client.cookies.clear()
            if self._needs_login:
                try:
                    response = await self._http.request(
                        "POST", "api/v2/auth/login", data=self._credentials
                    )
                except ProviderError as exc:
                    if exc.status == 403:
                        raise ProviderError(
                            self.name,
                            "the client banned this address after failed logins",
                            status=403,
                        ) from exc
                    raise
                if response.text.strip() != "Ok.":
                    raise ProviderError(
                        self.name, "the client refused the login (check user:password)"
                    )
            self._session = stale + 1

    async def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The client's answer, logged in first; a 403 (session expired) logs in once more."""
        session = self._session
        if session == 0:
            await self._login(0)
            session = self._session
        try:
            return await self._http.request(method, f"api/v2/{path}", **kwargs)
        except ProviderError as exc:
            if exc.status != 403:
                raise
            logger.info("%s: the client's session ended, logging in again", self.name)
        await self._login(session)
        try:
            return await self._http.request(method, f"api/v2/{path}", **kwargs)
        except ProviderError as exc:
            if exc.status == 403:
                message = (
                    "the client refuses this login's session"
                    if self._needs_login
                    else "the client wants a login (api_key = user:password)"
                )
                raise ProviderError(self.name, message, status=403) from exc
            raise

    async def _rows(self, path: str, **params: str) -> list[Mapping[str, Any]]:
        """A JSON list of objects the client answers `GET path?params` with."""
        response = await self._call("GET", path, params=params)
        try:
            rows = response.json()
        except ValueError as exc:
            raise ProviderError(self.name, f"{path} did not answer JSON") from exc
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            raise ProviderError(self.name, f"{path} did not answer a list of objects")
        return rows

    # -- adding ---------------------------------------------------------------------------

    async def _ensure_category(self) -> None:
        if self._category_ready:
            return
        try:
            await self._call(
                "POST",
                "torrents/createCategory",
                data={"category": CATEGORY, "savePath": str(self._save_root)},
            )
        except ProviderError as exc:
            if exc.status != 409:  # it exists already
                raise
        self._category_ready = True

    async def _add(self, info_hash: str, **content: Any) -> str:
        await self._ensure_category()
        form = {
            "category": CATEGORY,
            "savepath": str(self._save_root),
            "autoTMM": "false",
            "contentLayout": "Original",  # multi-file torrents in their own folder
            "paused": "false",
            "stopped": "false",
            **content.pop("data", {}),
        }
        try:
            response = await self._call("POST", "torrents/add", data=form, **content)
            refused = response.text.strip() == "Fails."
        except ProviderError as exc:
            if exc.status == 415:  # not a torrent the client can read
                raise ProviderError(self.name, f"the client refused it: {exc.message}") from exc
            if exc.status != 409:  # qBittorrent 5: 409 when nothing was added
                raise
            refused = True
        listed = await self._listed(info_hash, wait=not refused)
        if listed is None:
            if refused:
                raise ProviderError(self.name, "the client refused the torrent (Fails.)")
            raise ProviderError(
                self.name, "the client accepted the torrent but does not list it", retryable=True
            )
        if str(listed.get("category") or "") != CATEGORY:
            raise ProviderError(self.name, "the client already has this torrent, outside debrid")
        return info_hash

    async def _listed(self, info_hash: str, *, wait: bool) -> Mapping[str, Any] | None:
        delays = _LISTED_DELAYS if wait else ()
        for delay in (*delays, None):
            found = await self._info(info_hash)
            if found is not None or delay is None:
                return found
            await self._sleep(delay)
        return None

    async def submit_magnet(self, magnet: str, *, uncached: bool) -> str:
        """Add the magnet to the client (it always fetches: `uncached` does not matter)."""
        try:
            info_hash = info_hash_of(magnet)
        except ValueError as exc:
            raise ProviderError(self.name, f"not a usable magnet link: {exc}") from exc
        return await self._add(info_hash, data={"urls": magnet})

    async def submit_torrent(self, data: bytes, *, uncached: bool) -> str:
        """Add the .torrent file to the client."""
        try:
            info_hash = info_hash_of(data)
        except ValueError as exc:
            raise ProviderError(self.name, f"not a usable .torrent file: {exc}") from exc
        files = {"torrents": (f"{info_hash}.torrent", data, "application/x-bittorrent")}
        return await self._add(info_hash, files=files)

    # -- reading the client's state ---------------------------------------------------------

    async def _info(self, info_hash: str) -> Mapping[str, Any] | None:
        for raw in await self._rows("torrents/info", hashes=info_hash):
            if str(raw.get("hash", "")).lower() == info_hash:
                return raw
        return None

    async def _files(self, raw: Mapping[str, Any]) -> tuple[RemoteFile, ...]:
        info_hash = str(raw.get("hash", "")).lower()
        listing = await self._rows("torrents/files", hash=info_hash)
        save_path, torrent_name = str(raw.get("save_path", "")), str(raw.get("name", ""))
        files = []
        for position, entry in enumerate(listing):
            if entry.get("priority") == 0:
                continue  # not wanted: the client does not write it
            name = str(entry.get("name", ""))
            link = os.path.join(save_path, name)
            self._save_paths[link] = save_path
            files.append(
                RemoteFile(
                    id=str(entry.get("index", position)),
                    path=file_path(name, torrent_name),
                    size=_count(entry, "size"),
                    link=link,
                )
            )
        return tuple(files)

    async def status(self, remote_id: str) -> RemoteTorrent:
        """The torrent as the client lists it, with its wanted files."""
        raw = await self._info(remote_id.lower())
        if raw is None:
            raise NotFoundRemote(self.name, f"the client has no torrent {remote_id}")
        try:
            return remote_torrent(raw, await self._files(raw))
        except (TypeError, ValueError) as exc:
            raise ProviderError(self.name, f"unreadable torrent details ({exc})") from exc

    async def select_files(self, remote_id: str, file_ids: Sequence[str]) -> None:
        """Nothing to do: the client fetches every file."""

    async def delete(self, remote_id: str) -> None:
        """Remove the torrent and its files from the client."""
        try:
            await self._call(
                "POST", "torrents/delete", data={"hashes": remote_id.lower(), "deleteFiles": "true"}
            )
        except NotFoundRemote:
            return

    async def torrents(self) -> list[RemoteTorrent]:
        """Every torrent of the `debrid` category (without their files)."""
        listing = await self._rows("torrents/info", category=CATEGORY)
        try:
            return [remote_torrent(raw, ()) for raw in listing]
        except (TypeError, ValueError) as exc:
            raise ProviderError(self.name, f"unreadable torrent list ({exc})") from exc

    # -- the files on disk ----------------------------------------------------------------

    def _local_path(self, file: RemoteFile) -> Path:
        """The file's path on disk; ProviderError unless it lies under our save root (and the
        torrent's save path, when the client reported it)."""
        path = Path(file.link)
        roots = [self._save_root]
        if file.link in self._save_paths:
            roots.append(Path(self._save_paths[file.link]))
        if not path.is_absolute() or not _inside(path, roots):
            raise ProviderError(
                self.name, f"refusing to read {file.link!r}: not under the save path"
            )
        return path

    async def link(self, file: RemoteFile) -> str:
        """A `file://` URL of the file on disk."""
        return (await asyncio.to_thread(self._local_path, file)).as_uri()

    async def check(self, file: RemoteFile) -> bool:
        """Whether the file is on disk, a regular file of the expected size."""

        def probe() -> bool:
            try:
                path = self._local_path(file)
                return path.is_file() and path.stat().st_size == file.size
            except (ProviderError, OSError):
                return False

        return await asyncio.to_thread(probe)

    async def stream(
        self, file: RemoteFile, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        """The file's bytes from disk, `start` to `end` inclusive, in 64 KiB chunks."""

        def open_file() -> BinaryIO:
            handle = self._local_path(file).open("rb")
            handle.seek(start)
            return handle

        handle = await self._disk(file, open_file)
        try:
            left = math.inf if end is None else end - start + 1
            while left > 0:
                chunk = await self._disk(file, handle.read, int(min(CHUNK, left)))
                if not chunk:
                    break
                left -= len(chunk)
                yield chunk
        finally:
            handle.close()  # no I/O left to wait for on a file only read

    async def _disk(self, file: RemoteFile, work: Callable[..., T], *args: Any) -> T:
        """`work(*args)` in a thread, its OSError a ProviderError (NotFoundRemote: no file)."""
        try:
            return await asyncio.to_thread(work, *args)
        except FileNotFoundError as exc:
            raise NotFoundRemote(self.name, f"{file.path} is not on disk") from exc
        except OSError as exc:
            raise ProviderError(self.name, f"cannot read {file.path}: {exc.strerror}") from exc

    # -- the account ----------------------------------------------------------------------

    async def profile(self) -> Profile:
        """The login's user name; the client's version proves the login works."""
        await self._call("GET", "app/version")
        return Profile(username=self._credentials["username"] or "local", premium=True)

    async def free_slots(self) -> int:
        """Many: the client queues torrents itself."""
        return FREE_SLOTS

    async def close(self) -> None:
        await self._http.close()
