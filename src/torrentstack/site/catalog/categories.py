"""The category tree: reading it, editing it (no cycles, at most `MAX_DEPTH` levels), deleting
a category, seeding the default tree; and the lookups other domains use
(`category_ids_with_descendants`, `newznab_ids`).

The table is small (tens of rows), so each operation loads it whole and works on the tree in
memory. Handlers commit; the functions here commit what they change themselves.

Deleting a category moves its children and its torrents up to its parent (a torrent in
Movies/HD stays a movie), or to no category when it was at the top.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from torrentstack.site.catalog.default_tree import DEFAULT_TREE, POSITION_STEP, SeedCategory
from torrentstack.site.catalog.names import derive_slug
from torrentstack.site.catalog.schemas import (
    INT32_MAX,
    CategoryCreate,
    CategoryNode,
    CategoryOut,
    CategoryPatch,
)
from torrentstack.site.errors import AlreadyExists, InvalidRequest, Missing
from torrentstack.site.models import Category, Torrent

MAX_DEPTH = 8  # levels of the tree, the top one included


class _Tree:
    """Every category, by id, and each one's children."""

    def __init__(self, rows: Iterable[Category]) -> None:
        self.by_id = {c.id: c for c in rows}
        self.children: dict[int | None, list[Category]] = defaultdict(list)
        for category in self.by_id.values():
            parent = category.parent_id if category.parent_id in self.by_id else None
            self.children[parent].append(category)

    def ancestors(self, category_id: int) -> list[int]:
        """The ids above `category_id`, nearest first."""
        found: list[int] = []
        parent = self.by_id[category_id].parent_id
        while parent is not None and parent in self.by_id and parent not in found:
            found.append(parent)
            parent = self.by_id[parent].parent_id
        return found

    def depth(self, category_id: int) -> int:
        return 1 + len(self.ancestors(category_id))

    def height(self, category_id: int) -> int:
        """Levels of the subtree at `category_id` (1: no children)."""
        levels, level, seen = 0, [category_id], {category_id}
        while level:
            levels += 1
            below = [c.id for i in level for c in self.children.get(i, ())]
            level = [i for i in below if i not in seen]
            seen.update(level)
        return levels

    def descendants(self, ids: Iterable[int]) -> set[int]:
        found: set[int] = set()
        stack = [i for i in ids if i in self.by_id]
        while stack:
            current = stack.pop()
            if current not in found:
                found.add(current)
                stack.extend(c.id for c in self.children.get(current, ()))
        return found

    def slug_taken(self, slug: str, other_than: int | None = None) -> bool:
        return any(c.slug == slug and c.id != other_than for c in self.by_id.values())


async def _tree(db: AsyncSession) -> _Tree:
    return _Tree(await db.scalars(select(Category)))


def _in_range(category_id: int) -> bool:
    return 1 <= category_id <= INT32_MAX


def out(category: Category) -> CategoryOut:
    return CategoryOut(
        id=category.id,
        name=category.name,
        slug=category.slug,
        parent_id=category.parent_id,
        newznab_id=category.newznab_id,
        position=category.position,
    )


def _ordered(rows: Iterable[Category]) -> list[Category]:
    return sorted(rows, key=lambda c: (c.position, c.name.casefold(), c.name, c.id))


async def category_tree(db: AsyncSession) -> list[CategoryNode]:
    """The top categories, each with its children, every level by position then name."""
    tree = await _tree(db)

    def node(category: Category) -> CategoryNode:
        children = [node(c) for c in _ordered(tree.children.get(category.id, ()))]
        return CategoryNode(**out(category).model_dump(), children=children)

    return [node(c) for c in _ordered(tree.children.get(None, ()))]


async def category_ids_with_descendants(db: AsyncSession, ids: Iterable[int]) -> set[int]:
    """`ids` and every category below them; ids of no category are left out."""
    return (await _tree(db)).descendants(ids)


async def newznab_ids(db: AsyncSession) -> dict[int, int]:
    """Category id -> its Newznab id: its own, else the nearest ancestor's. A category with
    none on its whole way up is not in the map."""
    tree = await _tree(db)
    found: dict[int, int] = {}
    for category in tree.by_id.values():
        chain = [category.id, *tree.ancestors(category.id)]
        own = (tree.by_id[i].newznab_id for i in chain)
        newznab_id = next((n for n in own if n is not None), None)
        if newznab_id is not None:
            found[category.id] = newznab_id
    return found


