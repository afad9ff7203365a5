"""cross-seed's `torrentClients` entries: `<kind>:[readonly:]<url>` parsed into a `ClientEntry`.

Forms (credentials percent-encoded in the URL, as cross-seed requires):

- `qbittorrent:http://user:pass@host:8080`
- `transmission:http://user:pass@host:9091/transmission/rpc`
- `deluge:rpc://user:pass@host:58846`: deluged's daemon RPC (an account of its `auth` file).
  cross-seed talks to deluge-web's JSON API (`http://:pass@host:8112/json`); torrentstack talks
  to the daemon itself, so a `/json` URL is refused with a hint.

`readonly` goes after the kind as cross-seed writes it (`qbittorrent:readonly:http://...`); a
leading `readonly:` is accepted too.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass

from torrentstack.errors import ConfigError

KINDS = ("qbittorrent", "transmission", "deluge")
_ENTRY = re.compile(r"^(?:(?P<pre>readonly):)?(?P<kind>[a-z]+):(?:(?P<ro>readonly):)?(?P<url>.*)$")
_KEY = "crossseed.torrent_clients"
DELUGE_DAEMON_PORT = 58846


@dataclass(frozen=True, slots=True)
class ClientEntry:
    """One parsed entry. `url` has no credentials; `label` is what logs and searchees show."""

    kind: str
    url: str
    username: str
    password: str
    readonly: bool
    host: str
    port: int
    path: str
    scheme: str

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.url}"

    def __repr__(self) -> str:  # never the password
        return f"ClientEntry({self.label!r}, readonly={self.readonly})"


def parse_client_entry(text: str) -> ClientEntry:
    """Parse `<kind>:[readonly:]<url>`; ConfigError (without the password) when it is not one."""
    match = _ENTRY.match(text.strip())
    if match is None or match["kind"] not in KINDS:
        kind = match["kind"] if match else text.split(":", 1)[0]
        raise ConfigError(
            f"unknown torrent client kind {kind!r}: expected one of {', '.join(KINDS)}", key=_KEY
        )
    kind, raw = match["kind"], match["url"]
    parts = urllib.parse.urlsplit(raw)
    if not parts.scheme or not parts.hostname:
        raise ConfigError(f"{kind}: not a URL with a host: {_redact(raw)!r}", key=_KEY)
    try:
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"{kind}: bad port in {_redact(raw)!r}", key=_KEY) from exc
    path = parts.path.rstrip("/")
    if kind == "deluge" and path.endswith("/json"):
        raise ConfigError(
            "deluge: torrentstack talks to deluged's daemon RPC, not deluge-web's JSON API: use "
            "deluge:rpc://USER:PASSWORD@HOST:58846 with an account of deluged's auth file",
            key=_KEY,
        )
    if port is None:
        port = {"https": 443, "rpc": DELUGE_DAEMON_PORT}.get(parts.scheme, 80)
        if kind == "deluge":
            port = DELUGE_DAEMON_PORT
    host = parts.hostname
    netloc = f"[{host}]" if ":" in host else host
    clean = urllib.parse.urlunsplit((parts.scheme, f"{netloc}:{port}", path, "", ""))
    return ClientEntry(
        kind=kind,
        url=clean,
        username=urllib.parse.unquote(parts.username or ""),
        password=urllib.parse.unquote(parts.password or ""),
        readonly=bool(match["pre"] or match["ro"]),
        host=host,
        port=port,
        path=path,
        scheme=parts.scheme,
    )


def _redact(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return urllib.parse.urlunsplit((parts.scheme, f"{parts.username}:***@{netloc}", *parts[2:]))
