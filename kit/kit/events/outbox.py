"""The transactional outbox and the consumers' inbox: tables, migration steps, and writing an event."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, Integer, LargeBinary, MetaData, Table, Text, Uuid

from kit.db.database import RELAY_SETTING, TenantConnection, TenantSession
from kit.db.rls import TENANT_MATCHES, rls_statements
from kit.events.envelope import CloudEvent

NOTIFY_CHANNEL = "zentrale_outbox"
EVENT_MAINTENANCE = f"{TENANT_MATCHES} OR current_setting('{RELAY_SETTING}', true) = 'on'"

event_metadata = MetaData()

outbox = Table(
    "outbox",
    event_metadata,
    Column("tenant_id", Text, primary_key=True),
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("event_id", Uuid, nullable=False),
    Column("subject", Text, nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("published_at", DateTime(timezone=True)),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text),
)

inbox = Table(
    "inbox",
    event_metadata,
    Column("tenant_id", Text, primary_key=True),
    Column("consumer", Text, primary_key=True),
    Column("event_id", Uuid, primary_key=True),
    Column("processed_at", DateTime(timezone=True), nullable=False),
)


class EventTenantMismatch(ValueError):
    """An event may only be written in a transaction of its own tenant."""


async def record_event(transaction: TenantSession | TenantConnection, event: CloudEvent) -> None:
    """Write ``event`` into the outbox in the transaction: it is published iff this commits."""
    if transaction.tenant_id != event.tenantid:
        raise EventTenantMismatch(f"event for {event.tenantid} in a transaction of {transaction.tenant_id}")
    values = (event.tenantid, event.id, event.nats_subject, event.to_json())
    if isinstance(transaction, TenantConnection):
        await transaction.execute(_WRITE_EVENT_SQL, *values)
        return
    connection = await transaction.connection()
    await connection.exec_driver_sql(_WRITE_EVENT_SQL, values)


def event_arrays(tenant_id: str | None, events: Sequence[CloudEvent]) -> tuple[list[str], list[str], list[bytes]]:
    """``events`` as three arrays (ids, NATS subjects, payloads) to unnest into the outbox's ``OUTBOX_COLUMNS``
    after the tenant: for a statement that writes its events together with its own rows in one round trip.

    Refuses an event of another tenant than ``tenant_id``, the transaction's.
    """
    for event in events:
        if tenant_id != event.tenantid:
            raise EventTenantMismatch(f"event for {event.tenantid} in a transaction of {tenant_id}")
    return [event.id for event in events], [event.nats_subject for event in events], [e.to_json() for e in events]


async def record_events(transaction: TenantSession | TenantConnection, events: Sequence[CloudEvent]) -> None:
    """Write many events into the outbox in one statement (one round trip): each published iff this commits."""
    arrays = event_arrays(transaction.tenant_id, events)
    if not events:
        return
    values = (transaction.tenant_id, *arrays)
    if isinstance(transaction, TenantConnection):
        await transaction.execute(_WRITE_EVENTS_SQL, *values)
        return
    connection = await transaction.connection()
    await connection.exec_driver_sql(_WRITE_EVENTS_SQL, values)


async def note_in_inbox(transaction: TenantSession | TenantConnection, consumer: str, event_ids: list[str]) -> set[str]:
    """Note the events as handled by ``consumer`` in the transaction; returns those not noted before."""
    values = (transaction.tenant_id, consumer, event_ids)
    if isinstance(transaction, TenantConnection):
        return {str(row[0]) for row in await transaction.fetch(_NOTE_IN_INBOX_SQL, *values)}
    connection = await transaction.connection()
    noted = await connection.exec_driver_sql(_NOTE_IN_INBOX_SQL, values)
    return {str(row[0]) for row in noted}


# The event path's statements are sent as they are, in asyncpg's numbered style: compiling (or even
# looking up) a SQLAlchemy statement costs more CPU than the round trip.
OUTBOX_COLUMNS = "tenant_id, event_id, subject, payload"
_WRITE_EVENT_SQL = f"INSERT INTO outbox ({OUTBOX_COLUMNS}) VALUES ($1, $2, $3, $4)"
_WRITE_EVENTS_SQL = (
    f"INSERT INTO outbox ({OUTBOX_COLUMNS}) SELECT $1, unnest($2::uuid[]), unnest($3::text[]), unnest($4::bytea[])"
)
# One statement for a group of any size; the ids not there before come back.
_NOTE_IN_INBOX_SQL = (
    "INSERT INTO inbox (tenant_id, consumer, event_id) SELECT $1, $2, unnest($3::uuid[]) "
    "ON CONFLICT DO NOTHING RETURNING event_id"
)


EVENT_TABLES_SQL: list[str] = [
    """
    CREATE TABLE outbox (
        tenant_id text NOT NULL,
        id bigint GENERATED ALWAYS AS IDENTITY,
        event_id uuid NOT NULL,
        subject text NOT NULL,
        payload bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        published_at timestamptz,
        attempts integer NOT NULL DEFAULT 0,
        last_error text,
        CONSTRAINT pk_outbox PRIMARY KEY (tenant_id, id),
        CONSTRAINT uq_outbox_tenant_id_event_id UNIQUE (tenant_id, event_id)
    )
    """,
    "CREATE INDEX ix_outbox_unpublished ON outbox (id) WHERE published_at IS NULL",
    "CREATE INDEX ix_outbox_published_at ON outbox (published_at) WHERE published_at IS NOT NULL",
    *rls_statements("outbox", predicate=EVENT_MAINTENANCE),
    f"""
    CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pg_notify('{NOTIFY_CHANNEL}', '');
        RETURN NULL;
    END $$
    """,
    "CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify()",
    """
    CREATE TABLE inbox (
        tenant_id text NOT NULL,
        consumer text NOT NULL,
        event_id uuid NOT NULL,
        processed_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_inbox PRIMARY KEY (tenant_id, consumer, event_id)
    )
    """,
    "CREATE INDEX ix_inbox_processed_at ON inbox (processed_at)",
    *rls_statements("inbox", predicate=EVENT_MAINTENANCE),
]


def create_event_tables(op: Any) -> None:
    """Alembic step: the outbox (with its notify trigger) and the inbox, both under forced RLS."""
    for statement in EVENT_TABLES_SQL:
        op.execute(statement)


def drop_event_tables(op: Any) -> None:
    op.execute("DROP TABLE inbox")
    op.execute("DROP TABLE outbox")
    op.execute("DROP FUNCTION outbox_notify()")
