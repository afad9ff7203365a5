"""The only package that imports libtorrent: one thread owns the session.

Everything else talks to the engine through its methods, which queue a command for the engine
thread and return a future; the thread runs commands in order, drains libtorrent's alerts
(woken by the alert fd, not by polling), and copies what they say into the plain values of
`client.status` before handing them to `on_events` (called on the engine thread: the receiver
must only hand them over, e.g. with `loop.call_soon_threadsafe`). Commands take typed values
(`messages`: `TorrentFlag`, `QueueMove`, `FilePriority`, `SessionConfig` ...) that only this
package translates to libtorrent (`params`); `handles` is what commands do to torrent handles.

Resume data is written by this thread too: every `resume_interval` seconds for each torrent
that changed, when a torrent is added or finishes, and for all of them on `close()`. Files are
replaced atomically (`<hash>.fastresume`), so a kill at any moment leaves the previous copy.
"""

from torrentstack.client.engine.messages import (
    Added,
    AddOptions,
    ContentLayout,
    DuplicateTorrent,
    EngineError,
    Event,
    FilePriority,
    Finished,
    InvalidTorrentFile,
    LogLine,
    MetadataReceived,
    Moved,
    ProxyType,
    QueueMove,
    SessionConfig,
    Source,
    StatusChanged,
    TorrentFlag,
)
from torrentstack.client.engine.params import parse_torrent
from torrentstack.client.engine.reading import library_versions
from torrentstack.client.engine.session import Engine

__all__ = [
    "AddOptions",
    "Added",
    "ContentLayout",
    "DuplicateTorrent",
    "Engine",
    "EngineError",
    "Event",
    "FilePriority",
    "Finished",
    "InvalidTorrentFile",
    "LogLine",
    "MetadataReceived",
    "Moved",
    "ProxyType",
    "QueueMove",
    "SessionConfig",
    "Source",
    "StatusChanged",
    "TorrentFlag",
    "library_versions",
    "parse_torrent",
]
