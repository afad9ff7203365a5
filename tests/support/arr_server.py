"""A loopback Sonarr or Radarr (API v3) for the bridge's tests: health, commands, seeded
series/episodes/episode files or movies, bulk deletes; 401 without the API key.

Only the calls the bridge makes; a Radarr answers 404 to Sonarr's endpoints and the reverse.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.debrid_services.serving import serve_app

Kind = Literal["sonarr", "radarr"]


@dataclass
class _File:
    id: int
    path: str
    episode_ids: list[int]
    season: int = 1
    size: int = 1024


@dataclass
class _Series:
    id: int
    title: str
    tvdb_id: int
    files: list[_File] = field(default_factory=list)
    episodes: dict[int, int] = field(default_factory=dict)  # episode id -> file id (0: none)


@dataclass
class _Movie:
    id: int
    title: str
    tmdb_id: int
    file: _File | None


class FakeArr:
    """The state of one fake arr; tests seed it and read what the bridge did."""

    def __init__(self, kind: Kind = "sonarr", api_key: str = "arr-key") -> None:
        self.kind = kind
        self.api_key = api_key
        self.url = ""
        self.series: dict[int, _Series] = {}
        self.movies: dict[int, _Movie] = {}
        self.commands: list[dict[str, Any]] = []
        self.deleted: list[list[int]] = []  # the ids of each bulk delete, in order
        self.requests: list[tuple[str, str]] = []  # (method, path) of each authorised call
        self.fail_with: int | None = None  # answer every call but health with this status

    def add_series(
        self,
        id: int,
        title: str,
        files: Sequence[tuple[int, str, Sequence[int]]] = (),
        *,
        tvdb_id: int | None = None,
        season: int = 1,
    ) -> None:
        """A series (TVDB id = `id` unless given) with `(file id, path, [episode ids])` files."""
        series = _Series(id, title, id if tvdb_id is None else tvdb_id)
        for file_id, path, episode_ids in files:
            series.files.append(_File(file_id, path, list(episode_ids), season))
            for episode_id in episode_ids:
                series.episodes[episode_id] = file_id
        self.series[id] = series

    def add_movie(
        self, id: int, title: str, file_id: int, path: str, *, tmdb_id: int | None = None
    ) -> None:
        """A movie (TMDB id = `id` unless given) with one file (file_id 0: none)."""
        file = _File(file_id, path, []) if file_id else None
        self.movies[id] = _Movie(id, title, id if tmdb_id is None else tmdb_id, file)

    def file_ids(self) -> set[int]:
        """The ids of the files the arr still has."""
        ids = {f.id for s in self.series.values() for f in s.files}
        return ids | {m.file.id for m in self.movies.values() if m.file is not None}

    def commands_named(self, name: str) -> list[dict[str, Any]]:
        return [c for c in self.commands if c.get("name") == name]

    # rendering

    def _series_json(self, s: _Series) -> dict[str, Any]:
        return {"id": s.id, "title": s.title, "tvdbId": s.tvdb_id, "path": f"/tv/{s.title}"}

    def _movie_json(self, m: _Movie) -> dict[str, Any]:
        body: dict[str, Any] = {"id": m.id, "title": m.title, "tmdbId": m.tmdb_id}
        body["hasFile"] = m.file is not None
        if m.file is not None:
            body["movieFile"] = {
                "id": m.file.id,
                "movieId": m.id,
                "path": m.file.path,
                "relativePath": m.file.path.rsplit("/", 1)[-1],
                "size": m.file.size,
            }
        return body

    # the app

    def app(self) -> Starlette:
        sonarr = [
            Route("/api/v3/series", self._list_series),
            Route("/api/v3/series/{id:int}", self._one_series),
            Route("/api/v3/episodefile", self._episode_files),
            Route("/api/v3/episode", self._episodes),
            Route("/api/v3/episodefile/bulk", self._delete_episode_files, methods=["DELETE"]),
        ]
        radarr = [
            Route("/api/v3/movie", self._list_movies),
            Route("/api/v3/movie/{id:int}", self._one_movie),
            Route("/api/v3/moviefile/bulk", self._delete_movie_files, methods=["DELETE"]),
        ]
        routes = [
            Route("/api/v3/health", self._health),
            Route("/api/v3/command", self._command, methods=["POST"]),
            *(sonarr if self.kind == "sonarr" else radarr),
        ]
        return Starlette(
            routes=routes, middleware=[Middleware(BaseHTTPMiddleware, dispatch=self._guard)]
        )

    async def _guard(self, request: Request, call_next: Any) -> Response:
        key = request.headers.get("x-api-key") or request.query_params.get("apikey")
        if key != self.api_key:
            return JSONResponse({"message": "Unauthorized"}, 401)
        self.requests.append((request.method, request.url.path))
        if self.fail_with is not None and request.url.path != "/api/v3/health":
            return JSONResponse({"message": "the fake arr fails"}, self.fail_with)
        response: Response = await call_next(request)
        return response

    async def _health(self, request: Request) -> Response:
        return JSONResponse([])

    async def _command(self, request: Request) -> Response:
        body = json.loads(await request.body())
        self.commands.append(body)
        command = {"id": len(self.commands), "name": body.get("name"), "status": "queued"}
        return JSONResponse({**command, "body": body}, 201)

    async def _list_series(self, request: Request) -> Response:
        tvdb = request.query_params.get("tvdbId")
        found = [s for s in self.series.values() if tvdb is None or str(s.tvdb_id) == tvdb]
        return JSONResponse([self._series_json(s) for s in found])

    async def _one_series(self, request: Request) -> Response:
        series = self.series.get(request.path_params["id"])
        if series is None:
            return JSONResponse({"message": "NotFound"}, 404)
        return JSONResponse(self._series_json(series))

    def _series_of(self, request: Request) -> _Series | None:
        value = request.query_params.get("seriesId", "")
        return self.series.get(int(value)) if value.isdigit() else None

    async def _episode_files(self, request: Request) -> Response:
        series = self._series_of(request)
        if series is None:
            return JSONResponse([])
        return JSONResponse(
            [
                {
                    "id": f.id,
                    "seriesId": series.id,
                    "seasonNumber": f.season,
                    "path": f.path,
                    "relativePath": f.path.rsplit("/", 1)[-1],
                    "size": f.size,
                }
                for f in series.files
            ]
        )

    async def _episodes(self, request: Request) -> Response:
        series = self._series_of(request)
        if series is None:
            return JSONResponse([])
        return JSONResponse(
            [
                {
                    "id": episode_id,
                    "seriesId": series.id,
                    "seasonNumber": 1,
                    "episodeFileId": file_id,
                    "hasFile": file_id != 0,
                }
                for episode_id, file_id in series.episodes.items()
            ]
        )

    async def _delete_episode_files(self, request: Request) -> Response:
        ids = json.loads(await request.body())["episodeFileIds"]
        self.deleted.append(ids)
        for series in self.series.values():
            series.files = [f for f in series.files if f.id not in ids]
            for episode_id, file_id in series.episodes.items():
                if file_id in ids:
                    series.episodes[episode_id] = 0
        return JSONResponse({})

    async def _list_movies(self, request: Request) -> Response:
        tmdb = request.query_params.get("tmdbId")
        found = [m for m in self.movies.values() if tmdb is None or str(m.tmdb_id) == tmdb]
        return JSONResponse([self._movie_json(m) for m in found])

    async def _one_movie(self, request: Request) -> Response:
        movie = self.movies.get(request.path_params["id"])
        if movie is None:
            return JSONResponse({"message": "NotFound"}, 404)
        return JSONResponse(self._movie_json(movie))

    async def _delete_movie_files(self, request: Request) -> Response:
        ids = json.loads(await request.body())["movieFileIds"]
        self.deleted.append(ids)
        for movie in self.movies.values():
            if movie.file is not None and movie.file.id in ids:
                movie.file = None
        return JSONResponse({})


@contextlib.asynccontextmanager
async def arr_server(kind: Kind = "sonarr", *, api_key: str = "arr-key") -> AsyncIterator[FakeArr]:
    """A `FakeArr` served on 127.0.0.1 until the block ends; `arr.url` is its base URL."""
    arr = FakeArr(kind, api_key)
    async with serve_app(arr.app(), name=f"fake-{kind}") as port:
        arr.url = f"http://127.0.0.1:{port}"
        yield arr
