"""errors.py draws the tree of every `TorrentstackError` the package defines, and nothing else."""

from __future__ import annotations

import importlib
import pkgutil
import re

import torrentstack
from torrentstack import errors
from torrentstack.errors import TorrentstackError

NOT_IMPORTED = {"torrentstack.__main__"}  # runs the command line when imported
BRANCH = re.compile(r"^(?P<indent>[ │]*)[├└]── (?P<name>\w+)")


def defined_errors() -> dict[str, type[BaseException]]:
    """Every subclass of TorrentstackError in any module of the package, by name."""
    for module in pkgutil.walk_packages(torrentstack.__path__, "torrentstack."):
        if module.name not in NOT_IMPORTED:
            importlib.import_module(module.name)
    found: dict[str, type[BaseException]] = {}
    pending: list[type[BaseException]] = [TorrentstackError]
    while pending:
        cls = pending.pop()
        assert found.setdefault(cls.__name__, cls) is cls, f"two errors named {cls.__name__}"
        pending += cls.__subclasses__()
    return found


def drawn_tree() -> dict[str, str | None]:
    """Each class drawn in errors.py's docstring and the class drawn as its parent."""
    doc = errors.__doc__ or ""
    lines = doc[doc.index("    TorrentstackError\n") :].splitlines()
    parents: dict[str, str | None] = {"TorrentstackError": None}
    stack = ["TorrentstackError"]  # stack[depth] is the class drawn at that depth
    for line in lines[1:]:
        match = BRANCH.match(line.removeprefix("    "))
        if match is None:
            break
        depth = len(match["indent"]) // 4 + 1
        del stack[depth:]
        parents[match["name"]] = stack[-1]
        stack.append(match["name"])
    return parents


def test_the_drawn_tree_names_every_error_class():
    missing = set(defined_errors()) - set(drawn_tree())
    assert not missing, f"add these to the tree in errors.py's docstring: {sorted(missing)}"


def test_every_class_drawn_exists_under_the_parent_drawn():
    defined = defined_errors()
    for name, parent in drawn_tree().items():
        assert name in defined, f"errors.py draws {name}, which no module defines"
        if parent is not None:
            assert defined[parent] in defined[name].__bases__, f"{name} is not a {parent}"
