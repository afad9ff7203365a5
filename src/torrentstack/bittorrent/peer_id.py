"""Name the client behind a 20-byte peer id (Azureus, Shadow and Mainline conventions, BEP 20).

Pure lookup: never raises; an id that follows no known convention gives None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["PeerClient", "client_from_peer_id", "identify"]

# BEP 20 Azureus style: "-" + two-character client code + four version characters + "-".
_AZUREUS: dict[bytes, str] = {
    b"7T": "aTorrent",
    b"AG": "Ares",
    b"A~": "Ares",
    b"AR": "Arctic",
    b"AT": "Artemis",
    b"AV": "Avicora",
    b"AX": "BitPump",
    b"AZ": "Azureus",
    b"BB": "BitBuddy",
    b"BC": "BitComet",
    b"BE": "baretorrent",
    b"BF": "Bitflu",
    b"BG": "BTG",
    b"BI": "BiglyBT",
    b"BL": "BitBlinder",
    b"BN": "Baidu Netdisk",
    b"BP": "BitTorrent Pro",
    b"BR": "BitRocket",
    b"BS": "BTSlave",
    b"BT": "BitTorrent",
    b"BW": "BitWombat",
    b"BX": "BittorrentX",
    b"CD": "Enhanced CTorrent",
    b"CT": "CTorrent",
    b"DE": "Deluge",
    b"DP": "Propagate Data Client",
    b"EB": "EBit",
    b"ES": "electric sheep",
    b"FC": "FileCroc",
    b"FD": "Free Download Manager",
    b"FG": "FlashGet",
    b"FT": "FoxTorrent",
    b"FW": "FrostWire",
    b"FX": "Freebox BitTorrent",
    b"GS": "GSTorrent",
    b"HK": "Hekate",
    b"HL": "Halite",
    b"HM": "hMule",
    b"HN": "Hydranode",
    b"IL": "iLivid",
    b"JS": "Justseed.it client",
    b"JT": "JavaTorrent",
    b"KG": "KGet",
    b"KT": "KTorrent",
    b"LC": "LeechCraft",
    b"LH": "LH-ABC",
    b"LP": "Lphant",
    b"LT": "libtorrent (Rasterbar)",
    b"LW": "LimeWire",
    b"lt": "libtorrent (rakshasa)",
    b"MG": "MediaGet",
    b"MK": "Meerkat",
    b"MO": "MonoTorrent",
    b"MP": "MooPolice",
    b"MR": "Miro",
    b"MT": "MoonlightTorrent",
    b"NB": "Net::BitTorrent",
    b"NX": "Net Transport",
    b"OS": "OneSwarm",
    b"OT": "OmegaTorrent",
    b"PB": "Protocol::BitTorrent",
    b"PD": "Pando",
    b"PI": "PicoTorrent",
    b"QD": "QQDownload",
    b"QT": "Qt 4 Torrent example",
    b"qB": "qBittorrent",
    b"RT": "Retriever",
    b"RZ": "RezTorrent",
    b"SB": "~Swiftbit",
    b"SD": "Thunder (XunLei)",
    b"SM": "SoMud",
    b"SP": "BitSpirit",
    b"SS": "SwarmScope",
    b"ST": "SymTorrent",
    b"SZ": "Shareaza",
    b"TB": "Torch",
    b"TE": "terasaur Seed Bank",
    b"TL": "Tribler",
    b"TN": "TorrentDotNET",
    b"TR": "Transmission",
    b"TS": "Torrentstorm",
    b"TT": "TuoTu",
    b"UL": "uLeecher!",
    b"UM": "\u00b5Torrent for Mac",
    b"UT": "\u00b5Torrent",
    b"UW": "\u00b5Torrent Web",
    b"VG": "Vagaa",
    b"WD": "WebTorrent Desktop",
    b"WT": "BitLet",
    b"WW": "WebTorrent",
    b"WY": "FireTorrent",
    b"XF": "Xfplay",
    b"XL": "Xunlei",
    b"XS": "XSwifter",
    b"XT": "XanTorrent",
    b"XX": "Xtorrent",
    b"ZT": "ZipTorrent",
    b"st": "sharktorrent",
}

# Shadow style: one letter, then version characters (see `_shadow`).
_SHADOW: dict[int, str] = {
    ord("A"): "ABC",
    ord("O"): "Osprey Permaseed",
    ord("Q"): "BTQueue",
    ord("R"): "Tribler",
    ord("S"): "Shadow",
    ord("T"): "BitTornado",
    ord("U"): "UPnP NAT Bit Torrent",
}

# Mainline style: "M4-3-6--" (BitTorrent 4.3.6); Queen Bee uses the same with "Q".
_MAINLINE = re.compile(rb"([MQ])(\d{1,3})-(\d{1,3})-(\d{1,3})-")
_MAINLINE_NAMES = {b"M": "Mainline", b"Q": "Queen Bee"}
_XBT = re.compile(rb"XBT(\d)(\d)(\d)")
_OPERA = re.compile(rb"OP(\d{4})")

# One value per character, as Shadow's scheme defines it: 0-9, A-Z = 10-35, a-z = 36-61, "." 62.
_DIGITS = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz."
_VALUE = {c: i for i, c in enumerate(_DIGITS)}


@dataclass(frozen=True, slots=True)
class PeerClient:
    """A client name and, when the id encodes one, its version."""

    name: str
    version: str | None = None

    def __str__(self) -> str:
        return f"{self.name} {self.version}" if self.version else self.name


def client_from_peer_id(peer_id: bytes | bytearray | memoryview) -> str | None:
    """Return e.g. "qBittorrent 4.6.5" for b"-qB4650-...", or None if unrecognised."""
    client = identify(peer_id)
    return str(client) if client is not None else None


def identify(peer_id: bytes | bytearray | memoryview) -> PeerClient | None:
    """Recognise the client that generated `peer_id`; None when no convention fits."""
    if not isinstance(peer_id, bytes | bytearray | memoryview):
        return None
    pid = bytes(peer_id)
    return _azureus(pid) or _mainline(pid) or _shadow(pid) or _other(pid)


def _azureus(pid: bytes) -> PeerClient | None:
    if len(pid) < 8 or pid[0] != 0x2D or pid[7] != 0x2D:  # "-XXvvvv-"
        return None
    name = _AZUREUS.get(pid[1:3])
    if name is None or any(c not in _VALUE or c == 0x2E for c in pid[3:7]):
        return None
    major, minor, revision, tag = (_VALUE[c] for c in pid[3:7])
    version = f"{major}.{minor}.{revision}" + (f".{tag}" if tag else "")
    return PeerClient(name, version)


def _mainline(pid: bytes) -> PeerClient | None:
    match = _MAINLINE.match(pid[:12])
    if match is None:
        return None
    letter, *parts = match.groups()
    return PeerClient(_MAINLINE_NAMES[letter], ".".join(str(int(p)) for p in parts))


def _shadow(pid: bytes) -> PeerClient | None:
    if len(pid) < 9 or pid[0] not in _SHADOW:
        return None
    if pid[4:6] == b"--" and all(c in _VALUE for c in pid[1:4]):  # short form: "A310--"
        digits = pid[1:4]
    elif pid[6:9] == b"---":  # up to five version characters padded with "-", then "---"
        field = pid[1:6]
        digits = field.split(b"-", 1)[0]
        if field[len(digits) :].strip(b"-"):
            return None
    else:
        return None
    if not digits or any(c not in _VALUE for c in digits):
        return None
    return PeerClient(_SHADOW[pid[0]], ".".join(str(_VALUE[c]) for c in digits))


def _other(pid: bytes) -> PeerClient | None:
    if pid.startswith(b"exbc") and len(pid) >= 6:  # BitComet before it went Azureus style
        return PeerClient("BitComet", f"{pid[4]}.{pid[5]:02d}")
    if match := _XBT.match(pid):
        return PeerClient("XBT Client", ".".join(p.decode() for p in match.groups()))
    if match := _OPERA.match(pid):
        return PeerClient("Opera", match.group(1).decode())
    if pid.startswith(b"-ML") and b"-" in pid[3:12]:  # MLdonkey: "-ML2.7.2-..."
        version = pid[3 : pid.index(b"-", 3)]
        if version and all(c in b"0123456789." for c in version):
            return PeerClient("MLdonkey", version.decode())
    return None
