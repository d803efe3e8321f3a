"""The sample tenant table the kit's tests work on."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import BigInteger, Column, MetaData, Table, Text

MIGRATIONS = Path(__file__).parent / "sample_migrations"

notes = Table(
    "notes",
    MetaData(),
    Column("tenant_id", Text, primary_key=True),
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("body", Text, nullable=False),
)
