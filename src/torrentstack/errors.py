"""The root of torrentstack's errors; each package keeps its own small family.

Hierarchy::

    TorrentstackError
    ├── ConfigError                  config/: a bad key or value, with the key and the file
    │   └── BlocklistError           crossseed/blocklist.py: a cross-seed blocklist entry
    ├── DatabaseError                db/errors.py: the database failed; with the action, not the SQL
    ├── ListenError                  serving/server.py: a listener's address could not be bound
    ├── DataDirectoryInUse           data_lock.py: another process serves with this data directory
    ├── CacheError                   cache/: Redis unreachable or failing, with the operation
    ├── CreateError                  bittorrent/create.py: content or options a torrent cannot hold
    ├── TorrentFileError             cli/torrent_files.py: a .torrent file unreadable or unwritable
    ├── EngineError                  client/engine/messages.py: a command the engine refused
    │   ├── DuplicateTorrent         the torrent is already in the session
    │   └── InvalidTorrentFile       a .torrent file of an add is not one (nothing added)
    ├── InvalidPath                  client/paths.py: a path no file system takes (a NUL in it)
    ├── ApiError                     qbittorrent/errors.py: qBittorrent's API error types (500)
    │   ├── BadParams                400
    │   ├── AccessDenied             403
    │   ├── NotFound                 404
    │   ├── Conflict                 409
    │   └── BadData                  415
    │       └── NotATorrent          torrents/add: a file that is not a torrent
    ├── TorrentClientError           crossseed/clients/base.py: a client unreachable or refusing, its label
    ├── TlsError                     serving/server.py: a certificate or key a listener cannot use
    ├── MailError                    client/mail.py: the test e-mail could not be sent
    ├── FeedFetchError               client/rss/fetching.py: an RSS feed could not be downloaded
    ├── FeedParseError               client/rss/parsing.py: a document that is no usable feed
    ├── FetchError                   client/search/web.py: a search plugin's URL not downloaded
    ├── PluginFailed                 client/search/process.py: a search plugin failed, by name
    │   └── InstallError             client/search/plugins.py: a plugin refused at install
    ├── ProviderError                debrid/errors.py: a debrid service failed or refused, by provider
    │   ├── TooManyActive            it takes no more active downloads now (the item waits)
    │   ├── NotCached                it does not have the torrent and may not fetch it
    │   ├── NotFoundRemote           it no longer knows the torrent or the link
    │   └── DeliveryError            debrid/delivery.py: files not made to appear (size, mount)
    ├── LinkError                    crossseed/linking.py: a file not linked, link type and both paths
    │   └── LinkRefused              the file system refuses that link type (EXDEV, EPERM, EOPNOTSUPP)
    ├── InvalidTorrent               site/torrents/metafile.py: an upload that is no usable .torrent
    ├── LoginFailed                  site/accounts/login_flow.py: a site refused a login, HTTP status
    ├── NewznabError                 site/torznab/query.py: Newznab error code + description
    ├── TorznabError                 crossseed/torznab/errors.py: an indexer failed, by indexer name
    │   ├── IndexerUrlError          a configured Torznab URL cross-seed refuses (apikey masked)
    │   ├── TorznabXmlError          a caps or results document that is no Torznab XML
    │   ├── TorznabApiError          the indexer's Newznab `<error code= description=/>`
    │   └── IndexerUnavailable       HTTP failure, timeout or back-off, with status and retry_at
    ├── SiteError                    site/errors.py: the site's API errors (h3 shape), by status
    │   ├── InvalidRequest           400
    │   ├── NotAuthenticated         401
    │   ├── PermissionDenied         403
    │   ├── Missing                  404 (also what a hidden moderation thread answers)
    │   ├── AlreadyExists            409
    │   └── RateLimited              429
    ├── ArrError                     debrid/errors.py: a Sonarr/Radarr unreachable or refusing, by name
    ├── RepairError                  debrid/errors.py: a repair request refused (400), its message
    │   ├── RepairJobNotFound        no repair job with that id (404)
    │   └── RepairConflict           a job already running, or not in a state for that (409)
    └── FormatError                  bittorrent/: bytes that are not what they claim to be
        ├── BencodeError             bittorrent/bencode.py: with the byte offset
        ├── MetainfoError            bittorrent/metainfo.py: with the field
        ├── MagnetError              bittorrent/magnet.py
        ├── InfoHashError            bittorrent/infohash.py
        ├── EndpointError            bittorrent/announce.py: not an IP address + port
        ├── TrackerRequestError      bittorrent/tracker_http.py: with the query parameter
        └── UdpPacketError           bittorrent/tracker_udp.py: with transaction/connection id

Every class keeps the offending value as an attribute, so callers can render it in their own
protocol's format (a bencoded failure reason, a qBittorrent plain-text body, a JSON error).
"""

from __future__ import annotations


class TorrentstackError(Exception):
    """Root of every error torrentstack raises on purpose."""


class ConfigError(TorrentstackError):
    """A setting is unknown or has a bad value; `key` and `source` say which and where."""

    def __init__(self, message: str, *, key: str | None = None, source: str | None = None) -> None:
        self.key = key
        self.source = source
        super().__init__(message)


class DatabaseError(TorrentstackError):
    """The database could not be reached, opened or migrated.

    `action` is what was being done, `cause` the type name of the underlying error (see
    db/errors.py: never its text, which holds SQL and stored values).
    """

    def __init__(
        self, message: str, *, action: str | None = None, cause: str | None = None
    ) -> None:
        self.action = action
        self.cause = cause
        super().__init__(message)


class FormatError(TorrentstackError):
    """Input bytes or text are not a valid BitTorrent format; subclasses say which."""
