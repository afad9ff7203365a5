"""The arr client against a loopback Sonarr/Radarr: health and keys, commands, media calls,
bulk deletes in batches of 50 without repeats, kind detection, callbacks that never raise."""

from __future__ import annotations

import json
import logging

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.support.arr_server import arr_server
from tests.support.debrid_services.serving import serve_app
from torrentstack.debrid.arrs import ArrClient, batches, guess_kind, post_callback
from torrentstack.debrid.errors import ArrError

KEY = "sonarr-secret-key"


async def test_health_is_true_with_the_right_key_and_false_with_a_wrong_one():
    async with (
        arr_server("sonarr", api_key=KEY) as arr,
        ArrClient("sonarr", arr.url, KEY) as good,
        ArrClient("sonarr", arr.url, "wrong") as bad,
        ArrClient("sonarr", arr.url, "") as empty,
    ):
        assert await good.health() is True
        assert await bad.health() is False
        assert await empty.health() is False


async def test_health_of_an_arr_without_v3_health_counts_as_valid():
    async def not_found(request: Request) -> Response:
        return Response("no such route", 404)

    app = Starlette(routes=[Route("/api/v3/health", not_found)])
    async with serve_app(app) as port, ArrClient("lidarr", f"http://127.0.0.1:{port}", KEY) as c:
        assert await c.health() is True


async def test_an_unreachable_arr_is_an_arr_error_with_status_0():
    async with arr_server("sonarr") as arr:
        url = arr.url  # the server is gone after the block: nothing listens on its port
    async with ArrClient("sonarr", url, KEY) as client:
        with pytest.raises(ArrError) as caught:
            await client.health()
    assert caught.value.name == "sonarr"
    assert caught.value.status == 0
    assert "unreachable" in caught.value.message


@pytest.mark.parametrize(
    ("host", "token"),
    [
        ("http://\ud800", KEY),
        ("http://127.0.0.1:99999", KEY),
        ("http://127.0.0.1:1", "clé-secrète"),
    ],
)
def test_a_host_or_key_httpx_cannot_use_is_an_arr_error_without_the_key(host, token):
    with pytest.raises(ArrError) as caught:
        ArrClient("sonarr", host, token)
    assert caught.value.status == 0
    assert token not in str(caught.value)


@pytest.mark.parametrize("host", ["not a url", "ftp://x", "http://127.0.0.1:1"])
async def test_a_host_nobody_can_reach_is_an_arr_error(host):
    async with ArrClient("sonarr", host, KEY) as client:
        with pytest.raises(ArrError, match="unreachable"):
            await client.health()


async def test_a_refused_call_is_an_arr_error_with_the_status_and_never_shows_the_key(caplog):
    caplog.set_level(logging.DEBUG)
    async with (
        arr_server("sonarr", api_key=KEY) as arr,
        ArrClient("sonarr", arr.url, "bad-key") as c,
    ):
        with pytest.raises(ArrError) as caught:
            await c.refresh_monitored_downloads()
    assert caught.value.status == 401
    assert "API key" in caught.value.message
    assert "bad-key" not in caplog.text
    assert "bad-key" not in repr(c)


async def test_commands_are_sent_with_their_fields_and_recorded():
    async with arr_server("sonarr", api_key=KEY) as arr, ArrClient("sonarr", arr.url, KEY) as c:
        await c.refresh_monitored_downloads()
        command_id = await c.command("EpisodeSearch", episodeIds=[7])
    assert arr.commands == [
        {"name": "RefreshMonitoredDownloads"},
        {"name": "EpisodeSearch", "episodeIds": [7]},
    ]
    assert command_id == 2


async def test_sonarr_media_calls_read_series_files_and_episodes():
    async with arr_server("sonarr", api_key=KEY) as arr, ArrClient("tv", arr.url, KEY) as c:
        arr.add_series(
            5,
            "Show",
            [(50, "/tv/Show/e1.mkv", [500]), (51, "/tv/Show/e2-3.mkv", [501, 502])],
            tvdb_id=9999,
        )
        arr.add_series(6, "Other")
        assert (await c.series(5)).title == "Show"
        assert [s.id for s in await c.find_series(9999)] == [5]
        assert {s.id for s in await c.find_series()} == {5, 6}
        assert await c.find_series(1234) == []
        files = await c.episode_files(5)
        assert [(f.id, f.path, f.series_id) for f in files] == [
            (50, "/tv/Show/e1.mkv", 5),
            (51, "/tv/Show/e2-3.mkv", 5),
        ]
        episodes = {e.id: e.episode_file_id for e in await c.episodes(5)}
        assert episodes == {500: 50, 501: 51, 502: 51}
        with pytest.raises(ArrError) as caught:
            await c.series(404)
        assert caught.value.status == 404


