"""All SQL of the contact and concern facts; every statement runs in the transaction's tenant."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from kit.db.database import TenantConnection

_ADD_CONTACT = """
INSERT INTO contact_facts (tenant_id, contact_id, channel, outcome, started_at) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (tenant_id, contact_id) DO NOTHING
"""
_STATE = ("status", "forwarded_at", "due_at", "merged_into", "updated_at")
_NEWER = "f.version < excluded.version"
_ANSWER = f"CASE WHEN {_NEWER} THEN excluded.answered_at ELSE f.answered_at END"
_REOPENED = "greatest(f.reopened_at, excluded.reopened_at)"
# The state by the producer's version; the latest reopening whatever the order. An answer given before the
# latest reopening is no answer to the concern as it is now.
_UPSERT_CONCERN = f"""
INSERT INTO concern_facts AS f (tenant_id, ticket_id, status, forwarded_at, due_at, merged_into, updated_at,
                                answered_at, reopened_at, version)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (tenant_id, ticket_id) DO UPDATE SET
    {", ".join(f"{column} = CASE WHEN {_NEWER} THEN excluded.{column} ELSE f.{column} END" for column in _STATE)},
    answered_at = CASE WHEN {_ANSWER} < {_REOPENED} THEN NULL ELSE {_ANSWER} END,
    reopened_at = {_REOPENED},
    version = greatest(f.version, excluded.version),
    received_at = now()
 WHERE {_NEWER} OR excluded.reopened_at > coalesce(f.reopened_at, '-infinity')
"""


@dataclass(frozen=True, slots=True)
class Concern:
    """A forwarded concern's facts after a change, as figures count them."""

    ticket_id: uuid.UUID
    status: str
    forwarded_at: datetime
    due_at: datetime | None
    answered_at: datetime | None
    merged_into: uuid.UUID | None
    reopened_at: datetime | None
    version: int
    updated_at: datetime


async def add_contact(
    conn: TenantConnection, *, contact_id: uuid.UUID, channel: str, outcome: str, started_at: datetime
) -> None:
    """Keep a contact; a recorded contact never changes, so a known one stays."""
    await conn.execute(_ADD_CONTACT, conn.tenant_id, contact_id, channel, outcome, started_at)


async def upsert_concern(conn: TenantConnection, concern: Concern) -> None:
    """Keep the concern's latest state by its version; an older or repeated state changes nothing."""
    c = concern
    await conn.execute(
        _UPSERT_CONCERN,
        conn.tenant_id,
        c.ticket_id,
        c.status,
        c.forwarded_at,
        c.due_at,
        c.merged_into,
        c.updated_at,
        c.answered_at,
        c.reopened_at,
        c.version,
    )
