"""An indexer's Torznab URL as cross-seed users write it: `http://host/.../api?apikey=KEY`.

cross-seed's `validateTorznabUrls` rules: the path must end in `/api` and the query must carry
an `apikey`. Requests go to the URL without its query, with `apikey` and the Torznab params.
The key is a secret: `str()` and every message show the URL with `apikey=***`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit, urlunsplit

from torrentstack.crossseed.torznab.errors import IndexerUrlError
from torrentstack.log import redact


@dataclass(frozen=True, slots=True)
class IndexerUrl:
    """A validated Torznab URL: `base` (scheme, host, path; no query) and its `apikey`."""

    base: str
    apikey: str = field(repr=False)

    @classmethod
    def parse(cls, url: str) -> IndexerUrl:
        """Validate a configured URL; IndexerUrlError says what is wrong with it."""
        shown = redact(url.strip())
        try:
            parts = urlsplit(url.strip())
            host = parts.hostname
            _ = parts.port  # raises ValueError for a port out of range
        except ValueError as exc:
            raise IndexerUrlError("is not a valid URL", url=shown) from exc
        if parts.scheme.lower() not in ("http", "https") or not host:
            raise IndexerUrlError("must be an http:// or https:// URL with a host", url=shown)
        if not parts.path.endswith("/api"):
            raise IndexerUrlError("must have a path ending in /api", url=shown)
        keys = [k for k in parse_qs(parts.query, keep_blank_values=True).get("apikey", []) if k]
        if not keys:
            raise IndexerUrlError("does not specify an apikey", url=shown)
        base = urlunsplit((parts.scheme.lower(), parts.netloc, parts.path, "", ""))
        return cls(base=base, apikey=keys[0])

    def __str__(self) -> str:
        return f"{redact(self.base)}?apikey=***"