async def test_radarr_media_calls_read_the_movie_file():
    async with arr_server("radarr", api_key=KEY) as arr, ArrClient("films", arr.url, KEY) as c:
        arr.add_movie(3, "Film", 30, "/movies/Film/film.mkv", tmdb_id=603)
        arr.add_movie(4, "Missing", 0, "")
        movie = await c.movie(3)
        assert (movie.file_id, movie.file_path, movie.tmdb_id) == (30, "/movies/Film/film.mkv", 603)
        assert [m.id for m in await c.find_movies(603)] == [3]
        assert (await c.movie(4)).file_id == 0
        await c.delete_movie_files([30, 30])
        await c.search_movies([3])
        assert arr.deleted == [[30]]
        assert arr.commands == [{"name": "MoviesSearch", "movieIds": [3]}]
        assert (await c.movie(3)).file_id == 0


async def test_bulk_deletes_go_in_batches_of_50_each_id_once():
    ids = list(range(1, 121))
    async with arr_server("sonarr", api_key=KEY) as arr, ArrClient("sonarr", arr.url, KEY) as c:
        await c.delete_episode_files(ids + ids[:30])
        await c.search_episodes([1, 1, 2])
    assert [len(batch) for batch in arr.deleted] == [50, 50, 20]
    assert [i for batch in arr.deleted for i in batch] == ids
    assert arr.commands == [{"name": "EpisodeSearch", "episodeIds": [1, 2]}]


def test_batches_keep_the_first_order_and_drop_repeats():
    assert batches([3, 1, 3, 2, 1], size=2) == [[3, 1], [2]]
    assert batches([]) == []


async def test_the_other_kinds_endpoints_are_404():
    async with arr_server("radarr", api_key=KEY) as arr, ArrClient("radarr", arr.url, KEY) as c:
        with pytest.raises(ArrError) as caught:
            await c.find_series()
    assert caught.value.status == 404


@pytest.mark.parametrize(
    ("name", "host", "expected"),
    [
        ("sonarr", "http://media:8989", "sonarr"),
        ("tv", "http://radarr.lan:7878", "radarr"),
        ("anime-Sonarr4k", "http://x", "sonarr"),
        ("tv", "http://10.0.0.2:1234", None),
    ],
)
def test_kind_is_guessed_from_the_name_then_the_host(name, host, expected):
    assert guess_kind(name, host) == expected
    assert ArrClient(name, host, KEY).kind == expected


@pytest.mark.parametrize("kind", ["sonarr", "radarr"])
async def test_probing_corrects_a_misleading_name(kind):
    misleading = "radarr" if kind == "sonarr" else "sonarr"
    async with arr_server(kind, api_key=KEY) as arr, ArrClient(misleading, arr.url, KEY) as c:
        assert c.kind == misleading
        assert await c.detect_kind() == kind
        assert c.kind == kind
        assert await c.detect_kind() == kind
        assert arr.requests.count(("GET", "/api/v3/series")) == 1


async def test_a_failing_arr_probe_is_an_arr_error():
    async with arr_server("sonarr", api_key=KEY) as arr, ArrClient("x", arr.url, KEY) as c:
        arr.fail_with = 500
        with pytest.raises(ArrError) as caught:
            await c.detect_kind()
    assert caught.value.status == 500
    assert c.kind is None


async def test_an_unreadable_answer_is_an_arr_error():
    async def garbage(request: Request) -> Response:
        return Response(json.dumps([{"id": "not a number"}]), media_type="application/json")

    app = Starlette(routes=[Route("/api/v3/episodefile", garbage)])
    async with serve_app(app) as port, ArrClient("sonarr", f"http://127.0.0.1:{port}", KEY) as c:
        with pytest.raises(ArrError, match="cannot read"):
            await c.episode_files(1)


async def test_callbacks_post_json_and_never_raise(caplog):
    received: list[object] = []

    async def hook(request: Request) -> Response:
        received.append(json.loads(await request.body()))
        return Response("boom", 500)

    async with serve_app(Starlette(routes=[Route("/hook", hook, methods=["POST"])])) as port:
        await post_callback(
            f"http://127.0.0.1:{port}/hook?token=sekrit", {"hash": "ab", "state": "done"}
        )
    assert received == [{"hash": "ab", "state": "done"}]
    await post_callback(f"http://127.0.0.1:{port}/hook?token=sekrit", {"again": True})
    for bad in ("not a url at all", "http://127.0.0.1:99999/x", "http://\ud800/", "http://[::1/"):
        await post_callback(bad, {})
    assert "HTTP 500" in caplog.text
    assert "sekrit" not in caplog.text
