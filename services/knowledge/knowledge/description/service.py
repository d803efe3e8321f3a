"""Rules of service descriptions: who edits which layer, versions on every change, and the agent's merged view."""

from __future__ import annotations

import uuid
from typing import Any

from kit.concurrency import check_if_match
from kit.db.database import TenantSession
from kit.events import record_event
from kit.identity import Identity, Role
from kit.pagination import Cursor, page
from knowledge.description import repository
from knowledge.description.content import local, merge, stored
from knowledge.description.diff import VersionNotFound, compare
from knowledge.description.errors import (
    BaseEditorsOnly,
    DescriptionNotFound,
    LeikaKeyTaken,
    MoveForbidden,
    MoveRefused,
    NotEditableHere,
    SupplementNotFound,
)
from knowledge.description.repository import SHARED, TENANT, Layer
from knowledge.description.schemas import DescriptionCreate, DescriptionUpdate, SupplementWrite
from knowledge.description.workflow import (
    Status,
    TransitionForbidden,
    TransitionRefused,
    check_transition,
    status_after_edit,
)
from knowledge.events.published import (
    DESCRIPTION_ARCHIVED,
    DESCRIPTION_PUBLISHED,
    DESCRIPTION_UPDATED,
    description_event,
)
from knowledge.office import service as offices
from knowledge.search import service as search


def may_publish(identity: Identity) -> bool:
    """Knowledge editors (and operators) publish and archive; everyone else's edits go to review."""
    return identity.has_role(Role.KNOWLEDGE_EDITOR, Role.OPERATOR)


def check_base_editor(identity: Identity, *, host_tenant: str | None) -> None:
    """The shared base is kept by operators and by the host's knowledge editors."""
    if identity.has_role(Role.OPERATOR):
        return
    if identity.has_role(Role.KNOWLEDGE_EDITOR) and host_tenant is not None and identity.tenant_id == host_tenant:
        return
    raise BaseEditorsOnly()


async def _existing(session: TenantSession, layer: Layer, description_id: uuid.UUID) -> dict[str, Any]:
    row = await repository.get(session, layer, description_id, lock=True)
    if row is None or (layer is TENANT and row["base_id"] is not None):
        raise DescriptionNotFound()
    return row


async def _check_key(session: TenantSession, layer: Layer, key: str | None, *, besides: uuid.UUID | None) -> None:
    if key is not None and await repository.leika_taken(session, layer, key, besides=besides):
        raise LeikaKeyTaken(key)


async def create(
    session: TenantSession, identity: Identity, *, tenant_id: str | None, data: DescriptionCreate
) -> dict[str, Any]:
    """A new description: shared (``tenant_id`` None) or the tenant's own, as a draft or up for review."""
    layer = SHARED if tenant_id is None else TENANT
    await _check_key(session, layer, data.leika_key, besides=None)
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "leika_key": data.leika_key,
        "content": stored(data.content),
        "status": status_after_edit(may_publish=may_publish(identity)),
        "review_due": data.review_due,
        "updated_by": identity.subject,
    }
    if tenant_id is not None:
        values["tenant_id"] = tenant_id
    return await repository.insert_new(session, layer, values)


async def get(session: TenantSession, *, layer: Layer, description_id: uuid.UUID) -> dict[str, Any]:
    row = await repository.get(session, layer, description_id)
    if row is None or (layer is TENANT and row["base_id"] is not None):
        raise DescriptionNotFound()
    return row


