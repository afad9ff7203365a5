"""`/api/categories`, `/api/tags` (public) and their admin routes under `/api/admin/`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from torrentstack.site.catalog import categories, tags
from torrentstack.site.catalog.schemas import (
    CategoryCreate,
    CategoryNode,
    CategoryOut,
    CategoryPatch,
    SeedReply,
    TagCreate,
    TagOut,
)
from torrentstack.site.context import Db
from torrentstack.site.permissions import Admin
from torrentstack.site.schemas import Ok

router = APIRouter(tags=["catalog"])


@router.get("/api/categories")
async def category_tree(db: Db) -> list[CategoryNode]:
    """The category tree: the top categories, each with its `children`, by position then name."""
    return await categories.category_tree(db)


@router.post("/api/admin/categories", status_code=201)
async def create_category(body: CategoryCreate, _admin: Admin, db: Db) -> CategoryOut:
    return categories.out(await categories.create_category(db, body))


@router.post("/api/admin/categories/seed")
async def seed_categories(_admin: Admin, db: Db) -> SeedReply:
    """Make the default tree (Newznab ids); rows whose slug exists are skipped."""
    created = await categories.seed_categories(db)
    return SeedReply(created=len(created), categories=[categories.out(c) for c in created])


@router.put("/api/admin/categories/{category_id}")
async def edit_category(
    category_id: int, body: CategoryPatch, _admin: Admin, db: Db
) -> CategoryOut:
    return categories.out(await categories.update_category(db, category_id, body))


@router.delete("/api/admin/categories/{category_id}")
async def delete_category(category_id: int, _admin: Admin, db: Db) -> Ok:
    """Delete a category; its subcategories and torrents move up to its parent."""
    await categories.delete_category(db, category_id)
    return Ok(message="Category deleted")


@router.get("/api/tags")
async def tag_list(
    db: Db,
    q: Annotated[str, Query(max_length=64, description="name prefix (autocomplete)")] = "",
    limit: Annotated[int | None, Query(ge=1, le=1000)] = None,
) -> list[TagOut]:
    """Every tag by name with its usage count; `q` keeps those starting with it."""
    return await tags.list_tags(db, q, limit)


@router.post("/api/admin/tags", status_code=201)
async def create_tag(body: TagCreate, _admin: Admin, db: Db) -> TagOut:
    tag = await tags.create_tag(db, body.name)
    return TagOut(id=tag.id, name=tag.name, usage_count=0)


@router.delete("/api/admin/tags/{tag_id}")
async def delete_tag(tag_id: int, _admin: Admin, db: Db) -> Ok:
    """Delete a tag, unbinding it from every torrent in the same transaction."""
    await tags.delete_tag(db, tag_id)
    return Ok(message="Tag deleted")
