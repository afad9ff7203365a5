"""The WebUI listener follows its preferences (`web_ui_address`, `web_ui_port`, `use_https` and
the certificate paths) at run time, as qBittorrent's `WebUI::configure` does."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace

from torrentstack.client.log_buffer import LogBuffer
from torrentstack.client.preferences import Preferences
from torrentstack.serving.server import ALL_IPV4, Listener, ListenError, Tls, TlsError, tls_context

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Place:
    """Where and how the WebUI listens."""

    host: str
    port: int
    tls: Tls | None


def wanted_place(prefs: Preferences) -> Place:
    """The place the preferences ask for (`*` or nothing: every address, IPv6 too)."""
    address = str(prefs.get("web_ui_address") or "").strip()
    host = ALL_IPV4 if address in ("", "*") else address.strip("[]")
    tls = None
    if prefs.get("use_https"):
        tls = Tls(str(prefs.get("web_ui_https_cert_path")), str(prefs.get("web_ui_https_key_path")))
    return Place(host, int(prefs.get("web_ui_port")), tls)


class WebUiListener:
    """Moves the WebUI's listener where its preferences say; a failure is logged and the
    listener goes on as it was (HTTPS that cannot be set up falls back to HTTP, as qBittorrent)."""

    def __init__(self, prefs: Preferences, log: LogBuffer) -> None:
        self.prefs = prefs
        self.log = log
        self.listener: Listener | None = None

    async def first_place(self) -> Place:
        """Where to start: the preferences' place, HTTP if their certificate is not usable."""
        place = wanted_place(self.prefs)
        if place.tls is not None:
            try:
                await asyncio.to_thread(tls_context, place.tls)
            except TlsError as exc:
                self._https_failed(exc)
                return Place(place.host, place.port, None)
            self.log.add("info", "WebUI: HTTPS setup successful")
        return place

    async def follow(self) -> None:
        """After a preferences change: move the listener if its place changed."""
        listener = self.listener
        if listener is None or listener.mover is None:
            return
        place = wanted_place(self.prefs)
        if place.port == 0:  # any port: the one it has
            place = replace(place, port=listener.bound_port or 0)
        if place == Place(listener.host, listener.bound_port or 0, listener.tls):
            return
        try:
            await listener.move(place.host, place.port, place.tls)
        except TlsError as exc:
            self._https_failed(exc)
            place = Place(place.host, place.port, None)
            if place == Place(listener.host, listener.bound_port or 0, None):
                return
            await self._move(listener, place)
        except ListenError as exc:
            self._bind_failed(place, exc)
        else:
            if place.tls is not None:
                self.log.add("info", "WebUI: HTTPS setup successful")
            self._listening(place)

    async def _move(self, listener: Listener, place: Place) -> None:
        try:
            await listener.move(place.host, place.port, None)
        except ListenError as exc:
            self._bind_failed(place, exc)
        else:
            self._listening(place)

    def _listening(self, place: Place) -> None:
        address = str(self.prefs.get("web_ui_address"))
        self.log.add("info", f"WebUI: Now listening on IP: {address}, port: {place.port}")

    def _https_failed(self, exc: TlsError) -> None:
        logger.error("WebUI: HTTPS setup failed, fallback to HTTP (%s)", exc)
        self.log.add("critical", "WebUI: HTTPS setup failed, fallback to HTTP")

    def _bind_failed(self, place: Place, exc: ListenError) -> None:
        reason = str(exc).rsplit(": ", 1)[-1]
        message = f"WebUI: Unable to bind to IP: {place.host}, port: {place.port}. Reason: {reason}"
        logger.error("%s (still listening where it was)", message)
        self.log.add("critical", message)
