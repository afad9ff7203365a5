"""Reading an indexer's XML safely: no entities resolved, no network, no DTD; Newznab's
`<error/>` answer turned into `TorznabApiError`. Shared by `caps` and `feed`."""

from __future__ import annotations

from typing import Any

from lxml import etree  # type: ignore[import-untyped]

from torrentstack.crossseed.torznab.errors import TorznabApiError, TorznabXmlError

MAX_DOCUMENT = 32 * 1024 * 1024  # larger than any sane page of results (10,000 items ~ 20 MB)


def _parser() -> Any:
    # defusedxml's guarantees with lxml: entities stay unexpanded (no billion laughs, no
    # external files), nothing is fetched, no DTD is loaded, no huge-tree mode.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_document(data: bytes | str, *, indexer: str | None = None) -> Any:
    """The root element of `data`; TorznabXmlError if it is no XML, TorznabApiError for `<error>`."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > MAX_DOCUMENT:
        raise TorznabXmlError(f"document larger than {MAX_DOCUMENT} bytes", indexer=indexer)
    if not raw.strip():
        raise TorznabXmlError("empty document", indexer=indexer)
    try:
        root = etree.fromstring(raw, _parser())
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise TorznabXmlError(str(exc)[:200] or type(exc).__name__, indexer=indexer) from exc
    if root is None:
        raise TorznabXmlError("no root element", indexer=indexer)
    if local_name(root) == "error":
        code_text = (root.get("code") or "").strip()
        code = int(code_text) if code_text.isdigit() and len(code_text) < 10 else None
        raise TorznabApiError(code, root.get("description") or "", indexer=indexer)
    return root


def local_name(element: Any) -> str:
    """An element's tag without its namespace ('' for anything that is not an element)."""
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def children(element: Any, name: str) -> list[Any]:
    """The direct child elements called `name`, whatever their namespace."""
    return [child for child in element if local_name(child) == name]


def child_text(element: Any, name: str) -> str | None:
    """The stripped text of the first child called `name`, or None if absent or empty."""
    for child in children(element, name):
        text = "".join(child.itertext()).strip()
        return text or None
    return None
