"""This machine's network interfaces for `app/networkInterfaceList` and
`app/networkInterfaceAddressList` (Linux: names from the kernel, IPv4 by ioctl, IPv6 from
/proc/net/if_inet6; elsewhere the lists are just shorter)."""

from __future__ import annotations

import contextlib
import fcntl
import ipaddress
import socket
import struct
from pathlib import Path

_SIOCGIFADDR = 0x8915


def interface_names() -> list[str]:
    try:
        return [name for _, name in socket.if_nameindex()]
    except OSError:
        return []


def addresses(interface: str = "") -> list[str]:
    """Addresses of one interface, or of all when `interface` is empty."""
    names = [interface] if interface else interface_names()
    found: list[str] = []
    for name in names:
        ipv4 = _ipv4(name)
        if ipv4:
            found.append(ipv4)
        found += _ipv6(name)
    return found


def _ipv4(name: str) -> str:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            packed = fcntl.ioctl(
                sock.fileno(), _SIOCGIFADDR, struct.pack("256s", name.encode()[:15])
            )
        except OSError:
            return ""
    return socket.inet_ntoa(packed[20:24])


def _ipv6(name: str) -> list[str]:
    out: list[str] = []
    with contextlib.suppress(OSError):
        for line in Path("/proc/net/if_inet6").read_text().splitlines():
            fields = line.split()
            if len(fields) == 6 and fields[5] == name:
                out.append(str(ipaddress.IPv6Address(bytes.fromhex(fields[0]))))
    return out
