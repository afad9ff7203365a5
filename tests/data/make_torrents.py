"""Regenerate the .torrent files in tests/data and libtorrent's view of them in expected.json.

Run: .venv/bin/python tests/data/make_torrents.py
Content is generated deterministically and the creation date is fixed, so a rerun with the same
libtorrent version rewrites identical files. Tests only read the outputs; this script is kept so
the data can be rebuilt or extended.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import libtorrent as lt

HERE = Path(__file__).resolve().parent
PIECE = 16 * 1024
DATE = 1_700_000_000
CREATOR = "torrentstack make_torrents.py"

# Each torrent: a root name and its files (relative path -> size in bytes).
LAYOUTS: dict[str, dict[str, int]] = {
    "single.bin": {"": 40_000},
    "v1 multi": {"a.bin": 20_000, "sub/b.txt": 5_000, "sub/deeper/c.dat": 33_000, "sub/empty": 0},
    "v2 single.bin": {"": 50_000},
    "v2 multi": {"big.bin": 40_000, "docs/readme.txt": 1_000, "docs/empty.txt": 0, "z.dat": 17},
    "hybrid multi": {"Season 01/ep1.mkv": 30_000, "Season 01/ep2.mkv": 9_000, "info.nfo": 123},
    "hybrid single.mkv": {"": 20_000},
    "private pack": {"one.flac": 12_000, "two.flac": 7_000},
    "Ünïcødé": {"日本語.txt": 3_000, "émoji 🎵/ç.txt": 2_000},
}


def _content(name: str, size: int) -> bytes:
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{name}:{counter}".encode()).digest()
        counter += 1
    return bytes(out[:size])


def _write_content(root: Path, name: str, files: dict[str, int]) -> Path:
    if list(files) == [""]:
        target = root / name
        target.write_bytes(_content(name, files[""]))
        return target
    for rel, size in files.items():
        target = root / name / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(_content(f"{name}/{rel}", size))
    return root / name


def _create(root: Path, name: str, flags: int, **extra: Any) -> bytes:
    path = _write_content(root, name, LAYOUTS[name])
    ct = lt.create_torrent(lt.list_files(str(path)), PIECE, flags)
    lt.set_piece_hashes(ct, str(root))
    ct.set_creation_date(DATE)
    ct.set_creator(CREATOR)
    for tier, urls in enumerate(extra.get("trackers", [])):
        for url in urls:
            ct.add_tracker(url, tier)
    for url in extra.get("web_seeds", []):
        ct.add_url_seed(url)
    if "comment" in extra:
        ct.set_comment(extra["comment"])
    if extra.get("private"):
        ct.set_priv(True)
    entry = ct.generate()
    if "source" in extra:
        entry[b"info"][b"source"] = extra["source"]
    return bytes(lt.bencode(entry))


def _unsorted_info(data: bytes) -> bytes:
    """Rewrite a single-file v1 torrent with its info keys in reverse order (non-canonical)."""
    top: Any = lt.bdecode(data)
    info = top[b"info"]
    body = b"".join(lt.bencode(k) + lt.bencode(info[k]) for k in sorted(info, reverse=True))
    return (
        b"d8:announce"
        + lt.bencode(top[b"announce"])
        + b"7:comment"
        + lt.bencode(b"info keys in reverse order")
        + b"4:infod"
        + body
        + b"e"
        + b"e"
    )


def _expected(data: bytes) -> dict[str, Any]:
    ti = lt.torrent_info(data)
    hashes = ti.info_hashes()
    layout = ti.layout()
    files = [
        {
            "path": layout.file_path(i),
            "size": layout.file_size(i),
            "pad": bool(layout.file_flags(i) & lt.file_storage.flag_pad_file),
        }
        for i in range(layout.num_files())
    ]
    params = lt.load_torrent_buffer(data)
    tiers: dict[int, list[str]] = {}
    for url, tier in zip(params.trackers, params.tracker_tiers, strict=True):
        tiers.setdefault(tier, []).append(url)
    return {
        "v1": hashes.v1.to_bytes().hex() if hashes.has_v1() else None,
        "v2": hashes.v2.to_bytes().hex() if hashes.has_v2() else None,
        "name": ti.name(),
        "piece_length": ti.piece_length(),
        "num_pieces": ti.num_pieces(),
        "private": ti.priv(),
        "files": files,
        "total_size": sum(f["size"] for f in files if not f["pad"]),
        "trackers": [tiers[t] for t in sorted(tiers)],
        "web_seeds": list(params.url_seeds),
        "comment": ti.comment(),
        "creator": ti.creator(),
        "creation_date": ti.creation_date(),
    }


def main() -> None:
    """Build every torrent, write it to tests/data and record libtorrent's view of it."""
    v1, v2 = lt.create_torrent.v1_only, lt.create_torrent.v2_only
    tracker = "http://tracker.example.org:6969/announce"
    built: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        built["v1-single.torrent"] = _create(
            root, "single.bin", v1, trackers=[[tracker]], comment="v1 single file"
        )
        built["v1-multi.torrent"] = _create(
            root,
            "v1 multi",
            v1,
            trackers=[[tracker, "udp://tracker.example.org:6969"], ["http://backup.example.net/a"]],
            web_seeds=["http://seed.example.org/files/"],
            comment="v1 multi file, two tiers, a web seed",
        )
        built["v2-single.torrent"] = _create(root, "v2 single.bin", v2, trackers=[[tracker]])
        built["v2-multi.torrent"] = _create(
            root, "v2 multi", v2, trackers=[[tracker]], comment="v2 only, nested, piece layers"
        )
        built["hybrid-multi.torrent"] = _create(
            root,
            "hybrid multi",
            0,
            trackers=[[tracker], ["udp://backup.example.net:1337/announce"]],
            web_seeds=["https://seed.example.org/a/", "https://seed.example.org/b/"],
            comment="hybrid v1 + v2 with pad files",
        )
        built["hybrid-single.torrent"] = _create(root, "hybrid single.mkv", 0)
        built["private.torrent"] = _create(
            root,
            "private pack",
            v1,
            trackers=[["https://private.example.org/0123456789abcdef/announce"]],
            private=True,
            source=b"TSTACK",
        )
        built["unicode.torrent"] = _create(root, "Ünïcødé", 0, comment="Ünïcødé — 日本語")
    built["unsorted-info.torrent"] = _unsorted_info(built["v1-single.torrent"])

    expected = {}
    for filename, data in built.items():
        (HERE / filename).write_bytes(data)
        expected[filename] = _expected(data)
    text = json.dumps(expected, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    (HERE / "expected.json").write_text(text, encoding="utf-8")
    total = sum(len(d) for d in built.values())
    sys.stdout.write(f"wrote {len(built)} torrents ({total:,} bytes) and expected.json\n")


if __name__ == "__main__":
    main()
