"""cross-seed end to end: the daemon (`serve`, real sockets) over a real client, answering the
requests the real cross-seed 6.13.7 daemon was sent, with the statuses it answered
(tests/crossseed/data/daemon_statuses.json: the same library, the same candidates).

The library is rebuilt byte for byte (the recorded content rule and torrent options; the info
hashes are checked against the recording) in torrentstack's own client (wired in by `serve`
with no cross-seed configuration at all) and in Debian's qbittorrent-nox (configured as
cross-seed users write it). Candidates are served by a loopback Torznab server. An announce that
matches injects the candidate, which reaches 100% without downloading a byte.

Where we answer differently on purpose (docs/crossseed.md), the test says so: `size` and a
`guid` that is not the link are accepted, and an infoHash that is not hexadecimal is a 400.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.crossseed.oracle import DATA
from tests.support.seeded_clients import QbtNative
from tests.support.stack import stack
from tests.support.torrent_clients import Daemon, free_port, run_qbittorrent_nox
from tests.support.torznab_server import TorznabServer, torznab_server
from tests.support.waiting import eventually_sync
from tests.support.webui import LOOPBACK_ONLY, PASSWORD, USERNAME
from torrentstack.bittorrent.metainfo import parse
from torrentstack.cli.torrent_builder import CreateOptions, build_torrent
from torrentstack.config import Settings
from torrentstack.crossseed.searchee import Metafile

pytestmark = [pytest.mark.slow, pytest.mark.database, pytest.mark.libtorrent]

RECORDED: dict[str, Any] = json.loads((DATA / "daemon_statuses.json").read_text())
KEY = RECORDED["apiKey"]
ORACLE_DATA = "/work/oracle/qbt/data"  # where the recording's data lay
# Deliberate differences (docs/crossseed.md): id -> the status we answer
OURS = {
    "announce-guid-ne-link-json": 200,  # the seed document's guid is a listing URL
    "announce-guid-ne-link-form": 200,
    "announce-extra-size-json": 200,  # the seed document lists `size`
    "announce-extra-size-form": 200,
    "webhook-infohash-40-nonhex": 400,  # an info hash is hexadecimal
}


def _content(path: str, length: int) -> bytes:
    digest = hashlib.sha256(path.encode()).digest()
    return (digest * (length // len(digest) + 1))[:length]


def _torrent(root: Path, name: str, files: list[dict[str, Any]], spec: dict[str, Any]) -> Metafile:
    for f in files:
        target = root / f["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(_content(f["path"], f["length"]))
    options = CreateOptions(
        version="v1",
        piece_length=spec["pieceLength"],
        private=spec["private"],
        source=spec["source"],
        trackers=[spec["announce"]],
        creation_date=0,
    )
    meta = Metafile.from_metainfo(parse(build_torrent(root / name, options)))
    assert meta.info_hash == spec["infoHash"], f"{name} is not the recorded torrent"
    return meta


def build_library(
    data: Path, scratch: Path
) -> tuple[list[tuple[Metafile, bool]], dict[str, bytes]]:
    """(client torrents with completeness, servedAs -> candidate .torrent bytes)."""
    in_client: list[tuple[Metafile, bool]] = []
    served: dict[str, bytes] = {}
    for entry in RECORDED["library"]:
        name, files = entry["name"], entry["files"]
        mine = _torrent(data, name, files, entry["clientTorrent"])
        theirs = _torrent(data, name, files, entry["candidateTorrent"])
        served[entry["candidateTorrent"]["servedAs"]] = theirs.raw
        in_client.append((mine, entry["complete"]))
        served.setdefault(f"home{len(in_client) - 1}.torrent", mine.raw)
        if not entry["complete"]:
            for f in files:
                (data / f["path"]).unlink()
    for other in RECORDED["otherServedTorrents"]:
        if "files" in other:
            spec = {**RECORDED["library"][0]["candidateTorrent"], "infoHash": other["infoHash"]}
            served[other["servedAs"]] = _torrent(scratch, other["name"], other["files"], spec).raw
    return in_client, served


def _rewrite(text: str, links: dict[str, str], data: Path) -> str:
    base = RECORDED["candidateBaseUrl"]
    for served, link in sorted(links.items(), key=lambda kv: -len(kv[0])):
        text = text.replace(f"{base}/{served}", link)
        text = text.replace(quote(f"{base}/{served}", safe=""), quote(link, safe=""))
    text = text.replace(base, links["__base__"]).replace(
        quote(base, safe=""), quote(links["__base__"], safe="")
    )
    return text.replace(ORACLE_DATA, str(data)).replace(
        quote(ORACLE_DATA, safe=""), quote(str(data), safe="")
    )


async def replay(
    daemon: str, run: str, links: dict[str, str], data: Path
) -> list[tuple[str, int, int]]:
    """Send the recorded requests of `run`; (id, recorded status, ours) for each."""
    results = []
    async with httpx.AsyncClient(base_url=daemon, timeout=60) as http:
        for exchange in RECORDED["exchanges"]:
            if exchange["run"] != run:
                continue
            request = exchange["request"]
            body = request["body"]
            response = await http.request(
                request["method"],
                request["path"],
                params=request["query"],
                headers=request["headers"],
                content=_rewrite(body, links, data).encode() if body else None,
            )
            short = exchange["id"].split("-", 1)[1]
            expected = OURS.get(short, exchange["status"])
            results.append((exchange["id"], expected, response.status_code))
    return results


@pytest.fixture
async def candidates() -> AsyncIterator[TorznabServer]:
    async with torznab_server() as server:
        yield server


def _links(server: TorznabServer, served: dict[str, bytes]) -> dict[str, str]:
    links = {"__base__": server.base}
    for name, raw in served.items():
        item = server.add(Path(name).stem, torrent=raw)
        links[name] = server.link(item)
    return links


def _wait_until(native: QbtNative, library: list[tuple[Metafile, bool]]) -> None:
    def settled() -> None:
        for meta, complete in library:
            status = native.status(meta.info_hash)
            assert status is not None and not status["checking"], status
            assert (status["progress"] == 1) is complete, status

    eventually_sync(settled, timeout=30, interval=0.1)


@contextlib.asynccontextmanager
async def nox_with(
    library: list[tuple[Metafile, bool]], data: Path, tmp_path: Path
) -> AsyncIterator[tuple[Daemon, QbtNative]]:
    """qbittorrent-nox holding the library: complete torrents seeding, the others paused."""
    with run_qbittorrent_nox(tmp_path / "nox") as nox:
        native = await asyncio.to_thread(
            QbtNative, f"http://{nox.host}:{nox.port}", nox.username, nox.password
        )
        await _fill(native, library, data)
        yield nox, native


async def _fill(native: QbtNative, library: list[tuple[Metafile, bool]], data: Path) -> None:
    for meta, complete in library:
        await asyncio.to_thread(native.add, meta, data, paused=not complete)
    await asyncio.to_thread(_wait_until, native, library)


def _settings(tmp_path: Path, database_settings: Any, **crossseed: Any) -> Settings:
    return Settings.model_validate(
        {
            "paths": {"data_dir": str(tmp_path / "state")},
            "database": database_settings.model_dump(),
            "tracker": {"enabled": False},
            "site": {"enabled": False},
            "debrid": {"enabled": False},
            "crossseed": {"host": "127.0.0.1", "port": 0, "api_key": KEY, **crossseed},
        }
    )


def _check(results: list[tuple[str, int, int]]) -> None:
    wrong = [(i, want, got) for i, want, got in results if want != got]
    assert not wrong, wrong
    assert len(results) > 50


async def _check_injected(native: QbtNative, served: dict[str, bytes]) -> None:
    for name in ("0.torrent", "1.torrent"):
        meta = Metafile.from_metainfo(parse(served[name]))

        def seeding(info_hash: str = meta.info_hash) -> dict[str, Any]:
            status = native.status(info_hash)
            assert status is not None and status["progress"] == 1, status
            return status

        status = await asyncio.to_thread(eventually_sync, seeding, timeout=30, interval=0.1)
        assert status["downloaded"] == 0
        assert "cross-seed" in status["tags"]


async def test_our_client_as_the_default_target(tmp_path, database_settings, candidates):
    """`serve` with no cross-seed configuration injects into the stack's own client."""
    data, port = tmp_path / "data", free_port()
    library, served = await asyncio.to_thread(build_library, data, tmp_path / "scratch")
    links = _links(candidates, served)
    settings = _settings(tmp_path, database_settings)
    settings = settings.model_copy(
        update={
            "client": settings.client.model_validate(
                {
                    "host": "127.0.0.1",
                    "port": port,
                    "listen_port": 0,
                    "webui_password": PASSWORD,
                    "save_path": str(data),
                    "preferences": LOOPBACK_ONLY,
                }
            )
        }
    )
    async with stack(settings) as ports:
        native = await asyncio.to_thread(QbtNative, f"http://127.0.0.1:{port}", USERNAME, PASSWORD)
        await _fill(native, library, data)
        results = await replay(f"http://127.0.0.1:{ports['crossseed']}", "inject", links, data)
        _check(results)
        await _check_injected(native, served)


