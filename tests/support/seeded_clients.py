"""A real client with a torrent seeding in it (`seeded_client`), and a look at the client's own
view (through its library, not the code under test) to check what cross-seed injection did.

The kinds: torrentstack's client, qbittorrent-nox, transmission-daemon and deluged. The seeded torrent `Show.S01` (two episodes and an .nfo, piece-aligned) has been checked
by the client and is complete; its twin from another tracker (`other`) and a partial cousin
(`partial`: the episodes plus a file nobody has) are made from the same bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import qbittorrentapi
import transmission_rpc
from deluge_client import DelugeRPCClient

from tests.support.payloads import payload_bytes
from tests.support.torrent_clients import (
    Daemon,
    run_deluged,
    run_qbittorrent_nox,
    run_transmission_daemon,
)
from tests.support.waiting import eventually_sync
from torrentstack.bittorrent.metainfo import parse
from torrentstack.cli.torrent_builder import CreateOptions, build_torrent
from torrentstack.crossseed.clients import TorrentClient, make_client
from torrentstack.crossseed.searchee import Metafile

PIECE = 16 * 1024
NAME = "Show.S01"
FILES = {"Show.S01E01.mkv": 20 * PIECE, "Show.S01E02.mkv": 12 * PIECE, "Show.S01.nfo": PIECE}
CHECK_SECONDS = 15


def make_metafile(root: Path, files: dict[str, int], *, source: str, tracker: str) -> Metafile:
    """Write `files` under root/NAME (content fixed per file name) and make a v1 torrent of it."""
    base = root / NAME
    for relative, size in files.items():
        target = base / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(payload_bytes(relative, size))
    options = CreateOptions(
        version="v1",
        piece_length=PIECE,
        private=True,
        source=source,  # in the info dictionary: same files, another info hash
        trackers=[tracker],
        creation_date=0,
    )
    return Metafile.from_metainfo(parse(build_torrent(base, options)))


class Native:
    """A client's own view of its torrents, for the assertions."""

    def add(self, meta: Metafile, save_path: Path, *, paused: bool = False) -> None:
        raise NotImplementedError

    def status(self, info_hash: str) -> dict[str, Any] | None:
        """{progress 0..1, paused, checking, seeding, save_path, tags, downloaded}"""
        raise NotImplementedError

    def close(self) -> None:
        pass


class QbtNative(Native):
    def __init__(self, url: str, username: str, password: str) -> None:
        self.api = qbittorrentapi.Client(
            host=url, username=username, password=password, REQUESTS_ARGS={"timeout": 10}
        )
        self.api.auth_log_in()

    def add(self, meta, save_path, *, paused=False):
        self.api.torrents_add(
            torrent_files={"t.torrent": meta.raw}, save_path=str(save_path), is_paused=paused
        )

    def status(self, info_hash):
        found = self.api.torrents_info(torrent_hashes=info_hash)
        if not found:
            return None
        t = found[0]
        return {
            "progress": float(t.progress),
            "paused": t.state.startswith(("paused", "stopped")),
            "checking": t.state.startswith("checking") or t.state == "queuedForChecking",
            "seeding": t.state in ("uploading", "stalledUP", "queuedUP", "forcedUP"),
            "save_path": t.save_path.rstrip("/"),
            "tags": [x.strip() for x in t.tags.split(",") if x.strip()],
            "category": t.category,
            "downloaded": int(t.downloaded),
            "state": t.state,
        }

    def close(self):
        self.api.auth_log_out()
        self.api._trigger_session_initialization()


class TransmissionNative(Native):
    def __init__(self, daemon: Daemon) -> None:
        self.rpc = transmission_rpc.Client(
            host=daemon.host, port=daemon.port, username=daemon.username, password=daemon.password
        )

    def add(self, meta, save_path, *, paused=False):
        self.rpc.add_torrent(meta.raw, download_dir=str(save_path), paused=paused)

    def status(self, info_hash):
        found = self.rpc.get_torrents([info_hash])
        if not found:
            return None
        t = found[0]
        status = t.status.value if hasattr(t.status, "value") else str(t.status)
        return {
            "progress": float(t.percent_done),
            "paused": status == "stopped",
            "checking": status in ("check pending", "checking"),
            "seeding": status in ("seeding", "seed pending"),
            "save_path": t.download_dir.rstrip("/"),
            "tags": list(t.labels),
            "category": None,
            "downloaded": int(t.downloaded_ever),
            "state": status,
        }

    def close(self):
        self.rpc.__exit__(None, None, None)


