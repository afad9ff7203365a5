"""Every test docs/api-coverage.md names exists: the file, and the function or class::method in it.

A row names tests as `tests/x.py`, `tests/x.py::test_name` (`[param ids]` are ignored), or, after
one of those, `::test_name` or a bare `test_name`, meaning the same file.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "api-coverage.md"
SPAN = re.compile(r"`([^`]+)`")
FULL = re.compile(r"^(?P<file>tests/[\w/]+\.py)(?P<names>(::\w+)*)(\[.*\])?$")
SAME_FILE = re.compile(r"^(?P<names>(::\w+)+|test_\w+)(\[.*\])?$")


@cache
def defined_in(path: Path) -> frozenset[str]:
    """`name` for each function and class of a module, `Class::method` for their methods."""
    names: set[str] = set()
    for node in ast.parse(path.read_text(), str(path)).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        if isinstance(node, ast.ClassDef):
            names |= {
                f"{node.name}::{item.name}"
                for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
            }
    return frozenset(names)


def references() -> list[tuple[int, str, str]]:
    """(line number, file, name or "") for every test the document names."""
    found: list[tuple[int, str, str]] = []
    for number, line in enumerate(DOC.read_text().splitlines(), 1):
        current: str | None = None  # the file a row named last
        for span in SPAN.findall(line):
            if match := FULL.match(span):
                current = match["file"]
                found.append((number, current, match["names"].removeprefix("::")))
            elif match := SAME_FILE.match(span):
                assert current is not None, f"line {number}: `{span}` follows no test file"
                found.append((number, current, match["names"].removeprefix("::")))
    return found


def test_the_document_names_tests():
    assert len(references()) > 50  # the parser found the tables' references


def test_every_test_named_in_api_coverage_exists():
    stale = []
    for number, file, name in references():
        path = ROOT / file
        if not path.is_file():
            stale.append(f"line {number}: {file} does not exist")
        elif name and name not in defined_in(path):
            stale.append(f"line {number}: {file} defines no {name}")
    assert not stale, "docs/api-coverage.md names tests that do not exist:\n" + "\n".join(stale)