async def test_qbittorrent_nox_as_the_configured_target(tmp_path, database_settings, candidates):
    data = tmp_path / "data"
    library, served = await asyncio.to_thread(build_library, data, tmp_path / "scratch")
    links = _links(candidates, served)
    async with nox_with(library, data, tmp_path) as (nox, native):
        settings = _settings(tmp_path, database_settings, torrent_clients=[nox.url])
        settings = settings.model_copy(
            update={"client": settings.client.model_validate({"enabled": False})}
        )
        async with stack(settings) as ports:
            results = await replay(f"http://127.0.0.1:{ports['crossseed']}", "inject", links, data)
        _check(results)
        await _check_injected(native, served)


async def test_save_action_answers_as_the_original(tmp_path, database_settings, candidates):
    data = tmp_path / "data"
    library, served = await asyncio.to_thread(build_library, data, tmp_path / "scratch")
    links = _links(candidates, served)
    async with nox_with(library, data, tmp_path) as (nox, _native):
        out = tmp_path / "out"
        settings = _settings(
            tmp_path,
            database_settings,
            torrent_clients=[nox.url],
            action="save",
            output_dir=str(out),
        )
        settings = settings.model_copy(
            update={"client": settings.client.model_validate({"enabled": False})}
        )
        async with stack(settings) as ports:
            results = await replay(f"http://127.0.0.1:{ports['crossseed']}", "save", links, data)
        _check(results)
        saved = sorted(p.name for p in out.glob("*.torrent"))
        assert any("The.Expanse.S01" in name for name in saved), saved


