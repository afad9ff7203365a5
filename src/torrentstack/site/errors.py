"""Every error the site answers, in one shape (h3's, as Trackarr's document fixes it):
`{"url", "statusCode", "statusMessage", "message", "data"}` — rendered here and nowhere else.

Handlers raise `SiteError` (or a subclass); FastAPI's validation errors become 400 (Trackarr
answers schema violations with 400, not FastAPI's 422); anything unexpected is a logged 500
whose body says nothing of the cause.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any, cast

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from torrentstack.errors import TorrentstackError

logger = logging.getLogger(__name__)


class SiteError(TorrentstackError):
    status = 400

    def __init__(self, message: str = "", *, data: Any = None, status: int | None = None) -> None:
        super().__init__(message)
        if status is not None:
            self.status = status
        self.message = message or HTTPStatus(self.status).phrase
        self.data = data if data is not None else {}


class InvalidRequest(SiteError):
    status = 400


class NotAuthenticated(SiteError):
    status = 401


class PermissionDenied(SiteError):
    status = 403


class Missing(SiteError):
    status = 404


class AlreadyExists(SiteError):
    status = 409


class RateLimited(SiteError):
    status = 429


def error_body(url: str, status: int, message: str, data: Any = None) -> dict[str, Any]:
    return {
        "url": url,
        "statusCode": status,
        "statusMessage": HTTPStatus(status).phrase,
        "message": message,
        "data": data if data is not None else {},
    }


def error_response(
    request: Request, status: int, message: str, data: Any = None, headers: Any = None
) -> JSONResponse:
    body = error_body(request.url.path, status, message, data)
    return JSONResponse(body, status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    """Render every error of `app` in the one shape."""

    async def site_error(request: Request, exc: Exception) -> JSONResponse:
        error = cast(SiteError, exc)
        return error_response(request, error.status, error.message, error.data)

    async def invalid(request: Request, exc: Exception) -> JSONResponse:
        issues = [
            {"path": [str(p) for p in e.get("loc", ())], "message": str(e.get("msg", ""))}
            for e in cast(RequestValidationError, exc).errors()
        ]
        return error_response(request, 400, "Validation failed", {"issues": issues})

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        error = cast(HTTPException, exc)
        message = str(error.detail) if error.detail else HTTPStatus(error.status_code).phrase
        return error_response(request, error.status_code, message, None, error.headers)

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("site: %s %s failed", request.method, request.url.path)
        return error_response(request, 500, "Internal Server Error")

    app.add_exception_handler(SiteError, site_error)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)
