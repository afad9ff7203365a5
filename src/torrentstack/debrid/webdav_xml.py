"""WebDAV's XML (RFC 4918): a PROPFIND body parsed safely into a `PropQuery`, and the 207
multistatus answer built from `Resource` values. No I/O and no HTTP here (see `webdav.py`).
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import quote

from lxml import etree  # type: ignore[import-untyped]

DAV = "DAV:"
MAX_BODY = 64 * 1024  # a client's PROPFIND is a few hundred bytes; rclone's is 300
MAX_PROPS = 64  # each asked name is echoed for every entry of a listing: no amplification

# The live properties this tree has; every other asked one gets a 404 propstat.
LIVE = (
    "displayname",
    "resourcetype",
    "getcontentlength",
    "getlastmodified",
    "creationdate",
    "getcontenttype",
    "getetag",
)


@dataclass(frozen=True, slots=True)
class PropQuery:
    """What a PROPFIND asks: every live property (`allprop`), their names only (`propname`), or
    the listed `(namespace, name)` pairs."""

    kind: str  # "allprop" | "propname" | "prop"
    names: tuple[tuple[str, str], ...] = ()


ALLPROP = PropQuery("allprop")


@dataclass(frozen=True, slots=True)
class Malformed:
    """A PROPFIND body refused (answered 400), with why."""

    reason: str


@dataclass(frozen=True, slots=True)
class Resource:
    """One entry of a listing: `href` already percent-encoded (collections end with `/`)."""

    href: str
    name: str
    collection: bool
    size: int
    modified: datetime

    @property
    def utc_modified(self) -> datetime:
        modified = self.modified
        return modified.replace(tzinfo=UTC) if modified.tzinfo is None else modified.astimezone(UTC)

    @property
    def content_type(self) -> str:
        return content_type(self.name)

    @property
    def etag(self) -> str:
        token = f"{self.href}\0{self.size}\0{self.utc_modified.timestamp()}".encode()
        return f'"{hashlib.sha256(token).hexdigest()[:24]}"'


def _parser() -> Any:
    # no entity expansion (billion laughs), no DTD or network fetch (XXE), no huge text nodes
    return etree.XMLParser(
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_propfind(body: bytes) -> PropQuery | Malformed:
    """What a PROPFIND body asks; an empty body asks for all properties (RFC 4918 9.1)."""
    if not body.strip():
        return ALLPROP
    if len(body) > MAX_BODY:
        return Malformed(f"body over {MAX_BODY} bytes")
    try:
        root = etree.fromstring(body, _parser())
    except (etree.XMLSyntaxError, ValueError) as exc:
        return Malformed(f"not XML: {str(exc)[:100]}")
    if root.getroottree().docinfo.doctype:
        return Malformed("a DTD is not allowed")  # entities could only come from one
    if root.tag != f"{{{DAV}}}propfind":
        return Malformed("the root element is not DAV:propfind")
    children = [child for child in root if isinstance(child.tag, str)]
    kinds = [child for child in children if child.tag in _KINDS]
    if len(kinds) != 1:
        return Malformed("expected one of allprop, propname or prop")
    kind = _KINDS[kinds[0].tag]
    if kind != "prop":
        return PropQuery(kind)
    names: dict[tuple[str, str], None] = {}
    for prop in kinds[0]:
        if not isinstance(prop.tag, str):
            return Malformed("an entity or a non-element in prop")
        qname = etree.QName(prop)
        names[(qname.namespace or "", qname.localname)] = None
    if not names or len(names) > MAX_PROPS:
        return Malformed(f"prop must name 1 to {MAX_PROPS} properties")
    return PropQuery("prop", tuple(names))


_KINDS = {f"{{{DAV}}}{kind}": kind for kind in ("allprop", "propname", "prop")}


def multistatus(resources: Sequence[Resource], query: PropQuery) -> bytes:
    """The 207 body answering `query` for each resource."""
    root = etree.Element(_d("multistatus"), nsmap={"D": DAV})
    for resource in resources:
        response = etree.SubElement(root, _d("response"))
        etree.SubElement(response, _d("href")).text = resource.href
        values = _live(resource)
        if query.kind == "prop":
            found = [name for name in query.names if name[0] == DAV and name[1] in values]
            missing = [name for name in query.names if name not in found]
        else:
            found, missing = [(DAV, name) for name in LIVE if name in values], []
        if found:
            prop = _propstat(response, "200 OK")
            for _, name in found:
                element = etree.SubElement(prop, _d(name))
                if query.kind == "propname":
                    continue
                if name != "resourcetype":
                    element.text = values[name]
                elif resource.collection:
                    etree.SubElement(element, _d("collection"))
        if missing:
            prop = _propstat(response, "404 Not Found")
            for namespace, name in missing:
                etree.SubElement(prop, f"{{{namespace}}}{name}" if namespace else name)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8"))


def finite_depth_error() -> bytes:
    """The 403 body refusing `Depth: infinity` (RFC 4918 9.1, `propfind-finite-depth`)."""
    root = etree.Element(_d("error"), nsmap={"D": DAV})
    etree.SubElement(root, _d("propfind-finite-depth"))
    return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8"))


def _propstat(response: Any, status: str) -> Any:
    propstat = etree.SubElement(response, _d("propstat"))
    prop = etree.SubElement(propstat, _d("prop"))
    etree.SubElement(propstat, _d("status")).text = f"HTTP/1.1 {status}"
    return prop


def _live(resource: Resource) -> dict[str, str]:
    """The live properties `resource` has, as text (`resourcetype` is built apart)."""
    modified = resource.utc_modified
    values = {
        "displayname": xml_text(resource.name),
        "resourcetype": "",
        "getlastmodified": format_datetime(modified, usegmt=True),  # RFC 1123
        "creationdate": modified.strftime("%Y-%m-%dT%H:%M:%SZ"),  # RFC 3339
    }
    if not resource.collection:  # folders have no length, type or etag here, as in Decypharr
        values["getcontentlength"] = str(resource.size)
        values["getcontenttype"] = resource.content_type
        values["getetag"] = resource.etag
    return values


def _d(name: str) -> str:
    return f"{{{DAV}}}{name}"


# XML 1.0 cannot carry these; a name holding one is shown with U+FFFD in its displayname
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """`text` with the characters XML 1.0 cannot hold replaced."""
    return _NOT_XML.sub("\ufffd", text)


def href(segments: Sequence[str], *, collection: bool) -> str:
    """The percent-encoded path of `segments` (each one a name), `/` after a collection's."""
    path = "/".join(quote(segment, safe="", errors="replace") for segment in segments)
    return f"/{path}/" if collection else f"/{path}"


_TYPES = mimetypes.MimeTypes()  # the built-in table only, not this machine's /etc/mime.types
for _extension, _type in {
    ".mkv": "video/x-matroska",
    ".m4v": "video/x-m4v",
    ".ts": "video/mp2t",
    ".srt": "application/x-subrip",
    ".vtt": "text/vtt",
    ".nfo": "text/plain",
}.items():
    _TYPES.add_type(_type, _extension)


def content_type(name: str) -> str:
    """The media type served for a file named `name`."""
    guessed, _ = _TYPES.guess_type(name, strict=False)
    return guessed or "application/octet-stream"
