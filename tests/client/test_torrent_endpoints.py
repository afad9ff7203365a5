"""The rest of the torrent, sync, transfer, log and preference endpoints through qbittorrent-api
(one client per test, the calls a WebUI or an *arr makes), checked against what changed."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import qbittorrentapi

from tests.support.payloads import make_torrent
from tests.support.waiting import eventually, eventually_sync
from tests.support.webui import WebUI, logged_in, login


def add_two(client: qbittorrentapi.Client, root: Path) -> tuple[str, str]:
    """A complete torrent (data present) and an incomplete one, both added paused."""
    done, source = make_torrent(root / "src", "Done", {"x.bin": 70_000, "y.bin": 9_000})
    missing, _ = make_torrent(root / "elsewhere", "Missing", {"Missing": 50_000})
    assert (
        client.torrents_add(torrent_files=done, save_path=str(source.parent), is_paused=True)
        == "Ok."
    )
    assert (
        client.torrents_add(torrent_files=missing, save_path=str(root / "dl"), is_paused=True)
        == "Ok."
    )
    by_name = {t.name: t.hash for t in client.torrents_info()}
    return by_name["Done"], by_name["Missing"]


async def test_pause_resume_recheck_and_states(webui: WebUI, tmp_path: Path):
    def run() -> None:
        client = logged_in(webui)
        done, missing = add_two(client, tmp_path)
        client.torrents_resume(torrent_hashes="all")

        def resumed() -> None:
            states = {t.hash: t.state for t in client.torrents_info()}
            assert states[done] == "stalledUP" and states[missing] in ("stalledDL", "queuedDL"), (
                states
            )

        eventually_sync(resumed)
        client.torrents_pause(torrent_hashes=done)
        eventually_sync(lambda: _assert_state(client, done, "pausedUP"))
        assert [t.hash for t in client.torrents_info(status_filter="paused")] == [done]
        assert [t.hash for t in client.torrents_info(status_filter="completed")] == [done]
        client.torrents_recheck(torrent_hashes=done)
        client.torrents_reannounce(torrent_hashes=missing)
        eventually_sync(lambda: _assert_state(client, done, "pausedUP"))
        assert (
            client.torrents_properties(done).pieces_have
            == client.torrents_properties(done).pieces_num
        )

    await asyncio.to_thread(run)


def _assert_state(client: qbittorrentapi.Client, hash_: str, state: str) -> None:
    (info,) = client.torrents_info(torrent_hashes=hash_)
    assert info.state == state, info.state


async def test_limits_toggles_force_start_and_location(webui: WebUI, tmp_path: Path):
    def run() -> None:
        client = logged_in(webui)
        done, missing = add_two(client, tmp_path)
        client.torrents_set_download_limit(limit=2048, torrent_hashes=missing)
        client.torrents_set_upload_limit(limit=1024, torrent_hashes="all")
        assert dict(client.torrents_download_limit(torrent_hashes=missing)) == {missing: 2048}
        assert dict(client.torrents_upload_limit(torrent_hashes="all")) == {
            done: 1024,
            missing: 1024,
        }
        client.torrents_toggle_sequential_download(torrent_hashes=missing)
        client.torrents_toggle_first_last_piece_priority(torrent_hashes=missing)
        client.torrents_set_super_seeding(enable=True, torrent_hashes=done)
        client.torrents_set_force_start(enable=True, torrent_hashes=missing)
        (info,) = client.torrents_info(torrent_hashes=missing)
        assert (info.seq_dl, info.f_l_piece_prio, info.force_start, info.dl_limit) == (
            True,
            True,
            True,
            2048,
        )
        props = client.torrents_properties(missing)
        assert (props.dl_limit, props.up_limit) == (2048, 1024)
        target = tmp_path / "moved"
        client.torrents_set_location(location=str(target), torrent_hashes=done)
        eventually_sync(lambda: _assert_saved_in(client, done, target))
        assert (target / "Done" / "x.bin").stat().st_size == 70_000

    await asyncio.to_thread(run)


def _assert_saved_in(client: qbittorrentapi.Client, hash_: str, path: Path) -> None:
    (info,) = client.torrents_info(torrent_hashes=hash_)
    assert info.save_path == str(path) and info.state != "moving", (info.save_path, info.state)


@pytest.mark.database
async def test_categories_and_tags_lifecycle(webui: WebUI, tmp_path: Path):
    def run() -> None:
        client = logged_in(webui)
        done, missing = add_two(client, tmp_path)
        client.torrents_create_category(name="movies", save_path=str(tmp_path / "movies"))
        with pytest.raises(qbittorrentapi.Conflict409Error):
            client.torrents_create_category(name="movies")  # sample 36
        client.torrents_edit_category(name="movies", save_path=str(tmp_path / "films"))
        client.torrents_set_category(category="movies", torrent_hashes="all")
        cats = dict(client.torrents_categories())
        assert cats["movies"]["savePath"] == str(tmp_path / "films")
        client.torrents_create_tags(tags="a, b,,c")
        client.torrents_add_tags(tags="a,new", torrent_hashes=done)
        assert sorted(client.torrents_tags()) == ["a", "b", "c", "new"]
        client.torrents_remove_tags(tags="a", torrent_hashes=done)
        assert client.torrents_info(torrent_hashes=done)[0].tags == "new"
        client.torrents_delete_tags(tags="new,b")
        assert sorted(client.torrents_tags()) == ["a", "c"]
        assert client.torrents_info(torrent_hashes=done)[0].tags == ""
        client.torrents_remove_categories(categories="movies")
        assert dict(client.torrents_categories()) == {}
        assert {t.category for t in client.torrents_info()} == {""}
        # automatic management moves the data to the category's path
        client.torrents_create_category(name="auto", save_path=str(tmp_path / "auto"))
        client.torrents_set_auto_management(enable=True, torrent_hashes=done)
        client.torrents_set_category(category="auto", torrent_hashes=done)
        eventually_sync(lambda: _assert_saved_in(client, done, tmp_path / "auto"))
        assert missing in {t.hash for t in client.torrents_info()}

    await asyncio.to_thread(run)


@pytest.mark.database
async def test_preferences_round_trip_and_persist(start_webui, tmp_path: Path):
    webui = await start_webui()

    def change() -> dict[str, Any]:
        client = logged_in(webui)
        before = dict(client.app_preferences())
        client.app_set_preferences(
            {"max_ratio_enabled": True, "max_ratio": 1.5, "web_ui_ban_duration": 77,
             "rss_processing_enabled": True, "no_such_key": 1}
        )  # fmt: skip
        # one bad value refuses the whole call: nothing of it is applied
        with pytest.raises(qbittorrentapi.HTTP400Error, match="listen_port"):
            client.app_set_preferences({"web_ui_ban_duration": 88, "listen_port": "not a port"})
        return before

    before = await asyncio.to_thread(change)
    assert len(before) >= 170 and "no_such_key" not in before
    await webui.runtime.backend.close()
    webui.stop.set()
    again = await start_webui(data_dir=tmp_path)

    def read() -> dict[str, Any]:
        return dict(logged_in(again).app_preferences())

    after = await asyncio.to_thread(read)
    assert (after["max_ratio_enabled"], after["max_ratio"], after["web_ui_ban_duration"]) == (
        True,
        1.5,
        77,
    )
    assert after["rss_processing_enabled"] is True
    assert after["listen_port"] == before["listen_port"]  # a bad value is ignored
    assert "no_such_key" not in after


async def test_maindata_over_http_incremental_and_gzip(webui: WebUI, tmp_path: Path):
    async with httpx.AsyncClient(base_url=webui.url, timeout=10) as http:
        assert (await login(http)).text == "Ok."
        first = (await http.get("/api/v2/sync/maindata", params={"rid": 0})).json()
        assert first["full_update"] is True and "torrents" not in first
        assert first["server_state"]["connection_status"] in ("connected", "firewalled")
        torrent, _ = make_torrent(tmp_path / "src", "Inc", {"Inc": 30_000})
        reply = await http.post(
            "/api/v2/torrents/add",
            data={"paused": "true", "tags": "x", "category": "c1"},
            files={"torrents": ("inc.torrent", torrent)},
        )
        assert reply.text == "Ok."
        second = (await http.get("/api/v2/sync/maindata", params={"rid": first["rid"]})).json()
        (hash_,) = second["torrents"]
        # libtorrent checks a new torrent's resume data first (qBittorrent shows that state too)
        assert second["torrents"][hash_]["state"] in ("pausedDL", "checkingResumeData")
        assert second["tags"] == ["x"] and "c1" in second["categories"]
        assert "hash" not in second["torrents"][hash_]
        rid = second["rid"]

        async def quiet() -> None:
            """Two updates in a row change no torrent: the engine's first status has been sent."""
            nonlocal rid
            for _ in range(2):
                update = (await http.get("/api/v2/sync/maindata", params={"rid": rid})).json()
                rid = update["rid"]
                assert "torrents" not in update, update

        async def settled() -> None:
            info = (await http.get("/api/v2/torrents/info", params={"hashes": hash_})).json()
            assert info[0]["state"] == "pausedDL", info[0]["state"]

        await eventually(settled, interval=0.05)
        await eventually(quiet, interval=0.1)
        await http.post("/api/v2/torrents/setCategory", data={"hashes": hash_, "category": ""})
        third = (await http.get("/api/v2/sync/maindata", params={"rid": rid})).json()
        assert third["torrents"] == {hash_: {"category": ""}}
        await http.post("/api/v2/torrents/delete", data={"hashes": hash_, "deleteFiles": "false"})
        fourth = (await http.get("/api/v2/sync/maindata", params={"rid": third["rid"]})).json()
        assert fourth["torrents_removed"] == [hash_]
        zipped = await http.get("/api/v2/app/preferences", headers={"Accept-Encoding": "gzip"})
        assert zipped.headers["content-encoding"] == "gzip"
        assert json.loads(zipped.content)["save_path"]  # httpx decodes it


