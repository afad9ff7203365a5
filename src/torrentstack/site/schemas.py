"""The base of the site's request and response models: camelCase on the wire (Trackarr's
JSON), unknown request keys refused (400), and the small shapes several domains share."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


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
