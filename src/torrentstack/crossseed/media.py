"""cross-seed's media types: what a searchee is, which decides the Torznab query and indexers.

Only the vocabulary lives here (values as cross-seed v6's `MediaType`); telling a searchee's type
from its name and files belongs with the searchee code.
"""

from __future__ import annotations

import enum


class MediaType(enum.StrEnum):
    """A searchee's kind, as cross-seed names it in logs."""

    EPISODE = "episode"
    SEASON = "pack"
    MOVIE = "movie"
    ANIME = "anime"
    VIDEO = "video"
    AUDIO = "audio"
    BOOK = "book"
    OTHER = "unknown"
