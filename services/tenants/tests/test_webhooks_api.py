"""Managing webhook subscriptions: who may, what is refused, and one tenant never reaches another's."""

from __future__ import annotations

import uuid

import httpx
import orjson
import pytest

from kit.testing.checks import service_client
from kit.testing.infra import InfraServers, ScratchDatabase
from kit.testing.keys import SigningKeys
from tenants.app import create_app
from tenants.settings import get_settings

from .registry import ARTLAND, OLDENBURG, admin, admin_rows, agent, operator, register

HOOKS = "/v1/tenants/artland/webhooks"
TARGET = "http://127.0.0.1:9/hooks/artland"


@pytest.fixture(autouse=True)
def loopback_targets_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test receivers listen on 127.0.0.1; every other non-public range stays refused."""
    monkeypatch.setenv("TENANTS_WEBHOOK_ALLOWED_TARGET_NETWORKS", '["127.0.0.0/8"]')


async def _subscribe(client: httpx.AsyncClient, keys: SigningKeys, **body: object) -> dict[str, object]:
    response = await client.post(HOOKS, json={"url": TARGET, **body}, headers=admin(keys, "artland"))
    assert response.status_code == 201, response.text
    created: dict[str, object] = response.json()
    return created


async def test_tenant_admin_subscribes_and_sees_the_secret_only_once(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    await register(client, keys, ARTLAND)
    response = await client.post(
        HOOKS,
        json={"url": TARGET, "event_types": ["tickets.ticket.*", "tickets.ticket.*"], "description": "Fachverfahren"},
        headers=admin(keys, "artland"),
    )
    created = response.json()

    assert response.status_code == 201, response.text
    assert str(created["secret"]).startswith("whsec_")
    assert created["event_types"] == ["tickets.ticket.*"]
    assert created["enabled"] is True
    assert response.headers["location"] == f"{HOOKS}/{created['id']}"
    read = await client.get(f"{HOOKS}/{created['id']}", headers=admin(keys, "artland"))
    assert read.status_code == 200
    assert "secret" not in read.json()
    assert read.json()["description"] == "Fachverfahren"
    assert read.headers["etag"] == '"1"'


async def test_operators_manage_any_tenants_webhooks(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    await register(client, keys, ARTLAND)
    created = await client.post(HOOKS, json={"url": TARGET}, headers=operator(keys, "artland"))
    listed = await client.get(HOOKS, headers=operator(keys, "artland"))

    assert created.status_code == 201
    assert [item["id"] for item in listed.json()["items"]] == [created.json()["id"]]


async def test_other_roles_are_forbidden(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    await register(client, keys, ARTLAND)
    created = await _subscribe(client, keys)
    one = f"{HOOKS}/{created['id']}"

    responses = [
        await client.post(HOOKS, json={"url": TARGET}, headers=agent(keys, "artland")),
        await client.get(HOOKS, headers=agent(keys, "artland")),
        await client.get(one, headers=keys.headers_for("artland", "knowledge_editor")),
        await client.get(f"{one}/deliveries", headers=keys.headers_for("artland", "back_office")),
        await client.delete(one, headers=agent(keys, "artland")),
    ]

    assert [r.status_code for r in responses] == [403] * len(responses)
    assert responses[0].headers["content-type"] == "application/problem+json"


async def test_list_pages_with_a_cursor_newest_first(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    await register(client, keys, ARTLAND)
    ids = [(await _subscribe(client, keys, description=f"hook {n}"))["id"] for n in range(3)]

    first = (await client.get(HOOKS, params={"limit": 2}, headers=admin(keys, "artland"))).json()
    second = (
        await client.get(HOOKS, params={"limit": 2, "cursor": first["next_cursor"]}, headers=admin(keys, "artland"))
    ).json()
    broken = await client.get(HOOKS, params={"cursor": "not-a-cursor"}, headers=admin(keys, "artland"))

    assert [item["id"] for item in first["items"] + second["items"]] == ids[::-1]
    assert second["next_cursor"] is None
    assert broken.status_code == 422
    assert [e["field"] for e in broken.json()["errors"]] == ["cursor"]


async def test_update_needs_the_current_etag(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    await register(client, keys, ARTLAND)
    one = f"{HOOKS}/{(await _subscribe(client, keys))['id']}"
    headers = admin(keys, "artland")

    missing = await client.patch(one, json={"description": "x"}, headers=headers)
    updated = await client.patch(
        one, json={"event_types": ["knowledge.*"], "enabled": False}, headers={**headers, "If-Match": '"1"'}
    )
    stale = await client.patch(one, json={"description": "y"}, headers={**headers, "If-Match": '"1"'})
    nulled = await client.patch(one, json={"url": None}, headers={**headers, "If-Match": '"2"'})

    assert missing.status_code == 428
    assert updated.status_code == 200
    assert updated.headers["etag"] == '"2"'
    assert updated.json()["event_types"] == ["knowledge.*"]
    assert updated.json()["enabled"] is False
    assert stale.status_code == 412
    assert nulled.status_code == 422
    assert [e["field"] for e in nulled.json()["errors"]] == ["url"]


async def test_delete_removes_the_subscription(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    await register(client, keys, ARTLAND)
    one = f"{HOOKS}/{(await _subscribe(client, keys))['id']}"

    deleted = await client.delete(one, headers=admin(keys, "artland"))
    again = await client.delete(one, headers=admin(keys, "artland"))
    read = await client.get(one, headers=admin(keys, "artland"))

    assert (deleted.status_code, again.status_code, read.status_code) == (204, 404, 404)


async def test_rotating_gives_a_new_secret(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    await register(client, keys, ARTLAND)
    created = await _subscribe(client, keys)

    rotated = await client.post(f"{HOOKS}/{created['id']}/rotate-secret", headers=admin(keys, "artland"))

    assert rotated.status_code == 200
    assert rotated.json()["secret"] != created["secret"]
    assert str(rotated.json()["secret"]).startswith("whsec_")
    assert rotated.json()["previous_secret_expires_at"] is not None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://partner.example/hook"}, "url"),
        ({"url": "https://user:secret@partner.example/hook"}, "url"),
        ({"url": "http://10.1.2.3/hook"}, "url"),
        ({"url": "http://169.254.169.254/latest/meta-data"}, "url"),
        ({"url": "http://[fd00::1]/hook"}, "url"),
        ({"url": TARGET, "event_types": ["tickets.ticket.*", "*"]}, "event_types.1"),
        ({"url": TARGET, "secret": "whsec_mine"}, "secret"),
    ],
)
async def test_refused_subscriptions_name_the_field(
    client: httpx.AsyncClient, keys: SigningKeys, body: dict[str, object], field: str
) -> None:
    await register(client, keys, ARTLAND)
    response = await client.post(HOOKS, json=body, headers=admin(keys, "artland"))

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == [field]


async def test_loopback_is_refused_unless_the_operator_allows_it(
    tenants_db: ScratchDatabase, servers: InfraServers, keys: SigningKeys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TENANTS_WEBHOOK_ALLOWED_TARGET_NETWORKS")
    async with service_client(
        create_app,
        get_settings,
        prefix="TENANTS",
        database=tenants_db,
        servers=servers,
        keys=keys,
        monkeypatch=monkeypatch,
    ) as strict:
        await register(strict, keys, ARTLAND)
        literal = await strict.post(HOOKS, json={"url": TARGET}, headers=admin(keys, "artland"))
        named = await strict.post(HOOKS, json={"url": "http://localhost/hook"}, headers=admin(keys, "artland"))

    assert literal.status_code == 422
    assert "loopback" in literal.json()["errors"][0]["detail"]
    assert named.status_code == 422
    assert [e["field"] for e in named.json()["errors"]] == ["url"]


async def test_an_idempotent_create_is_answered_once(
    client: httpx.AsyncClient, keys: SigningKeys, tenants_db: ScratchDatabase
) -> None:
    await register(client, keys, ARTLAND)
    headers = {**admin(keys, "artland"), "Idempotency-Key": "create-1"}

    first = await client.post(HOOKS, json={"url": TARGET}, headers=headers)
    again = await client.post(HOOKS, json={"url": TARGET}, headers=headers)
    other = await client.post(HOOKS, json={"url": TARGET, "description": "other"}, headers=headers)

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert other.status_code == 422
    rows = await admin_rows(tenants_db, "SELECT count(*) AS n FROM webhook_subscriptions")
    assert rows[0]["n"] == 1


async def test_changes_are_announced_without_the_secret(
    client: httpx.AsyncClient, keys: SigningKeys, tenants_db: ScratchDatabase
) -> None:
    await register(client, keys, ARTLAND)
    created = await _subscribe(client, keys)
    one = f"{HOOKS}/{created['id']}"
    await client.patch(one, json={"description": "new"}, headers={**admin(keys, "artland"), "If-Match": '"1"'})
    rotated = await client.post(f"{one}/rotate-secret", headers=admin(keys, "artland"))
    await client.delete(one, headers=admin(keys, "artland"))

    rows = await admin_rows(
        tenants_db, "SELECT tenant_id, subject, payload FROM outbox WHERE subject LIKE 'tenants.artland.webhook.%'"
    )
    assert [row["subject"] for row in rows] == [
        "tenants.artland.webhook.created.v1",
        "tenants.artland.webhook.updated.v1",
        "tenants.artland.webhook.secret_rotated.v1",
        "tenants.artland.webhook.deleted.v1",
    ]
    payloads = [bytes(row["payload"]) for row in rows]
    assert not any(b"whsec_" in payload for payload in payloads)
    assert orjson.loads(payloads[1])["data"]["description"] == "new"
    assert rotated.json()["secret"] not in str(payloads)


async def test_a_tenant_that_does_not_exist_has_no_webhooks(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    response = await client.post(
        "/v1/tenants/nowhere/webhooks", json={"url": TARGET}, headers=operator(keys, "nowhere")
    )
    assert response.status_code == 404


def _every_endpoint(tenant: str, webhook_id: object, delivery_id: object) -> list[tuple[str, str, object]]:
    one = f"/v1/tenants/{tenant}/webhooks/{webhook_id}"
    delivery = f"{one}/deliveries/{delivery_id}"
    return [
        ("GET", f"/v1/tenants/{tenant}/webhooks", None),
        ("POST", f"/v1/tenants/{tenant}/webhooks", {"url": TARGET}),
        ("GET", one, None),
        ("PATCH", one, {"description": "taken over"}),
        ("DELETE", one, None),
        ("POST", f"{one}/rotate-secret", None),
        ("POST", f"{one}/test", None),
        ("GET", f"{one}/deliveries", None),
        ("GET", delivery, None),
        ("POST", f"{delivery}/redeliver", None),
    ]


async def test_another_tenants_admin_finds_nothing_anywhere(
    client: httpx.AsyncClient, keys: SigningKeys, tenants_db: ScratchDatabase
) -> None:
    await register(client, keys, ARTLAND, OLDENBURG)
    created = await _subscribe(client, keys)
    tested = await client.post(f"{HOOKS}/{created['id']}/test", headers=admin(keys, "artland"))
    delivery_id = tested.json()["id"]
    oldenburg = {**admin(keys, "oldenburg"), "If-Match": '"1"'}

    through_artlands_url = [
        (method, url, await client.request(method, url, json=body, headers=oldenburg))
        for method, url, body in _every_endpoint("artland", created["id"], delivery_id)
    ]
    through_own_url = [
        (method, url, await client.request(method, url, json=body, headers=oldenburg))
        for method, url, body in _every_endpoint("oldenburg", created["id"], delivery_id)[2:]
    ]

    assert [(m, u, r.status_code) for m, u, r in through_artlands_url] == [
        (m, u, 404) for m, u, _ in through_artlands_url
    ]
    assert [(m, u, r.status_code) for m, u, r in through_own_url] == [(m, u, 404) for m, u, _ in through_own_url]
    read = await client.get(f"{HOOKS}/{created['id']}", headers=admin(keys, "artland"))
    assert read.json()["version"] == 1
    rows = await admin_rows(tenants_db, "SELECT tenant_id FROM webhook_subscriptions")
    assert [row["tenant_id"] for row in rows] == ["artland"]


async def test_unknown_ids_are_not_found(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    await register(client, keys, ARTLAND)
    created = await _subscribe(client, keys)
    unknown = uuid.uuid4()

    responses = [
        await client.get(f"{HOOKS}/{unknown}", headers=admin(keys, "artland")),
        await client.get(f"{HOOKS}/{unknown}/deliveries", headers=admin(keys, "artland")),
        await client.get(f"{HOOKS}/{created['id']}/deliveries/{unknown}", headers=admin(keys, "artland")),
        await client.post(f"{HOOKS}/{created['id']}/deliveries/{unknown}/redeliver", headers=admin(keys, "artland")),
    ]

    assert [r.status_code for r in responses] == [404, 404, 404, 404]
