"""The sample tenant table, a sample API and event helpers the kit's tests work on."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import BigInteger, Column, MetaData, Table, Text, insert

from kit.app import create_service_app
from kit.db.database import Database, TenantConnection, TenantSession
from kit.events import CloudEvent, new_event, record_event
from kit.settings import Environment, ServiceSettings
from kit.web.deps import TenantSessionDep

SERVICE = "kitsample"
STREAM = "KITSAMPLE"
NOTE_ADDED = "kitsample.note.added.v1"
MIGRATIONS = Path(__file__).parent / "sample_migrations"

notes = Table(
    "notes",
    MetaData(),
    Column("tenant_id", Text, primary_key=True),
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("body", Text, nullable=False),
)


def note_added(tenant_id: str, body: str) -> CloudEvent:
    return new_event(service=SERVICE, type=NOTE_ADDED, tenant_id=tenant_id, data={"body": body})


async def add_note(session: TenantSession, body: str) -> CloudEvent:
    """A change and its event, in the caller's transaction."""
    assert session.tenant_id is not None
    await session.execute(insert(notes).values(tenant_id=session.tenant_id, body=body))
    event = note_added(session.tenant_id, body)
    await record_event(session, event)
    return event


async def commit_note(database: Database, tenant_id: str, body: str) -> CloudEvent:
    async with database.transaction(tenant_id) as session:
        return await add_note(session, body)


async def record_effect(session: TenantSession, event: CloudEvent) -> None:
    """The consumer's effect: one row per handled event."""
    await session.execute(insert(notes).values(tenant_id=event.tenantid, body=f"effect:{event.id}"))


async def record_effect_lean(connection: TenantConnection, event: CloudEvent) -> None:
    """The same effect in plain SQL, as a ``lean_handler``."""
    await connection.execute(
        "INSERT INTO notes (tenant_id, body) VALUES ($1, $2)", event.tenantid, f"effect:{event.id}"
    )


class NoteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: str = Field(min_length=1, max_length=100)
    priority: int = 0


router = APIRouter()


@router.post("/tenants/{tenant_id}/notes", status_code=201)
async def create_note(data: NoteCreate, session: TenantSessionDep) -> dict[str, str]:
    """Add a note and announce it."""
    event = await add_note(session, data.body)
    return {"event_id": event.id}


def sample_app(
    *, database_url: str, nats_url: str, jwks: str, max_body_bytes: int = 2048, **settings_values: Any
) -> FastAPI:
    settings = ServiceSettings(
        service_name=SERVICE,
        environment=Environment.TEST,
        database_url=database_url,
        nats_url=nats_url,
        internal_public_keys=jwks,
        max_body_bytes=max_body_bytes,
        **settings_values,
    )
    return create_service_app(settings, title="sample", description="The kit's sample service", routers=[router])


def sample_app_from_environment() -> FastAPI:
    """The sample app as an app factory of ``python -m kit.serve``, set up by ``SAMPLE_*`` variables."""
    return sample_app(
        database_url=os.environ["SAMPLE_DATABASE_URL"],
        nats_url=os.environ["SAMPLE_NATS_URL"],
        jwks=os.environ["SAMPLE_JWKS"],
    )
