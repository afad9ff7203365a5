"""The admin API with arbitrary bodies, paths and query values: an answer in Torrust's shapes,
never a 500, and nothing stored from a rejected request."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.tracker import API_TOKEN, client_for
from torrentstack.tracker.admin_api import AdminApi

pytestmark = pytest.mark.database  # keys are stored: SQLite and PostgreSQL

T = f"token={API_TOKEN}"

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**300, max_value=10**320)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)
key_forms = st.fixed_dictionaries(
    {},
    optional={
        "key": st.none() | st.text(max_size=40) | json_values,
        "seconds_valid": st.none() | st.integers() | json_values,
    },
)
# pieces of a JSON string: lone surrogates and other escapes that decode to odd text
ESCAPES = ["\\ud800", "\\udc00", "\\ud83d\\ude00", "\\\\", '\\"', "\\u0000", "\\n", "\\x"]
bodies = (
    st.builds(lambda v: json.dumps(v).encode(), key_forms | json_values)
    | st.binary(max_size=200)
    | st.builds(lambda n: b"[" * n + b"]" * n, st.integers(0, 30_000))
    | st.builds(
        lambda t: ('{"key": "' + "".join(t) + '", "seconds_valid": null}').encode(),
        st.lists(st.sampled_from(ESCAPES) | st.text(max_size=3), max_size=40),
    )
)
paths = st.text(
    alphabet=st.characters(codec="utf-8") | st.sampled_from("%/?&=.0123456789abcdef"), max_size=60
)


FUZZ = settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


async def fuzz(make_runtime, requests, check_one) -> None:
    """Run `check_one(client, **example)` for hypothesis' examples of `requests`."""
    runtime = await make_runtime()
    app = AdminApi(runtime.tracker, [API_TOKEN]).app()
    loop = asyncio.get_running_loop()
    async with client_for(app) as client:

        @FUZZ
        @given(requests)
        def check(example):
            response = asyncio.run_coroutine_threadsafe(check_one(client, **example), loop)
            response = response.result(30)
            assert response.status_code < 500 or response.status_code == 503, (
                response.status_code,
                response.text[:200],
            )

        await asyncio.to_thread(check)
        # the API still works afterwards
        made = await client.post(f"/api/v1/keys?{T}", json={"key": None, "seconds_valid": 60})
        assert made.status_code == 200


async def test_random_key_forms_never_get_a_500(make_runtime):
    async def post(client, body, content_type):
        return await client.post(
            f"/api/v1/keys?{T}", content=body, headers={"content-type": content_type}
        )

    forms = st.fixed_dictionaries(
        {"body": bodies, "content_type": st.sampled_from(["application/json", "x+json"])}
    )
    await fuzz(make_runtime, forms, post)


async def test_random_paths_and_methods_never_get_a_500(make_runtime):
    async def send(client, body, path, method, prefix):
        query = quote(path, safe="/?&=%")
        joiner = "&" if "?" in prefix + path else "?"
        return await client.request(method, f"{prefix}{query}{joiner}{T}", content=body)

    requests = st.fixed_dictionaries(
        {
            "body": st.binary(max_size=50),
            "path": paths,
            "method": st.sampled_from(["GET", "POST", "DELETE", "PUT"]),
            "prefix": st.sampled_from(
                [
                    "/api/v1/keys/",
                    "/api/v1/whitelist/",
                    "/api/v1/torrent/",
                    "/api/v1/torrents?",
                    "/api/v1/stats?",
                    "/api/key/",
                    "/api/whitelist/",
                    "/api/torrents?",
                    "/api/",
                ]
            ),
        }
    )
    await fuzz(make_runtime, requests, send)
