"""The built-in `torznab` search plugin against loopback Torznab indexers: results, categories,
enabling, an indexer that fails, and answers that try XML tricks."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx

from tests.support.torznab_server import APIKEY, torznab_server
from tests.support.waiting import eventually
from tests.support.webui import StartWebUI, WebUI, login


@contextlib.asynccontextmanager
async def session(webui: WebUI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=webui.url, timeout=30) as client:
        assert (await login(client)).text == "Ok."
        yield client


async def search(http: httpx.AsyncClient, pattern: str, **form: str) -> dict[str, object]:
    data = {"pattern": pattern, "plugins": "enabled", "category": "all", **form}
    job = (await http.post("/api/v2/search/start", data=data)).json()["id"]

    async def stopped() -> dict[str, object]:
        reply = (await http.get("/api/v2/search/results", params={"id": job})).json()
        assert reply["status"] == "Stopped"
        return reply

    result: dict[str, object] = await eventually(stopped, timeout=20)
    return result


async def test_torznab_builtin_searches_the_configured_indexers(start_webui: StartWebUI) -> None:
    async with torznab_server() as first, torznab_server() as second:
        first.add("Big.Buck.Bunny.2008.1080p", size=123_456, category=2000)
        first.add("Other.Show.S01E01", category=5000)
        second.add("Big Buck Bunny Remastered", size=7)
        broken = f"{second.base}/api?apikey=wrong"
        webui = await start_webui(persona="5.1", search_torznab=[first.url, second.url, broken])
        async with session(webui) as http:
            (plugin,) = (await http.get("/api/v2/search/plugins")).json()
            assert (plugin["name"], plugin["enabled"], plugin["url"]) == ("torznab", True, "")
            assert {c["id"] for c in plugin["supportedCategories"]} >= {"all", "movies", "tv"}
            reply = await search(http, "big buck")
            rows = {row["fileName"]: row for row in reply["results"]}  # type: ignore[attr-defined]
            assert set(rows) == {"Big.Buck.Bunny.2008.1080p", "Big Buck Bunny Remastered"}
            row = rows["Big.Buck.Bunny.2008.1080p"]
            assert row["fileUrl"] == f"{first.base}/dl/1.torrent?apikey={APIKEY}"
            assert (row["fileSize"], row["nbSeeders"], row["nbLeechers"]) == (123_456, 3, -1)
            assert (row["siteUrl"], row["engineName"]) == (first.base, "torznab")
            assert row["descrLink"] == f"{first.base}/details/1"
            assert row["pubDate"] == 1_800_000_060
            assert first.received()[-1].params["t"] == "search"
            assert first.received()[-1].params["q"] == "big buck"
            # a category becomes Newznab ids
            await search(http, "show", category="tv")
            assert first.received()[-1].params["cat"] == "5000"
            # the apikey of the failing indexer is not in the log
            log = (await http.get("/api/v2/log/main")).json()
            assert all("wrong" not in entry["message"] for entry in log)
            # disabled: not searched by `enabled`, still by name; kept across a restart
            await http.post(
                "/api/v2/search/enablePlugin", data={"names": "torznab", "enable": "false"}
            )
            before = len(first.received())
            assert (await search(http, "big"))["total"] == 0
            assert len(first.received()) == before
            assert (await search(http, "big", plugins="torznab"))["total"] == 2
            # uninstalling a built-in does nothing
            await http.post("/api/v2/search/uninstallPlugin", data={"names": "torznab"})
            assert len((await http.get("/api/v2/search/plugins")).json()) == 1


async def test_torznab_answers_that_are_not_results(start_webui: StartWebUI) -> None:
    async with torznab_server() as server:
        server.add("Bunny", size=5)
        webui = await start_webui(search_torznab=[server.url])
        async with session(webui) as http:
            server.garbage_next(on="api")
            assert (await search(http, "bunny"))["total"] == 0
            xxe = (
                b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                b"<rss><channel><item><title>&x;leak</title><link>magnet:?xt=1</link></item>"
                b"</channel></rss>"
            )
            server.respond_next(xxe, on="api")
            reply = await search(http, "bunny")
            names = [row["fileName"] for row in reply["results"]]  # type: ignore[attr-defined]
            assert all("root:" not in name for name in names)
            assert (await search(http, "bunny"))["total"] == 1  # and it still works


async def test_no_indexers_no_builtin_plugin(webui: WebUI) -> None:
    async with session(webui) as http:
        assert (await http.get("/api/v2/search/plugins")).json() == []
        reply = await http.post(
            "/api/v2/search/enablePlugin", data={"names": "torznab", "enable": "false"}
        )
        assert reply.status_code == 200
        assert (await http.get("/api/v2/search/plugins")).json() == []


async def test_with_none_configured_the_stacks_own_feed_is_asked_at_each_search(tmp_path) -> None:
    from torrentstack.client.search.jobs import SearchEngine

    async with torznab_server() as site:
        site.add("Big.Buck.Bunny.2008.1080p", size=10)
        feeds: list[str] = []  # the site has no owner yet: no feed

        async def source() -> list[str]:
            return list(feeds)

        engine = SearchEngine(tmp_path / "search", torznab_source=source)
        await engine.start()
        try:
            assert [p.name for p in engine.plugins()] == ["torznab"]

            async def finished(job: int) -> tuple[list[str]]:
                results, running = engine.search_results(job)
                assert not running
                return ([r.file_name for r in results],)  # truthy even when empty

            first = engine.start_search("bunny", "all", ["torznab"])
            assert await eventually(lambda: finished(first)) == ([],)
            feeds.append(site.url)  # the owner registered
            second = engine.start_search("bunny", "all", ["torznab"])
            found = await eventually(lambda: finished(second))
            assert found == (["Big.Buck.Bunny.2008.1080p"],)
        finally:
            await engine.close()
