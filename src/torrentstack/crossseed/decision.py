"""cross-seed's vocabulary: decisions, match modes and action results (names as the original's)."""

from __future__ import annotations

import enum


class Decision(enum.StrEnum):
    """Why a candidate is or is not a cross-seed of a searchee."""

    MATCH = "MATCH"
    MATCH_SIZE_ONLY = "MATCH_SIZE_ONLY"
    MATCH_PARTIAL = "MATCH_PARTIAL"
    FUZZY_SIZE_MISMATCH = "FUZZY_SIZE_MISMATCH"
    SIZE_MISMATCH = "SIZE_MISMATCH"
    PARTIAL_SIZE_MISMATCH = "PARTIAL_SIZE_MISMATCH"
    NO_DOWNLOAD_LINK = "NO_DOWNLOAD_LINK"
    DOWNLOAD_FAILED = "DOWNLOAD_FAILED"
    MAGNET_LINK = "MAGNET_LINK"
    RATE_LIMITED = "RATE_LIMITED"
    SAME_INFO_HASH = "SAME_INFO_HASH"
    INFO_HASH_ALREADY_EXISTS = "INFO_HASH_ALREADY_EXISTS"
    FILE_TREE_MISMATCH = "FILE_TREE_MISMATCH"
    RELEASE_GROUP_MISMATCH = "RELEASE_GROUP_MISMATCH"
    BLOCKED_RELEASE = "BLOCKED_RELEASE"
    PROPER_REPACK_MISMATCH = "PROPER_REPACK_MISMATCH"
    RESOLUTION_MISMATCH = "RESOLUTION_MISMATCH"
    SOURCE_MISMATCH = "SOURCE_MISMATCH"

    @property
    def is_match(self) -> bool:
        return self in _MATCHES


_MATCHES = frozenset({Decision.MATCH, Decision.MATCH_SIZE_ONLY, Decision.MATCH_PARTIAL})


class MatchMode(enum.StrEnum):
    """How loose a match may be; `safe` and `risky` are the original's legacy names."""

    STRICT = "strict"
    FLEXIBLE = "flexible"
    PARTIAL = "partial"

    @classmethod
    def parse(cls, text: str) -> MatchMode:
        legacy = {"safe": cls.STRICT, "risky": cls.FLEXIBLE}
        key = text.strip().lower()
        return legacy.get(key) or cls(key)


class ActionResult(enum.StrEnum):
    """What an action (save or inject) did with a matched candidate."""

    INJECTED = "INJECTED"
    SAVED = "SAVED"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    TORRENT_NOT_COMPLETE = "TORRENT_NOT_COMPLETE"
    FAILURE = "FAILURE"
