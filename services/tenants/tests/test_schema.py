"""The tenants database is sealed per tenant, and its migrations go down and up."""

from __future__ import annotations

from kit.testing.checks import assert_migrations_reversible, schema_state
from kit.testing.infra import ScratchDatabase
from tenants.migrate import MIGRATIONS

# Directories that route a public name (a jurisdiction id, a dialled number) to its one municipality.
SHARED = ("alembic_version", "jurisdiction_directory", "line_directory")
TABLES = sorted(
    [
        *SHARED,
        "access_audit",
        "api_clients",
        "api_keys",
        "contract_versions",
        "departments",
        "grants",
        "inbound_lines",
        "inbox",
        "outbox",
        "tenants",
        "webhook_deliveries",
        "webhook_delivery_attempts",
        "webhook_subscriptions",
    ]
)


async def test_every_tenant_table_is_sealed(tenants_db: ScratchDatabase) -> None:
    assert await schema_state(tenants_db, shared=SHARED) == (TABLES, [])


def test_migrations_downgrade_and_upgrade_again(tenants_db: ScratchDatabase) -> None:
    assert assert_migrations_reversible(MIGRATIONS, tenants_db, shared=SHARED) == TABLES
