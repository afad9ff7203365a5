"""The tracker's admin API token in tests, and an in-process HTTP client for its ASGI apps."""

from __future__ import annotations

from typing import Any

import httpx

API_TOKEN = "test-admin-token"


def client_for(app: Any, ip: str = "10.1.2.3", port: int = 40000) -> httpx.AsyncClient:
    """An in-process HTTP client whose requests come from `ip`."""
    transport = httpx.ASGITransport(app=app, client=(ip, port))
    return httpx.AsyncClient(transport=transport, base_url="http://tracker.test")
