"""The auto-downloader's files under `<data_dir>/client/rss/`: `download_rules.json` (the rules,
as qBittorrent's file of that name) and `auto_downloaded.json` (which article of which feed each
rule took, so nothing is added twice, across restarts too). Written atomically; blocking (call
from a thread)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from torrentstack.client.kept_files import write_atomically
from torrentstack.qbittorrent.rss_rules import Rule, rule_from_json, rule_to_json

logger = logging.getLogger(__name__)

RULES_FILE = "download_rules.json"
TAKEN_FILE = "auto_downloaded.json"
MAX_TAKEN_PER_FEED = 20_000  # the oldest records go first past this


@dataclass(slots=True)
class Saved:
    rules: list[Rule] = field(default_factory=list)
    taken: dict[str, dict[str, str]] = field(default_factory=dict)  # feed URL -> id -> rule


class RulesStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def load(self) -> Saved:
        """What the files hold; a file that is missing or unreadable holds nothing (logged)."""
        rules_obj = self._read(RULES_FILE)
        rules = [
            rule_from_json(value if isinstance(value, dict) else {}, name)
            for name, value in rules_obj.items()
        ]
        taken: dict[str, dict[str, str]] = {}
        for feed, records in self._read(TAKEN_FILE).items():
            if isinstance(records, dict):
                taken[feed] = {str(k): str(v) for k, v in records.items()}
        return Saved(rules, taken)

    def save_rules(self, rules: list[Rule]) -> None:
        self._write(RULES_FILE, {rule.name: rule_to_json(rule, True) for rule in rules})

    def save_taken(self, taken: dict[str, dict[str, str]]) -> None:
        for records in taken.values():
            while len(records) > MAX_TAKEN_PER_FEED:
                del records[next(iter(records))]
        self._write(TAKEN_FILE, taken)

    def _read(self, name: str) -> dict[str, Any]:
        path = self.directory / name
        try:
            value = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            logger.warning("cannot read %s (%s); starting without it", path, exc)
            return {}
        return value if isinstance(value, dict) else {}

    def _write(self, name: str, value: object) -> None:
        text = json.dumps(value, indent=4, ensure_ascii=False) + "\n"
        write_atomically(self.directory / name, text)
