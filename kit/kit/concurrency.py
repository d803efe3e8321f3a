"""Optimistic concurrency for editable documents: a version number, shown as an ETag, checked by If-Match."""

from __future__ import annotations

from kit.errors import PreconditionFailed, PreconditionRequired


def etag(version: int) -> str:
    """The strong entity tag of a document's ``version``."""
    return f'"{version}"'


def check_if_match(if_match: str | None, current_version: int) -> None:
    """Refuse a change not based on the current version: 428 without If-Match, 412 when it is stale.

    ``*`` matches any existing version; a list matches if one tag is current. Weak tags never match (RFC 9110).
    """
    if if_match is None:
        raise PreconditionRequired("Send If-Match with the ETag of the version you change.")
    tags = {tag.strip() for tag in if_match.split(",")}
    if "*" not in tags and etag(current_version) not in tags:
        raise PreconditionFailed(
            f"The document changed; its current ETag is {etag(current_version)}.", current_etag=etag(current_version)
        )
