"""Apply an XZuFi transfer to one municipality's own knowledge, all in the caller's one transaction.

Objects are matched by their id in the source (``external_id``). The source is the released editorial system,
so what it writes is published at once; each real change keeps a version, and what did not change is not
touched, so importing the same file again changes nothing. A deleted Leistung is archived (withdrawn from
agents, its history kept); a deleted Organisationseinheit is removed with its responsibilities.

An Organisationseinheit the file writes brings its whole list of Zuständigkeiten: its responsibilities for
imported descriptions become exactly that list. Responsibilities an editor gave it for shared or hand-kept
descriptions stay. A Zuständigkeit must name objects the municipality has after the import, or objects the
same file deletes (then it is moot and skipped).

Every write is a bulk statement; nothing is written in a dry run.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kit.db.database import TenantSession
from kit.events import record_events
from kit.identity import Identity
from knowledge.description.content import stored
from knowledge.events.published import (
    DESCRIPTION_ARCHIVED,
    DESCRIPTION_PUBLISHED,
    DESCRIPTION_UPDATED,
    description_event,
)
from knowledge.exchange import repository
from knowledge.exchange.errors import TransferConflict, TransferInvalid, UnsupportedMediaType
from knowledge.exchange.repository import OFFICE_FIELDS
from knowledge.exchange.schemas import Counts, ImportReport
from knowledge.exchange.xml import XmlError
from knowledge.exchange.xzufi import Leistung, Source, Transfer, XZuFiError, Zustaendigkeit, parse_transfer
from knowledge.search import service as search

log = logging.getLogger("knowledge.exchange.importer")

_XML_TYPES = frozenset({"application/xml", "text/xml"})
Pair = tuple[uuid.UUID, uuid.UUID]


def check_media_type(content_type: str | None) -> None:
    """Refuse (415) a body that does not say it is XML."""
    media = (content_type or "").partition(";")[0].strip().lower()
    if media not in _XML_TYPES and not media.endswith("+xml"):
        raise UnsupportedMediaType()


async def read_transfer(content_type: str | None, data: bytes) -> Transfer:
    """The transfer in ``data``; 415 if it is not sent as XML, 422 naming the element if it cannot be read.

    Parsing a large file takes seconds of CPU; it runs in a worker thread so that other requests go on.
    """
    check_media_type(content_type)
    try:
        return await asyncio.to_thread(parse_transfer, data)
    except XZuFiError as error:
        raise TransferInvalid(error) from None


async def apply_transfer(
    session: TenantSession, identity: Identity, *, tenant_id: str, transfer: Transfer, dry_run: bool = False
) -> ImportReport:
    """Create, update and delete the tenant's imported descriptions, offices and responsibilities as told."""
    await repository.lock_imports(session, tenant_id)
    descriptions = await _plan_descriptions(session, transfer, tenant_id=tenant_id, by=identity.subject)
    offices = await _plan_offices(session, transfer, tenant_id=tenant_id)
    pairs = await _plan_responsibilities(session, transfer, descriptions, offices)
    if not dry_run:
        await _write_descriptions(session, descriptions, tenant_id=tenant_id)
        await repository.delete_pairs(session, sorted(pairs.removed))
        await repository.delete_offices(session, offices.deletes)
        await repository.update_offices(session, offices.updates)
        await repository.insert_offices(session, offices.inserts)
        rows = [{"tenant_id": tenant_id, "office_id": o, "description_id": d} for o, d in sorted(pairs.added)]
        await repository.insert_pairs(session, rows)
    report = ImportReport(
        dry_run=dry_run, descriptions=descriptions.counts, offices=offices.counts, responsibilities=pairs.counts
    )
    log.info(
        "knowledge.import.applied",
        extra={"tenant": tenant_id, "actor": identity.subject, **report.model_dump(mode="json")},
    )
    return report


@dataclass
class _DescriptionPlan:
    """The description writes of an import, and the ids the responsibilities are resolved against."""

    live: dict[str, uuid.UUID] = field(default_factory=dict)
    imported: set[uuid.UUID] = field(default_factory=set)
    archived: set[uuid.UUID] = field(default_factory=set)
    inserts: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    archives: list[dict[str, Any]] = field(default_factory=list)
    versions: list[dict[str, Any]] = field(default_factory=list)
    # What agents see changes: the events that announce it, as (event type, the row after, its content).
    announcements: list[tuple[str, dict[str, Any], dict[str, Any]]] = field(default_factory=list)
    counts: Counts = field(default_factory=Counts)

    def announce(self, event_type: str, row: dict[str, Any], content: dict[str, Any]) -> None:
        self.announcements.append((event_type, row, content))


