"""The default category tree `POST /api/admin/categories/seed` makes, with the standard Newznab
category ids (the Newznab/Torznab list Sonarr, Radarr, Prowlarr and Jackett share).

Decisions: no XXX (6000) — many private trackers carry none, and an operator who wants it adds
it in one call; "Software" has no id of its own and inherits PC's 4000 (Newznab has no generic
software subcategory). Slugs are the ones `names.derive_slug` gives (children under their
parent's). Positions step by 10 so an operator can slot a category between two.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SeedCategory:
    name: str
    slug: str
    newznab_id: int | None
    children: tuple[SeedCategory, ...] = ()


def _children(parent: str, *rows: tuple[str, str, int | None]) -> tuple[SeedCategory, ...]:
    return tuple(SeedCategory(name, f"{parent}-{slug}", nz) for name, slug, nz in rows)


DEFAULT_TREE: tuple[SeedCategory, ...] = (
    SeedCategory(
        "Movies",
        "movies",
        2000,
        _children(
            "movies",
            ("SD", "sd", 2030),
            ("HD", "hd", 2040),
            ("UHD", "uhd", 2045),
            ("BluRay", "bluray", 2050),
            ("3D", "3d", 2060),
        ),
    ),
    SeedCategory(
        "TV",
        "tv",
        5000,
        _children(
            "tv",
            ("SD", "sd", 5030),
            ("HD", "hd", 5040),
            ("UHD", "uhd", 5045),
            ("Sport", "sport", 5060),
            ("Anime", "anime", 5070),
            ("Documentary", "documentary", 5080),
        ),
    ),
    SeedCategory(
        "Audio",
        "audio",
        3000,
        _children(
            "audio",
            ("MP3", "mp3", 3010),
            ("Audiobook", "audiobook", 3030),
            ("Lossless", "lossless", 3040),
        ),
    ),
    SeedCategory(
        "PC",
        "pc",
        4000,
        _children("pc", ("Software", "software", None), ("Games", "games", 4050)),
    ),
    SeedCategory(
        "Books",
        "books",
        7000,
        _children("books", ("Ebook", "ebook", 7020), ("Comics", "comics", 7030)),
    ),
    SeedCategory("Other", "other", 8000),
)

POSITION_STEP = 10