async def test_transfer_log_and_peers(webui: WebUI, tmp_path: Path):
    def run() -> None:
        client = logged_in(webui)
        done, _ = add_two(client, tmp_path)
        info = client.transfer_info()
        assert set(info) >= {"dl_info_speed", "up_info_data", "connection_status", "dht_nodes"}
        client.transfer_set_download_limit(limit=4096)
        client.transfer_set_upload_limit(limit=8192)
        assert (client.transfer_download_limit(), client.transfer_upload_limit()) == (4096, 8192)
        assert client.transfer_speed_limits_mode() == "0"
        client.transfer_toggle_speed_limits_mode()
        assert client.transfer_speed_limits_mode() == "1"
        client.transfer_ban_peers(peers="10.9.8.7:6881")
        banned = client.log_peers()
        assert banned[-1]["ip"] == "10.9.8.7" and banned[-1]["blocked"] is True
        log = client.log_main()
        assert any("Added new torrent" in entry["message"] for entry in log)
        last = log[-1]["id"]
        assert list(client.log_main(last_known_id=last)) == []
        assert list(client.log_main(normal=False, info=False, warning=False, critical=False)) == []
        peers = client.sync_torrent_peers(torrent_hash=done)
        assert peers["peers"] == {} and peers["full_update"] is True

    await asyncio.to_thread(run)


