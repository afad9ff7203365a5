"""Which qBittorrent we answer as: its version strings and the API vocabulary that goes with them.

The default persona is 4.6.7 (WebAPI 2.9.3), the pause/resume vocabulary of the API document;
`client.persona = "5.1"` answers as 5.1.4 (WebAPI 2.11.4) with stop/start. Values from the
version map in the reference notes (`API_VERSION` at each release tag).
"""

from __future__ import annotations

from dataclasses import dataclass

# POST-only endpoints of qBittorrent 4.6 (`m_allowedMethod` in webapplication.h, release-4.6.7):
# everything that changes state. Read endpoints answer both GET and POST.
_POST_ONLY_46 = frozenset(
    {
        "app/setPreferences", "app/shutdown", "auth/login", "auth/logout",
        "rss/addFeed", "rss/addFolder", "rss/markAsRead", "rss/moveItem", "rss/refreshItem",
        "rss/removeItem", "rss/removeRule", "rss/renameRule", "rss/setFeedURL", "rss/setRule",
        "search/delete", "search/enablePlugin", "search/installPlugin", "search/start",
        "search/stop", "search/uninstallPlugin", "search/updatePlugins",
        "torrents/add", "torrents/addPeers", "torrents/addTags", "torrents/addTrackers",
        "torrents/bottomPrio", "torrents/createCategory", "torrents/createTags",
        "torrents/decreasePrio", "torrents/delete", "torrents/deleteTags", "torrents/editCategory",
        "torrents/editTracker", "torrents/filePrio", "torrents/increasePrio", "torrents/pause",
        "torrents/reannounce", "torrents/recheck", "torrents/removeCategories",
        "torrents/removeTags", "torrents/removeTrackers", "torrents/rename",
        "torrents/renameFile", "torrents/renameFolder", "torrents/resume",
        "torrents/setAutoManagement", "torrents/setCategory", "torrents/setDownloadLimit",
        "torrents/setDownloadPath", "torrents/setForceStart", "torrents/setLocation",
        "torrents/setSavePath", "torrents/setShareLimits", "torrents/setSuperSeeding",
        "torrents/setUploadLimit", "torrents/toggleFirstLastPiecePrio",
        "torrents/toggleSequentialDownload", "torrents/topPrio",
        "transfer/banPeers", "transfer/setDownloadLimit", "transfer/setSpeedLimitsMode",
        "transfer/setUploadLimit", "transfer/toggleSpeedLimitsMode",
    }
)  # fmt: skip

_POST_ONLY_51 = (_POST_ONLY_46 - {"torrents/pause", "torrents/resume"}) | {
    "torrents/stop", "torrents/start", "torrents/setSSLParameters", "torrentcreator/addTask",
    "torrentcreator/deleteTask", "app/sendTestEmail", "app/setCookies", "torrents/addWebSeeds",
    "torrents/editWebSeed", "torrents/removeWebSeeds", "torrents/setTags",
}  # fmt: skip

# Endpoints that 4.6 does not have at all (404 there): added in 5.0 and 5.1.
_ONLY_5X = frozenset(
    {
        "torrents/stop", "torrents/start", "torrents/setSSLParameters", "torrents/SSLParameters",
        "torrents/setTags",
        "torrents/addWebSeeds", "torrents/editWebSeed", "torrents/removeWebSeeds",
        "torrentcreator/addTask", "torrentcreator/status", "torrentcreator/torrentFile",
        "torrentcreator/deleteTask", "app/sendTestEmail", "app/getDirectoryContent",
        "app/cookies", "app/setCookies",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Persona:
    """One qBittorrent release as the API shows it."""

    name: str  # the `client.persona` setting: "4.6" or "5.1"
    app_version: str  # app/version, with the leading "v"
    webapi_version: str  # app/webapiVersion
    stop_vocabulary: bool  # 5.x: stop/start, stoppedUP/stoppedDL, the `stopped` add parameter
    post_only: frozenset[str]  # "scope/action" endpoints that answer 405 to GET

    def endpoint_exists(self, endpoint: str) -> bool:
        """pause/resume are gone in 5.x (404, not 405); 4.6 has none of the 5.x additions."""
        if self.stop_vocabulary:
            return endpoint not in ("torrents/pause", "torrents/resume")
        return endpoint not in _ONLY_5X


PERSONAS = {
    "4.6": Persona("4.6", "v4.6.7", "2.9.3", stop_vocabulary=False, post_only=_POST_ONLY_46),
    "5.1": Persona("5.1", "v5.1.4", "2.11.4", stop_vocabulary=True, post_only=_POST_ONLY_51),
}
