"""What goes into the engine and what comes out: inputs, events, refusals (no libtorrent here)."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from torrentstack.client.status import Metadata, TorrentStatus
from torrentstack.errors import TorrentstackError


class EngineError(TorrentstackError):
    """A command the engine refused: invalid torrent, unknown hash, bad file index ..."""


class DuplicateTorrent(EngineError):
    """The torrent is already in the session."""


class InvalidTorrentFile(EngineError):
    """One of the .torrent files of an add is not one; nothing of that add was added."""

    def __init__(self, index: int, reason: str) -> None:
        super().__init__(reason)
        self.index = index  # among the items of the add


# --- events (engine thread -> receiver) ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StatusChanged:
    statuses: tuple[TorrentStatus, ...]


@dataclass(frozen=True, slots=True)
class MetadataReceived:
    hash: str
    metadata: Metadata


@dataclass(frozen=True, slots=True)
class Finished:
    hash: str


@dataclass(frozen=True, slots=True)
class Moved:
    hash: str
    save_path: str


@dataclass(frozen=True, slots=True)
class LogLine:
    level: str  # "info", "warning", "critical"
    message: str


Event = StatusChanged | MetadataReceived | Finished | Moved | LogLine


# --- inputs --------------------------------------------------------------------------------------


class TorrentFlag(enum.Enum):
    """A per-torrent switch the engine sets or clears (it knows libtorrent's flag for each)."""

    SEQUENTIAL_DOWNLOAD = enum.auto()
    SUPER_SEEDING = enum.auto()


class FilePriority(enum.IntEnum):
    """A file's download priority, in qBittorrent's numbers (the engine maps libtorrent's)."""

    SKIP = 0
    NORMAL = 1
    HIGH = 6
    MAXIMUM = 7


class ProxyType(enum.Enum):
    """The kind of proxy the session connects through."""

    NONE = enum.auto()
    SOCKS4 = enum.auto()
    SOCKS5 = enum.auto()
    SOCKS5_PW = enum.auto()
    HTTP = enum.auto()
    HTTP_PW = enum.auto()


class ContentLayout(enum.Enum):
    """How a torrent's files are laid out under its save path (qBittorrent's content layout)."""

    ORIGINAL = enum.auto()  # as the torrent says
    SUBFOLDER = enum.auto()  # under one folder: a single file gets one named after it
    NO_SUBFOLDER = enum.auto()  # the torrent's root folder stripped


class QueueMove(enum.Enum):
    """Where `queue` moves torrents in the download queue."""

    TOP = enum.auto()
    BOTTOM = enum.auto()
    UP = enum.auto()
    DOWN = enum.auto()


@dataclass(frozen=True, slots=True)
class Source:
    """A torrent to add: the bytes of a .torrent file, a magnet URI or a resume-data blob."""

    torrent: bytes = b""
    magnet: str = ""
    resume: bytes = b""


@dataclass(frozen=True, slots=True)
class AddOptions:
    save_path: str
    stopped: bool = False
    forced: bool = False
    auto_managed: bool = True
    skip_checking: bool = False
    sequential: bool = False
    first_last: bool = False
    upload_limit: int = 0
    download_limit: int = 0
    name: str = ""  # rename (a magnet's display name until metadata)
    file_priorities: tuple[FilePriority, ...] = ()
    layout: ContentLayout = ContentLayout.ORIGINAL  # of a .torrent file's files (not magnets)
    top_of_queue: bool = False


@dataclass(frozen=True, slots=True)
class SessionConfig:
    """The libtorrent side of the preferences."""

    listen_interfaces: str = "0.0.0.0:6881,[::]:6881"
    outgoing_interfaces: str = ""  # a device or address; "" any
    dht: bool = True
    lsd: bool = True
    pex: bool = True
    upnp: bool = False
    encryption: int = 0  # qBittorrent's: 0 prefer, 1 require, 2 disable
    anonymous_mode: bool = False
    download_rate_limit: int = 0  # bytes/s, 0 unlimited
    upload_rate_limit: int = 0
    queueing: bool = True
    max_active_downloads: int = 3
    max_active_uploads: int = 3
    max_active_torrents: int = 5
    dont_count_slow_torrents: bool = False
    max_connections: int = 500
    max_uploads: int = 20
    proxy_type: ProxyType = ProxyType.NONE
    proxy_hostname: str = ""
    proxy_port: int = 8080
    proxy_username: str = ""
    proxy_password: str = ""
    proxy_peer_connections: bool = False
    proxy_hostnames: bool = True
    announce_to_all_trackers: bool = False
    announce_to_all_tiers: bool = True
    user_agent: str = "qBittorrent/4.6.7"
    peer_fingerprint: str = "-qB4670-"
    allow_multiple_connections_per_ip: bool = True
    banned_ips: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Added:
    """A torrent the session took; its status comes with the next update (within a second)."""

    hash: str
    metadata: Metadata | None
