"""When a copy of a public read is current: a strong entity tag of the body, and If-None-Match as RFC 9110 reads it.

The tag is taken from the body rather than from version numbers: a merged description depends on the
shared text, the municipality's supplement and its offices, and a working edit that publishes nothing
must not make every cache fetch the unchanged text again.
"""

from __future__ import annotations

import hashlib


def entity_tag(body: bytes) -> str:
    """The strong entity tag of ``body``: the same bytes, the same tag."""
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def not_modified(if_none_match: str | None, tag: str) -> bool:
    """Whether ``If-None-Match`` names ``tag`` or is ``*``: the client's copy is current (304).

    Compared weakly (RFC 9110 §13.1.2), so a tag that an intermediary marked weak (``W/"…"``) still matches.
    """
    if if_none_match is None:
        return False
    offered = {_opaque(candidate) for candidate in if_none_match.split(",")}
    return "*" in offered or _opaque(tag) in offered


def _opaque(tag: str) -> str:
    return tag.strip().removeprefix("W/")
