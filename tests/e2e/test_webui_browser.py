"""A WebUI written here (VueTorrent's layout: everything under public/) served as the alternative
WebUI and run in headless Chromium: its script logs in through the API and lists the torrents,
and their names are in the rendered DOM."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.support.payloads import make_torrent
from tests.support.webui import PASSWORD, USERNAME, StartWebUI, login, webui_starter
from torrentstack.config import DatabaseSettings

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("chromium") is None, reason="needs chromium (scripts/services)"
    ),
]

INDEX = """<!DOCTYPE html>
<html><head><meta charset="UTF-8"><title>mini WebUI</title>
<script src="scripts/app.js" defer></script></head>
<body><p id="state">loading</p><ul id="torrents"></ul></body></html>
"""

APP_JS = """
async function main() {
  const state = document.getElementById("state");
  const form = new URLSearchParams({username: USERNAME, password: PASSWORD});
  const login = await fetch("api/v2/auth/login", {method: "POST", body: form});
  const answer = await login.text();
  if (answer !== "Ok.") { state.textContent = "login failed: " + answer; return; }
  const torrents = await (await fetch("api/v2/torrents/info?sort=name")).json();
  const list = document.getElementById("torrents");
  for (const torrent of torrents) {
    const item = document.createElement("li");
    item.className = "torrent";
    item.textContent = torrent.name;
    list.appendChild(item);
  }
  state.textContent = "listed " + torrents.length;
}
main().catch((error) => { document.getElementById("state").textContent = "error: " + error; });
"""


@pytest.fixture
async def start_webui(
    tmp_path: Path, database_settings: DatabaseSettings
) -> AsyncIterator[StartWebUI]:
    async with webui_starter(tmp_path, database_settings) as start:
        yield start


def write_webui(folder: Path) -> None:
    (folder / "public" / "scripts").mkdir(parents=True)
    (folder / "public" / "index.html").write_text(INDEX)
    script = f"const USERNAME = {json.dumps(USERNAME)};\nconst PASSWORD = {json.dumps(PASSWORD)};\n"
    (folder / "public" / "scripts" / "app.js").write_text(script + APP_JS)


async def rendered_dom(url: str, profile: Path) -> str:
    """The DOM once the page's scripts (and the fetches they wait for) have run."""
    browser = await asyncio.create_subprocess_exec(
        "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        f"--user-data-dir={profile}", "--virtual-time-budget=20000", "--dump-dom", url,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        out, err = await asyncio.wait_for(browser.communicate(), 90)
    except TimeoutError:
        browser.kill()
        await browser.wait()
        raise
    assert browser.returncode == 0, err.decode(errors="replace")[-2000:]
    return out.decode()


async def test_a_webui_logs_in_and_lists_torrents_in_chromium(
    start_webui: StartWebUI, tmp_path: Path
) -> None:
    webui = await start_webui()
    folder = tmp_path / "vuetorrent"
    write_webui(folder)
    names = ["Big Buck Bunny", "Sintel"]
    async with httpx.AsyncClient(base_url=webui.url, timeout=30) as http:
        assert (await login(http)).text == "Ok."
        for name in names:
            torrent, _ = make_torrent(tmp_path / "payloads", name, {name: 40_000})
            reply = await http.post(
                "/api/v2/torrents/add",
                files={"torrents": (f"{name}.torrent", torrent)},
                data={"savepath": str(tmp_path / "downloads"), "paused": "true"},
            )
            assert reply.text == "Ok."
        prefs = {"alternative_webui_enabled": True, "alternative_webui_path": str(folder)}
        reply = await http.post("/api/v2/app/setPreferences", data={"json": json.dumps(prefs)})
        assert reply.status_code == 200
    dom = await rendered_dom(webui.url + "/", tmp_path / "profile")
    assert 'id="state">listed 2<' in dom, dom
    for name in names:
        assert f'<li class="torrent">{name}</li>' in dom
