"""The base of the site's request and response models: camelCase on the wire (Trackarr's
JSON), unknown request keys refused (400), no NUL character in a path or a JSON body (400),
and the small shapes several domains share."""

from __future__ import annotations

import contextlib
from typing import Any

from fastapi import Request
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from torrentstack.site.errors import InvalidRequest

# PostgreSQL's text can neither store nor compare a NUL character (an error, a 500), SQLite
# keeps one: no text the site takes has a use for it. `refuse_nul` refuses it in paths and
# JSON bodies; query parameters and form fields are each route's (search text containing one
# matches nothing, Torznab answers its own error, others refuse it with `NO_NUL`).
NO_NUL = r"^[^\x00]*$"


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


async def refuse_nul(request: Request) -> None:
    """Every route's first dependency: a NUL in a path parameter or a JSON body is a 400."""
    texts: list[Any] = list(request.path_params.values())
    kind = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if kind == "application/json" or kind.endswith("+json"):
        with contextlib.suppress(ValueError):  # not JSON: the route's own validation answers
            texts.append(await request.json())  # the copy FastAPI parsed (it keeps one)
    if _holds_nul(texts):
        raise InvalidRequest("Text may not contain a NUL character")


class ApiModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class Ok(ApiModel):
    success: bool = True
    message: str = ""


class Page(ApiModel):
    page: int
    limit: int
    total: int


PageNumber = Field(default=1, ge=1, le=100_000)
PageLimit = Field(default=25, ge=1, le=100)
