"""The WebDAV tree on a real socket: rclone (its `:webdav:` backend, no config file) lists it,
copies byte-identical files and reads a range; and what a client sees when a provider fails
mid-file or when it leaves early."""

from __future__ import annotations

import asyncio
import json
import os
import shutil

import httpx
import pytest

from tests.support.dav_source import (
    EPISODE,
    ODD,
    PASSWORD,
    USER,
    VIDEO,
    MemorySource,
    Stored,
    authorize,
    basic,
    counting_pattern,
    sample_source,
    url,
)
from tests.support.debrid_services.serving import serve_app
from tests.support.rclone import rclone
from tests.support.waiting import eventually
from torrentstack.debrid.webdav import webdav_app

pytestmark = pytest.mark.skipif(shutil.which("rclone") is None, reason="rclone is not installed")

BIG = 3 * 1024 * 1024 + 17  # several chunks, not a multiple of any


def big_bytes(start: int, stop: int) -> bytes:
    return b"".join(
        counting_pattern(offset, min(offset + 1024 * 1024, stop))
        for offset in range(start, stop, 1024 * 1024)
    )


@pytest.fixture
def source() -> MemorySource:
    source = sample_source()
    source.chunk_size = 64 * 1024
    source.add("realdebrid", "Big Item", {"big.mkv": Stored(size=BIG, pattern=counting_pattern)})
    return source


async def test_rclone_lists_copies_and_reads_ranges(source, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    obscured = (await rclone(home, "obscure", PASSWORD)).decode().strip()
    async with serve_app(webdav_app(source, authorize), name="webdav") as port:
        remote = [
            "--webdav-url",
            f"http://127.0.0.1:{port}/webdav/",
            "--webdav-user",
            USER,
            "--webdav-pass",
            obscured,
            "--webdav-vendor",
            "other",
        ]
        listing = json.loads(
            await rclone(home, "lsjson", "-R", *remote, ":webdav:realdebrid/__all__")
        )
        sizes = {entry["Path"]: entry["Size"] for entry in listing if not entry["IsDir"]}
        assert sizes == {
            f"{EPISODE}/{EPISODE}.mkv": len(VIDEO),
            f"{EPISODE}/{EPISODE}.nfo": 8,
            "Movie.2020.mkv/Movie.2020.mkv": 3000,
            f"{ODD}/Sub {ODD}/{ODD}.srt": 4,
            f"{ODD}/empty.bin": 0,
            "Big Item/big.mkv": BIG,
        }
        folders = {entry["Path"] for entry in listing if entry["IsDir"]}
        assert folders == {EPISODE, "Movie.2020.mkv", ODD, f"{ODD}/Sub {ODD}", "Big Item"}
        assert {entry["ModTime"][:19] for entry in listing if not entry["IsDir"]} == {
            "2024-03-05T12:30:15"
        }

        copied = tmp_path / "copied"
        await rclone(home, "copy", *remote, ":webdav:realdebrid/__all__", str(copied))
        assert (copied / EPISODE / f"{EPISODE}.mkv").read_bytes() == VIDEO
        assert (copied / ODD / f"Sub {ODD}" / f"{ODD}.srt").read_bytes() == b"subs"
        assert (copied / ODD / "empty.bin").read_bytes() == b""
        assert (copied / "Big Item" / "big.mkv").read_bytes() == big_bytes(0, BIG)

        part = await rclone(
            home,
            "cat",
            *remote,
            "--offset",
            "1000000",
            "--count",
            "70000",
            ":webdav:realdebrid/__all__/Big Item/big.mkv",
        )
        assert part == big_bytes(1_000_000, 1_070_000)
        # rclone asked for that range, not for the file
        assert ("realdebrid", "Big Item", "big.mkv", 1_000_000, 1_069_999) in source.calls

        denied = await asyncio.create_subprocess_exec(
            "rclone", "--config", "/dev/null", "lsjson", *remote[:4], "--webdav-pass",
            (await rclone(home, "obscure", "wrong")).decode().strip(), ":webdav:",
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
            env={"PATH": os.environ["PATH"], "HOME": str(home)},
        )  # fmt: skip
        _, err = await asyncio.wait_for(denied.communicate(), 60)
        assert denied.returncode != 0
        assert b"401" in err or b"Unauthorized" in err


async def test_a_client_sees_a_failing_provider_as_a_cut_response(source):
    source.fail_after = 128 * 1024
    async with (
        serve_app(webdav_app(source, authorize), name="webdav") as port,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=basic()) as client,
    ):
        received, statuses = bytearray(), []

        async def read() -> None:
            async with client.stream(
                "GET", url("realdebrid", "__all__", "Big Item", "big.mkv")
            ) as reply:
                statuses.append(reply.status_code)
                async for chunk in reply.aiter_bytes():
                    received.extend(chunk)

        with pytest.raises(httpx.RemoteProtocolError):
            await read()
        assert statuses == [200]
        assert bytes(received) == big_bytes(0, 128 * 1024)
        # the server stays up for the next request
        assert (await client.get(url("realdebrid", "version.txt"))).status_code == 200


async def test_a_client_leaving_early_stops_the_reading(source):
    huge = Stored(size=1024 * 1024 * 1024, pattern=counting_pattern)  # 1 GiB, never read whole
    source.add("realdebrid", "Huge", {"huge.mkv": huge})
    async with (
        serve_app(webdav_app(source, authorize), name="webdav") as port,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=basic()) as client,
    ):
        async with client.stream("GET", url("realdebrid", "__all__", "Huge", "huge.mkv")) as reply:
            async for _ in reply.aiter_raw():
                break
        await eventually(lambda: source.closed == 1, message="the stream was not closed")
        assert source.pulled * source.chunk_size < 256 * 1024 * 1024
