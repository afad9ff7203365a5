"""The library index: what an announced name pairs with (cross-seed's rule), replacing and
removing entries, the size window, the unparsed-name fallback."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from torrentstack.crossseed.library import Library, name_keys
from torrentstack.crossseed.searchee import Searchee, files_of

GIB = 1 << 30


def _s(
    name: str, size: int = GIB, info_hash: str | None = None, path: str | None = None
) -> Searchee:
    h = (
        info_hash
        if info_hash is not None or path is not None
        else f"{abs(hash((name, size))):040x}"[:40]
    )
    return Searchee(name=name, files=files_of([(f"{name}.mkv", size)]), info_hash=h, path=path)


def _names(found: list[Searchee]) -> set[str]:
    return {s.name for s in found}


def test_pairs_by_element_and_close_key_titles():
    lib = Library()
    lib.add(_s("Show.Name.S01E05.1080p.WEB-DL-GRP"))
    lib.add(_s("Shw.Name.S01E05.720p.HDTV-X"))  # one edit away: within a third of the key
    lib.add(_s("Show.Name.S01E06.1080p.WEB-DL-GRP"))  # another episode
    lib.add(_s("Completely.Different.S01E05.1080p-GRP"))
    found = _names(lib.similar("Show Name S01E05 2160p WEB-DL-OTHER"))
    assert found == {"Show.Name.S01E05.1080p.WEB-DL-GRP", "Shw.Name.S01E05.720p.HDTV-X"}


def test_a_size_reads_only_the_fuzzy_window():
    lib = Library()
    lib.add(_s("Movie.Title.2019.1080p.BluRay.x264-GRP", 10 * GIB))
    lib.add(_s("Movie.Title.2019.2160p.BluRay.x265-GRP", 30 * GIB))
    found = lib.similar("Movie.Title.2019.1080p.WEB-DL-OTHER", size=int(10.1 * GIB))
    assert _names(found) == {"Movie.Title.2019.1080p.BluRay.x264-GRP"}
    assert len(lib.similar("Movie.Title.2019.1080p.WEB-DL-OTHER")) == 2  # no size: by name


def test_unparsed_names_fall_back_to_the_whole_name_within_the_size():
    lib = Library()
    lib.add(_s("Some Random Upload Name", 5 * GIB))
    assert _names(lib.similar("Some Random Upload Nam", size=5 * GIB)) == {
        "Some Random Upload Name"
    }
    assert lib.similar("Some Random Upload Nam") == []  # no size, no keys: nothing to go by
    assert lib.similar("Some Random Upload Nam", size=9 * GIB) == []


def test_add_replaces_the_same_info_hash_and_remove_forgets():
    lib = Library()
    first = lib.add(_s("Show.S01E01.1080p-GRP", info_hash="a" * 40))
    lib.add(_s("Show.S01E01.1080p-GRP", 2 * GIB, info_hash="a" * 40))
    assert len(lib) == 1
    assert lib.by_info_hash("A" * 40).length == 2 * GIB  # type: ignore[union-attr]
    lib.remove(first)  # already replaced: nothing happens
    assert len(lib) == 1
    (only,) = [i for i, s in enumerate(lib._entries) if s is not None]
    lib.remove(only)
    assert len(lib) == 0
    assert lib.similar("Show.S01E01.1080p-OTHER", size=2 * GIB) == []
    assert lib.info_hashes() == set()


def test_replace_keeps_unchanged_entries_and_drops_the_rest():
    lib = Library()
    a, b = _s("A.Show.S01E01-G", info_hash="a" * 40), _s("B.Show.S01E01-G", info_hash="b" * 40)
    lib.replace([a, b])
    kept = lib._by_hash["a" * 40]
    c = _s("C.Show.S01E01-G", path="/data/C.Show.S01E01-G.mkv")
    lib.replace([a, c])
    assert lib._by_hash["a" * 40] == kept
    assert {s.name for s in lib} == {"A.Show.S01E01-G", "C.Show.S01E01-G"}
    assert lib.by_path("/data/C.Show.S01E01-G.mkv") == c
    assert lib.by_info_hash("b" * 40) is None


def test_many_replacements_compact_the_ids():
    lib = Library()
    for round_ in range(3):
        lib.replace(
            _s(f"Show{round_}.S01E{i:02d}-G", info_hash=f"{round_}{i:039d}") for i in range(600)
        )
    assert len(lib) == 600
    assert len(lib._entries) <= 2 * 600 + 1024


names = st.from_regex(
    r"[A-Z][a-z]{2,8}(\.[A-Z][a-z]{2,8}){0,3}\.S0[1-9]E0[1-9]\.1080p-GRP", fullmatch=True
)


@settings(max_examples=20, deadline=None)
@given(
    st.lists(st.tuples(names, st.integers(GIB, 5 * GIB)), min_size=1, max_size=25),
    names,
    st.integers(GIB, 5 * GIB),
)
def test_the_index_finds_what_a_linear_scan_finds(entries, query, size):
    """The index gives the same searchees as cross-seed's scan of every one (within the size)."""
    lib = Library()
    for i, (name, length) in enumerate(entries):
        lib.add(_s(name, length, info_hash=f"{i:040x}"))
    keys = name_keys(query)
    assert keys is not None
    expected = set()
    for s in lib:
        other = name_keys(s.title)
        if (
            other is None
            or other.element != keys.element
            or not 0.98 * s.length <= size <= 1.02 * s.length
        ):
            continue
        limit = (
            min(min(len(k) for k in keys.key_titles), min(len(k) for k in other.key_titles)) // 3
        )
        from rapidfuzz.distance import Levenshtein

        if any(
            Levenshtein.distance(a, b) <= limit for a in keys.key_titles for b in other.key_titles
        ):
            expected.add(s.info_hash)
    assert {s.info_hash for s in lib.similar(query, size=size)} == expected


def test_the_window_holds_exactly_what_the_fuzzy_size_check_accepts():
    lib = Library()
    lib.add(_s("Movie.Name.2020.1080p-GRP", 1_000_000_000))
    for size, found in ((1_020_000_000, 1), (1_020_000_001, 0), (980_000_000, 1), (979_999_999, 0)):
        assert len(lib.similar("Movie.Name.2020.720p-OTHER", size=size)) == found, size
