"""`search/*` side by side with Debian's qbittorrent-nox 4.5.2 (offline; it runs plugins with the
machine's python3): the same calls, the same local plugin, the same answers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.torrent_clients import Daemon, run_qbittorrent_nox
from tests.support.waiting import eventually
from tests.support.webui import PASSWORD, USERNAME, StartWebUI

pytestmark = pytest.mark.slow

PLUGIN = """# VERSION: 1.2
from novaprinter import prettyPrinter


class local_one:
    url = "http://local.invalid"
    name = "Local One"
    supported_categories = {"all": "0", "movies": "1", "tv": "2"}

    def search(self, what, cat="all"):
        for i in range(4):
            prettyPrinter({
                "link": "magnet:?xt=urn:btih:%040d" % i, "name": what + " r|%d" % i,
                "size": "%d.5 MB" % i, "seeds": i, "leech": "n/a" if i == 0 else i,
                "engine_url": self.url, "desc_link": "http://local.invalid/d/%d" % i,
            })
"""

SLOW = """# VERSION: 1.0
import time


class slow:
    url = "http://slow.invalid"
    name = "Slow"
    supported_categories = {"all": "0"}

    def search(self, what, cat="all"):
        time.sleep(120)
"""

BAD_INPUT = [
    ("start", {"pattern": "x", "plugins": "all"}),
    ("start", {"pattern": "x", "category": "all"}),
    ("stop", {}),
    ("results", {}),
    ("delete", {}),
    ("installPlugin", {}),
    ("uninstallPlugin", {}),
    ("enablePlugin", {"names": "x"}),
    ("stop", {"id": "12345"}),
    ("delete", {"id": "12345"}),
    ("results", {"id": "12345"}),
    ("status", {"id": "12345"}),
    ("stop", {"id": "abc"}),
    ("enablePlugin", {"names": "nothing", "enable": "false"}),
    ("uninstallPlugin", {"names": "nothing"}),
]


async def scenario(url: str, plugins_dir: Path) -> list[object]:
    """The same calls against one server; ids are replaced by their order of appearance."""
    seen: list[object] = []
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        login = {"username": USERNAME, "password": PASSWORD}
        assert (await http.post("/api/v2/auth/login", data=login)).text == "Ok."

        async def call(method: str, endpoint: str, data: dict[str, str] | None = None) -> str:
            if method == "GET":
                reply = await http.get(f"/api/v2/search/{endpoint}", params=data)
            else:
                reply = await http.post(f"/api/v2/search/{endpoint}", data=data)
            seen.append((method, endpoint, data, reply.status_code, reply.text))
            return reply.text

        await call("GET", "plugins")
        await call("GET", "status")
        await call("GET", "categories")
        await call("GET", "start")
        for endpoint, data in BAD_INPUT:
            await call("POST", endpoint, data)
        await call("POST", "installPlugin", {"sources": str(plugins_dir / "local_one.py")})
        await call("POST", "installPlugin", {"sources": str(plugins_dir / "notes.txt")})

        async def installed() -> None:
            assert "local_one" in (await http.get("/api/v2/search/plugins")).text

        await eventually(installed, timeout=20)
        await call("GET", "plugins")
        form = {"pattern": "hello world", "plugins": "enabled", "category": "all"}
        job = re.sub(r"\D", "", await call("POST", "start", form))

        async def stopped(job: str) -> None:
            reply = await http.get("/api/v2/search/status", params={"id": job})
            assert '"Stopped"' in reply.text

        await eventually(lambda: stopped(job), timeout=30)
        await call("GET", "status", {"id": job})
        await call("GET", "results", {"id": job})
        for page in ({"offset": "5"}, {"offset": "-5"}, {"offset": "-1", "limit": "1"},
                     {"offset": "1", "limit": "2"}, {"limit": "-3"}):  # fmt: skip
            await call("GET", "results", {"id": job, **page})
        books = re.sub(r"\D", "", await call("POST", "start", {**form, "category": "books"}))
        await eventually(lambda: stopped(books), timeout=30)
        await call("GET", "status", {"id": books})
        await call("POST", "enablePlugin", {"names": "local_one", "enable": "false"})
        await call("GET", "plugins")
        await call("POST", "installPlugin", {"sources": str(plugins_dir / "slow.py")})
        await eventually(lambda: _has(http, "slow"), timeout=20)
        slow = {"pattern": "x", "plugins": "slow", "category": "all"}
        jobs = [re.sub(r"\D", "", await call("POST", "start", slow)) for _ in range(6)]
        await call("POST", "stop", {"id": jobs[0]})
        await call("POST", "delete", {"id": jobs[1]})
        await call("POST", "uninstallPlugin", {"names": "local_one"})
        await call("GET", "plugins")
        for job_id in jobs[2:5]:
            await call("POST", "delete", {"id": job_id})
    text = repr(seen)
    for n, job_id in enumerate(dict.fromkeys(re.findall(r"\b\d{6,10}\b", text))):
        text = text.replace(job_id, f"<job{n}>")
    return [text]


async def _has(http: httpx.AsyncClient, name: str) -> bool:
    return name in (await http.get("/api/v2/search/plugins")).text


def _files(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "local_one.py").write_text(PLUGIN)
    (directory / "slow.py").write_text(SLOW)
    (directory / "notes.txt").write_text("not a plugin")
    return directory


@pytest.fixture
def nox(tmp_path: Path) -> Iterator[Daemon]:
    with run_qbittorrent_nox(tmp_path / "daemon") as daemon:
        yield daemon


async def test_search_answers_as_qbittorrent_nox(
    nox: Daemon, start_webui: StartWebUI, tmp_path: Path
) -> None:
    ours = await start_webui()
    mine = await scenario(ours.url, _files(tmp_path / "ours"))
    theirs = await scenario(f"http://127.0.0.1:{nox.port}", _files(tmp_path / "nox"))
    mine_text, theirs_text = str(mine[0]), str(theirs[0])
    # the plugins folder differs; the 4.5.2 plugin list is in QHash order (ours sorted by name)
    theirs_text = theirs_text.replace(str(tmp_path / "nox"), "<dir>")
    mine_text = mine_text.replace(str(tmp_path / "ours"), "<dir>")
    assert _split(mine_text) == _split(theirs_text)


def _split(text: str) -> list[str]:
    return text.split("), (")