async def test_pieces_trackers_web_seeds_files_and_names(webui: WebUI, tmp_path: Path):
    def run() -> None:
        client = logged_in(webui)
        done, missing = add_two(client, tmp_path)
        client.torrents_resume(torrent_hashes=done)  # libtorrent checks a paused torrent later
        eventually_sync(lambda: _assert_state(client, done, "stalledUP"))
        pieces = client.torrents_piece_states(done)
        assert len(pieces) == client.torrents_properties(done).pieces_num and set(pieces) == {2}
        assert set(client.torrents_piece_states(missing)) == {0}
        hashes = client.torrents_piece_hashes(done)
        assert len(hashes) == len(pieces) and all(len(h) == 40 for h in hashes)
        assert list(client.torrents_webseeds(done)) == []

        client.torrents_add_trackers(
            torrent_hash=done, urls="http://127.0.0.1:1/a\nudp://127.0.0.1:2/b"
        )
        urls = sorted(t.url for t in client.torrents_trackers(done)[3:])
        assert urls == ["http://127.0.0.1:1/a", "udp://127.0.0.1:2/b"]
        client.torrents_edit_tracker(
            torrent_hash=done, original_url=urls[0], new_url="http://127.0.0.1:3/c"
        )
        with pytest.raises(qbittorrentapi.Conflict409Error):
            client.torrents_edit_tracker(
                torrent_hash=done, original_url="http://nope/", new_url="http://x/y"
            )
        with pytest.raises(qbittorrentapi.InvalidRequest400Error):
            client.torrents_edit_tracker(
                torrent_hash=done, original_url=urls[1], new_url="not a url"
            )
        client.torrents_remove_trackers(torrent_hash=done, urls=urls[1])
        assert [t.url for t in client.torrents_trackers(done)][3:] == ["http://127.0.0.1:3/c"]
        assert [t.url for t in client.torrents_trackers(done)][:3] == [
            "** [DHT] **",
            "** [PeX] **",
            "** [LSD] **",
        ]
        assert client.torrents_info(torrent_hashes=done)[0].trackers_count == 1
        assert set(client.sync_maindata(rid=0)["trackers"]) == {"http://127.0.0.1:3/c"}

        client.torrents_file_priority(torrent_hash=done, file_ids=[1], priority=0)
        assert [f.priority for f in client.torrents_files(done)] == [1, 0]
        with pytest.raises(qbittorrentapi.Conflict409Error):
            client.torrents_file_priority(torrent_hash=done, file_ids=[9], priority=1)
        with pytest.raises(qbittorrentapi.InvalidRequest400Error):
            client.torrents_file_priority(torrent_hash=done, file_ids=[0], priority=3)

        client.torrents_rename(torrent_hash=done, new_torrent_name="Renamed")
        assert client.torrents_info(torrent_hashes=done)[0].name == "Renamed"
        with pytest.raises(qbittorrentapi.Conflict409Error):
            client.torrents_rename(torrent_hash=done, new_torrent_name=" ")
        client.torrents_rename_file(torrent_hash=done, old_path="Done/x.bin", new_path="Done/z.bin")
        client.torrents_rename_folder(torrent_hash=done, old_path="Done", new_path="Fresh")
        assert sorted(f.name for f in client.torrents_files(done)) == ["Fresh/y.bin", "Fresh/z.bin"]
        eventually_sync(lambda: _assert_exists(tmp_path / "src" / "Fresh" / "z.bin"))
        for call in (client.torrents_piece_states, client.torrents_webseeds, client.torrents_files):
            with pytest.raises(qbittorrentapi.NotFound404Error):
                call("0" * 40)

    await asyncio.to_thread(run)


