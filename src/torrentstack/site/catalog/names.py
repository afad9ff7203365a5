"""The two naming rules of the catalogue: a category's slug and a tag's normal form.

Slugs: lower-case ASCII letters and digits in runs joined by single dashes (`movies-hd`); one
derived from a name folds accents (`Séries` -> `series`), turns every other run of characters
into one dash, and under a parent is prefixed with the parent's slug (HD under Movies:
`movies-hd`), so siblings of different parents do not collide.

Tags: NFKC, trimmed, lower-case, every run of white space one dot (`Science Fiction` ->
`science.fiction`), dots not doubled nor at either end; letters, digits and `. - _ + #` only;
at most 64 characters.
"""

from __future__ import annotations

import re
import unicodedata

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
MAX_LENGTH = 64  # slugs, category names and tag names (the columns' width)
TAG_SYMBOLS = frozenset(".-_+#")

_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_SPACES = re.compile(r"\s+")
_DOTS = re.compile(r"\.{2,}")


def derive_slug(name: str, parent_slug: str | None = None) -> str:
    """The slug of `name` (under `parent_slug`); "" when the name has no ASCII letter or digit."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    own = _NOT_SLUG.sub("-", folded.lower()).strip("-")
    if not own:
        return ""
    slug = f"{parent_slug}-{own}" if parent_slug else own
    return slug[:MAX_LENGTH].rstrip("-")


def fold_tag(text: str) -> str:
    """`text` in the tags' normal form, unchecked (a search prefix may be anything)."""
    folded = _SPACES.sub(".", unicodedata.normalize("NFKC", text).strip().lower())
    return _DOTS.sub(".", folded).strip(".")


def tag_problem(name: str) -> str | None:
    """Why a folded tag name is refused, or None when it is a valid tag."""
    if not name:
        return "A tag name needs a letter or digit"
    if len(name) > MAX_LENGTH:
        return f"A tag name has at most {MAX_LENGTH} characters"
    if any(not (ch.isalnum() or ch in TAG_SYMBOLS) for ch in name):
        return "A tag name has letters, digits and . - _ + # only"
    return None
