"""The debrid bridge's errors: a provider that failed or refused, by provider name; an arr
that failed; a repair request refused."""

from __future__ import annotations

from torrentstack.errors import TorrentstackError


class ProviderError(TorrentstackError):
    """A debrid service failed or refused; `message` is what it said, in the user's terms.

    `status` is the HTTP status (0 when none came back), `retryable` whether the same call may
    work later (a 429, a 5xx, a timeout).
    """

    def __init__(
        self, provider: str, message: str, *, status: int = 0, retryable: bool = False
    ) -> None:
        self.provider = provider
        self.message = message
        self.status = status
        self.retryable = retryable
        super().__init__(f"{provider}: {message}")


class TooManyActive(ProviderError):
    """The service refuses more active downloads now (Real-Debrid's 509): queue and retry."""


class NotCached(ProviderError):
    """The service does not have the torrent and was told not to fetch it."""


class NotFoundRemote(ProviderError):
    """The service no longer knows the torrent or the link (deleted there, or expired)."""


class ArrError(TorrentstackError):
    """A Sonarr/Radarr failed or refused a call; `status` is its HTTP status (0: unreachable)."""

    def __init__(self, name: str, message: str, status: int = 0) -> None:
        self.name = name
        self.message = message
        self.status = status
        super().__init__(f"{name}: {message}")


class RepairError(TorrentstackError):
    """A repair request that cannot be done as asked (an unknown arr, a bad id list)."""

    def __init__(self, message: str, *, job_id: str = "") -> None:
        self.message = message
        self.job_id = job_id
        super().__init__(message)


class RepairJobNotFound(RepairError):
    """No repair job has that id."""


class RepairConflict(RepairError):
    """The job is already running, or not in the state the action needs (process, stop)."""
