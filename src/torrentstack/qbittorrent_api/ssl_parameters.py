"""`torrents/SSLParameters` and `torrents/setSSLParameters` (qBittorrent 5.0+)."""

from __future__ import annotations

from starlette.responses import Response

from torrentstack.qbittorrent import forms
from torrentstack.qbittorrent_api.backend_five import SslKeeper
from torrentstack.qbittorrent_api.dispatch import Call, WebApi
from torrentstack.qbittorrent_api.responses import json_body, text

_KEYS = ("ssl_certificate", "ssl_private_key", "ssl_dh_params")


def add_ssl_parameter_endpoints(api: WebApi, keeper: SslKeeper) -> None:
    async def get(call: Call) -> Response:
        return json_body(keeper.ssl_parameters(forms.single_hash(call.params)))

    async def set_(call: Call) -> Response:
        forms.require(call.params, "hash", *_KEYS)
        certificate, key, dh = (call.params[k] for k in _KEYS)
        await keeper.set_ssl_parameters(forms.single_hash(call.params), certificate, key, dh)
        return text("")

    api.add("torrents/SSLParameters", get)
    api.add("torrents/setSSLParameters", set_)
