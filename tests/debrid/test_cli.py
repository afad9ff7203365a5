"""`torrentstack debrid api-token` as a user runs it, and the token it prints opening `/api`."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from starlette.applications import Starlette

from tests.support.cli import run_cli
from torrentstack.config import Settings
from torrentstack.services import CATALOGUE, Shared


def test_the_token_is_generated_once_and_printed(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("TORRENTSTACK_PATHS__DATA_DIR", str(tmp_path))
    code, first, _ = run_cli(capsys, "debrid", "api-token")
    assert code == 0 and len(first.strip()) >= 32
    _, second, _ = run_cli(capsys, "debrid", "api-token")
    assert first == second
    assert (tmp_path / "secrets" / "debrid-api-token").stat().st_mode & 0o777 == 0o600
    monkeypatch.setenv("TORRENTSTACK_DEBRID__API_TOKEN", "y" * 40)
    _, third, _ = run_cli(capsys, "debrid", "api-token")
    assert third.strip() == "y" * 40


@pytest.mark.database
async def test_the_printed_token_opens_the_services_api(
    capsys, tmp_path, monkeypatch, debrid_database, clock
):
    monkeypatch.setenv("TORRENTSTACK_PATHS__DATA_DIR", str(tmp_path))
    _, printed, _ = run_cli(capsys, "debrid", "api-token")
    settings = Settings.model_validate({"paths": {"data_dir": str(tmp_path)}})
    service = CATALOGUE["debrid"](
        Shared(settings, debrid_database, tmp_path, clock, asyncio.Event())
    )
    # the default provider is the stack's client, which fetches what it does not have
    assert service.bridge.uncached_default("") is True  # type: ignore[attr-defined]
    assert service.bridge.uncached_default("local") is True  # type: ignore[attr-defined]
    (listener,) = await service.start(Starlette())
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=listener.app), base_url="http://localhost"
        ) as http:
            token = {"Authorization": f"Bearer {printed.strip()}"}
            assert (await http.get("/api/arrs", headers=token)).status_code == 200
            assert (await http.get("/api/arrs")).status_code == 401
    finally:
        await service.close()


def test_the_default_local_provider_fetches_what_the_client_does_not_have(tmp_path):
    from torrentstack.services import _debrid_providers

    settings = Settings.model_validate({"client": {"port": 8099}})
    (local,) = _debrid_providers(settings, tmp_path)
    assert (local.provider, local.download_uncached) == ("local", True)
    assert local.api_url == "http://127.0.0.1:8099" and local.api_key.startswith("debrid:")
    told = Settings.model_validate(
        {"debrid": {"providers": [{"provider": "local", "download_uncached": False}]}}
    )
    assert _debrid_providers(told, tmp_path)[0].download_uncached is False
    others = Settings.model_validate({"debrid": {"providers": [{"provider": "torbox"}]}})
    assert _debrid_providers(others, tmp_path)[0].download_uncached is False
