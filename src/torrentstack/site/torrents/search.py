"""Torrent browse and search: the words stored in `Torrent.search_text`, and one query over the
per-dialect full-text index of migration 0005 (PostgreSQL GIN on a tsvector, SQLite FTS5) with
filters, sort and paging. Routes parse their parameters into a `TorrentQuery`; a `ValueError`
from it is a 400.

Matching is by whole words, every word of `q` must match (AND): `cat` does not find
`category` (Trackarr's `ILIKE '%cat%'` does), unless `prefix` is set, which lets the last word
match as a prefix (search as you type).

`total` is exact up to `COUNT_CAP` matches. Beyond, `total_exact` is False and `total` is
PostgreSQL's estimate (from its statistics, the planner's row count: "about 9,500"), or on
SQLite the cap ("1000+"); never less than the matches the page proves. Counting exactly means
visiting every match in the table: a common word over a million torrents costs a second (the
original's count), 10,000 matches some 50 ms, the capped count and the estimate a few.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

from sqlalchemy import (
    ClauseElement,
    ColumnElement,
    Executable,
    Select,
    bindparam,
    column,
    exists,
    func,
    literal_column,
    select,
)
from sqlalchemy import table as sql_table
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import defer
from sqlalchemy.sql.compiler import SQLCompiler

from torrentstack.site.models import Category, Tag, Torrent, TorrentTag

Sort = Literal["newest", "oldest", "name", "size", "seeders", "leechers", "snatches"]
SORTS: tuple[str, ...] = get_args(Sort)

MAX_LIMIT = 100
MAX_OFFSET = 100_000  # deeper pages would walk most of the table per request: refine instead
MAX_QUERY_CHARS = 1_000
MAX_QUERY_WORDS = 16
MAX_TAGS = 16
MAX_WORD_CHARS = 64  # longer words are cut, the same way in the stored text and in queries
MAX_SEARCH_TEXT_CHARS = 4_000
COUNT_CAP = 1_000
_MAX_INPUT_CHARS = 65_536
_MAX_ID = 2**31 - 1  # INTEGER columns; a bigger id would be a driver error, not "no match"

_ASCII_WORD = re.compile(r"[a-z0-9]+")
_WORD_CATEGORIES = frozenset("LMN")  # letters, combining marks, digits
# listings never need these, and they can be large (`info` holds every piece hash)
_HEAVY = (Torrent.info, Torrent.files, Torrent.nfo, Torrent.description)
_ORDER: dict[str, tuple[Any, ...]] = {
    "newest": (Torrent.id.desc(),),  # ids are given in upload order: newest = highest id
    "oldest": (Torrent.id.asc(),),
    "name": (Torrent.title.asc(), Torrent.id.asc()),
    "size": (Torrent.size.desc(), Torrent.id.desc()),
    "seeders": (Torrent.seeders.desc(), Torrent.id.desc()),
    "leechers": (Torrent.leechers.desc(), Torrent.id.desc()),
    "snatches": (Torrent.snatches.desc(), Torrent.id.desc()),
}
_PG_CONFIG: ColumnElement[Any] = literal_column("'simple'::regconfig")
# PostgreSQL only (migration 0005), so not mapped; a literal column adds no second FROM
_PG_VECTOR = literal_column("site_torrents.search_vector", TSVECTOR)
_FTS = sql_table("site_torrents_fts", column("rowid"))
_SEARCH_SETTINGS = sql_text(
    "SELECT set_config('plan_cache_mode', 'force_custom_plan', true), set_config('jit', 'off', true)"
)


def _split(text: str) -> list[str]:
    """The words of `text`: casefolded, NFKC, runs of letters, digits and combining marks."""
    text = text[:_MAX_INPUT_CHARS]
    if text.isascii():  # release names, nearly always: the fast path
        return _ASCII_WORD.findall(text.lower())
    text = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    kept = (c if unicodedata.category(c)[0] in _WORD_CATEGORIES else " " for c in text)
    return "".join(kept).split()


def _is_word(word: str) -> bool:
    # a run of combining marks alone is no word (and FTS5's tokenizer would find no token in it)
    return any(unicodedata.category(char)[0] in "LN" for char in word)


def search_words(*texts: str) -> str:
    """Return the normalised words of `texts` as stored in `search_text` (space-separated)."""
    words: dict[str, None] = {}
    size = 0
    for text in texts:
        for word in _split(text):
            word = word[:MAX_WORD_CHARS]
            if word in words or not _is_word(word):
                continue
            size += len(word) + (1 if words else 0)
            if size > MAX_SEARCH_TEXT_CHARS:
                return " ".join(words)
            words[word] = None
    return " ".join(words)


def _check_id(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= _MAX_ID:
        raise ValueError(f"{name}: not an id: {value!r}")


def _check_text(name: str, value: str, most: int) -> None:
    if not isinstance(value, str) or not value or len(value) > most:
        raise ValueError(f"{name}: 1 to {most} characters")
    if not value.isprintable():  # control characters, NUL, lone surrogates, ...
        raise ValueError(f"{name}: unprintable characters")


@dataclass(frozen=True, slots=True)
class TorrentQuery:
    """A browse or search request; construction checks it (ValueError: a bad request).

    `categories` are matched as given: expand subcategories with `expand_categories` first.
    `tags` must all be on a torrent. `status` None means any status.
    """

    q: str = ""
    categories: tuple[int, ...] = ()
    tags: tuple[str, ...] = ()
    uploader_id: int | None = None
    status: str | None = "accepted"
    include_deleted: bool = False
    sort: Sort = "newest"
    page: int = 1
    limit: int = 50
    prefix: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.q, str):
            raise ValueError("q: not text")
        if len(self.q) > MAX_QUERY_CHARS:
            raise ValueError(f"q: longer than {MAX_QUERY_CHARS} characters")
        if len(self.words) > MAX_QUERY_WORDS:
            raise ValueError(f"q: more than {MAX_QUERY_WORDS} words")
        for category in self.categories:
            _check_id("category", category)
        if self.uploader_id is not None:
            _check_id("uploader", self.uploader_id)
        if len(self.tags) > MAX_TAGS:
            raise ValueError(f"tags: more than {MAX_TAGS}")
        for tag in self.tags:
            _check_text("tag", tag, 64)
        if self.status is not None:
            _check_text("status", self.status, 20)
        if self.sort not in SORTS:
            raise ValueError(f"sort: one of {', '.join(SORTS)}")
        if not isinstance(self.limit, int) or not 1 <= self.limit <= MAX_LIMIT:
            raise ValueError(f"limit: 1 to {MAX_LIMIT}")
        if not isinstance(self.page, int) or self.page < 1:
            raise ValueError("page: from 1")
        if self.offset > MAX_OFFSET:
            raise ValueError(f"page: too deep (more than {MAX_OFFSET} results before it)")

    @property
    def words(self) -> list[str]:
        """The words every match must have (none: browse, or a q without a single word)."""
        return search_words(self.q).split()

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit


@dataclass(frozen=True, slots=True)
class SearchPage:
    """One page of matches. `info`, `files`, `nfo` and `description` are not loaded (they
    raise on access): fetch the torrent itself for those."""

    torrents: tuple[Torrent, ...]
    total: int  # not total_exact: an estimate, or the cap on SQLite; never below what is shown
    total_exact: bool
    page: int
    limit: int


async def expand_categories(db: AsyncSession, ids: Iterable[int]) -> tuple[int, ...]:
    """Return `ids` and the ids of all their descendants (a walk of the small category tree)."""
    children: dict[int, list[int]] = {}
    for child, parent in (await db.execute(select(Category.id, Category.parent_id))).all():
        if parent is not None:
            children.setdefault(parent, []).append(child)
    found: dict[int, None] = {}
    pending = list(ids)
    while pending:
        category = pending.pop()
        if category not in found:  # a cycle in the tree cannot loop forever
            found[category] = None
            pending.extend(children.get(category, ()))
    return tuple(sorted(found))


def _text_match(dialect: str, words: Sequence[str], prefix: bool) -> ColumnElement[bool]:
    if dialect == "postgresql":
        # each word a quoted lexeme (doubling quotes and backslashes, which words never hold),
        # all ANDed; the whole tsquery is a bound parameter, never part of the SQL
        lexemes = ["'" + w.replace("\\", "\\\\").replace("'", "''") + "'" for w in words]
        if prefix:
            lexemes[-1] += ":*"
        tsquery = func.to_tsquery(_PG_CONFIG, bindparam("tsquery", " & ".join(lexemes)))
        return _PG_VECTOR.bool_op("@@")(tsquery)
    # FTS5: each word a quoted string, so `"`, `*`, `(`, NEAR, OR, `-` in it are plain text;
    # strings side by side are ANDed
    match = " ".join('"' + w.replace('"', '""') + '"' for w in words) + ("*" if prefix else "")
    matching = sql_text("site_torrents_fts MATCH :fts").bindparams(fts=match)
    return Torrent.id.in_(select(_FTS.c.rowid).where(matching))


async def _tag_ids(db: AsyncSession, names: Iterable[str]) -> list[int] | None:
    """The ids of the tags named, or None if one of them does not exist (nothing can match)."""
    wanted = set(names)
    rows = (await db.execute(select(Tag.id, Tag.name).where(Tag.name.in_(wanted)))).all()
    return [row.id for row in rows] if len(rows) == len(wanted) else None


async def _conditions(db: AsyncSession, query: TorrentQuery) -> list[ColumnElement[bool]] | None:
    """The WHERE clause as a list (ANDed), or None when nothing can match."""
    conditions: list[ColumnElement[bool]] = []
    if query.status is not None:
        conditions.append(Torrent.status == query.status)
    if not query.include_deleted:
        conditions.append(Torrent.deleted.is_(False))
    if query.categories:
        conditions.append(Torrent.category_id.in_(query.categories))
    if query.uploader_id is not None:
        conditions.append(Torrent.uploader_id == query.uploader_id)
    if query.tags:
        tag_ids = await _tag_ids(db, query.tags)
        if tag_ids is None:
            return None
        conditions.extend(
            exists().where(TorrentTag.torrent_id == Torrent.id, TorrentTag.tag_id == tag_id)
            for tag_id in tag_ids
        )
    if query.q.strip():
        words = query.words
        if not words:  # punctuation only: no word can match it
            return None
        conditions.append(_text_match(db.get_bind().dialect.name, words, query.prefix))
    return conditions


async def _count(db: AsyncSession, conditions: list[ColumnElement[bool]], most: int) -> int:
    """The number of matches, counting no further than `most` + 1."""
    capped = select(Torrent.id).where(*conditions).limit(most + 1).subquery()
    return int(await db.scalar(select(func.count()).select_from(capped)) or 0)


class _Explain(Executable, ClauseElement):
    """`EXPLAIN (FORMAT JSON) <select>` (PostgreSQL): the plan, with the bound values."""

    inherit_cache = False

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement


@compiles(_Explain, "postgresql")
def _compile_explain(element: _Explain, compiler: SQLCompiler, **kw: Any) -> str:
    return "EXPLAIN (FORMAT JSON) " + compiler.process(element.statement, **kw)


async def _estimate(db: AsyncSession, conditions: list[ColumnElement[bool]]) -> int:
    """PostgreSQL's estimate of the number of matches (planned, not run)."""
    plan = await db.scalar(_Explain(select(Torrent.id).where(*conditions)))
    document = json.loads(plan) if isinstance(plan, str) else plan
    return int(document[0]["Plan"]["Plan Rows"])


