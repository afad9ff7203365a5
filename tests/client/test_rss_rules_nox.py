"""Side by side with Debian's qbittorrent-nox 4.5.2: the same `rss/*Rule*` calls answer with the
same status and body, and `rss/rules` shows the same rules (4.6 adds `priority` and
`torrentParams`, which 4.5 does not have: left out of the comparison)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.torrent_clients import PASSWORD, USERNAME, Daemon, run_qbittorrent_nox
from tests.support.webui import WebUI, login

pytestmark = pytest.mark.slow

SCENARIO: list[tuple[str, str, dict[str, str]]] = [
    ("POST", "rss/setRule", {"ruleName": "bad", "ruleDef": "{not json"}),
    ("POST", "rss/setRule", {"ruleName": "  spaced  ", "ruleDef": "[]"}),
    ("POST", "rss/setRule", {"ruleName": "", "ruleDef": '{"name": "fromjson"}'}),
    ("POST", "rss/setRule", {"ruleName": "full", "ruleDef": json.dumps({
        "enabled": False, "mustContain": "a|b", "mustNotContain": "c d", "useRegex": False,
        "episodeFilter": "1x01-;", "affectedFeeds": "http://x/feed", "ignoreDays": 2.0,
        "lastMatch": "20 Nov 2017 09:05:11", "addPaused": True, "assignedCategory": "cat",
        "savePath": "/tmp//a/b/../c/", "smartFilter": True,
        "previouslyMatchedEpisodes": ["1x1", 5]})}),
    ("POST", "rss/setRule", {"ruleName": "odd", "ruleDef": json.dumps({
        "lastMatch": "Mon, 20 Nov 2017 09:05:11 +0100", "savePath": "rel/x",
        "torrentContentLayout": "Subfolder", "addPaused": "yes", "ignoreDays": 1.5,
        "enabled": "false", "useRegex": True, "mustContain": "x|y"})}),
    ("POST", "rss/setRule", {"ruleName": "layout", "ruleDef": '{"createSubfolder": false}'}),
    ("GET", "rss/rules", {}),
    ("POST", "rss/renameRule", {"ruleName": "nope", "newRuleName": "x"}),
    ("POST", "rss/renameRule", {"ruleName": "full", "newRuleName": "odd"}),
    ("POST", "rss/renameRule", {"ruleName": " full ", "newRuleName": " renamed "}),
    ("POST", "rss/renameRule", {"ruleName": "full"}),
    ("POST", "rss/removeRule", {"ruleName": "nope"}),
    ("POST", "rss/removeRule", {"ruleName": " bad "}),
    ("POST", "rss/removeRule", {}),
    ("POST", "rss/setRule", {"ruleName": "x"}),
    ("POST", "rss/setRule", {"ruleDef": "{}"}),
    ("GET", "rss/setRule", {"ruleName": "x", "ruleDef": "{}"}),
    ("GET", "rss/renameRule", {}),
    ("GET", "rss/removeRule", {}),
    ("GET", "rss/matchingArticles", {"ruleName": "nope"}),
    ("GET", "rss/matchingArticles", {"ruleName": "renamed"}),
    ("POST", "rss/matchingArticles", {}),
    ("GET", "rss/rules", {}),
]  # fmt: skip


@pytest.fixture
def nox(tmp_path: Path) -> Iterator[Daemon]:
    with run_qbittorrent_nox(tmp_path / "nox") as daemon:
        yield daemon


def _comparable(reply: httpx.Response, endpoint: str) -> tuple[int, object]:
    if endpoint != "rss/rules" or reply.status_code != 200:
        return reply.status_code, reply.text
    rules = reply.json()
    for rule in rules.values():
        rule.pop("priority", None)
        rule.pop("torrentParams", None)
    return reply.status_code, rules


async def test_rule_calls_answer_as_qbittorrent_nox(nox: Daemon, webui: WebUI) -> None:
    async with (
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{nox.port}") as theirs,
        httpx.AsyncClient(base_url=webui.url) as ours,
    ):
        reply = await theirs.post(
            "/api/v2/auth/login", data={"username": USERNAME, "password": PASSWORD}
        )
        assert reply.text == "Ok."
        assert (await login(ours)).text == "Ok."
        for method, endpoint, params in SCENARIO:
            answers = []
            for http in (theirs, ours):
                if method == "GET":
                    reply = await http.get(f"/api/v2/{endpoint}", params=params)
                else:
                    reply = await http.post(f"/api/v2/{endpoint}", data=params)
                answers.append(_comparable(reply, endpoint))
            assert answers[1] == answers[0], (method, endpoint, params)
        _status, final = answers[0]
        assert isinstance(final, dict) and sorted(final) == [
            "fromjson",
            "layout",
            "odd",
            "renamed",
            "spaced",
        ]
