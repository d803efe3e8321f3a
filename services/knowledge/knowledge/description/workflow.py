"""The editorial workflow: draft → review → published → archived, and who may move a description where.

An edit never takes published text away from agents: it becomes the working version (a draft, or up
for review when its author may not publish), while the published version stays until the next one
is published.
"""

from __future__ import annotations

from typing import Literal

Status = Literal["draft", "review", "published", "archived"]

_ALLOWED: dict[str, frozenset[str]] = {
    "draft": frozenset({"review", "published", "archived"}),
    "review": frozenset({"draft", "published", "archived"}),
    "published": frozenset({"archived"}),
    "archived": frozenset({"draft"}),
}
# Moves that decide what agents see: for knowledge editors (and operators) only.
_EDITORIAL: frozenset[str] = frozenset({"published", "archived"})


class TransitionRefused(Exception):
    """The move is not allowed from the current status."""


class TransitionForbidden(Exception):
    """The caller may not make this move."""


def check_transition(current: str, wanted: Status, *, may_publish: bool) -> None:
    """Raise unless a description in ``current`` may move to ``wanted`` by this caller."""
    if wanted not in _ALLOWED.get(current, frozenset()):
        raise TransitionRefused(f"a description in {current} cannot move to {wanted}")
    if wanted in _EDITORIAL and not may_publish:
        raise TransitionForbidden(f"only knowledge editors move a description to {wanted}")


def status_after_edit(*, may_publish: bool) -> Status:
    """The status of newly saved content: an editor's draft, or up for review when its author may not publish."""
    return "draft" if may_publish else "review"