async def search(db: AsyncSession, query: TorrentQuery) -> SearchPage:
    """Return the page of torrents `query` asks for, and how many match in all."""
    conditions = await _conditions(db, query)
    if conditions is None:
        return SearchPage((), 0, True, query.page, query.limit)
    if db.get_bind().dialect.name == "postgresql":
        # For this transaction: a prepared statement switches to a generic plan after five
        # runs, planned without knowing the words, and one plan for "1080p" (walk the newest,
        # filter) and a rare word (GIN, then sort) is slow for one of them: plan each search
        # for its words. JIT compiling costs ~25 ms whenever a plan's estimate is large.
        await db.execute(_SEARCH_SETTINGS)
    page = (
        select(Torrent)
        .options(*(defer(heavy, raiseload=True) for heavy in _HEAVY))
        .where(*conditions)
        .order_by(*_ORDER[query.sort])
        .limit(query.limit)
        .offset(query.offset)
    )
    torrents = tuple((await db.scalars(page)).all())
    found = len(torrents)
    if 0 < found < query.limit or (found == 0 and query.offset == 0):
        return SearchPage(torrents, query.offset + found, True, query.page, query.limit)
    shown = query.offset + found if found else 0  # known to match
    if shown <= COUNT_CAP:
        total = await _count(db, conditions, COUNT_CAP)
        if total <= COUNT_CAP:
            return SearchPage(torrents, total, True, query.page, query.limit)
        shown = max(shown, COUNT_CAP)
    if db.get_bind().dialect.name == "postgresql":
        shown = max(shown, await _estimate(db, conditions))
    return SearchPage(torrents, shown, False, query.page, query.limit)