def _assert_exists(path: Path) -> None:
    assert path.exists(), path


@pytest.mark.database
async def test_a_restart_restores_torrents_categories_tags_and_options(start_webui, tmp_path: Path):
    webui = await start_webui()

    def before() -> list[tuple[str, str, str, str, float]]:
        client = logged_in(webui)
        add_two(client, tmp_path)
        client.torrents_create_category(name="kept")
        client.torrents_set_category(category="kept", torrent_hashes="all")
        client.torrents_add_tags(tags="t", torrent_hashes="all")
        client.torrents_set_share_limits(ratio_limit=3, seeding_time_limit=9, torrent_hashes="all")
        return sorted(
            (t.hash, t.name, t.category, t.tags, t.ratio_limit) for t in client.torrents_info()
        )

    kept = await asyncio.to_thread(before)
    await webui.runtime.backend.close()
    webui.stop.set()
    again = await start_webui(data_dir=tmp_path)

    def after() -> list[tuple[str, str, str, str, float]]:
        client = logged_in(again)
        return sorted(
            (t.hash, t.name, t.category, t.tags, t.ratio_limit) for t in client.torrents_info()
        )

    assert await asyncio.to_thread(after) == kept


@pytest.mark.parametrize(("action", "expected"), [(0, "pausedUP"), (1, None), (2, "super_seeding")])
async def test_share_limits_act_when_reached(webui: WebUI, tmp_path: Path, action, expected):
    def run() -> None:
        client = logged_in(webui)
        client.app_set_preferences({"max_ratio_act": action})
        done, _ = add_two(client, tmp_path)
        client.torrents_set_share_limits(ratio_limit=0, seeding_time_limit=-1, torrent_hashes=done)
        client.torrents_resume(torrent_hashes=done)

        def acted() -> None:
            found = client.torrents_info(torrent_hashes=done)
            if expected is None:
                assert found == []
            elif expected == "super_seeding":
                assert found[0].super_seeding is True
            else:
                assert found[0].state == expected, found[0].state

        eventually_sync(acted)
        assert any("reached its ratio limit" in e["message"] for e in client.log_main())

    await asyncio.to_thread(run)


