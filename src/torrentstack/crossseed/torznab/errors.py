"""The Torznab family of errors: a bad indexer URL, an unreadable document, an indexer's
Newznab `<error>`, an indexer that failed or is backing off. None holds an API key."""

from __future__ import annotations

from torrentstack.errors import TorrentstackError


class TorznabError(TorrentstackError):
    """Something went wrong talking to a Torznab indexer; `indexer` names it (never its key)."""

    def __init__(self, message: str, *, indexer: str | None = None) -> None:
        self.indexer = indexer
        super().__init__(f"{indexer}: {message}" if indexer else message)


class IndexerUrlError(TorznabError):
    """A configured indexer URL cross-seed would refuse; `url` has its apikey masked."""

    def __init__(self, message: str, *, url: str) -> None:
        self.url = url
        super().__init__(f"Torznab url {url} {message}")


class TorznabXmlError(TorznabError):
    """A response that is not the Torznab XML document it should be; `reason` says how."""

    def __init__(self, reason: str, *, indexer: str | None = None) -> None:
        self.reason = reason
        super().__init__(f"invalid Torznab XML: {reason}", indexer=indexer)


class TorznabApiError(TorznabError):
    """The indexer answered Newznab's `<error code= description=/>`."""

    def __init__(self, code: int | None, description: str, *, indexer: str | None = None) -> None:
        self.code = code
        self.description = description
        super().__init__(f"Torznab error {code}: {description}", indexer=indexer)


class IndexerUnavailable(TorznabError):
    """A request failed (HTTP `status`, or None for a network error or timeout) or was not made
    because the indexer is backing off; `retry_at` (epoch seconds) is when it may be tried."""

    def __init__(
        self,
        message: str,
        *,
        indexer: str | None = None,
        status: int | None = None,
        retry_at: float | None = None,
    ) -> None:
        self.status = status
        self.retry_at = retry_at
        super().__init__(message, indexer=indexer)
