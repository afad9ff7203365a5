"""Parameters and their errors as qBittorrent reads them: the query string for GET, only the
body (urlencoded or multipart) for POST; plain-text 400/404/409/415 bodies."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.qbittorrent_api import PASSWORD, USERNAME, Qbt, login, torrent_file

UNKNOWN = "0" * 40


async def test_parameters_of_a_post_come_from_the_body_only(qbt: Qbt):
    async with qbt.client() as http:
        query = await http.post(
            "/api/v2/auth/login", params={"username": USERNAME, "password": PASSWORD}
        )
        assert query.text == "Fails."
        multipart = await http.post(
            "/api/v2/auth/login",
            files={"username": (None, USERNAME), "password": (None, PASSWORD)},
        )
        assert multipart.text == "Ok."
        body_ignored_for_get = await http.request(
            "GET", "/api/v2/torrents/properties", content=f"hash={UNKNOWN}",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )  # fmt: skip
        assert (body_ignored_for_get.status_code, body_ignored_for_get.text) == (
            400,
            "Bad Request",
        )


@pytest.mark.parametrize(
    ("method", "endpoint", "params", "status", "body"),
    [
        ("GET", "torrents/properties", {"hash": UNKNOWN}, 404, "Not Found"),  # sample 29
        ("GET", "torrents/properties", {}, 400, "Bad Request"),  # sample 30
        ("GET", "torrents/files", {"hash": UNKNOWN}, 404, "Not Found"),
        ("GET", "torrents/trackers", {"hash": UNKNOWN}, 404, "Not Found"),
        ("GET", "sync/torrentPeers", {"hash": UNKNOWN}, 404, "Not Found"),
        ("POST", "torrents/delete", {"hashes": UNKNOWN}, 400, "Bad Request"),  # sample 67
        ("POST", "torrents/setCategory", {"hashes": "all", "category": "nope"}, 409,
         "Incorrect category name"),  # sample 34
        ("POST", "torrents/createCategory", {"category": "a//b"}, 409, "Incorrect category name"),
        ("POST", "torrents/createCategory", {"category": ""}, 400, "Category cannot be empty"),
        ("POST", "torrents/createCategory", {}, 400, "Bad Request"),
        ("POST", "torrents/setShareLimits", {"hashes": "all", "ratioLimit": "x",
                                              "seedingTimeLimit": "1"}, 400, None),
        ("POST", "app/setPreferences", {"json": "{not json"}, 400, None),
        ("POST", "app/setPreferences", {"json": "[1]"}, 400, None),
        ("POST", "torrents/addPeers", {"hashes": "all", "peers": "nonsense"}, 400, None),
        ("GET", "torrents/info", {"limit": "ten"}, 400, None),
        ("GET", "torrents/info", {"sort": "no_such_field"}, 200, "[]"),  # empty: no check
        ("GET", "sync/maindata", {"rid": "x"}, 400, None),
        ("POST", "transfer/setSpeedLimitsMode", {"mode": "2"}, 400, None),
        ("POST", "torrents/editTracker", {"hash": UNKNOWN, "origUrl": "a", "newUrl": "b c"},
         400, None),
    ],
)  # fmt: skip
async def test_error_replies(
    http: httpx.AsyncClient, qbt: Qbt, method, endpoint, params, status, body
):
    if endpoint not in qbt.api.handlers:  # a backend without that part (the debrid bridge's)
        status, body = 404, "Not Found"
    if method == "GET":
        reply = await http.get(f"/api/v2/{endpoint}", params=params)
    else:
        reply = await http.post(f"/api/v2/{endpoint}", data=params)
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"].startswith(("text/plain", "application/json"))
    if body is not None:
        assert reply.text == body


async def test_an_invalid_torrent_file_is_415_and_adds_nothing(http: httpx.AsyncClient):
    reply = await http.post(
        "/api/v2/torrents/add",
        files={"torrents": ("bogus.torrent", b"d4:infoi3ee")},
        data={"urls": "magnet:?xt=urn:btih:" + "a" * 40},
    )
    assert (reply.status_code, reply.text) == (
        415,
        "Error: 'bogus.torrent' is not a valid torrent file.",
    )  # sample 13
    assert (await http.get("/api/v2/torrents/info")).json() == []


async def test_adding_nothing_a_duplicate_or_a_local_path_fails(http: httpx.AsyncClient):
    torrent = torrent_file("Thing")
    assert (await http.post("/api/v2/torrents/add", data={})).text == "Fails."  # sample 14
    first = await http.post("/api/v2/torrents/add", files={"torrents": ("t", torrent)})
    assert first.text == "Ok."
    duplicate = await http.post("/api/v2/torrents/add", files={"torrents": ("t", torrent)})
    assert duplicate.text == "Fails."  # sample 15
    local = await http.post("/api/v2/torrents/add", data={"urls": "/etc/passwd"})
    assert local.text == "Fails."  # never read from the server's disk


PART = b'--xyz\r\nContent-Disposition: form-data; name="urls"\r\n\r\n%s\r\n--xyz--\r\n'
MALFORMED = {
    "part-without-a-name": (
        b"--xyz\r\nContent-Disposition: form-data\r\n\r\nno name\r\n--xyz--\r\n",
        "multipart/form-data; boundary=xyz",
    ),
    "no-boundary": (PART % b"x", "multipart/form-data"),
    "empty-boundary": (PART % b"x", "multipart/form-data; boundary="),
    "boundary-not-in-body": (PART % b"x", "multipart/form-data; boundary=other"),
    "field-over-the-form-limit": (PART % (b"u" * (1024 * 1024 + 10)), "multipart/form-data; boundary=xyz"),
    "no-headers-in-a-part": (b"--xyz\r\n\r\nbody\r\n--xyz--\r\n", "multipart/form-data; boundary=xyz"),
}  # fmt: skip


@pytest.mark.parametrize("endpoint", ["torrents/add", "auth/login"])
@pytest.mark.parametrize("case", sorted(MALFORMED))
async def test_a_malformed_multipart_body_is_400(qbt: Qbt, endpoint: str, case: str):
    body, content_type = MALFORMED[case]
    async with qbt.client() as http:
        if endpoint != "auth/login":
            await login(http)
        reply = await http.post(
            f"/api/v2/{endpoint}", content=body, headers={"Content-Type": content_type}
        )
    assert reply.status_code == 400, (case, reply.status_code, reply.text[:100])
    assert reply.headers["content-type"] == "text/plain; charset=UTF-8"


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.binary(max_size=300)
    | st.builds(
        lambda parts: b"".join(parts),
        st.lists(
            st.sampled_from([b"--xyz", b"\r\n", b"Content-Disposition: form-data", b"; name=\"",
                             b"torrents", b"urls", b"\"", b"; filename=\"a\"", b"--", b"\r\n\r\n",
                             b"Content-Type: x", b"\xff"]),
            max_size=30,
        ),
    ),
    content_type=st.sampled_from(["multipart/form-data; boundary=xyz", "multipart/form-data",
                                  "application/x-www-form-urlencoded", "text/plain", ""]),
)  # fmt: skip
async def test_random_bodies_are_never_a_500(qbt: Qbt, body: bytes, content_type: str):
    async with qbt.client() as http:
        await login(http)
        reply = await http.post(
            "/api/v2/torrents/add", content=body, headers={"Content-Type": content_type}
        )
    assert reply.status_code in (200, 400, 415), (reply.status_code, reply.text[:100])


async def test_large_responses_are_gzipped_when_accepted(http: httpx.AsyncClient):
    for i in range(20):
        files = {"torrents": (f"t{i}", torrent_file(f"Thing {i}"))}
        assert (await http.post("/api/v2/torrents/add", files=files)).text == "Ok."
    reply = await http.get("/api/v2/torrents/info", headers={"Accept-Encoding": "gzip"})
    assert reply.headers.get("content-encoding") == "gzip"
    assert len(reply.json()) == 20
