"""Upload rules: what staff allow on the site (`UploadRules`), and `check` against an upload.

Regular expressions: Python's `re` has no timeout, and a pattern with nested repetition such as
`(a+)+$` backtracks exponentially on a short string. Patterns come from staff, never from
uploaders, and are bounded here (at most `MAX_PATTERNS` of at most `MAX_PATTERN_LENGTH`
characters, each compiled when the rules are built); that limits mistakes, it cannot rule out a
catastrophic pattern. Keep them simple and anchored.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator
from pydantic.alias_generators import to_camel

from torrentstack.site.torrents.metafile import Prepared

__all__ = ["MAX_PATTERNS", "MAX_PATTERN_LENGTH", "UploadRules", "check"]

MAX_PATTERN_LENGTH = 200
MAX_PATTERNS = 50
MAX_EXTENSIONS = 200
_MAX_EXAMPLES = 5  # file names quoted in one violation

_Count = Annotated[int, Field(ge=0, strict=True)]


class UploadRules(BaseModel):
    """The site's upload rules; JSON in camelCase, unknown keys refused. Defaults allow all."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )

    max_size: _Count = 0  # bytes of content; 0 = no limit
    allowed_extensions: tuple[str, ...] = ()  # "mkv", ".MKV" or "tar.gz"; empty = any
    forbidden_extensions: tuple[str, ...] = ()
    require_nfo: StrictBool = False
    description_min_length: _Count = 0  # characters, surrounding white space not counted
    title_patterns: tuple[str, ...] = ()  # the whole title must match one; empty = any title
    forbidden_name_patterns: tuple[str, ...] = ()  # searched in the name and every file path

    @field_validator("allowed_extensions", "forbidden_extensions")
    @classmethod
    def _extensions(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(value) > MAX_EXTENSIONS:
            raise ValueError(f"at most {MAX_EXTENSIONS} extensions")
        result: dict[str, None] = {}
        for raw in value:
            ext = raw.strip().lstrip(".").lower()
            if not ext or len(ext) > 32 or any(c in ext for c in "/\\ \t\n\x00"):
                raise ValueError(f"{raw!r} is not a file extension")
            result[ext] = None
        return tuple(result)

    @field_validator("title_patterns", "forbidden_name_patterns")
    @classmethod
    def _patterns(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(value) > MAX_PATTERNS:
            raise ValueError(f"at most {MAX_PATTERNS} patterns")
        for pattern in value:
            if len(pattern) > MAX_PATTERN_LENGTH:
                raise ValueError(f"a pattern is at most {MAX_PATTERN_LENGTH} characters")
            try:
                _compiled(pattern)
            except re.error as exc:
                raise ValueError(f"{pattern!r} is not a valid regular expression: {exc}") from None
        return value


def check(
    rules: UploadRules, prepared: Prepared, *, title: str, description: str, has_nfo: bool
) -> list[str]:
    """Return what breaks the rules, one sentence per broken rule; empty when all is well."""
    violations: list[str] = []
    if rules.max_size and prepared.size > rules.max_size:
        violations.append(
            f"The content is {_size(prepared.size)}; at most {_size(rules.max_size)} is allowed."
        )
    paths = [f.path for f in prepared.files]
    if rules.allowed_extensions:
        wrong = [p for p in paths if not _has_extension(p, rules.allowed_extensions)]
        if wrong:
            allowed = ", ".join(rules.allowed_extensions)
            violations.append(
                f"Files of a type not allowed: {_examples(wrong)} (allowed: {allowed})."
            )
    if rules.forbidden_extensions:
        wrong = [p for p in paths if _has_extension(p, rules.forbidden_extensions)]
        if wrong:
            violations.append(f"Files of a forbidden type: {_examples(wrong)}.")
    if rules.require_nfo and not has_nfo:
        violations.append("An NFO is required.")
    length = len(description.strip())
    if length < rules.description_min_length:
        violations.append(
            f"The description has {length} characters; at least"
            f" {rules.description_min_length} are required."
        )
    if rules.title_patterns and not any(
        _compiled(p).fullmatch(title) for p in rules.title_patterns
    ):
        violations.append("The title does not have any of the allowed forms.")
    for pattern in rules.forbidden_name_patterns:
        regex = _compiled(pattern)
        hits = [name for name in (prepared.name, *paths) if regex.search(name)]
        if hits:
            violations.append(f"Forbidden names (pattern {pattern!r}): {_examples(hits)}.")
    return violations


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _has_extension(path: str, extensions: Iterable[str]) -> bool:
    name = path.rpartition("/")[2].lower()
    return any(name.endswith("." + ext) for ext in extensions)


def _examples(names: Sequence[str]) -> str:
    shown = ", ".join(repr(n) for n in names[:_MAX_EXAMPLES])
    more = len(names) - _MAX_EXAMPLES
    return f"{shown} and {more} more" if more > 0 else shown


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    value = n / 1024
    for unit in ("KiB", "MiB", "GiB"):
        if value < 1024:
            return f"{value:.1f} {unit} ({n} bytes)"
        value /= 1024
    return f"{value:.1f} TiB ({n} bytes)"
