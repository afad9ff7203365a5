"""The `app/*` endpoints of this slice: version, webapiVersion, buildInfo, defaultSavePath, shutdown.

Preferences (`app/preferences`, `app/setPreferences`) come with the engine slice.
"""

from __future__ import annotations

import asyncio

from starlette.background import BackgroundTask
from starlette.responses import Response

from torrentstack.webapi.backend import Backend
from torrentstack.webapi.dispatch import Call, WebApi
from torrentstack.webapi.responses import json_body, text


def add_application_endpoints(api: WebApi, backend: Backend) -> None:
    persona = api.persona

    async def version(_call: Call) -> Response:
        return text(persona.app_version)

    async def webapi_version(_call: Call) -> Response:
        return text(persona.webapi_version)

    async def build_info(_call: Call) -> Response:
        return json_body(backend.build_info())

    async def default_save_path(_call: Call) -> Response:
        return text(backend.default_save_path())

    async def shutdown(_call: Call) -> Response:
        async def stop_soon() -> None:
            await asyncio.sleep(0)
            backend.shutdown()

        reply = text("")
        reply.background = BackgroundTask(stop_soon)
        return reply

    api.add("app/version", version)
    api.add("app/webapiVersion", webapi_version)
    api.add("app/buildInfo", build_info)
    api.add("app/defaultSavePath", default_save_path)
    api.add("app/shutdown", shutdown)
