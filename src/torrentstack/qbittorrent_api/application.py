"""The `app/*` endpoints: version, webapiVersion, buildInfo, defaultSavePath, shutdown,
preferences and setPreferences (a JSON object in the `json` form field; unknown keys ignored)."""

from __future__ import annotations

import asyncio
import json

from starlette.background import BackgroundTask
from starlette.responses import Response

from torrentstack.qbittorrent import forms
from torrentstack.qbittorrent.errors import BadParams
from torrentstack.qbittorrent_api import network_interfaces as interfaces
from torrentstack.qbittorrent_api.backend import Application
from torrentstack.qbittorrent_api.dispatch import Call, WebApi
from torrentstack.qbittorrent_api.responses import json_body, text


def add_application_endpoints(api: WebApi, application: Application) -> None:
    persona = api.persona

    async def version(_call: Call) -> Response:
        return text(persona.app_version)

    async def webapi_version(_call: Call) -> Response:
        return text(persona.webapi_version)

    async def build_info(_call: Call) -> Response:
        return json_body(application.build_info())

    async def default_save_path(_call: Call) -> Response:
        return text(application.default_save_path())

    async def shutdown(_call: Call) -> Response:
        async def stop_soon() -> None:
            await asyncio.sleep(0)
            application.shutdown()

        reply = text("")
        reply.background = BackgroundTask(stop_soon)
        return reply

    async def preferences(_call: Call) -> Response:
        return json_body(application.preferences())

    async def set_preferences(call: Call) -> Response:
        forms.require(call.params, "json")
        try:
            values = json.loads(call.params["json"])
        except (ValueError, RecursionError):  # also too deep, or an int past the digit limit
            raise BadParams("'json' is not valid JSON") from None
        if not isinstance(values, dict):
            raise BadParams("'json' must be a JSON object")
        await application.set_preferences(values)
        return text("")

    async def network_interfaces(_call: Call) -> Response:
        names = await asyncio.to_thread(interfaces.interface_names)
        return json_body([{"name": name, "value": name} for name in names])

    async def network_addresses(call: Call) -> Response:
        found = await asyncio.to_thread(interfaces.addresses, call.params.get("iface", ""))
        return json_body(found)

    api.add("app/networkInterfaceList", network_interfaces)
    api.add("app/networkInterfaceAddressList", network_addresses)
    api.add("app/preferences", preferences)
    api.add("app/setPreferences", set_preferences)
    api.add("app/version", version)
    api.add("app/webapiVersion", webapi_version)
    api.add("app/buildInfo", build_info)
    api.add("app/defaultSavePath", default_save_path)
    api.add("app/shutdown", shutdown)
