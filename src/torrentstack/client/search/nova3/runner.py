"""Runs one nova3 plugin for torrentstack's client (its own harness, in a confined subprocess).

    runner.py capabilities <engines dir> <name>   -> one JSON line: name, url, categories
    runner.py search <engines dir> <name> <category> <quoted pattern>
                                                  -> result lines through novaprinter
    runner.py idle <engines dir>                  -> nothing (a search with no plugin)
Exit status 0 on success, 1 when the plugin failed (its traceback on stderr), 2 for bad arguments.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import traceback
from typing import Any

CATEGORIES = ("all", "anime", "books", "games", "movies", "music", "pictures", "software", "tv")


def _engine(engines: str, name: str) -> Any:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # novaprinter, helpers
    sys.path.insert(0, engines)
    module = importlib.import_module(name)
    return getattr(module, name)


def capabilities(engines: str, name: str) -> int:
    engine = _engine(engines, name)
    categories = sorted(str(key) for key in getattr(engine, "supported_categories", {}) or {})
    line = {
        "name": str(engine.name),
        "url": str(engine.url),
        "categories": [category for category in categories if category != "all"],
    }
    print(json.dumps(line))
    return 0


def search(engines: str, name: str, category: str, what: str) -> int:
    category = category.lower()
    if category not in CATEGORIES:
        print(f"Invalid category: {category}", file=sys.stderr)
        return 2
    engine = _engine(engines, name)()
    supported = getattr(engine, "supported_categories", None)
    if supported is None:
        engine.search(what)
    elif category in supported:
        engine.search(what, category)
    return 0


def main(argv: list[str]) -> int:
    try:
        if len(argv) == 3 and argv[1] == "idle":
            return 0
        if len(argv) == 4 and argv[1] == "capabilities":
            return capabilities(argv[2], argv[3])
        if len(argv) == 6 and argv[1] == "search":
            return search(argv[2], argv[3], argv[4], argv[5])
    except BaseException:  # whatever a plugin raises is its failure
        traceback.print_exc()
        return 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
