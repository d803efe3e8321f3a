"""Municipalities the knowledge tests serve, and the headers their people act with."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx

from kit.testing.infra import ScratchDatabase
from kit.testing.keys import SigningKeys

HOST = "oldenburg"
TENANTS = {
    "oldenburg": "Stadt Oldenburg",
    "artland": "Samtgemeinde Artland",
    "rheine": "Stadt Rheine",
    "muenchen": "Landeshauptstadt München",
}
# Descriptions the tests write: a shared one with several kinds of part, and a short one.
PASSPORT: dict[str, Any] = {
    "leika_key": "99085001012000",
    "content": {
        "name": "Reisepass beantragen",
        "modules": {"full_text": "Einen Reisepass beantragen Sie persönlich.", "procedure": "Termin vereinbaren."},
        "fees": [{"label": "Reisepass (ab 24 Jahren)", "amount_eur": "70.00"}],
        "synonyms": ["Pass"],
        "source": "FIM Stammtext",
    },
}
BULKY_WASTE: dict[str, Any] = {"content": {"name": "Sperrmüll anmelden", "synonyms": ["Sperrmüllkarte"]}}


async def know_tenants(database: ScratchDatabase, tenants: dict[str, str] = TENANTS) -> None:
    """Put municipalities into the service's directory, as the tenants events would."""
    conn = await asyncpg.connect(database.admin_url)
    try:
        await conn.executemany(
            "INSERT INTO known_tenants (tenant_id, name, created_at) VALUES ($1, $2, now())", tenants.items()
        )
    finally:
        await conn.close()


async def admin_rows(database: ScratchDatabase, query: str, *args: Any) -> list[asyncpg.Record]:
    """Rows as the superuser sees them: what was really written, whatever the tenant."""
    conn = await asyncpg.connect(database.admin_url)
    try:
        return list(await conn.fetch(query, *args))
    finally:
        await conn.close()


def agent(keys: SigningKeys, tenant_id: str) -> dict[str, str]:
    return keys.headers_for(tenant_id, "agent")


def tenant_admin(keys: SigningKeys, tenant_id: str) -> dict[str, str]:
    return keys.headers_for(tenant_id, "tenant_admin")


def editor(keys: SigningKeys, tenant_id: str = HOST) -> dict[str, str]:
    """A knowledge editor, of the host unless told otherwise (acting for ``tenant_id`` through a grant)."""
    return keys.headers_for(tenant_id, "knowledge_editor", subject="editor-meyer")


def operator(keys: SigningKeys, tenant_id: str | None = None) -> dict[str, str]:
    return keys.headers_for(tenant_id, "operator")


async def published(client: httpx.AsyncClient, path: str, body: dict[str, Any], headers: dict[str, str]) -> str:
    """Create a description under ``path`` and publish it at once; its id."""
    created = await client.post(path, json=body, headers=headers)
    assert created.status_code == 201, created.text
    moved = await client.put(
        f"{path}/{created.json()['id']}/status", json={"status": "published"}, headers=headers | {"If-Match": '"1"'}
    )
    assert moved.status_code == 200, moved.text
    return str(created.json()["id"])