class DelugeNative(Native):
    def __init__(self, daemon: Daemon) -> None:
        self.rpc = DelugeRPCClient(
            daemon.host,
            daemon.port,
            daemon.username,
            daemon.password,
            decode_utf8=True,
            automatic_reconnect=False,
        )
        self.rpc.connect()

    def add(self, meta, save_path, *, paused=False):
        import base64

        options = {"download_location": str(save_path), "add_paused": paused}
        self.rpc.call("core.add_torrent_file", "t.torrent", base64.b64encode(meta.raw), options)

    def status(self, info_hash):
        keys = ["progress", "state", "save_path", "label", "all_time_download", "paused"]
        t = self.rpc.call("core.get_torrent_status", info_hash, keys)
        if not t:
            return None
        return {
            "progress": float(t["progress"]) / 100,
            "paused": t["state"] == "Paused",
            "checking": t["state"] in ("Checking", "Allocating"),
            "seeding": t["state"] == "Seeding",
            "save_path": t["save_path"].rstrip("/"),
            "tags": [t["label"]] if t.get("label") else [],
            "category": t.get("label"),
            "downloaded": int(t["all_time_download"]),
            "state": t["state"],
        }

    def close(self):
        self.rpc.disconnect()


@dataclass
class Seeded:
    """A client under test with `source` seeding from `save_path`."""

    kind: str
    url: str  # cross-seed entry with credentials
    native: Native
    save_path: Path
    source: Metafile
    other: Metafile
    partial: Metafile
    missing: Metafile  # in the client, paused, no data: incomplete
    clients: list[TorrentClient] = field(default_factory=list)

    def client(self, url: str | None = None) -> TorrentClient:
        made = make_client(url or self.url)
        self.clients.append(made)
        return made

    async def status(self, info_hash: str) -> dict[str, Any] | None:
        return await asyncio.to_thread(self.native.status, info_hash)

    async def wait_for(
        self,
        info_hash: str,
        check: Callable[[dict[str, Any]], bool],
        within: float = CHECK_SECONDS,
    ) -> dict[str, Any]:
        def holds() -> dict[str, Any] | None:
            status = self.native.status(info_hash)
            assert status is not None and check(status), status
            return status

        return await asyncio.to_thread(eventually_sync, holds, timeout=within, interval=0.1)


CLIENT_KINDS = ["torrentstack", "qbittorrent", "transmission", "deluge"]


DAEMONS = {
    "qbittorrent": run_qbittorrent_nox,
    "transmission": run_transmission_daemon,
    "deluge": run_deluged,
}


def native_view(daemon: Daemon) -> Native:
    if daemon.kind == "qbittorrent":
        url = f"http://{daemon.host}:{daemon.port}"
        return QbtNative(url, daemon.username, daemon.password)
    if daemon.kind == "transmission":
        return TransmissionNative(daemon)
    return DelugeNative(daemon)


def _make_torrents(save_path: Path, scratch: Path) -> tuple[Metafile, ...]:
    """(source, other, partial, missing): the data of the first two is left in save_path."""
    save_path.mkdir(parents=True, exist_ok=True)
    source = make_metafile(save_path, FILES, source="A", tracker="http://tracker-a.test/ann/KEY")
    other = make_metafile(save_path, FILES, source="B", tracker="http://tracker-b.test:8080/ann")
    partial_files = {k: v for k, v in FILES.items() if k.endswith(".mkv")}
    partial_files["Show.S01E03.mkv"] = 8 * PIECE  # nobody has it
    partial = make_metafile(scratch, partial_files, source="C", tracker="http://tracker-c.test/a")
    shutil.rmtree(scratch)
    missing = make_metafile(scratch, {"Other.mkv": 4 * PIECE}, source="D", tracker="http://d.test/")
    shutil.rmtree(scratch)
    return source, other, partial, missing


@contextlib.asynccontextmanager
async def seeded_client(
    kind: str, url: str, native: Native, save_path: Path, tmp_path: Path
) -> AsyncIterator[Seeded]:
    metafiles = await asyncio.to_thread(_make_torrents, save_path, tmp_path / "scratch")
    seeded = Seeded(kind, url, native, save_path, *metafiles)
    source, missing = seeded.source, seeded.missing
    await asyncio.to_thread(native.add, source, save_path)
    await asyncio.to_thread(native.add, missing, save_path, paused=True)
    await seeded.wait_for(source.info_hash, lambda s: s["progress"] == 1 and not s["checking"])
    await seeded.wait_for(missing.info_hash, lambda s: not s["checking"])
    try:
        yield seeded
    finally:
        for client in seeded.clients:
            await client.close()
        await asyncio.to_thread(native.close)