async def update(
    session: TenantSession,
    identity: Identity,
    *,
    layer: Layer,
    description_id: uuid.UUID,
    data: DescriptionUpdate,
    if_match: str | None,
) -> dict[str, Any]:
    """Save new working content; what is published stays until the next version is published."""
    if layer is TENANT and await repository.get(session, SHARED, description_id) is not None:
        raise NotEditableHere()
    current = await _existing(session, layer, description_id)
    check_if_match(if_match, current["version"])
    changes = data.model_dump(exclude_unset=True)
    values: dict[str, Any] = {"status": status_after_edit(may_publish=may_publish(identity))}
    if "leika_key" in changes:
        await _check_key(session, layer, data.leika_key, besides=description_id)
        values["leika_key"] = data.leika_key
    if data.content is not None:
        values["content"] = stored(data.content)
    if "review_due" in changes:
        values["review_due"] = data.review_due
    return await repository.save(session, layer, description_id, values, by=identity.subject)


async def move(
    session: TenantSession,
    identity: Identity,
    *,
    layer: Layer,
    description_id: uuid.UUID,
    status: Status,
    if_match: str | None,
    supplement: bool = False,
) -> dict[str, Any]:
    """Move a description (or a tenant's supplement of a shared one) in the workflow."""
    if supplement:
        current = await repository.supplement_of(session, description_id, lock=True)
        if current is None:
            raise SupplementNotFound()
    else:
        current = await _existing(session, layer, description_id)
    check_if_match(if_match, current["version"])
    try:
        check_transition(current["status"], status, may_publish=may_publish(identity))
    except TransitionRefused as refused:
        raise MoveRefused(str(refused)) from None
    except TransitionForbidden as forbidden:
        raise MoveForbidden(str(forbidden)) from None
    values: dict[str, Any] = {"status": status}
    if status == "published":
        values.update(published_content=current["content"], published_version=current["version"] + 1)
    elif status == "archived":
        # Withdrawn from agents: neither a later edit nor a restore brings the old text back unpublished.
        values.update(published_content=None, published_version=None)
    saved = await repository.save(session, layer, current["id"], values, by=identity.subject)
    if status in ("published", "archived"):
        await _index(session, layer, saved)
        await _announce(session, current, saved)
    return saved


async def _announce(session: TenantSession, before: dict[str, Any], after: dict[str, Any]) -> None:
    """Tell other services what agents see now; a shared description's events are the host's."""
    if session.tenant_id is None:
        return
    if after["status"] == "archived":
        if before["published_content"] is None:
            return
        event_type, content = DESCRIPTION_ARCHIVED, before["published_content"]
    else:
        first = before["published_content"] is None
        event_type, content = (DESCRIPTION_PUBLISHED if first else DESCRIPTION_UPDATED), after["published_content"]
    base_name = None
    if after.get("base_id") is not None:
        base_name = await _shared_name(session, after["base_id"])
    event = description_event(event_type, after, tenant_id=session.tenant_id, content=content, base_name=base_name)
    await record_event(session, event)


async def _shared_name(session: TenantSession, base_id: uuid.UUID) -> str | None:
    """The name agents see of a shared description: the published one, else the working one."""
    base = await repository.get(session, SHARED, base_id)
    if base is None:
        return None
    name: str | None = (base["published_content"] or base["content"]).get("name")
    return name


async def _index(session: TenantSession, layer: Layer, row: dict[str, Any]) -> None:
    """Search finds what is published now: the new text, or nothing once archived."""
    if layer is SHARED:
        await search.index_shared(session, row["id"], row["published_content"])
    elif row["base_id"] is not None:
        await search.index_own(session, row["base_id"], row["published_content"], supplement=True)
    else:
        await search.index_own(session, row["id"], row["published_content"], supplement=False)


async def supplement(session: TenantSession, *, base_id: uuid.UUID) -> dict[str, Any]:
    row = await repository.supplement_of(session, base_id)
    if row is None:
        raise SupplementNotFound()
    return row


