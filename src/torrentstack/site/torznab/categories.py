"""The site's categories in Newznab's numbers: each category's id (its own, else its nearest
ancestor's, else 8000 Other), the caps tree, and the site categories a `cat=` list selects."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from torrentstack.site.catalog.categories import newznab_ids
from torrentstack.site.models import Category
from torrentstack.site.torznab.xml import CapsCategory

OTHER = 8000


@dataclass(frozen=True, slots=True)
class NewznabMap:
    of_category: dict[int, int]  # site category id -> Newznab id
    tree: tuple[CapsCategory, ...]

    def newznab(self, category_id: int | None) -> int:
        return OTHER if category_id is None else self.of_category.get(category_id, OTHER)

    def selecting(self, newznab_ids: tuple[int, ...]) -> tuple[int, ...]:
        """Site categories whose Newznab id is one asked for, or a child of one asked for (a
        request for 5000 takes 5030 and 5040 as Newznab defines)."""
        wanted = set(newznab_ids)
        return tuple(
            cid
            for cid, nid in self.of_category.items()
            if nid in wanted or (nid // 1000 * 1000) in wanted
        )


async def newznab_map(db: AsyncSession) -> NewznabMap:
    rows = list(await db.scalars(select(Category).order_by(Category.position, Category.name)))
    inherited = await newznab_ids(db)
    of_category = {c.id: inherited.get(c.id, OTHER) for c in rows}
    tops: dict[int, tuple[str, dict[int, str]]] = {}
    for category in rows:
        nid = of_category[category.id]
        top = nid // 1000 * 1000
        _name, subs = tops.setdefault(top, (category.name if nid == top else str(top), {}))
        if nid == top and category.parent_id is None:
            tops[top] = (category.name, subs)
        elif nid != top:
            subs.setdefault(nid, category.name)
    tree = tuple(
        CapsCategory(top, name, tuple(CapsCategory(i, n) for i, n in sorted(subs.items())))
        for top, (name, subs) in sorted(tops.items())
    )
    if not any(c.id == OTHER for c in tree):
        tree = (*tree, CapsCategory(OTHER, "Other"))
    return NewznabMap(of_category, tree)
