"""Talking to Sonarr and Radarr (API v3, `X-Api-Key`): health, commands, the media calls repair
needs (files, episodes, bulk deletes, searches), and a download's callback URL.

The only module of the bridge that calls an arr; httpx errors become `ArrError` here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

import httpx

from torrentstack.debrid.errors import ArrError

logger = logging.getLogger(__name__)

ArrKind = Literal["sonarr", "radarr"]
T = TypeVar("T")
CALLBACK_TIMEOUT = 15.0  # seconds a download's callback URL gets to answer
BATCH = 50  # ids per bulk delete or search command, as Decypharr sends them


@dataclass(frozen=True, slots=True)
class Series:
    id: int
    title: str
    tvdb_id: int


@dataclass(frozen=True, slots=True)
class EpisodeFile:
    id: int
    series_id: int
    season_number: int
    path: str
    size: int


@dataclass(frozen=True, slots=True)
class Episode:
    id: int
    episode_file_id: int  # 0: no file
    season_number: int


@dataclass(frozen=True, slots=True)
class Movie:
    id: int
    title: str
    tmdb_id: int
    file_id: int  # 0: no file
    file_path: str
    file_size: int


def guess_kind(*texts: str) -> ArrKind | None:
    """Sonarr or Radarr, as far as a name or a URL says."""
    for text in texts:
        lowered = text.lower()
        if "sonarr" in lowered:
            return "sonarr"
        if "radarr" in lowered:
            return "radarr"
    return None


def batches(ids: Iterable[int], size: int = BATCH) -> list[list[int]]:
    """`ids` without repeats (first seen kept), cut into lists of at most `size`."""
    unique = list(dict.fromkeys(ids))
    return [unique[start : start + size] for start in range(0, len(unique), size)]


def _describe(response: httpx.Response) -> str:
    if response.status_code == 401:
        return "unauthorized (check its API key)"
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("message"), str) and body["message"]:
        return str(body["message"])
    if isinstance(body, list) and body and isinstance(body[0], dict):
        message = body[0].get("errorMessage")  # a validation failure: [{propertyName, ...}]
        if isinstance(message, str) and message:
            return message
    text = response.text.strip()
    return text[:200] if text else f"HTTP {response.status_code}"


class ArrClient:
    """One Sonarr or Radarr at `host`, called with its API key (which is never logged)."""

    def __init__(self, name: str, host: str, token: str, *, timeout: float = 15) -> None:
        """An `ArrError` when `host` is no URL or `token` no header value."""
        self.name = name
        self.host = host.rstrip("/")
        self._kind: ArrKind | None = guess_kind(name, host)
        self._probed: ArrKind | None = None
        try:
            _ = urlsplit(self.host).port  # out of range: ValueError here, not OverflowError later
            self._client = httpx.AsyncClient(
                base_url=self.host + "/",
                headers={"X-Api-Key": token, "User-Agent": "torrentstack-debrid"},
                timeout=timeout,
            )
        except (httpx.InvalidURL, ValueError) as exc:  # a login's user name: any text
            raise ArrError(name, "not a usable URL, or an API key that is not ASCII") from exc

    def __repr__(self) -> str:
        return f"ArrClient({self.name!r}, {self.host!r})"

    @property
    def kind(self) -> ArrKind | None:
        """Sonarr or Radarr: from the name or host until `detect_kind` has asked the arr."""
        return self._kind

    async def __aenter__(self) -> ArrClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._client.aclose()

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return await self._client.request(method, path.lstrip("/"), **kwargs)
        except httpx.HTTPError as exc:
            raise ArrError(self.name, f"unreachable ({type(exc).__name__})") from exc

    async def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = await self._send(method, path, **kwargs)
        if response.status_code >= 400:
            raise ArrError(self.name, _describe(response), response.status_code)
        return response

    async def _json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        response = await self._call("GET", path, params=params)
        try:
            return response.json()
        except ValueError as exc:
            raise ArrError(self.name, f"{path}: an answer that is not JSON", 200) from exc

    async def _list(self, path: str, params: Mapping[str, Any] | None = None) -> list[Any]:
        body = await self._json(path, params)
        if not isinstance(body, list):
            raise ArrError(self.name, f"{path}: expected a JSON list", 200)
        return body

    async def health(self) -> bool:
        """Whether the arr takes this API key (a 404 counts: Lidarr has no v3 health)."""
        response = await self._send("GET", "api/v3/health")
        if response.status_code < 300 or response.status_code == 404:
            return True
        if response.status_code in (401, 403):
            return False
        raise ArrError(self.name, _describe(response), response.status_code)

    async def command(self, name: str, **fields: Any) -> int:
        """Run an arr command (`POST /api/v3/command`); its command id."""
        response = await self._call("POST", "api/v3/command", json={"name": name, **fields})
        try:
            body = response.json()
        except ValueError:
            body = None
        return int(body["id"]) if isinstance(body, dict) and isinstance(body.get("id"), int) else 0

    async def refresh_monitored_downloads(self) -> None:
        """Make the arr look at its download clients now (a finished item is imported at once)."""
        await self.command("RefreshMonitoredDownloads")

    async def detect_kind(self) -> ArrKind:
        """Ask the arr what it is: Radarr answers 404 to `/api/v3/series`."""
        if self._probed is None:
            response = await self._send("GET", "api/v3/series", params={"tvdbId": 0})
            if response.status_code == 404:
                self._probed = "radarr"
            elif response.status_code < 300:
                self._probed = "sonarr"
            else:
                raise ArrError(self.name, _describe(response), response.status_code)
            self._kind = self._probed
        return self._probed

    # Sonarr

    async def series(self, series_id: int) -> Series:
        """One series by Sonarr's id (an `ArrError` with status 404 when unknown)."""
        body = await self._json(f"api/v3/series/{series_id}")
        return self._parse(_series, body, "series")

    async def find_series(self, tvdb_id: str | int | None = None) -> list[Series]:
        """Every series, or those with that TVDB id."""
        params = {} if tvdb_id in (None, "") else {"tvdbId": tvdb_id}
        return [
            self._parse(_series, item, "series")
            for item in await self._list("api/v3/series", params)
        ]

    async def episode_files(self, series_id: int) -> list[EpisodeFile]:
        """The episode files of a series."""
        items = await self._list("api/v3/episodefile", {"seriesId": series_id})
        return [self._parse(_episode_file, item, "episode file") for item in items]

    async def episodes(self, series_id: int) -> list[Episode]:
        """The episodes of a series, with the file each has (0: none)."""
        items = await self._list("api/v3/episode", {"seriesId": series_id})
        return [self._parse(_episode, item, "episode") for item in items]

    async def delete_episode_files(self, file_ids: Iterable[int]) -> None:
        """Delete episode files (from the arr and its disk), 50 ids a call, each id once."""
        for batch in batches(file_ids):
            await self._call("DELETE", "api/v3/episodefile/bulk", json={"episodeFileIds": batch})

    async def search_episodes(self, episode_ids: Iterable[int]) -> None:
        """Search again for these episodes (`EpisodeSearch`), 50 a command."""
        for batch in batches(episode_ids):
            await self.command("EpisodeSearch", episodeIds=batch)

    # Radarr

    async def movie(self, movie_id: int) -> Movie:
        """One movie by Radarr's id (an `ArrError` with status 404 when unknown)."""
        return self._parse(_movie, await self._json(f"api/v3/movie/{movie_id}"), "movie")

    async def find_movies(self, tmdb_id: str | int | None = None) -> list[Movie]:
        """Every movie, or those with that TMDB id."""
        params = {} if tmdb_id in (None, "") else {"tmdbId": tmdb_id}
        return [
            self._parse(_movie, item, "movie") for item in await self._list("api/v3/movie", params)
        ]

    async def delete_movie_files(self, file_ids: Iterable[int]) -> None:
        """Delete movie files (from the arr and its disk), 50 ids a call, each id once."""
        for batch in batches(file_ids):
            await self._call("DELETE", "api/v3/moviefile/bulk", json={"movieFileIds": batch})

    async def search_movies(self, movie_ids: Iterable[int]) -> None:
        """Search again for these movies (`MoviesSearch`), 50 a command."""
        for batch in batches(movie_ids):
            await self.command("MoviesSearch", movieIds=batch)

    def _parse(self, parse: Callable[[Any], T], item: Any, what: str) -> T:
        try:
            return parse(item)
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise ArrError(self.name, f"a {what} the bridge cannot read ({exc!r})", 200) from exc


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"not an integer: {value!r}")
    return value


