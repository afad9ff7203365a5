"""nova3 plugins for the search tests: a good one (searches a loopback site through `helpers`
and prints through `novaprinter`), broken ones, one that reports what it sees; and the calls the
tests share (a logged-in session, the plugin list, waiting for a search to stop)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from tests.support.waiting import eventually
from tests.support.webui import WebUI, login

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