def _slug_for(tree: _Tree, name: str, parent_id: int | None) -> str:
    parent_slug = tree.by_id[parent_id].slug if parent_id is not None else None
    slug = derive_slug(name, parent_slug)
    if not slug:
        raise InvalidRequest("No slug can be made of this name: give one (a-z, 0-9, '-')")
    return slug


def _check_parent(tree: _Tree, parent_id: int, subtree_height: int = 1) -> None:
    if parent_id not in tree.by_id:
        raise InvalidRequest("Parent category does not exist", data={"parentId": parent_id})
    if tree.depth(parent_id) + subtree_height > MAX_DEPTH:
        raise InvalidRequest(f"Categories nest at most {MAX_DEPTH} levels deep")


async def _commit(db: AsyncSession, slug: str) -> None:
    """Commit; a concurrent change's conflict answers as if it had been seen first."""
    try:
        await db.commit()
    except IntegrityError:
        await db.rollback()
        if await db.scalar(select(Category.id).where(Category.slug == slug)) is not None:
            raise AlreadyExists("A category with this slug exists", data={"slug": slug}) from None
        raise InvalidRequest("Parent category does not exist") from None


async def create_category(db: AsyncSession, body: CategoryCreate) -> Category:
    tree = await _tree(db)
    if body.parent_id is not None:
        _check_parent(tree, body.parent_id)
    slug = body.slug or _slug_for(tree, body.name, body.parent_id)
    if tree.slug_taken(slug):
        raise AlreadyExists("A category with this slug exists", data={"slug": slug})
    category = Category(
        name=body.name,
        slug=slug,
        parent_id=body.parent_id,
        newznab_id=body.newznab_id,
        position=body.position,
    )
    db.add(category)
    await _commit(db, slug)
    return category


async def update_category(db: AsyncSession, category_id: int, body: CategoryPatch) -> Category:
    tree = await _tree(db)
    category = tree.by_id.get(category_id) if _in_range(category_id) else None
    if category is None:
        raise Missing("Category not found")
    changes = body.model_fields_set
    if "parent_id" in changes and body.parent_id != category.parent_id:
        if body.parent_id is not None:
            if body.parent_id == category.id or (
                body.parent_id in tree.by_id and category.id in tree.ancestors(body.parent_id)
            ):
                raise InvalidRequest("A category cannot be moved under itself")
            _check_parent(tree, body.parent_id, tree.height(category.id))
        category.parent_id = body.parent_id
    if body.name is not None:
        category.name = body.name
    if "slug" in changes:
        slug = body.slug or _slug_for(tree, category.name, category.parent_id)
        if tree.slug_taken(slug, other_than=category.id):
            raise AlreadyExists("A category with this slug exists", data={"slug": slug})
        category.slug = slug
    if "newznab_id" in changes:
        category.newznab_id = body.newznab_id
    if body.position is not None:
        category.position = body.position
    await _commit(db, category.slug)
    return category


async def delete_category(db: AsyncSession, category_id: int) -> None:
    """Delete; its children and its torrents move up to its parent (none at the top)."""
    category = await db.get(Category, category_id) if _in_range(category_id) else None
    if category is None:
        raise Missing("Category not found")
    parent_id = category.parent_id
    await db.execute(
        update(Category).where(Category.parent_id == category.id).values(parent_id=parent_id)
    )
    await db.execute(
        update(Torrent).where(Torrent.category_id == category.id).values(category_id=parent_id)
    )
    await db.delete(category)
    await db.commit()


async def seed_categories(db: AsyncSession) -> list[Category]:
    """Make the default tree's categories whose slugs do not exist yet; the new ones, in order.
    A child whose parent's slug exists goes under that existing category."""
    existing = {c.slug: c for c in await db.scalars(select(Category))}
    created: list[Category] = []

    async def make(seed: SeedCategory, parent_id: int | None, position: int) -> Category:
        found = existing.get(seed.slug)
        if found is not None:
            return found
        category = Category(
            name=seed.name,
            slug=seed.slug,
            parent_id=parent_id,
            newznab_id=seed.newznab_id,
            position=position,
        )
        db.add(category)
        await db.flush()
        created.append(category)
        return category

    try:
        for index, top in enumerate(DEFAULT_TREE, start=1):
            parent = await make(top, None, index * POSITION_STEP)
            for child_index, child in enumerate(top.children, start=1):
                await make(child, parent.id, child_index * POSITION_STEP)
        await db.commit()
    except IntegrityError:  # another seed, or a create, made one of these slugs meanwhile
        await db.rollback()
        raise AlreadyExists("Categories changed while seeding: seed again") from None
    return created