def _series(item: Any) -> Series:
    return Series(_int(item["id"]), str(item.get("title", "")), _int(item.get("tvdbId", 0)))


def _episode_file(item: Any) -> EpisodeFile:
    return EpisodeFile(
        id=_int(item["id"]),
        series_id=_int(item.get("seriesId", 0)),
        season_number=_int(item.get("seasonNumber", 0)),
        path=str(item.get("path") or ""),
        size=_int(item.get("size", 0)),
    )


def _episode(item: Any) -> Episode:
    return Episode(
        _int(item["id"]), _int(item.get("episodeFileId", 0)), _int(item.get("seasonNumber", 0))
    )


def _movie(item: Any) -> Movie:
    file = item.get("movieFile") or {}
    return Movie(
        id=_int(item["id"]),
        title=str(item.get("title", "")),
        tmdb_id=_int(item.get("tmdbId", 0)),
        file_id=_int(file.get("id", 0)),
        file_path=str(file.get("path") or ""),
        file_size=_int(file.get("size", 0)),
    )


def _where(url: str) -> str:
    """A URL's scheme and host only: its path or query may hold a token."""
    try:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.hostname or ''}"
    except ValueError:
        return "an invalid URL"


async def post_callback(url: str, payload: Mapping[str, Any]) -> None:
    """POST `payload` as JSON to a download's callback URL; a failure is logged, not raised."""
    try:
        _ = urlsplit(url).port  # out of range: ValueError here, not OverflowError from httpx
        async with httpx.AsyncClient(timeout=CALLBACK_TIMEOUT) as client:
            response = await client.post(url, json=dict(payload))
    except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:  # a URL httpx cannot use
        logger.warning("callback to %s failed: %s", _where(url), type(exc).__name__)
        return
    if response.status_code >= 400:
        logger.warning("callback to %s answered HTTP %s", _where(url), response.status_code)
