"""`/api/repair*` in-process (ASGITransport) over real repair jobs, a loopback Sonarr and files in
tmp_path: v1.1.6's answers, `{"error"}` with 400/404/409, 401 without auth, never a 500."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI, HTTPException, Request
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.arr_server import FakeArr, arr_server
from tests.support.clock import FakeClock
from tests.support.repair_store import MemoryJobStore
from tests.support.waiting import eventually
from torrentstack.debrid.api.repair import repair_router
from torrentstack.debrid.arrs import ArrClient
from torrentstack.debrid.repair import RepairJobs

KEY = "arr-key"
AUTH = {"Authorization": "Bearer api-token"}


async def require_token(request: Request) -> None:
    if request.headers.get("authorization") != AUTH["Authorization"]:
        raise HTTPException(401, "unauthorized")


class HeldProber:
    """Holds every probe until `release` is set; then every file is fine."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.probed: list[str] = []

    async def broken(self, path: str) -> bool:
        self.probed.append(path)
        await self.release.wait()
        return False


@dataclass
class Api:
    http: httpx.AsyncClient
    arr: FakeArr
    jobs: RepairJobs

    async def listed(self) -> list[dict[str, Any]]:
        response = await self.http.get("/api/repair/jobs", headers=AUTH)
        assert response.status_code == 200
        jobs: list[dict[str, Any]] = response.json()
        return jobs


def make_library(root: Path) -> tuple[str, str]:
    """Two episode symlinks into a mount folder; the second one's file is gone."""
    paths = []
    for name in ("e1.mkv", "e2.mkv"):
        target = root / "mount" / "__all__" / "Show" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"x" * 2048)
        link = root / "tv" / name
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(target)
        paths.append(str(link))
    (root / "mount" / "__all__" / "Show" / "e2.mkv").unlink()
    return paths[0], paths[1]


@pytest.fixture
async def api(request, tmp_path) -> AsyncIterator[Api]:
    prober = getattr(request, "param", None)
    async with arr_server("sonarr", api_key=KEY) as arr, ArrClient("sonarr", arr.url, KEY) as c:
        e1, e2 = make_library(tmp_path)
        arr.add_series(1, "Show", [(11, e1, [101]), (12, e2, [102])], tvdb_id=500)
        jobs = RepairJobs(
            MemoryJobStore(), {"sonarr": c}.get, prober, FakeClock(), known_arrs=lambda: ["sonarr"]
        )
        app = FastAPI()
        app.include_router(repair_router(jobs, require_token))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bridge") as http:
            yield Api(http, arr, jobs)
        await jobs.close()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/repair"),
        ("GET", "/api/repair/jobs"),
        ("POST", "/api/repair/jobs/x/process"),
        ("POST", "/api/repair/jobs/x/stop"),
        ("DELETE", "/api/repair/jobs"),
    ],
)
async def test_every_route_needs_auth(api, method, path):
    response = await api.http.request(method, path, json={"arrName": "sonarr", "ids": ["x"]})
    assert response.status_code == 401
    assert await api.listed() == []


async def test_a_sync_repair_then_process(api):
    body = {"arrName": "sonarr", "mediaIds": ["500"], "autoProcess": False, "async": False}
    response = await api.http.post("/api/repair", json=body, headers=AUTH)
    assert response.status_code == 200
    assert response.json() == "Repair completed"
    [job] = await api.listed()
    assert job["status"] == "pending"
    assert job["arrs"] == ["sonarr"]
    assert job["media_ids"] == ["500"]
    assert [item["fileId"] for item in job["broken_items"]["sonarr"]] == [12]
    response = await api.http.post(f"/api/repair/jobs/{job['id']}/process", headers=AUTH)
    assert (response.status_code, response.content) == (200, b"")

    async def completed():
        [shown] = await api.listed()
        return shown["status"] == "completed" and shown["finished_at"] is not None

    await eventually(completed)
    assert api.arr.deleted == [[12]]
    assert api.arr.commands_named("EpisodeSearch") == [
        {"name": "EpisodeSearch", "episodeIds": [102]}
    ]
    response = await api.http.post(f"/api/repair/jobs/{job['id']}/process", headers=AUTH)
    assert response.status_code == 409
    assert "not pending" in response.json()["error"]


async def test_an_async_auto_processed_repair_with_v116s_field_name(api):
    body = {"arr": "sonarr", "mediaIds": [], "autoProcess": True, "async": True}
    response = await api.http.post("/api/repair", json=body, headers=AUTH)
    assert response.json() == "Repair process started"

    async def completed():
        jobs = await api.listed()
        return jobs and jobs[0]["status"] == "completed"

    await eventually(completed)
    assert api.arr.deleted == [[12]]
    [job] = await api.listed()
    assert job["auto_process"] is True
    assert job["broken_items"]["sonarr"][0]["processed"] is True