async def test_webhook_searches_the_indexers_and_injects(tmp_path, database_settings, candidates):
    """POST /api/webhook for a torrent of the client: the Torznab indexer is searched, the same
    content listed there is downloaded, matched and injected, and seeds at once."""
    data = tmp_path / "data"
    library, served = await asyncio.to_thread(build_library, data, tmp_path / "scratch")
    expanse = RECORDED["library"][0]
    item = candidates.add(
        expanse["name"],
        torrent=served["0.torrent"],
        size=sum(f["length"] for f in expanse["files"]),
    )
    async with nox_with(library, data, tmp_path) as (nox, native):
        settings = _settings(
            tmp_path, database_settings, torrent_clients=[nox.url], torznab=[candidates.url]
        )
        settings = settings.model_copy(
            update={"client": settings.client.model_validate({"enabled": False})}
        )
        async with stack(settings) as ports, httpx.AsyncClient(timeout=30) as http:
            r = await http.post(
                f"http://127.0.0.1:{ports['crossseed']}/api/webhook",
                json={"infoHash": expanse["clientTorrent"]["infoHash"]},
                headers={"X-Api-Key": KEY},
            )
            assert r.status_code == 204
            injected = Metafile.from_metainfo(parse(served["0.torrent"]))

            def seeding() -> dict[str, Any]:
                status = native.status(injected.info_hash)
                assert status is not None and status["progress"] == 1, status
                return status

            status = await asyncio.to_thread(eventually_sync, seeding, timeout=30, interval=0.1)
            assert status["downloaded"] == 0
        searches = [q for q in candidates.requests if q.params.get("t") in ("tvsearch", "search")]
        assert searches and searches[0].params.get("season") == "1", candidates.requests
        assert any(q.path.startswith(f"/dl/{item.id}") for q in candidates.requests)


async def test_rss_job_scans_the_feed_and_injects(tmp_path, database_settings, candidates):
    """POST /api/job rss (rss_cadence set): the indexer's newest listings are paired with the
    library like announces, and the twin of the movie is injected."""
    data = tmp_path / "data"
    library, served = await asyncio.to_thread(build_library, data, tmp_path / "scratch")
    movie = RECORDED["library"][1]
    candidates.add("Unrelated.Show.S05E01.720p.HDTV.x264-LOL", torrent=served["mismatch.torrent"])
    candidates.add(
        movie["name"].removesuffix(".mkv"),
        torrent=served["1.torrent"],
        size=sum(f["length"] for f in movie["files"]),
        category=2000,
    )
    async with nox_with(library, data, tmp_path) as (nox, native):
        settings = _settings(
            tmp_path,
            database_settings,
            torrent_clients=[nox.url],
            torznab=[candidates.url],
            rss_cadence=600,
        )
        settings = settings.model_copy(
            update={"client": settings.client.model_validate({"enabled": False})}
        )
        injected = Metafile.from_metainfo(parse(served["1.torrent"]))
        async with stack(settings) as ports, httpx.AsyncClient(timeout=30) as http:
            url = f"http://127.0.0.1:{ports['crossseed']}/api/job"
            r = await http.post(url, json={"name": "rss"}, headers={"X-Api-Key": KEY})
            assert r.status_code == 200

            def seeding() -> dict[str, Any]:
                status = native.status(injected.info_hash)
                assert status is not None and status["progress"] == 1, status
                return status

            status = await asyncio.to_thread(eventually_sync, seeding, timeout=30, interval=0.1)
            assert status["downloaded"] == 0
            downloads = sum(q.path.startswith("/dl/") for q in candidates.requests)
            r = await http.post(url, json={"name": "search"}, headers={"X-Api-Key": KEY})
            assert r.status_code == 404  # no search cadence: the job is off, as cross-seed
        assert downloads >= 1
