"""Row-level security for tenant tables, as migration steps."""

from __future__ import annotations

from typing import Any

from kit.db.database import RELAY_SETTING, TENANT_SETTING

CURRENT_TENANT = f"NULLIF(current_setting('{TENANT_SETTING}', true), '')"
TENANT_MATCHES = f"tenant_id = {CURRENT_TENANT}"
POLICY_NAME = "tenant_isolation"


def rls_statements(table: str, *, predicate: str = TENANT_MATCHES) -> list[str]:
    """SQL that enables and forces RLS on ``table`` with one policy for reads and writes."""
    return [
        f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY',
        f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY',
        f'CREATE POLICY {POLICY_NAME} ON "{table}" USING ({predicate}) WITH CHECK ({predicate})',
    ]


def enable_tenant_rls(op: Any, table: str) -> None:
    """Alembic step: make ``table`` visible and writable only for the transaction's tenant."""
    for statement in rls_statements(table):
        op.execute(statement)


def relay_predicate() -> str:
    """The outbox is written per tenant and read across tenants only by the relay."""
    return f"{TENANT_MATCHES} OR current_setting('{RELAY_SETTING}', true) = 'on'"