async def _plan_descriptions(
    session: TenantSession, transfer: Transfer, *, tenant_id: str, by: str
) -> _DescriptionPlan:
    existing = {row["external_id"]: row for row in await repository.imported_descriptions(session)}
    _check_keys(transfer, existing, await repository.keys_kept_by_hand(session))
    plan = _DescriptionPlan(imported={row["id"] for row in existing.values()})
    for external_id, kept in existing.items():
        untouched = external_id not in transfer.leistungen and external_id not in transfer.deleted_leistungen
        if untouched and kept["status"] != "archived":
            plan.live[external_id] = kept["id"]
    for external_id, leistung in transfer.leistungen.items():
        plan.live[external_id] = _plan_write(plan, existing.get(external_id), leistung, tenant_id=tenant_id, by=by)
    for external_id in transfer.deleted_leistungen:
        gone = existing.get(external_id)
        if gone is None or gone["status"] == "archived":
            plan.counts.unchanged += 1
            continue
        version = gone["version"] + 1
        plan.archives.append({"b_id": gone["id"], "version": version, "updated_by": by})
        plan.versions.append(_version(tenant_id, gone["id"], version, gone["content"], "archived", by))
        plan.archived.add(gone["id"])
        if gone["published_content"] is not None:
            row = _event_row(tenant_id, gone["id"], gone["leika_key"], None, by)
            plan.announce(DESCRIPTION_ARCHIVED, row, gone["published_content"])
        plan.counts.deleted += 1
    return plan


def _plan_write(
    plan: _DescriptionPlan, current: dict[str, Any] | None, leistung: Leistung, *, tenant_id: str, by: str
) -> uuid.UUID:
    """Plan the insert or update a written Leistung needs, if any; the description's id."""
    content = stored(leistung.content)
    published = {
        "leika_key": leistung.leika_key,
        "content": content,
        "status": "published",
        "published_content": content,
    }
    if current is None:
        description_id = uuid.uuid4()
        plan.inserts.append(
            {"tenant_id": tenant_id, "id": description_id, "external_id": leistung.external_id, "base_id": None}
            | published
            | {"version": 1, "published_version": 1, "updated_by": by}
        )
        plan.versions.append(_version(tenant_id, description_id, 1, content, "published", by))
        plan.announce(DESCRIPTION_PUBLISHED, _event_row(tenant_id, description_id, leistung.leika_key, 1, by), content)
        plan.imported.add(description_id)
        plan.counts.created += 1
        return description_id
    kept_id: uuid.UUID = current["id"]
    if all(current[name] == value for name, value in published.items()):
        plan.counts.unchanged += 1
        return kept_id
    version = current["version"] + 1
    plan.updates.append(
        {"b_id": kept_id, **published, "version": version, "published_version": version, "updated_by": by}
    )
    plan.versions.append(_version(tenant_id, kept_id, version, content, "published", by))
    event_type = DESCRIPTION_PUBLISHED if current["published_content"] is None else DESCRIPTION_UPDATED
    plan.announce(event_type, _event_row(tenant_id, kept_id, leistung.leika_key, version, by), content)
    plan.counts.updated += 1
    return kept_id


def _check_keys(transfer: Transfer, existing: dict[str, dict[str, Any]], kept_by_hand: set[str]) -> None:
    """A LeiKa key names one live description of the tenant: refuse a file that would give it to a second."""
    holders: dict[str, str] = {}
    for external_id, row in existing.items():
        gone = external_id in transfer.leistungen or external_id in transfer.deleted_leistungen
        if row["leika_key"] is not None and row["status"] != "archived" and not gone:
            holders[row["leika_key"]] = external_id
    for external_id, leistung in transfer.leistungen.items():
        key = leistung.leika_key
        if key is None:
            continue
        if key in kept_by_hand:
            raise TransferConflict(_at(leistung.source, f"LeiKa key {key} is taken by a description kept by hand"))
        if key in holders:
            raise TransferInvalid(_at(leistung.source, f"LeiKa key {key} is the key of Leistung {holders[key]} too"))
        holders[key] = external_id


def _version(
    tenant_id: str, description_id: uuid.UUID, version: int, content: dict[str, Any], status: str, by: str
) -> dict[str, Any]:
    return {
        "tenant_id": tenant_id,
        "description_id": description_id,
        "version": version,
        "content": content,
        "status": status,
        "changed_by": by,
    }


def _event_row(
    tenant_id: str, description_id: uuid.UUID, leika_key: str | None, version: int | None, by: str
) -> dict[str, Any]:
    """A description as its events need it (see ``description_event``)."""
    return {
        "id": description_id,
        "tenant_id": tenant_id,
        "leika_key": leika_key,
        "published_version": version,
        "updated_by": by,
        "updated_at": datetime.now(UTC),
    }


async def _write_descriptions(session: TenantSession, plan: _DescriptionPlan, *, tenant_id: str) -> None:
    """Every change an import makes to descriptions, in bulk: the one place for what must follow such a change.

    Search finds what the import published at once and no longer what it archived; the events announce
    both, in the same transaction.
    """
    await repository.archive_descriptions(session, plan.archives)
    await repository.update_descriptions(session, plan.updates)
    await repository.insert_descriptions(session, plan.inserts)
    await repository.insert_versions(session, plan.versions)
    published = [(row["id"], row["published_content"]) for row in plan.inserts]
    published += [(row["b_id"], row["published_content"]) for row in plan.updates]
    await search.index_own_many(session, published, [row["b_id"] for row in plan.archives])
    events = [
        description_event(event_type, row, tenant_id=tenant_id, content=content)
        for event_type, row, content in plan.announcements
    ]
    await record_events(session, events)