async def test_an_empty_arr_name_repairs_every_arr(api):
    response = await api.http.post("/api/repair", json={}, headers=AUTH)
    assert response.json() == "Repair completed"
    [job] = await api.listed()
    assert job["arrs"] == ["sonarr"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "not JSON"),
        (b"[1, 2]", "JSON object"),
        (b'{"arrName": 3}', "arrName"),
        (b'{"mediaIds": "500"}', "mediaIds"),
        (b'{"mediaIds": [1.5]}', "mediaIds"),
        (b'{"async": "yes"}', "async"),
        (b'{"arrName": "\\ud800"}', "Unicode"),
        (b'{"arrName": "radarr"}', "No Arr named 'radarr'"),
    ],
)
async def test_bad_repair_requests_are_400_with_an_error(api, body, message):
    response = await api.http.post("/api/repair", content=body, headers=AUTH)
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert await api.listed() == []


async def test_unknown_jobs_are_404(api):
    for action in ("process", "stop"):
        response = await api.http.post(f"/api/repair/jobs/nope/{action}", headers=AUTH)
        assert response.status_code == 404
        assert response.json() == {"error": "job nope not found"}


@pytest.mark.parametrize("api", [HeldProber()], indirect=True)
async def test_a_running_job_conflicts_then_stops(api):
    body = {"arrName": "sonarr", "mediaIds": ["500"], "async": True}
    assert (await api.http.post("/api/repair", json=body, headers=AUTH)).status_code == 200
    [job] = await api.listed()
    assert job["status"] == "started"
    again = await api.http.post("/api/repair", json=body, headers=AUTH)
    assert again.status_code == 409
    assert again.json() == {"error": "job already running"}
    response = await api.http.post(f"/api/repair/jobs/{job['id']}/stop", headers=AUTH)
    assert (response.status_code, response.content) == (200, b"")
    [job] = await api.listed()
    assert job["status"] == "cancelled"
    response = await api.http.post(f"/api/repair/jobs/{job['id']}/stop", headers=AUTH)
    assert response.status_code == 409


async def test_delete_jobs(api):
    await api.http.post("/api/repair", json={"mediaIds": ["500"]}, headers=AUTH)
    await api.http.post("/api/repair", json={"mediaIds": ["501"]}, headers=AUTH)
    first, second = await api.listed()
    response = await api.http.request(
        "DELETE", "/api/repair/jobs", json={"ids": [first["id"], "unknown"]}, headers=AUTH
    )
    assert (response.status_code, response.content) == (200, b"")
    assert [job["id"] for job in await api.listed()] == [second["id"]]
    bodies: list[Any] = [{"ids": []}, {}, {"ids": "x"}, [1]]
    for body in bodies:
        response = await api.http.request("DELETE", "/api/repair/jobs", json=body, headers=AUTH)
        assert response.status_code == 400
        assert response.json()["error"]


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=15,
)
repair_bodies = st.fixed_dictionaries(
    {},
    optional={
        "arrName": st.sampled_from(["sonarr", "", "radarr"]) | json_values,
        "arr": st.sampled_from(["sonarr", ""]) | json_values,
        "mediaIds": st.lists(
            st.sampled_from(["500", "1"]) | st.integers() | st.text(max_size=5), max_size=4
        )
        | json_values,
        "autoProcess": st.booleans() | json_values,
        "async": st.booleans() | json_values,
    },
)
ESCAPES = ["\\ud800", "\\udc00", "\\ud83d\\ude00", "\\\\", '\\"', "\\u0000", "\\x"]
raw_bodies = (
    st.builds(lambda v: json.dumps(v).encode(), repair_bodies | json_values)
    | st.binary(max_size=100)
    | st.builds(lambda n: b"[" * n + b"]" * n, st.integers(0, 30_000))
    | st.builds(
        lambda t: ('{"arrName": "sonarr", "mediaIds": ["' + "".join(t) + '"]}').encode(),
        st.lists(st.sampled_from(ESCAPES) | st.text(max_size=3), max_size=10),
    )
)
requests = st.one_of(
    st.tuples(st.just("POST"), st.just("/api/repair"), raw_bodies),
    st.tuples(st.just("DELETE"), st.just("/api/repair/jobs"), raw_bodies),
    st.tuples(
        st.just("POST"),
        st.builds(
            lambda job_id, action: f"/api/repair/jobs/{quote(job_id, safe='')}/{action}",
            # a "/" or a dot segment would make another path, which the app's router answers
            st.text(
                st.characters(codec="utf-8", exclude_characters="/"), min_size=1, max_size=20
            ).filter(lambda job_id: job_id not in (".", "..")),
            st.sampled_from(["process", "stop"]),
        ),
        st.just(b""),
    ),
)


async def test_no_request_body_or_id_makes_a_500(api):
    loop = asyncio.get_running_loop()

    async def send(method: str, path: str, body: bytes) -> httpx.Response:
        response: httpx.Response = await api.http.request(method, path, content=body, headers=AUTH)
        listed = await api.http.get("/api/repair/jobs", headers=AUTH)
        assert listed.status_code == 200
        return response

    @settings(
        max_examples=200,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(requests)
    def check(example):
        response = asyncio.run_coroutine_threadsafe(send(*example), loop).result(30)
        assert response.status_code in (200, 400, 404, 409), (response.status_code, response.text)
        if response.status_code != 200:
            assert isinstance(response.json()["error"], str)

    await asyncio.to_thread(check)