@pytest.mark.parametrize(
    ("layout", "names"),
    [
        ("Original", ["Done/x.bin", "Done/y.bin"]),
        ("NoSubfolder", ["x.bin", "y.bin"]),
    ],
)
async def test_content_layout(webui: WebUI, tmp_path: Path, layout, names):
    def run() -> list[str]:
        client = logged_in(webui)
        torrent, _ = make_torrent(tmp_path / "src", "Done", {"x.bin": 70_000, "y.bin": 9_000})
        assert (
            client.torrents_add(torrent_files=torrent, content_layout=layout, is_paused=True)
            == "Ok."
        )
        (info,) = client.torrents_info()
        return sorted(f.name for f in client.torrents_files(info.hash))

    assert await asyncio.to_thread(run) == names


@pytest.mark.database
async def test_web_ui_preferences_act_and_the_password_persists_as_a_hash(
    start_webui, tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    webui = await start_webui()
    new_password = "a brand new password"

    def change() -> None:
        client = logged_in(webui)
        client.app_set_preferences(
            {"web_ui_password": new_password, "web_ui_max_auth_fail_count": 2,
             "web_ui_username": "operator"}
        )  # fmt: skip
        prefs = client.app_preferences()
        assert "web_ui_password" not in prefs and prefs["web_ui_username"] == "operator"

    await asyncio.to_thread(change)
    assert webui.runtime.auth.max_fail_count == 2
    assert new_password not in caplog.text
    await webui.runtime.backend.close()
    webui.stop.set()
    again = await start_webui(data_dir=tmp_path)
    async with httpx.AsyncClient(base_url=again.url, timeout=10) as http:
        old = await http.post("/api/v2/auth/login", data={"username": "admin", "password": "x"})
        assert old.text == "Fails."
        good = await http.post(
            "/api/v2/auth/login", data={"username": "operator", "password": new_password}
        )
        assert good.text == "Ok."
    saved = await again.runtime.backend.store.load()
    assert new_password not in str(saved.preferences)
    assert saved.preferences["web_ui_password_hash"].count(":") == 1  # salt:key, PBKDF2


async def test_export_paths_interfaces_and_bans(webui: WebUI, tmp_path: Path):
    def run() -> None:
        client = logged_in(webui)
        done, missing = add_two(client, tmp_path)
        client.torrents_add_trackers(torrent_hash=done, urls="127.0.2.3")  # qBittorrent takes it
        exported = client.torrents_export(torrent_hash=done)
        from torrentstack.bittorrent.bencode import decode

        meta = decode(exported)
        assert meta[b"info"][b"name"] == b"Done" and b"127.0.2.3" in str(meta).encode()
        client.torrents_set_save_path(save_path=str(tmp_path / "saved"), torrent_hashes=done)
        eventually_sync(lambda: _assert_saved_in(client, done, tmp_path / "saved"))
        client.torrents_set_download_path(
            download_path=str(tmp_path / "temp"), torrent_hashes=missing
        )
        assert client.torrents_info(torrent_hashes=missing)[0].download_path == str(
            tmp_path / "temp"
        )
        (tmp_path / "a-file").write_text("x")
        with pytest.raises(qbittorrentapi.Conflict409Error):
            client.torrents_set_save_path(
                save_path=str(tmp_path / "a-file" / "sub"), torrent_hashes=done
            )
        assert "lo" in [i["value"] for i in client.app_network_interface_list()]
        assert "127.0.0.1" in client.app_network_interface_address_list(interface_name="lo")
        client.transfer_ban_peers(peers=["10.1.1.1:1", "10.1.1.2:2"])
        assert client.app_preferences()["banned_IPs"].split("\n") == ["10.1.1.1", "10.1.1.2"]

    await asyncio.to_thread(run)


async def test_no_subfolder_strips_a_single_files_folder(webui: WebUI, tmp_path: Path):
    def run() -> list[str]:
        client = logged_in(webui)
        torrent, _ = make_torrent(tmp_path / "src", "root_folder", {"file.txt": 5_000})
        client.torrents_add(torrent_files=torrent, content_layout="NoSubfolder", is_paused=True)
        return [f.name for f in client.torrents_files(client.torrents_info()[0].hash)]

    assert await asyncio.to_thread(run) == ["file.txt"]
