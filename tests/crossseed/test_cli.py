"""`torrentstack crossseed diff | api-key | search` as a user runs them."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from tests.crossseed import oracle
from tests.crossseed.oracle import decide
from tests.support.cli import assert_one_line_error, run_cli
from tests.support.torznab_server import torznab_server
from torrentstack.bittorrent.metainfo import parse
from torrentstack.cli.torrent_builder import CreateOptions, build_torrent
from torrentstack.crossseed.decide import decide_pair
from torrentstack.crossseed.searchee import Metafile

NAME = "The.Show.S01.1080p.WEB-DL.DDP5.1.H.264-GRP"
EPISODES = {f"The.Show.S01E0{i}.1080p.WEB-DL.DDP5.1.H.264-GRP.mkv": 40_000 + i for i in (1, 2, 3)}


def _torrent(root: Path, files: dict[str, int], *, source: str, name: str = NAME) -> bytes:
    base = root / name
    for rel, size in files.items():
        (base / rel).parent.mkdir(parents=True, exist_ok=True)
        (base / rel).write_bytes(bytes((len(rel) + i) % 251 for i in range(size)))
    options = CreateOptions(version="v1", piece_length=16384, source=source, creation_date=0)
    return build_torrent(base, options)


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    mine = tmp_path / "mine.torrent"
    theirs = tmp_path / "theirs.torrent"
    mine.write_bytes(_torrent(tmp_path / "a", EPISODES, source="A"))
    theirs.write_bytes(_torrent(tmp_path / "b", EPISODES, source="B"))
    return mine, theirs


def test_diff_says_match_and_why(capsys, pair):
    code, out, _ = run_cli(capsys, "crossseed", "diff", str(pair[0]), str(pair[1]))
    assert code == 0
    assert out.startswith("MATCH: ")


def test_diff_json(capsys, pair):
    code, out, _ = run_cli(capsys, "crossseed", "diff", str(pair[0]), str(pair[1]), "--json")
    assert code == 0
    answer = json.loads(out)
    assert answer["decision"] == "MATCH"
    assert answer["reason"]
    assert answer["candidate"]["infoHash"] != answer["searchee"]["infoHash"]


def test_diff_of_a_torrent_with_itself(capsys, pair):
    _, out, _ = run_cli(capsys, "crossseed", "diff", str(pair[0]), str(pair[0]))
    assert out.startswith("SAME_INFO_HASH")


def test_diff_match_modes(capsys, tmp_path):
    renamed = {k.replace("The.Show", "the_show"): v for k, v in EPISODES.items()}
    mine = tmp_path / "mine.torrent"
    theirs = tmp_path / "theirs.torrent"
    mine.write_bytes(_torrent(tmp_path / "a", EPISODES, source="A"))
    theirs.write_bytes(_torrent(tmp_path / "b", renamed, source="B"))
    results = {}
    for mode in ("strict", "flexible", "partial"):
        code, out, _ = run_cli(
            capsys, "crossseed", "diff", str(mine), str(theirs), "--match-mode", mode, "--json"
        )
        assert code == 0
        results[mode] = json.loads(out)["decision"]
    assert results == {
        "strict": "FILE_TREE_MISMATCH",
        "flexible": "MATCH_SIZE_ONLY",
        "partial": "MATCH_SIZE_ONLY",
    }


def test_diff_size_and_group_checks_come_first(capsys, tmp_path):
    mine = tmp_path / "mine.torrent"
    mine.write_bytes(_torrent(tmp_path / "a", EPISODES, source="A"))
    other = NAME.replace("-GRP", "-OTHER")
    theirs = tmp_path / "theirs.torrent"
    theirs.write_bytes(_torrent(tmp_path / "b", EPISODES, source="B", name=other))
    _, out, _ = run_cli(capsys, "crossseed", "diff", str(mine), str(theirs))
    assert out.startswith("RELEASE_GROUP_MISMATCH: ")
    assert "GRP" in out and "OTHER" in out
    bigger = {**EPISODES, "extra.mkv": 500_000}
    theirs.write_bytes(_torrent(tmp_path / "c", bigger, source="B"))
    _, out, _ = run_cli(capsys, "crossseed", "diff", str(mine), str(theirs))
    assert out.startswith("FUZZY_SIZE_MISMATCH: ")


@pytest.mark.parametrize(
    "args",
    [
        ("nope.torrent", "nope2.torrent"),
        ("--match-mode", "loose"),
        ("--fuzzy-size-threshold", "3"),
    ],
)
def test_diff_bad_input_is_one_line(capsys, pair, tmp_path, args):
    if args[0].startswith("--"):
        args = (str(pair[0]), str(pair[1]), *args)
    code, _, err = run_cli(capsys, "crossseed", "diff", *args)
    assert_one_line_error(code, err)


def test_diff_of_a_file_that_is_not_a_torrent(capsys, pair, tmp_path):
    junk = tmp_path / "junk.torrent"
    junk.write_bytes(b"not bencode")
    code, _, err = run_cli(capsys, "crossseed", "diff", str(pair[0]), str(junk))
    assert_one_line_error(code, err)
    assert "junk.torrent" in err


@pytest.mark.parametrize("case", oracle.cases("decisions.json")[:60], ids=lambda c: c["id"])
def test_diff_decides_as_the_daemon(case):
    """`crossseed diff` and the daemon share one decision function: for a pair whose candidate
    is listed under its own name and size, the diff answer is the daemon's assessment."""
    meta = oracle.metafile(case["metafile"])
    searchee = oracle.searchee(case["searchee"])
    options = oracle.options(case["options"])
    listed = {**case, "candidateIsMetafile": False}
    listed["candidate"] = {**case["candidate"], "name": meta.name, "size": meta.length}
    listed["candidate"]["link"] = listed["candidate"]["link"] or "http://127.0.0.1/x"
    if listed["candidate"]["link"].endswith(("/429", "/404", "/magnet")):
        return
    existing = set(case.get("existingInfoHashes") or ())
    assert decide_pair(searchee, meta, options, existing) == decide(listed)


