"""`search/*` with real nova3 plugins written here: they search a loopback site through our
`helpers.retrieve_url` and print through our `novaprinter`; broken ones never break the server."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from tests.support.debrid_services.serving import serve_app
from tests.support.waiting import eventually
from tests.support.webui import StartWebUI, WebUI, login

GOOD = """# VERSION: {version}
# AUTHORS: test
import json
from helpers import retrieve_url
from novaprinter import prettyPrinter


class {name}:
    url = "{site}"
    name = "Loopback {name}"
    supported_categories = {{"all": "0", "movies": "1", "tv": "2"}}

    def search(self, what, cat="all"):
        rows = json.loads(retrieve_url("{site}/find?q=" + what + "&cat=" + cat))
        for row in rows:
            prettyPrinter(row)
"""

INSPECTING = """# VERSION: 1.0
import json, os, sys
from novaprinter import prettyPrinter


class inspecting:
    url = "http://inspect.invalid"
    name = "I"
    supported_categories = {"all": "0"}

    def search(self, what, cat="all"):
        seen = {"env": sorted(os.environ), "cwd": os.getcwd(), "stdin": sys.stdin.read()}
        try:
            bytearray(2 * 1024 ** 3)
            seen["memory"] = "allocated"
        except MemoryError:
            seen["memory"] = "refused"
        open("left-behind", "w").write("x")
        name = json.dumps(seen).replace("|", "/")
        prettyPrinter({"link": "l", "name": name, "size": 1, "seeds": 1, "leech": 1,
                       "engine_url": self.url})
