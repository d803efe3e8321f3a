"""The metrics schema: every tenant table sealed, and the migrations reversible."""

from __future__ import annotations

from kit.testing.checks import assert_migrations_reversible, schema_state
from kit.testing.infra import ScratchDatabase
from metrics.migrate import MIGRATIONS

TABLES = [
    "alembic_version",
    "breaches",
    "call_events",
    "call_intervals",
    "call_quarantine",
    "calls",
    "concern_facts",
    "contact_facts",
    "contract_versions",
    "grants",
    "inbox",
    "known_tenants",
    "lines",
    "outbox",
]
# Events for lines no municipality has are no tenant's: operators see and release them.
SHARED = ("alembic_version", "call_quarantine")


async def test_every_tenant_table_is_sealed(scratch: ScratchDatabase) -> None:
    assert await schema_state(scratch, shared=SHARED) == (TABLES, [])


def test_migrations_go_down_and_up_again(scratch: ScratchDatabase) -> None:
    assert assert_migrations_reversible(MIGRATIONS, scratch, shared=SHARED) == TABLES
