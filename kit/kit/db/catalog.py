"""A check over the catalog that every tenant table is sealed, for every service's tests.

Run it after migrations, connected as any role that can read the catalog. It reports:
tables without ``tenant_id`` that are not declared shared; tenant tables without enabled *and*
forced RLS or without a policy, or with a policy lacking ``WITH CHECK``; unique keys and foreign keys
without ``tenant_id`` (but for references to shared tables); a runtime role that owns tables, is
superuser, may bypass RLS or may change the migrations' bookkeeping (``alembic_version``, which it may read).
"""

from __future__ import annotations

from collections.abc import Iterable

import asyncpg

_TABLES = """
SELECT c.oid, c.relname, c.relrowsecurity, c.relforcerowsecurity, pg_get_userbyid(c.relowner) AS owner,
       (SELECT attnum FROM pg_attribute WHERE attrelid = c.oid AND attname = 'tenant_id' AND NOT attisdropped)
           AS tenant_attnum
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')
ORDER BY c.relname
"""
_POLICIES = "SELECT polname, polcmd, polwithcheck IS NOT NULL AS has_check FROM pg_policy WHERE polrelid = $1"
_UNIQUE_KEYS = """
SELECT i.indexrelid::regclass::text AS name, i.indkey::int2[] AS columns
FROM pg_index i WHERE i.indrelid = $1 AND i.indisunique
"""
_FOREIGN_KEYS = """
SELECT conname, conkey, confrelid::regclass::text AS referenced FROM pg_constraint WHERE conrelid = $1 AND contype = 'f'
"""
_ROLE = "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1"
_CHANGES_VERSIONS = """
SELECT has_table_privilege($1, c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE, TRIGGER')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $2 AND c.relname = 'alembic_version'
"""
_VIEWS = """
SELECT c.relname, c.relkind, c.reloptions FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relkind IN ('v', 'm')
"""


async def tenant_isolation_problems(
    conn: asyncpg.Connection,
    *,
    runtime_role: str,
    shared_tables: Iterable[str] = ("alembic_version",),
    schema: str = "public",
) -> list[str]:
    """Return every way in which ``schema`` fails the tenancy rules (empty when sealed)."""
    shared = set(shared_tables)
    problems: list[str] = []
    role = await conn.fetchrow(_ROLE, runtime_role)
    if role is None:
        problems.append(f"runtime role {runtime_role} does not exist")
    else:
        if role["rolsuper"]:
            problems.append(f"runtime role {runtime_role} is superuser")
        if role["rolbypassrls"]:
            problems.append(f"runtime role {runtime_role} may bypass row-level security")
        if await conn.fetchval(_CHANGES_VERSIONS, runtime_role, schema):
            problems.append(f"alembic_version: the runtime role {runtime_role} may change it")
    for table in await conn.fetch(_TABLES, schema):
        name = table["relname"]
        if table["owner"] == runtime_role:
            problems.append(f"{name}: owned by the runtime role {runtime_role}")
        if name in shared:
            continue
        attnum = table["tenant_attnum"]
        if attnum is None:
            problems.append(f"{name}: no tenant_id column and not declared shared")
            continue
        if not table["relrowsecurity"]:
            problems.append(f"{name}: row-level security not enabled")
        if not table["relforcerowsecurity"]:
            problems.append(f"{name}: row-level security not forced")
        policies = await conn.fetch(_POLICIES, table["oid"])
        if not policies:
            problems.append(f"{name}: no policy")
        for policy in policies:
            writes = policy["polcmd"] in ("*", "a", "w")
            if writes and not policy["has_check"]:
                problems.append(f"{name}: policy {policy['polname']} lets rows be written without WITH CHECK")
        for key in await conn.fetch(_UNIQUE_KEYS, table["oid"]):
            if attnum not in key["columns"]:
                problems.append(f"{name}: unique key {key['name']} without tenant_id")
        for fk in await conn.fetch(_FOREIGN_KEYS, table["oid"]):
            # A row of a shared table belongs to no tenant: a reference to it cannot cross tenants.
            if attnum not in fk["conkey"] and fk["referenced"] not in shared:
                problems.append(f"{name}: foreign key {fk['conname']} without tenant_id")
    for view in await conn.fetch(_VIEWS, schema):
        options = view["reloptions"] or []
        if view["relkind"] == "m":
            problems.append(f"{view['relname']}: materialized views bypass row-level security")
        elif "security_invoker=true" not in options:
            problems.append(f"{view['relname']}: view without security_invoker=true")
    return problems
