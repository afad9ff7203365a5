"""Request and response models of the category tree and the tag list."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from torrentstack.site.catalog.names import MAX_LENGTH, SLUG_PATTERN
from torrentstack.site.schemas import ApiModel

INT32_MAX = 2**31 - 1  # the id columns' range (PostgreSQL INTEGER)

CategoryName = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=MAX_LENGTH, pattern=r"^[^\x00-\x1f\x7f]*$"
    ),
]
Slug = Annotated[str, StringConstraints(max_length=MAX_LENGTH, pattern=SLUG_PATTERN)]
RowId = Annotated[int, Field(ge=1, le=INT32_MAX)]
# Newznab's standard ids are 1000-8999; Torznab's site-specific ones start at 100000
NewznabId = Annotated[int, Field(ge=1000, le=999_999)]
Position = Annotated[int, Field(ge=-1_000_000, le=1_000_000)]


class CategoryOut(ApiModel):
    id: int
    name: str
    slug: str
    parent_id: int | None
    newznab_id: int | None
    position: int


class CategoryNode(CategoryOut):
    children: list[CategoryNode] = Field(default_factory=list)


class CategoryCreate(ApiModel):
    """A new category; without a slug, one is derived from the name (and the parent's slug)."""

    name: CategoryName
    slug: Slug | None = None
    parent_id: RowId | None = None
    newznab_id: NewznabId | None = None
    position: Position = 0


class CategoryPatch(ApiModel):
    """The fields to change. `parentId: null` moves to the top, `newznabId: null` clears the
    id (the category then inherits its parent's), `slug: null` derives it again from the name;
    name and position cannot be null."""

    name: CategoryName | None = None
    slug: Slug | None = None
    parent_id: RowId | None = None
    newznab_id: NewznabId | None = None
    position: Position | None = None

    @model_validator(mode="after")
    def _required_not_null(self) -> CategoryPatch:
        for field in ("name", "position"):
            if field in self.model_fields_set and getattr(self, field) is None:
                raise ValueError(f"{field} cannot be null")
        return self


class SeedReply(ApiModel):
    success: bool = True
    created: int
    categories: list[CategoryOut]


class TagOut(ApiModel):
    id: int
    name: str
    usage_count: int = 0  # accepted, not deleted torrents that carry it


class TagCreate(ApiModel):
    """A tag; its name is stored in the normal form (see `catalog.names`)."""

    name: str = Field(min_length=1, max_length=256)
