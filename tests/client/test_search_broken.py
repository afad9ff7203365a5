"""Broken search plugins (a syntax error, an exception, a hang, garbage, a flood) are reported
and never break the server; every plugin runs confined."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.debrid_services.serving import serve_app
from tests.support.search_plugins import BROKEN, INSPECTING, finished, plugins, session, site_app
from tests.support.webui import StartWebUI


@pytest.fixture
async def site() -> AsyncIterator[str]:
    async with serve_app(site_app(), "search-site") as port:
        yield f"http://127.0.0.1:{port}"


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
