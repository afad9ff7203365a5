"""`search/*` with real nova3 plugins written here: they search a loopback site through our
`helpers.retrieve_url` and print through our `novaprinter`; installs, paging, persistence."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.debrid_services.serving import serve_app
from tests.support.search_plugins import BROKEN, GOOD, finished, plugins, session, site_app
from tests.support.waiting import eventually
from tests.support.webui import StartWebUI, WebUI


@pytest.fixture
async def site() -> AsyncIterator[str]:
    async with serve_app(site_app(), "search-site") as port:
        yield f"http://127.0.0.1:{port}"


async def test_install_search_page_and_delete(start_webui: StartWebUI, site: str) -> None:
    webui = await start_webui()
    async with session(webui) as http:
        assert await plugins(http) == {}
        reply = await http.post(
            "/api/v2/search/installPlugin", data={"sources": f"{site}/plugins/loopy.py"}
        )
        assert (reply.status_code, reply.text) == (200, "")
        found = await plugins(http)
        assert found["loopy"] == {
            "name": "loopy",
            "version": "1.0",
            "fullName": "Loopback loopy",
            "url": site,
            "supportedCategories": [
                {"id": "all", "name": "All categories"},
                {"id": "movies", "name": "Movies"},
                {"id": "tv", "name": "TV shows"},
            ],
            "enabled": True,
        }
        start = await http.post(
            "/api/v2/search/start",
            data={"pattern": "big buck", "plugins": "enabled", "category": "all"},
        )
        job = start.json()["id"]
        assert isinstance(job, int) and job > 0
        assert (await finished(http, job))["total"] == 30
        whole = (await http.get("/api/v2/search/results", params={"id": job})).json()
        assert whole["status"] == "Stopped" and whole["total"] == 30
        first = whole["results"][0]
        assert first == {
            "fileName": "big buck result 0",  # the printer turns | into a space
            "fileUrl": f"magnet:?xt=urn:btih:{0:040x}",
            "fileSize": 1572864,
            "nbSeeders": 0,
            "nbLeechers": -1,
            "siteUrl": site,
            "descrLink": f"{site}/d/0",
        }
        page = await http.get(
            "/api/v2/search/results", params={"id": job, "limit": 5, "offset": 10}
        )
        assert [r["nbSeeders"] for r in page.json()["results"]] == [10, 11, 12, 13, 14]
        tail = await http.get("/api/v2/search/results", params={"id": job, "offset": -2})
        assert [r["nbSeeders"] for r in tail.json()["results"]] == [28, 29]
        for offset in (31, -31):
            reply = await http.get("/api/v2/search/results", params={"id": job, "offset": offset})
            assert (reply.status_code, reply.text) == (409, "Offset is out of range")
        # a category the plugin does not list: it is not asked
        other = await http.post(
            "/api/v2/search/start", data={"pattern": "x", "plugins": "loopy", "category": "books"}
        )
        assert (await finished(http, other.json()["id"]))["total"] == 0
        assert (await http.post("/api/v2/search/delete", data={"id": job})).status_code == 200
        reply = await http.get("/api/v2/search/results", params={"id": job})
        assert (reply.status_code, reply.text) == (404, "Not Found")
        statuses = (await http.get("/api/v2/search/status")).json()
        assert [row["id"] for row in statuses] == [other.json()["id"]]


async def test_persona_51_results_have_engine_and_date(start_webui: StartWebUI, site: str) -> None:
    webui = await start_webui(persona="5.1")
    async with session(webui) as http:
        await http.post(
            "/api/v2/search/installPlugin", data={"sources": f"{site}/plugins/loopy.py"}
        )
        start = await http.post(
            "/api/v2/search/start", data={"pattern": "x", "plugins": "all", "category": "movies"}
        )
        job = start.json()["id"]
        await finished(http, job)
        reply = await http.get("/api/v2/search/results", params={"id": job, "limit": 1})
        (row,) = reply.json()["results"]
        assert row["engineName"] == "loopy"
        assert row["pubDate"] == 1_700_000_000


async def test_local_path_enable_disable_update_uninstall_and_restart(
    start_webui: StartWebUI, site: str, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    webui = await start_webui(data_dir=data)
    source = tmp_path / "local_one.py"
    source.write_text(GOOD.format(name="local_one", site=site, version="1.2"))
    async with session(webui) as http:
        await http.post("/api/v2/search/installPlugin", data={"sources": str(source)})
        await http.post(
            "/api/v2/search/installPlugin", data={"sources": f"{site}/plugins/remote.py?v=2.0"}
        )
        found = await plugins(http)
        assert (found["local_one"]["version"], found["remote"]["version"]) == ("1.2", "2.0")
        assert (data / "client/search/engines/local_one.py").is_file()
        # not a .py file: refused, still 200 as qBittorrent
        bad = tmp_path / "notes.txt"
        bad.write_text("hello")
        reply = await http.post("/api/v2/search/installPlugin", data={"sources": str(bad)})
        assert (reply.status_code, set(await plugins(http))) == (200, {"local_one", "remote"})
        # an older version does not replace a newer one
        source.write_text(GOOD.format(name="local_one", site=site, version="1.1"))
        await http.post("/api/v2/search/installPlugin", data={"sources": str(source)})
        assert (await plugins(http))["local_one"]["version"] == "1.2"
        # a newer one does, through updatePlugins too
        source.write_text(GOOD.format(name="local_one", site=site, version="1.10"))
        assert (await http.post("/api/v2/search/updatePlugins")).status_code == 200

        async def updated() -> None:
            assert (await plugins(http))["local_one"]["version"] == "1.10"

        await eventually(updated, timeout=20)

        async def logged(line: str) -> int:
            log = (await http.get("/api/v2/log/main")).json()
            return sum(entry["message"] == line for entry in log)

        assert await logged("Updating plugin local_one") == 1
        await http.post("/api/v2/search/updatePlugins")
        await eventually(lambda: logged("All plugins are already up to date."), timeout=20)
        assert await logged("Updating plugin local_one") == 1
        reply = await http.post(
            "/api/v2/search/enablePlugin", data={"names": "local_one|nothing", "enable": "false"}
        )
        assert reply.status_code == 200
        assert (await plugins(http))["local_one"]["enabled"] is False
        start = await http.post(
            "/api/v2/search/start", data={"pattern": "x", "plugins": "enabled", "category": "all"}
        )
        await finished(http, start.json()["id"])
        results = await http.get("/api/v2/search/results", params={"id": start.json()["id"]})
        assert {r["descrLink"].rsplit("/", 2)[0] for r in results.json()["results"]} == {site}
        assert results.json()["total"] == 30  # remote's only
        await http.post("/api/v2/search/uninstallPlugin", data={"names": "remote"})
        assert set(await plugins(http)) == {"local_one"}
    await webui.runtime.close()
    webui.stop.set()
    again = await start_webui(data_dir=data)
    async with session(again) as http:
        found = await plugins(http)
        assert set(found) == {"local_one"}
        assert (found["local_one"]["enabled"], found["local_one"]["version"]) == (False, "1.10")


async def test_concurrent_searches_stop_and_unknown_ids(
    start_webui: StartWebUI, tmp_path: Path
) -> None:
    webui = await start_webui()
    path = tmp_path / "hanging.py"
    path.write_text(BROKEN["hanging"])
    async with session(webui) as http:
        await http.post("/api/v2/search/installPlugin", data={"sources": str(path)})
        form = {"pattern": "x", "plugins": "hanging", "category": "all"}
        jobs = [(await http.post("/api/v2/search/start", data=form)).json()["id"] for _ in range(5)]
        sixth = await http.post("/api/v2/search/start", data=form)
        assert (sixth.status_code, sixth.text) == (
            409,
            "Unable to create more than 5 concurrent searches.",
        )
        rows = (await http.get("/api/v2/search/status")).json()
        assert sorted(row["id"] for row in rows) == sorted(jobs)
        assert {row["status"] for row in rows} == {"Running"}
        assert (await http.post("/api/v2/search/stop", data={"id": jobs[0]})).status_code == 200
        await finished(http, jobs[0])
        assert (await http.post("/api/v2/search/start", data=form)).status_code == 200
        for job in jobs[1:]:
            await http.post("/api/v2/search/delete", data={"id": job})
        for endpoint in ("stop", "delete", "results", "status"):
            reply = await http.post(f"/api/v2/search/{endpoint}", data={"id": "12345"})
            assert (reply.status_code, reply.text) == (404, "Not Found"), endpoint
        bad = await http.post("/api/v2/search/stop", data={"id": "abc"})
        assert (bad.status_code, bad.text) == (404, "Not Found")  # toInt: 0, no such job


@pytest.mark.parametrize(
    ("endpoint", "data"),
    [
        ("start", {"pattern": "x", "plugins": "all"}),
        ("start", {"pattern": "x", "category": "all"}),
        ("stop", {}),
        ("results", {}),
        ("delete", {}),
        ("installPlugin", {}),
        ("uninstallPlugin", {}),
        ("enablePlugin", {"names": "x"}),
    ],
)
async def test_missing_parameters_are_400(
    webui: WebUI, endpoint: str, data: dict[str, str]
) -> None:
    async with session(webui) as http:
        reply = await http.post(f"/api/v2/search/{endpoint}", data=data)
        assert (reply.status_code, reply.text) == (400, "Bad Request")


async def test_categories_is_gone_and_posts_only(webui: WebUI) -> None:
    async with session(webui) as http:
        assert (await http.get("/api/v2/search/categories")).status_code == 404
        assert (await http.get("/api/v2/search/start")).status_code == 405
        assert (await http.get("/api/v2/search/plugins")).json() == []
        assert json.loads((await http.get("/api/v2/search/status")).text) == []


async def test_stop_of_the_server_ends_running_plugins(
    start_webui: StartWebUI, tmp_path: Path
) -> None:
    webui = await start_webui()
    path = tmp_path / "hanging.py"
    path.write_text(BROKEN["hanging"])
    async with session(webui) as http:
        await http.post("/api/v2/search/installPlugin", data={"sources": str(path)})
        form = {"pattern": "x", "plugins": "hanging", "category": "all"}
        job = (await http.post("/api/v2/search/start", data=form)).json()["id"]
    task = webui.runtime.search._jobs[job].task
    assert task is not None and not task.done()
    await asyncio.wait_for(webui.runtime.search.close(), 15)
    assert task.done()


async def test_download_torrent_is_51_only_and_adds_the_link(
    start_webui: StartWebUI, tmp_path: Path
) -> None:
    magnet = "magnet:?xt=urn:btih:" + "ab" * 20 + "&dn=found"
    old = await start_webui(persona="4.6")
    async with session(old) as http:
        data = {"torrentUrl": magnet, "pluginName": "x"}
        reply = await http.post("/api/v2/search/downloadTorrent", data=data)
        assert (reply.status_code, reply.text) == (404, "Not Found")
    new = await start_webui(persona="5.1", data_dir=tmp_path / "new")
    async with session(new) as http:
        reply = await http.post("/api/v2/search/downloadTorrent", data={"torrentUrl": magnet})
        assert (reply.status_code, reply.text) == (400, "Bad Request")
        reply = await http.post("/api/v2/search/downloadTorrent", data=data)
        assert (reply.status_code, reply.text) == (200, "")

        async def added() -> None:
            hashes = [t["hash"] for t in (await http.get("/api/v2/torrents/info")).json()]
            assert hashes == ["ab" * 20]

        await eventually(added)