async def write_supplement(
    session: TenantSession,
    identity: Identity,
    *,
    tenant_id: str,
    base_id: uuid.UUID,
    data: SupplementWrite,
    if_match: str | None,
) -> tuple[dict[str, Any], bool]:
    """Create or replace the tenant's supplement of a shared description; True if it was created."""
    if await repository.get(session, SHARED, base_id) is None:
        raise DescriptionNotFound()
    values: dict[str, Any] = {
        "content": stored(data.content),
        "status": status_after_edit(may_publish=may_publish(identity)),
        "review_due": data.review_due,
    }
    current = await repository.supplement_of(session, base_id, lock=True)
    if current is None:
        new = {"id": uuid.uuid4(), "tenant_id": tenant_id, "base_id": base_id, "updated_by": identity.subject}
        return await repository.insert_new(session, TENANT, {**values, **new}), True
    check_if_match(if_match, current["version"])
    return await repository.save(session, TENANT, current["id"], values, by=identity.subject), False


async def versions(
    session: TenantSession, *, layer: Layer, description_id: uuid.UUID, supplement: bool = False
) -> list[dict[str, Any]]:
    """Every version of a description (or of the tenant's supplement of a shared one), newest first."""
    if supplement:
        row = await repository.supplement_of(session, description_id)
        if row is None:
            raise SupplementNotFound()
    else:
        row = await get(session, layer=layer, description_id=description_id)
    return await repository.versions(session, layer, row["id"])


def _agent_view(row: dict[str, Any]) -> dict[str, Any]:
    if row["layer"] == "shared":
        merged, origins = merge(row["content"], row["supplement"])
    else:
        merged, origins = local(row["content"])
    return {
        **merged,
        "id": row["id"],
        "layer": row["layer"],
        "leika_key": row["leika_key"],
        "origins": origins,
        "updated_at": row["updated_at"],
    }


async def agent_view(session: TenantSession, *, description_id: uuid.UUID) -> dict[str, Any]:
    """The published description as an agent of the session's tenant sees it, with the offices responsible."""
    row = await repository.visible_one(session, description_id)
    if row is None:
        raise DescriptionNotFound()
    view = _agent_view(row)
    view["offices"] = await offices.responsible_offices(session, description_id=description_id)
    return view


async def agent_list(
    session: TenantSession, *, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the published descriptions an agent of the session's tenant sees, newest first."""
    after = Cursor.decode(cursor) if cursor is not None else None
    rows = await repository.visible_page(session, after=(after.at, after.id) if after else None, limit=limit)
    shown, next_cursor = page(rows, limit)
    return [_agent_view(row) for row in shown], next_cursor


async def _versioned(
    session: TenantSession, *, layer: Layer, description_id: uuid.UUID, supplement: bool
) -> dict[str, Any]:
    if supplement:
        row = await repository.supplement_of(session, description_id)
        if row is None:
            raise SupplementNotFound()
        return row
    return await get(session, layer=layer, description_id=description_id)


async def _kept(
    session: TenantSession, layer: Layer, description_id: uuid.UUID, number: int, *, parameter: str
) -> dict[str, Any]:
    kept = await repository.version(session, layer, description_id, number)
    if kept is None:
        raise VersionNotFound(number, parameter=parameter)
    return kept


async def diff(
    session: TenantSession,
    *,
    layer: Layer,
    description_id: uuid.UUID,
    from_version: int | None,
    to_version: int | None,
    supplement: bool = False,
) -> dict[str, Any]:
    """What changed from one version to another (or the tenant's supplement's); by default the latest change.

    Without ``from_version`` the version before ``to_version`` is taken; the first version is compared with
    nothing, so every part it has shows as added.
    """
    row = await _versioned(session, layer=layer, description_id=description_id, supplement=supplement)
    newest = row["version"] if to_version is None else to_version
    after = await _kept(session, layer, row["id"], newest, parameter="to")
    older = newest - 1 if from_version is None else from_version
    before = None
    if from_version is not None or older > 0:
        before = await _kept(session, layer, row["id"], older, parameter="from")
    changes = compare(before["content"] if before else {}, after["content"])
    return {"from_version": before, "to_version": after, "changes": changes}
