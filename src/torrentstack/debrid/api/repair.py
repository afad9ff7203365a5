"""`/api/repair*`: Decypharr 1.1.6's repair routes over `RepairJobs`, with its answers (a JSON
sentence, the jobs list, empty 200s) and errors as `{"error": message}` (400, 404, 409).

Bodies are parsed here by hand, so a malformed one is a 400 with a sentence, never a 422/500.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from torrentstack.debrid.errors import RepairConflict, RepairError, RepairJobNotFound
from torrentstack.debrid.repair import RepairJobs

MAX_BODY = 1 << 20  # bytes of a repair request's body


class _BadBody(Exception):
    """A body the route refuses with 400 and this message."""


@dataclass(frozen=True, slots=True)
class RepairRequest:
    """`POST /api/repair`: `arrName` (1.1.6: `arr`; empty: every arr), `mediaIds` (TVDB or TMDB
    ids; empty: every media), `autoProcess`, `async` (answer before the check is over)."""

    arr_name: str
    media_ids: tuple[str, ...]
    auto_process: bool
    run_async: bool

    @classmethod
    def from_json(cls, body: Any) -> RepairRequest:
        if not isinstance(body, dict):
            raise _BadBody("the body must be a JSON object")
        name = body.get("arrName", body.get("arr"))
        if name is not None and not isinstance(name, str):
            raise _BadBody("arrName must be a string")
        ids = body.get("mediaIds")
        if ids is None:
            ids = []
        if not isinstance(ids, list) or not all(_is_id(item) for item in ids):
            raise _BadBody("mediaIds must be a list of strings")
        return cls(
            arr_name=_text(name or ""),
            media_ids=tuple(_text(str(item)) for item in ids),
            auto_process=_flag(body, "autoProcess"),
            run_async=_flag(body, "async"),
        )


def _is_id(item: Any) -> bool:
    return isinstance(item, str) or (isinstance(item, int) and not isinstance(item, bool))


def _flag(body: dict[str, Any], key: str) -> bool:
    value = body.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise _BadBody(f"{key} must be true or false")
    return value


def _text(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise _BadBody("a string that is not valid Unicode text") from exc
    return value


async def _json_body(request: Request) -> Any:
    body = await request.body()
    if len(body) > MAX_BODY:
        raise _BadBody("the body is too large")
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise _BadBody("the body is not JSON") from exc


def _error(message: str, status: int) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _refused(exc: RepairError) -> JSONResponse:
    if isinstance(exc, RepairJobNotFound):
        return _error(exc.message, 404)
    if isinstance(exc, RepairConflict):
        return _error(exc.message, 409)
    return _error(exc.message, 400)


def repair_router(jobs: RepairJobs, auth: Callable[..., Any]) -> APIRouter:
    """The repair routes; every one depends on `auth`."""
    router = APIRouter(dependencies=[Depends(auth)])

    @router.post("/api/repair")
    async def start(request: Request) -> Response:
        try:
            asked = RepairRequest.from_json(await _json_body(request))
            await jobs.start(
                [asked.arr_name] if asked.arr_name else [],
                asked.media_ids,
                auto_process=asked.auto_process,
                run_async=asked.run_async,
            )
        except _BadBody as exc:
            return _error(str(exc), 400)
        except RepairError as exc:
            return _refused(exc)
        return JSONResponse("Repair process started" if asked.run_async else "Repair completed")

    @router.get("/api/repair/jobs")
    async def list_jobs() -> Response:
        return JSONResponse([job.to_json() for job in jobs.jobs()])

    @router.post("/api/repair/jobs/{job_id}/process")
    async def process(job_id: str) -> Response:
        try:
            await jobs.process(job_id)
        except RepairError as exc:
            return _refused(exc)
        return Response(status_code=200)

    @router.post("/api/repair/jobs/{job_id}/stop")
    async def stop(job_id: str) -> Response:
        try:
            await jobs.stop(job_id)
        except RepairError as exc:
            return _refused(exc)
        return Response(status_code=200)

    @router.delete("/api/repair/jobs")
    async def delete(request: Request) -> Response:
        try:
            body = await _json_body(request)
            ids = body.get("ids") if isinstance(body, dict) else None
            if ids is None:
                ids = []
            if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
                raise _BadBody("ids must be a list of job ids")
            await jobs.delete(ids)
        except _BadBody as exc:
            return _error(str(exc), 400)
        except RepairError as exc:
            return _refused(exc)
        return Response(status_code=200)

    return router
