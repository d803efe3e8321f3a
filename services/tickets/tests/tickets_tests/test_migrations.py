"""The tickets schema: every tenant table sealed, and the migrations reversible."""

from __future__ import annotations

from kit.testing.checks import assert_migrations_reversible, schema_state
from kit.testing.infra import ScratchDatabase
from tickets.migrate import MIGRATIONS

TABLES = [
    "alembic_version",
    "contacts",
    "contract_versions",
    "deadline_watch",
    "departments",
    "inbox",
    "known_tenants",
    "outbox",
    "personal_data_accesses",
    "request_types",
    "ticket_changes",
    "ticket_notes",
    "tickets",
]


async def test_every_tenant_table_is_sealed(scratch: ScratchDatabase) -> None:
    assert await schema_state(scratch) == (TABLES, [])


def test_migrations_go_down_and_up_again(scratch: ScratchDatabase) -> None:
    assert assert_migrations_reversible(MIGRATIONS, scratch) == TABLES
