"""What changed between two stored contents of a description, part by part and text module by text module.

Stored contents hold only the parts that are set (``content.stored``), so a part missing on one side was
added or removed. Texts (the name, each text module, the source, the link) get a line-level unified diff,
which is what an editor reads in a long module; structured parts (fees, deadlines, synonyms, ...) get their
values before and after, since a diff of their JSON says less than the values themselves.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from kit.errors import NotFound, field_error
from knowledge.description.content import TEXT_MODULES, Parts
from knowledge.description.workflow import Status

ChangeKind = Literal["added", "removed", "changed"]

# Parts in the order editors know them from the form: the name, the text modules, then the structured parts.
_ORDER: tuple[str, ...] = (
    "name",
    *(f"modules.{module}" for module in TEXT_MODULES),
    *(part for part in Parts.model_fields if part not in ("name", "modules")),
)
_POSITION = {path: position for position, path in enumerate(_ORDER)}


class Change(BaseModel):
    """One part or text module that differs: a line diff for texts, the values for structured parts."""

    path: str = Field(examples=["modules.procedure", "fees"])
    kind: ChangeKind
    diff: list[str] | None = Field(default=None, description="Unified diff lines of a text, with headers and hunks")
    before: Any = Field(default=None, description="The structured part before (absent when added)")
    after: Any = Field(default=None, description="The structured part after (absent when removed)")


class VersionInfo(BaseModel):
    version: int
    status: Status
    changed_by: str
    changed_at: datetime


class DescriptionDiff(BaseModel):
    """The changes from one kept version to another; ``from_version`` is null when compared with nothing."""

    from_version: VersionInfo | None
    to_version: VersionInfo
    changes: list[Change]


class VersionNotFound(NotFound):
    """A version number in the query that the description does not have."""

    def __init__(self, version: int, *, parameter: str) -> None:
        detail = f"The description has no version {version}."
        super().__init__(detail, version=version, errors=[field_error(parameter, detail, location="query")])


def _parts(content: Mapping[str, Any]) -> dict[str, Any]:
    """The content keyed by path: each text module on its own, every other part whole."""
    parts = {key: value for key, value in content.items() if key != "modules"}
    for module, text in content.get("modules", {}).items():
        parts[f"modules.{module}"] = text
    return parts


def _sort_key(path: str) -> tuple[int, str]:
    # A part this code does not know yet (an older or newer content model) still shows, after the known ones.
    return _POSITION.get(path, len(_POSITION)), path


def _is_text(value: Any) -> bool:
    return value is None or isinstance(value, str)


def _text_change(path: str, kind: ChangeKind, before: str | None, after: str | None, context: int) -> Change:
    lines = list(
        difflib.unified_diff(
            (before or "").splitlines(),
            (after or "").splitlines(),
            fromfile=f"a/{path}",
            tofile=f"b/{path}",
            lineterm="",
            n=context,
        )
    )
    if not lines:
        # Texts that differ only in line ends have no line diff; the values show what changed.
        return Change(path=path, kind=kind, before=before, after=after)
    return Change(path=path, kind=kind, diff=lines)


def compare(before: Mapping[str, Any], after: Mapping[str, Any], *, context: int = 3) -> list[Change]:
    """The parts and text modules that differ from ``before`` to ``after``, in the order of the form.

    ``context`` is the number of unchanged lines shown around each changed line of a text.
    """
    old, new = _parts(before), _parts(after)
    changes: list[Change] = []
    for path in sorted(old.keys() | new.keys(), key=_sort_key):
        was, now = old.get(path), new.get(path)
        if was == now:
            continue
        kind: ChangeKind = "added" if path not in old else "removed" if path not in new else "changed"
        if _is_text(was) and _is_text(now):
            changes.append(_text_change(path, kind, was, now, context))
        else:
            changes.append(Change(path=path, kind=kind, before=was, after=now))
    return changes
