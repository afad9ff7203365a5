"""torrentDir: .torrent files as torrent-file searchees, bad files skipped, incremental."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from torrentstack.cli.torrent_builder import CreateOptions, build_torrent
from torrentstack.crossseed.sources.torrent_dir import TorrentDir


def make_torrent(tmp_path: Path, name: str, tracker: str) -> bytes:
    content = tmp_path / "content" / name
    content.mkdir(parents=True, exist_ok=True)
    (content / f"{name}.mkv").write_bytes(name.encode() * 1000)
    (content / "info.nfo").write_bytes(b"nfo")
    options = CreateOptions(version="v1", trackers=[tracker], creation_date=0)
    return build_torrent(content, options)


def test_torrent_files_become_searchees_and_bad_ones_are_skipped(tmp_path: Path, caplog):
    folder = tmp_path / "torrents"
    folder.mkdir()
    (folder / "a.torrent").write_bytes(make_torrent(tmp_path, "Show.A", "https://t.test/a/KEY"))
    (folder / "broken.torrent").write_bytes(b"d4:infoi1ee")
    (folder / "notes.txt").write_bytes(b"not looked at")

    with caplog.at_level(logging.WARNING):
        searchees = TorrentDir(folder).scan()

    (searchee,) = searchees
    assert searchee.name == "Show.A"
    assert sorted(f.path for f in searchee.files) == ["Show.A/Show.A.mkv", "Show.A/info.nfo"]
    assert searchee.info_hash is not None and len(searchee.info_hash) == 40
    assert searchee.trackers == ("t.test",)
    assert searchee.source.value == "torrentFile"
    assert searchee.mtime == os.stat(folder / "a.torrent").st_mtime
    assert "broken.torrent" in caplog.text


async def test_indexing_is_incremental(tmp_path: Path):
    folder = tmp_path / "torrents"
    folder.mkdir()
    (folder / "a.torrent").write_bytes(make_torrent(tmp_path, "Show.A", "https://t.test/a"))
    (folder / "bad.torrent").write_bytes(b"junk")
    index = TorrentDir(folder)

    first = await index.searchees()
    assert {Path(p).name for p in index.last_parsed} == {"a.torrent", "bad.torrent"}

    again = await index.searchees()
    assert again == first and index.last_parsed == ()  # nothing changed: nothing re-read

    (folder / "b.torrent").write_bytes(make_torrent(tmp_path, "Show.B", "https://t.test/b"))
    (folder / "bad.torrent").write_bytes(make_torrent(tmp_path, "Show.C", "https://t.test/c"))
    st = os.stat(folder / "bad.torrent")
    os.utime(folder / "bad.torrent", ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    third = await index.searchees()
    assert {Path(p).name for p in index.last_parsed} == {"b.torrent", "bad.torrent"}
    assert sorted(s.name for s in third) == ["Show.A", "Show.B", "Show.C"]

    (folder / "a.torrent").unlink()
    assert sorted(s.name for s in await index.searchees()) == ["Show.B", "Show.C"]
