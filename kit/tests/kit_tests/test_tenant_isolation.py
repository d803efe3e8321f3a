"""Row-level security as the runtime role: each tenant sees and writes only its own rows."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from sqlalchemy import bindparam, func, insert, select, text
from sqlalchemy.exc import DBAPIError

from kit.db.catalog import tenant_isolation_problems
from kit.db.database import Database
from kit.db.rls import rls_statements
from kit.testing.infra import ScratchDatabase

from .sample import notes


async def _add(db: Database, tenant: str, body: str) -> None:
    async with db.transaction(tenant) as session:
        await session.execute(insert(notes).values(tenant_id=tenant, body=body))


async def test_each_tenant_sees_only_its_rows(database: Database) -> None:
    await _add(database, "artland", "a1")
    await _add(database, "artland", "a2")
    await _add(database, "oldenburg", "o1")

    async with database.transaction("artland") as session:
        artland = (await session.execute(select(notes.c.body).order_by(notes.c.body))).scalars().all()
    lean = await database.fetch_all("oldenburg", select(notes.c.body))

    assert artland == ["a1", "a2"]
    assert [row["body"] for row in lean] == ["o1"]


async def test_no_tenant_reads_nothing_and_writes_nothing(database: Database) -> None:
    await _add(database, "artland", "a1")

    async with database.transaction(None) as session:
        count = (await session.execute(select(func.count()).select_from(notes))).scalar_one()
    assert count == 0
    with pytest.raises(DBAPIError, match="row-level security"):
        async with database.transaction(None) as session:
            await session.execute(insert(notes).values(tenant_id="artland", body="sneaky"))


async def test_row_for_another_tenant_is_refused(database: Database) -> None:
    with pytest.raises(DBAPIError, match="row-level security"):
        async with database.transaction("artland") as session:
            await session.execute(insert(notes).values(tenant_id="oldenburg", body="foreign"))
    async with database.transaction("oldenburg") as session:
        assert (await session.execute(select(func.count()).select_from(notes))).scalar_one() == 0


async def test_update_cannot_move_a_row_to_another_tenant(database: Database) -> None:
    await _add(database, "artland", "a1")
    with pytest.raises(DBAPIError, match="row-level security"):
        async with database.transaction("artland") as session:
            await session.execute(notes.update().values(tenant_id="oldenburg"))


async def test_pooled_connection_never_carries_the_previous_tenant(sample_db: ScratchDatabase) -> None:
    single = Database(sample_db.runtime_url, pool_size=1, max_overflow=0)
    try:
        await _add(single, "artland", "a1")
        await _add(single, "oldenburg", "o1")
        await single.fetch_all("artland", select(notes.c.body))

        async with single.session(None) as session:
            leftover = (await session.execute(text("SELECT current_setting('app.tenant_id', true)"))).scalar()
            visible = (await session.execute(select(notes.c.body))).scalars().all()
        oldenburg = await single.fetch_all("oldenburg", select(notes.c.body))
    finally:
        await single.dispose()

    assert leftover in ("", None)
    assert visible == []
    assert [row["body"] for row in oldenburg] == ["o1"]


async def test_tenant_set_again_after_commit_inside_one_session(database: Database) -> None:
    await _add(database, "artland", "a1")
    async with database.session("artland") as session:
        async with session.begin():
            first = (await session.execute(select(notes.c.body))).scalars().all()
        async with session.begin():
            second = (await session.execute(select(notes.c.body))).scalars().all()
    assert first == second == ["a1"]


@pytest.mark.parametrize("disabled", ["enable_seqscan", "enable_indexscan"])
async def test_lean_read_sets_tenant_in_one_statement_for_every_plan(sample_db: ScratchDatabase, disabled: str) -> None:
    single = Database(sample_db.runtime_url, pool_size=1, max_overflow=0)
    try:
        await _add(single, "artland", "a1")
        await _add(single, "oldenburg", "o1")
        async with single.engine.connect() as conn:
            await conn.execute(text(f"SET {disabled} = off"))
            await conn.commit()
        by_id = await single.fetch_all("artland", select(notes.c.body).where(notes.c.id == bindparam("id")), {"id": 1})
        everything = await single.fetch_all("artland", select(notes.c.body))
    finally:
        await single.dispose()
    assert [r["body"] for r in by_id] == ["a1"]
    assert [r["body"] for r in everything] == ["a1"]


async def test_migrated_schema_passes_the_catalog_check(sample_db: ScratchDatabase) -> None:
    conn = await asyncpg.connect(sample_db.admin_url)
    try:
        problems = await tenant_isolation_problems(conn, runtime_role=sample_db.spec.runtime)
    finally:
        await conn.close()
    assert problems == []


async def test_catalog_check_finds_unsealed_tables(sample_db: ScratchDatabase) -> None:
    conn = await asyncpg.connect(sample_db.owner_url)
    try:
        await conn.execute("CREATE TABLE loose (tenant_id text, id int, CONSTRAINT uq_loose_id UNIQUE (id))")
        await conn.execute("ALTER TABLE loose ENABLE ROW LEVEL SECURITY")
        await conn.execute("CREATE TABLE shared_codes (code text PRIMARY KEY)")
        problems = await tenant_isolation_problems(conn, runtime_role=sample_db.spec.runtime)
    finally:
        await conn.close()
    assert "loose: row-level security not forced" in problems
    assert "loose: no policy" in problems
    assert "loose: unique key uq_loose_id without tenant_id" in problems
    assert "shared_codes: no tenant_id column and not declared shared" in problems


async def test_catalog_check_lets_tenant_rows_refer_to_shared_rows_only(sample_db: ScratchDatabase) -> None:
    conn = await asyncpg.connect(sample_db.owner_url)
    try:
        await conn.execute("CREATE TABLE catalogue (code text PRIMARY KEY)")
        await conn.execute("CREATE TABLE lookups (tenant_id text, id int UNIQUE, PRIMARY KEY (tenant_id, id))")
        await conn.execute(
            """
            CREATE TABLE picks (
                tenant_id text, id int, code text REFERENCES catalogue, lookup int REFERENCES lookups (id),
                PRIMARY KEY (tenant_id, id)
            )
            """
        )
        for table in ("lookups", "picks"):
            for statement in rls_statements(table):
                await conn.execute(statement)
        problems = await tenant_isolation_problems(
            conn, runtime_role=sample_db.spec.runtime, shared_tables=("alembic_version", "catalogue")
        )
    finally:
        await conn.close()
    assert [p for p in problems if p.startswith("picks")] == ["picks: foreign key picks_lookup_fkey without tenant_id"]


async def test_catalog_check_refuses_a_privileged_runtime_role(sample_db: ScratchDatabase) -> None:
    conn = await asyncpg.connect(sample_db.admin_url)
    try:
        await conn.execute(f'ALTER ROLE "{sample_db.spec.runtime}" BYPASSRLS')
        problems = await tenant_isolation_problems(conn, runtime_role=sample_db.spec.runtime)
        await conn.execute(f'ALTER ROLE "{sample_db.spec.runtime}" NOBYPASSRLS')
    finally:
        await conn.close()
    assert f"runtime role {sample_db.spec.runtime} may bypass row-level security" in problems


async def test_a_lean_read_keeps_its_own_order_and_limit(database: Database) -> None:
    for body in ("a3", "a1", "a2"):
        await _add(database, "artland", body)

    first_two = await database.fetch_all("artland", select(notes.c.body).order_by(notes.c.body.desc()).limit(2))
    last = await database.fetch_one("artland", select(notes.c.body).order_by(notes.c.body).limit(1).offset(2))

    assert [row["body"] for row in first_two] == ["a3", "a2"]
    assert last is not None
    assert last["body"] == "a3"


async def test_a_lean_transaction_sees_and_writes_only_its_tenant(database: Database) -> None:
    await _add(database, "oldenburg", "o1")

    async with database.lean_transaction("artland") as connection:
        await connection.execute("INSERT INTO notes (tenant_id, body) VALUES ('artland', 'a1')")
        seen = [row["body"] for row in await connection.fetch("SELECT body FROM notes")]
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
        async with database.lean_transaction("artland") as connection:
            await connection.execute("INSERT INTO notes (tenant_id, body) VALUES ('oldenburg', 'foreign')")

    assert seen == ["a1"]
    assert [row["body"] for row in await database.fetch_all("oldenburg", select(notes.c.body))] == ["o1"]


async def test_a_failed_lean_transaction_writes_nothing_and_leaves_no_tenant(sample_db: ScratchDatabase) -> None:
    single = Database(sample_db.runtime_url, pool_size=1)

    async def failing() -> None:
        async with single.lean_transaction("artland") as connection:
            await connection.execute("INSERT INTO notes (tenant_id, body) VALUES ('artland', 'half')")
            raise RuntimeError("the handler failed")

    try:
        with pytest.raises(RuntimeError):
            await failing()
        async with single.transaction(None) as session:
            tenant = (await session.execute(text("SELECT current_setting('app.tenant_id', true)"))).scalar_one()
        assert await single.fetch_all("artland", select(notes.c.body)) == []
        assert tenant in ("", None)
    finally:
        await single.dispose()


async def test_a_lean_transactions_first_statement_runs_inside_it_after_the_tenant(sample_db: ScratchDatabase) -> None:
    single = Database(sample_db.runtime_url, pool_size=1)
    try:
        async with single.lean_transaction("artland", first="SELECT pg_advisory_xact_lock(42)") as connection:
            row = await connection.fetchrow(
                "SELECT current_setting('app.tenant_id') AS tenant,"
                " (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 42"
                " AND pid = pg_backend_pid()) AS locks"
            )
        assert row is not None
        assert (row["tenant"], row["locks"]) == ("artland", 1)
        with pytest.raises(asyncpg.UndefinedFunctionError):
            async with single.lean_transaction("artland", first="SELECT no_such_function()"):
                pass
        # The failed start was rolled back: the one pooled connection takes a new transaction at once.
        async with single.lean_transaction("oldenburg") as connection:
            after = await connection.fetchrow("SELECT current_setting('app.tenant_id') AS tenant")
        assert after is not None
        assert after["tenant"] == "oldenburg"
    finally:
        await single.dispose()


async def test_a_cancelled_lean_transaction_does_not_hand_its_connection_on(sample_db: ScratchDatabase) -> None:
    single = Database(sample_db.runtime_url, pool_size=1)

    async def slow() -> None:
        async with single.lean_transaction("artland") as connection:
            await connection.execute("INSERT INTO notes (tenant_id, body) VALUES ('artland', 'cut')")
            await connection.execute("SELECT pg_sleep(10)")

    try:
        task = asyncio.create_task(slow())
        await asyncio.sleep(0.5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        async with single.lean_transaction("oldenburg") as connection:
            row = await connection.fetchrow(
                "SELECT current_setting('app.tenant_id') AS tenant, count(*) AS n FROM notes"
            )
        assert row is not None
        assert (row["tenant"], row["n"]) == ("oldenburg", 0)
        assert await single.fetch_all("artland", select(notes.c.body)) == []
    finally:
        await single.dispose()


async def test_a_lean_transaction_refuses_what_is_not_a_tenant_id(database: Database) -> None:
    with pytest.raises(ValueError, match="not a tenant id"):
        async with database.lean_transaction("x'); DROP TABLE notes; --"):
            pass