"""

BROKEN = {
    "syntax": "# VERSION: 1.0\nclass syntax(:\n",
    "raising": (
        "# VERSION: 1.0\nclass raising:\n    url = 'http://raising.invalid'\n    name = 'R'\n"
        "    supported_categories = {'all': '0'}\n"
        "    def search(self, what, cat='all'):\n        raise RuntimeError('plugin bug')\n"
    ),
    "hanging": (
        "# VERSION: 1.0\nimport time\nclass hanging:\n    url = 'http://hanging.invalid'\n"
        "    name = 'H'\n    supported_categories = {'all': '0'}\n"
        "    def search(self, what, cat='all'):\n        time.sleep(3600)\n"
    ),
    "garbage": (
        "# VERSION: 1.0\nclass garbage:\n    url = 'http://garbage.invalid'\n    name = 'G'\n"
        "    supported_categories = {'all': '0'}\n"
        "    def search(self, what, cat='all'):\n"
        "        print('no pipes here')\n        print('a|b')\n        print('\\x00' * 100)\n"
        "        print('x' * 200000)\n"
    ),
    "flooding": (
        "# VERSION: 1.0\nclass flooding:\n    url = 'http://flood.invalid'\n    name = 'F'\n"
        "    supported_categories = {'all': '0'}\n"
        "    def search(self, what, cat='all'):\n"
        "        while True:\n            print('magnet:?xt=x|flood|1|1|1|http://flood.invalid')\n"
    ),
}


def site_app(count: int = 30) -> Starlette:
    async def find(request: Request) -> JSONResponse:
        query = request.query_params["q"]
        base = f"http://{request.url.netloc}"
        rows = [
            {
                "link": f"magnet:?xt=urn:btih:{i:040x}",
                "name": f"{query} result|{i}",
                "size": f"{i + 1}.5 MB",
                "seeds": i,
                "leech": "n/a" if i == 0 else i * 2,
                "engine_url": base,
                "desc_link": f"{base}/d/{i}",
                "pub_date": 1_700_000_000 + i,
            }
            for i in range(count)
        ]
        return JSONResponse(rows)

    async def plugin(request: Request) -> PlainTextResponse:
        name = request.path_params["name"]
        version = request.query_params.get("v", "1.0")
        return PlainTextResponse(
            GOOD.format(name=name, site=f"http://{request.url.netloc}", version=version)
        )

    return Starlette(routes=[Route("/find", find), Route("/plugins/{name}.py", plugin)])


@pytest.fixture
async def site() -> AsyncIterator[str]:
    async with serve_app(site_app(), "search-site") as port:
        yield f"http://127.0.0.1:{port}"


@contextlib.asynccontextmanager
async def session(webui: WebUI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=webui.url, timeout=30) as client:
        assert (await login(client)).text == "Ok."
        yield client


async def plugins(http: httpx.AsyncClient) -> dict[str, dict[str, object]]:
    reply = await http.get("/api/v2/search/plugins")
    assert reply.status_code == 200
    return {row["name"]: row for row in reply.json()}


async def finished(http: httpx.AsyncClient, job: int) -> dict[str, object]:
    async def stopped() -> dict[str, object]:
        (row,) = (await http.get("/api/v2/search/status", params={"id": job})).json()
        assert row["status"] == "Stopped"
        return row

    result: dict[str, object] = await eventually(stopped, timeout=30)
    return result


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


@pytest.mark.slow
async def test_broken_plugins_are_reported_and_the_server_is_fine(
    start_webui: StartWebUI, site: str, tmp_path: Path
) -> None:
    webui = await start_webui()
    webui.runtime.search.time_limit = 3
    webui.runtime.search.max_results = 500
    async with session(webui) as http:
        await http.post("/api/v2/search/installPlugin", data={"sources": f"{site}/plugins/good.py"})
        for name, code in BROKEN.items():
            path = tmp_path / f"{name}.py"
            path.write_text(code)
            reply = await http.post("/api/v2/search/installPlugin", data={"sources": str(path)})
            assert reply.status_code == 200
        # a plugin that does not import is not installed (qBittorrent: "not supported")
        assert set(await plugins(http)) == {"good", "raising", "hanging", "garbage", "flooding"}
        start = await http.post(
            "/api/v2/search/start", data={"pattern": "x", "plugins": "all", "category": "all"}
        )
        job = start.json()["id"]
        assert (await http.get("/api/v2/app/version")).status_code == 200  # while they run
        await finished(http, job)
        results = (await http.get("/api/v2/search/results", params={"id": job})).json()
        by_site: dict[str, int] = {}
        for row in results["results"]:
            by_site[row["siteUrl"]] = by_site.get(row["siteUrl"], 0) + 1
        assert by_site[site] == 30
        assert by_site["http://flood.invalid"] == 500  # the cap per plugin; then it is killed
        assert "http://garbage.invalid" not in by_site
        assert results["total"] == 530
        log = (await http.get("/api/v2/log/main")).json()
        failed = [e["message"] for e in log if "failed plugins" in e["message"]]
        assert failed and all(n in failed[-1] for n in ("raising", "hanging", "flooding"))
        assert (await http.get("/api/v2/app/version")).status_code == 200


async def test_plugins_run_confined(start_webui: StartWebUI, tmp_path: Path) -> None:
    data = tmp_path / "data"
    webui = await start_webui(data_dir=data)
    path = tmp_path / "inspecting.py"
    path.write_text(INSPECTING)
    async with session(webui) as http:
        await http.post("/api/v2/search/installPlugin", data={"sources": str(path)})
        form = {"pattern": "x", "plugins": "inspecting", "category": "all"}
        job = (await http.post("/api/v2/search/start", data=form)).json()["id"]
        await finished(http, job)
        reply = await http.get("/api/v2/search/results", params={"id": job})
        (row,) = reply.json()["results"]
    seen = json.loads(row["fileName"])
    assert seen["env"] == sorted(
        ["HOME", "LANG", "PATH", "PYTHONDONTWRITEBYTECODE", "PYTHONIOENCODING", "TMPDIR"]
    )
    assert seen["cwd"].startswith(str(data / "client/search/work"))
    assert (seen["stdin"], seen["memory"]) == ("", "refused")
    assert not list((data / "client/search/work").iterdir())  # its folder is removed after


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