def test_api_key_is_generated_once_and_printed(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("TORRENTSTACK_PATHS__DATA_DIR", str(tmp_path))
    code, first, _ = run_cli(capsys, "crossseed", "api-key")
    assert code == 0
    _, second, _ = run_cli(capsys, "crossseed", "api-key")
    assert first == second and len(first.strip()) >= 24
    monkeypatch.setenv("TORRENTSTACK_CROSSSEED__API_KEY", "x" * 30)
    _, third, _ = run_cli(capsys, "crossseed", "api-key")
    assert third.strip() == "x" * 30


@pytest.mark.database
async def test_search_saves_what_the_indexer_lists(tmp_path, monkeypatch, database_settings):
    """A full search over a torrent folder, with action save: the match lands in output_dir."""
    torrents, out = tmp_path / "torrents", tmp_path / "out"
    torrents.mkdir()
    (torrents / "mine.torrent").write_bytes(_torrent(tmp_path / "a", EPISODES, source="A"))
    theirs = _torrent(tmp_path / "b", EPISODES, source="B")
    async with torznab_server() as server:
        server.add(NAME, torrent=theirs, size=sum(EPISODES.values()))
        env = {
            "TORRENTSTACK_PATHS__DATA_DIR": str(tmp_path / "state"),
            "TORRENTSTACK_DATABASE__URL": database_settings.url,
            "TORRENTSTACK_CLIENT__ENABLED": "false",
            "TORRENTSTACK_CROSSSEED__TORRENT_DIR": str(torrents),
            "TORRENTSTACK_CROSSSEED__USE_CLIENT_TORRENTS": "false",
            "TORRENTSTACK_CROSSSEED__TORZNAB": json.dumps([server.url]),
            "TORRENTSTACK_CROSSSEED__ACTION": "save",
            "TORRENTSTACK_CROSSSEED__OUTPUT_DIR": str(out),
        }
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        from torrentstack.cli import main

        def run() -> int:
            try:
                main(["crossseed", "search"])
            except SystemExit as exc:
                return int(exc.code or 0)
            return 0

        assert await asyncio.to_thread(run) == 0
    saved = list(out.glob("*.torrent"))
    assert len(saved) == 1
    meta = Metafile.from_metainfo(parse(saved[0].read_bytes()))
    assert meta.info_hash == Metafile.from_metainfo(parse(theirs)).info_hash
