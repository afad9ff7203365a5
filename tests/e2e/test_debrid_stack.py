"""The bridge in the running stack:
- with nothing configured, its `local` provider is the stack's own client, which fetches a
  magnet from a libtorrent seeder; Sonarr's add reaches `pausedUP` with the seeded bytes;
- rclone lists and copies the bridge's WebDAV tree (what `rclone mount` would mount) and gets
  the provider's bytes;
- symlinks into that tree (here a copy made by rclone, where a real setup has the mount), one
  made dangling: a repair job through `/api/repair` finds it, deletes the file from the
  loopback Sonarr and searches its episode again."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from tests.support.arr_server import arr_server
from tests.support.debrid_services.catalogue import episode
from tests.support.debrid_services.realdebrid import realdebrid_service
from tests.support.debrid_stack import (
    API_TOKEN,
    OWN_PASSWORD,
    Sonarr,
    debrid_settings,
    running_bridge,
    tree_bytes,
)
from tests.support.lt_peers import add, peer_session, wait_seeding
from tests.support.payloads import make_torrent
from tests.support.rclone import rclone, webdav_remote
from tests.support.torrent_clients import free_port
from tests.support.waiting import eventually
from tests.support.webui import LOOPBACK_ONLY, PASSWORD
from torrentstack.config import Settings

pytestmark = [pytest.mark.database]

SONARR_KEY = "c3" * 16
BEARER = {"Authorization": f"Bearer {API_TOKEN}"}


@pytest.mark.slow
@pytest.mark.libtorrent
async def test_sonarr_through_the_stack_client_with_nothing_configured(tmp_path, database_settings):
    torrent, folder = make_torrent(tmp_path / "seed", "Album.2020.FLAC-GRP",
                                   {"01.flac": 300_000, "02.flac": 123_457})  # fmt: skip
    seeder = peer_session()
    handle = add(seeder, torrent, tmp_path / "seed", seed=True)
    await asyncio.to_thread(wait_seeding, handle)
    info_hash = str(handle.info_hashes().v1)
    settings = debrid_settings(tmp_path, database_settings, download_action="download")
    tree = settings.model_dump()
    tree["client"] |= {"enabled": True, "host": "127.0.0.1", "port": free_port(),
                       "listen_port": 0, "webui_password": PASSWORD,
                       "save_path": str(tmp_path / "client"), "preferences": LOOPBACK_ONLY}  # fmt: skip
    async with (
        arr_server("sonarr", api_key=SONARR_KEY) as arr,
        running_bridge(Settings.model_validate(tree)) as bridge,
        Sonarr(bridge, arr.url, SONARR_KEY) as sonarr,
    ):
        assert await sonarr.login() == "Ok."
        await sonarr.test_connection()
        magnet = f"magnet:?xt=urn:btih:{info_hash}&dn=Album&x.pe=127.0.0.1:{seeder.listen_port()}"
        assert (await sonarr.add_magnet(magnet)).text == "Ok."
        torrent_info = await sonarr.wait_completed(info_hash, within=90)
        delivered = tmp_path / "downloads" / "sonarr" / "Album.2020.FLAC-GRP"
        assert torrent_info["content_path"] == str(delivered)
        assert tree_bytes(delivered) == tree_bytes(folder)
        await eventually(lambda: arr.commands_named("RefreshMonitoredDownloads"))


async def test_rclone_lists_and_copies_the_bridges_webdav_tree(tmp_path, database_settings):
    show = episode()
    async with realdebrid_service([show], api_key="rd-key") as fake:
        providers = [{"provider": "realdebrid", "api_key": "rd-key", "api_url": fake.url}]
        settings = debrid_settings(
            tmp_path, database_settings, providers=providers, download_action="none"
        )
        async with running_bridge(settings) as bridge:
            async with httpx.AsyncClient(base_url=bridge, headers=BEARER) as http:
                added = await http.post("/api/add", data={"urls": show.magnet, "arr": "sonarr"})
                assert added.status_code == 200, added.text
            home = tmp_path / "home"
            home.mkdir()
            remote = await webdav_remote(home, f"{bridge}/webdav/", "admin", OWN_PASSWORD)
            listing = json.loads(
                await rclone(home, "lsjson", "-R", *remote, ":webdav:realdebrid/__all__")
            )
            sizes = {e["Path"]: e["Size"] for e in listing if not e["IsDir"]}
            assert sizes == {f"{show.name}/{p}": len(b) for p, b in show.files.items()}
            await rclone(home, "copy", *remote, ":webdav:realdebrid/__all__", str(tmp_path / "c"))
            assert tree_bytes(tmp_path / "c" / show.name) == show.files
            bearer = ["--webdav-url", f"{bridge}/webdav/", "--webdav-bearer-token", API_TOKEN]
            again = await rclone(home, "lsf", *bearer, ":webdav:realdebrid/__all__")
            assert again.decode().split() == [f"{show.name}/"]


async def test_repair_finds_a_dangling_symlink_deletes_it_and_searches_again(
    tmp_path, database_settings
):
    show = episode()
    mount = tmp_path / "mount"
    async with (
        realdebrid_service([show], api_key="rd-key") as fake,
        arr_server("sonarr", api_key=SONARR_KEY) as arr,
    ):
        settings = debrid_settings(
            tmp_path, database_settings, mount_path=str(mount), download_action="symlink",
            providers=[{"provider": "realdebrid", "api_key": "rd-key", "api_url": fake.url}],
            arrs=[{"name": "sonarr", "host": arr.url, "token": SONARR_KEY}],
        )  # fmt: skip
        async with (
            running_bridge(settings) as bridge,
            Sonarr(bridge, arr.url, SONARR_KEY) as sonarr,
        ):
            assert await sonarr.login() == "Ok."
            assert (await sonarr.add_magnet(show.magnet)).text == "Ok."
            home = tmp_path / "home"
            home.mkdir()
            remote = await webdav_remote(home, f"{bridge}/webdav/", "admin", OWN_PASSWORD)
            # the item waits for the mount to show its files: here rclone puts them there

            async def mounted() -> bool:
                await rclone(home, "copy", *remote, ":webdav:", str(mount))
                return (mount / "realdebrid" / "__all__" / show.name).is_dir()

            await eventually(mounted, timeout=30)
            await sonarr.wait_completed(show.info_hash)
            video = next(p for p in show.files if p.endswith(".mkv"))
            link = tmp_path / "downloads" / "sonarr" / show.name / video
            assert link.is_symlink() and link.read_bytes() == show.files[video]
            arr.add_series(7, "Show Name", [(70, str(link), [701])], tvdb_id=7007)
            (mount / "realdebrid" / "__all__" / show.name / video).unlink()  # gone upstream

            async with httpx.AsyncClient(base_url=bridge, headers=BEARER, timeout=30) as http:
                reply = await http.post(
                    "/api/repair",
                    json={
                        "arrName": "sonarr",
                        "mediaIds": ["7007"],
                        "autoProcess": True,
                        "async": False,
                    },
                )
                assert reply.status_code == 200, reply.text
                jobs = (await http.get("/api/repair/jobs")).json()
            assert jobs and jobs[0]["status"] == "completed"
            assert 70 not in arr.file_ids()
            assert [c.get("episodeIds") for c in arr.commands_named("EpisodeSearch")] == [[701]]