@dataclass
class _OfficePlan:
    live: dict[str, uuid.UUID] = field(default_factory=dict)
    written: set[uuid.UUID] = field(default_factory=set)
    inserts: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    deletes: list[uuid.UUID] = field(default_factory=list)
    counts: Counts = field(default_factory=Counts)


async def _plan_offices(session: TenantSession, transfer: Transfer, *, tenant_id: str) -> _OfficePlan:
    existing = {row["external_id"]: row for row in await repository.imported_offices(session)}
    _check_names(transfer, existing, await repository.names_kept_by_hand(session))
    plan = _OfficePlan()
    for external_id, kept in existing.items():
        if _untouched(external_id, transfer):
            plan.live[external_id] = kept["id"]
    for external_id, unit in transfer.organisationseinheiten.items():
        fields = unit.office.model_dump(mode="json", include=set(OFFICE_FIELDS))
        current = existing.get(external_id)
        if current is None:
            office_id = uuid.uuid4()
            new = {"tenant_id": tenant_id, "id": office_id, "external_id": external_id, "contacts": [], "version": 1}
            plan.inserts.append(new | fields)
            plan.counts.created += 1
        elif all(current[name] == value for name, value in fields.items()):
            office_id = current["id"]
            plan.counts.unchanged += 1
        else:
            office_id = current["id"]
            plan.updates.append({"b_id": office_id, **fields})
            plan.counts.updated += 1
        plan.live[external_id] = office_id
        plan.written.add(office_id)
    for external_id in transfer.deleted_organisationseinheiten:
        gone = existing.get(external_id)
        if gone is None:
            plan.counts.unchanged += 1
        else:
            plan.deletes.append(gone["id"])
            plan.counts.deleted += 1
    return plan


def _check_names(transfer: Transfer, existing: dict[str, dict[str, Any]], kept_by_hand: set[str]) -> None:
    """Office names are unique per tenant: refuse a file that would give a name to a second office."""
    holders = {row["name"]: external_id for external_id, row in existing.items() if _untouched(external_id, transfer)}
    for external_id, unit in transfer.organisationseinheiten.items():
        name = unit.office.name
        if name in kept_by_hand:
            raise TransferConflict(_at(unit.source, f"the municipality keeps an office named {name!r} by hand"))
        if name in holders:
            raise TransferInvalid(_at(unit.source, f"Organisationseinheit {holders[name]} is named {name!r} too"))
        holders[name] = external_id


def _untouched(external_id: str, transfer: Transfer) -> bool:
    """Whether the transfer neither writes nor deletes the Organisationseinheit ``external_id``."""
    return (
        external_id not in transfer.organisationseinheiten
        and external_id not in transfer.deleted_organisationseinheiten
    )


@dataclass
class _PairPlan:
    added: set[Pair]
    removed: set[Pair]
    counts: Counts


async def _plan_responsibilities(
    session: TenantSession, transfer: Transfer, descriptions: _DescriptionPlan, offices: _OfficePlan
) -> _PairPlan:
    current = await repository.responsibility_pairs(session)
    wanted: set[Pair] = set()
    listed = [z for unit in transfer.organisationseinheiten.values() for z in unit.zustaendigkeiten]
    for zustaendigkeit in [*listed, *transfer.zustaendigkeiten]:
        pair = _resolve(zustaendigkeit, transfer, descriptions, offices)
        if pair is not None:
            wanted.add(pair)
    deleted_offices = set(offices.deletes)
    removed = {
        (office, description)
        for office, description in current
        if office in deleted_offices
        or description in descriptions.archived
        or (office in offices.written and description in descriptions.imported and (office, description) not in wanted)
    }
    added = wanted - current
    counts = Counts(created=len(added), deleted=len(removed), unchanged=len(wanted & current))
    return _PairPlan(added, removed, counts)


def _resolve(
    zustaendigkeit: Zustaendigkeit, transfer: Transfer, descriptions: _DescriptionPlan, offices: _OfficePlan
) -> Pair | None:
    """The (office, description) a Zuständigkeit names; None if the file deletes either of them."""
    office_id, leistung_id = zustaendigkeit.office_id, zustaendigkeit.leistung_id
    if office_id in transfer.deleted_organisationseinheiten or leistung_id in transfer.deleted_leistungen:
        return None
    office, description = offices.live.get(office_id), descriptions.live.get(leistung_id)
    if office is None:
        raise TransferInvalid(_at(zustaendigkeit.source, f"no Organisationseinheit {office_id} is known here"))
    if description is None:
        raise TransferInvalid(_at(zustaendigkeit.source, f"leistungID {leistung_id} names no Leistung known here"))
    return office, description


def _at(source: Source, detail: str) -> XmlError:
    return XmlError(source.path, source.line, detail)
