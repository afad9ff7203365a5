from collections.abc import Callable, Iterator

from torrentstack.tracker.swarm import AnnounceOutcome, Peer, SwarmCounts

HAVE_MMSG: int
MAX_NUMWANT: int  # the fast path's reply buffers hold this many peers at most

def seed(key: bytes, /) -> None: ...
def configure(
    *,
    peer: type[Peer],
    counts: type[SwarmCounts],
    outcome: type[AnnounceOutcome],
    events: tuple[int, ...],
    event_completed: int,
    event_stopped: int,
    peer_id_length: int,
    announce_size: int,
    action_announce: int,
    action_scrape: int,
    max_scrape_hashes: int,
    bucket_seconds: int,
    buckets_accepted: int,
) -> None: ...

class Swarm:
    downloaded: int
    def __init__(self, downloaded: int = 0) -> None: ...
    @property
    def complete(self) -> int: ...
    @property
    def incomplete(self) -> int: ...
    def counts(self) -> SwarmCounts: ...
    def __len__(self) -> int: ...
    def peers(self) -> Iterator[Peer]: ...
    def announce(self, peer: Peer, numwant: int, *, both_families: bool) -> AnnounceOutcome: ...
    def merge(self, other: object, /) -> None: ...
    def expire(self, cutoff: float, /) -> int: ...

class UdpFastPath:
    def __init__(
        self,
        swarms: dict[bytes, object],
        aliases: dict[bytes, bytes],
        checked: dict[bytes, tuple[int, int]],
        completed_lookup: Callable[[bytes], int],
        recorded_completed: Callable[[bytes], int],
        on_completed: Callable[[bytes], None],
        *,
        interval: int,
        numwant_default: int,
        numwant_max: int,
        max_scrape: int,
    ) -> None: ...
    def answer(
        self, data: bytes, address: bytes, now: float, whitelist: set[bytes] | None, /
    ) -> bytes | None: ...
    def serve(
        self, fd: int, now: float, whitelist: set[bytes] | None, /
    ) -> tuple[int, list[tuple[bytes, bytes]], tuple[int, int, int, int]]: ...
