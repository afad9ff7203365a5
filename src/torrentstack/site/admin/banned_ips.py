"""The IP banlist (`site_banned_ips`): single addresses or networks (CIDR), each with an optional
expiry; `ip_banned` is the check the app's middleware makes.

Addresses are stored in one form (`normalize`): compressed IPv6, IPv4-mapped IPv6 as IPv4, a
one-address network as the address. Networks are few; each check scans them in Python.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from torrentstack.site.errors import AlreadyExists, InvalidRequest, Missing
from torrentstack.site.models import BannedIp

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _unmapped(address: Address) -> Address:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def normalize(text: str) -> str:
    """The stored form of an address or network; ValueError when `text` is neither (or is a
    network written with host bits set, like 10.0.0.1/8)."""
    if "%" in text:  # a scope (fe80::1%eth0) means nothing to another host
        raise ValueError("scoped address")
    network = ipaddress.ip_network(text.strip(), strict=True)
    if network.num_addresses == 1:
        return str(_unmapped(network.network_address))
    return str(network)


def parse_address(text: str) -> Address | None:
    """The address `text` names (IPv4-mapped IPv6 as IPv4, without a scope), or None."""
    try:
        return _unmapped(ipaddress.ip_address(text.strip().split("%")[0]))
    except ValueError:
        return None


def _live(now: datetime) -> ColumnElement[bool]:
    return or_(BannedIp.expires_at.is_(None), BannedIp.expires_at > now)


def covers(entry: str, address: Address) -> bool:
    """Whether the banlist entry (address or network) includes `address`."""
    try:
        return address in ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return False


async def list_bans(db: AsyncSession) -> list[BannedIp]:
    """Every banlist row, newest first (expired ones too: they stay until removed)."""
    rows = await db.scalars(select(BannedIp).order_by(BannedIp.created_at.desc(), BannedIp.ip))
    return list(rows)


async def add_ban(
    db: AsyncSession, ip: str, reason: str, expires_at: datetime | None, now: datetime
) -> BannedIp:
    """Add a banlist row (not committed): InvalidRequest for a bad address or an expiry in the
    past, AlreadyExists when the address or network is listed already."""
    try:
        key = normalize(ip)
    except ValueError:
        raise InvalidRequest("Not an IP address or network (CIDR)") from None
    if expires_at is not None and expires_at <= now:
        raise InvalidRequest("expiresAt must be in the future")
    if await db.get(BannedIp, key) is not None:
        raise AlreadyExists("That address is banned already")
    row = BannedIp(ip=key, reason=reason, created_at=now, expires_at=expires_at)
    db.add(row)
    return row


async def remove_ban(db: AsyncSession, ip: str) -> str:
    """Remove the row of an address or network (not committed): its stored form; Missing when
    there is none."""
    try:
        key = normalize(ip)
    except ValueError:
        raise Missing("No such banlist entry") from None
    row = await db.get(BannedIp, key)
    if row is None:
        raise Missing("No such banlist entry")
    await db.delete(row)
    return key


async def banlist_address(
    db: AsyncSession, ip: str, reason: str, until: datetime | None, now: datetime
) -> str | None:
    """Ban the address `ip` until `until` (None: for good), lengthening an existing row's ban
    if it ends sooner; the stored form, or None when `ip` is no address. Not committed."""
    address = parse_address(ip)
    if address is None:
        return None
    key = str(address)
    row = await db.get(BannedIp, key)
    if row is None:
        db.add(BannedIp(ip=key, reason=reason, created_at=now, expires_at=until))
    elif row.expires_at is not None and (until is None or until > row.expires_at):
        row.expires_at = until
    return key
