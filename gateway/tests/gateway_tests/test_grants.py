"""An Oldenburg agent acts for Artland only through Artland's grant, in the granted roles, while it counts."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import nats
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from gateway.app import KEY_EVENTS, PROXY
from gateway.grants import GRANTS_PATH, Grants
from gateway.tokens import TokenCache
from kit.identity import Identity, InternalTokenSigner, InternalTokenVerifier, generate_signing_key
from kit.testing.events import eventually
from kit.testing.infra import InfraServers

from .support import API_KEYS, EchoUpstream, GatewayFactory, StandIn, app_of, days_from_now, grant

Client = TestClient[Any, Any]
PERSON_KEY = "oldenburg-agent-key-0123456789"
CLIENT_KEY = "oldenburg-app-key-0123456789"
KEYS = {
    **API_KEYS,
    PERSON_KEY: {"subject": "anna", "tenant": "oldenburg", "roles": ["agent", "back_office"], "kind": "user"},
    CLIENT_KEY: {"subject": "oldenburg-app", "tenant": "oldenburg", "roles": ["agent"], "scopes": ["knowledge:read"]},
}
ARTLAND = "/v1/tenants/artland/knowledge/articles"


@dataclass
class GrantDirectory(StandIn):
    """The tenants service's grant directory as the gateway sees it; only the gateway's system token may read."""

    verifier: InternalTokenVerifier
    items: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200
    calls: int = 0
    server: TestServer | None = None

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get(GRANTS_PATH, self._directory)
        return app

    async def _directory(self, request: web.Request) -> web.StreamResponse:
        self.calls += 1
        caller = self.verifier.verify(request.headers["Authorization"].removeprefix("Bearer "))
        if caller.kind != "system" or self.status != 200:
            return web.json_response({"status": 503}, status=503 if caller.kind == "system" else 403)
        return web.json_response({"items": self.items})


@pytest.fixture
async def directory(upstreams: dict[str, EchoUpstream]) -> AsyncIterator[GrantDirectory]:
    service = await GrantDirectory(upstreams["knowledge"].verifier).start()
    yield service
    await service.stop()


async def _gateway(make_gateway: GatewayFactory, directory: GrantDirectory, **overrides: Any) -> Client:
    gateway = await make_gateway(tenants_url=directory.url, api_keys=json.dumps(KEYS), **overrides)
    grants = app_of(gateway)[PROXY].grants
    assert grants is not None
    if directory.status == 200:
        await grants.loaded.wait()
    return gateway


async def _as(gateway: Client, key: str, path: str = ARTLAND) -> tuple[int, dict[str, Any] | None]:
    response = await gateway.get(path, headers={"X-API-Key": key})
    body = await response.json()
    return response.status, body.get("identity") if response.status == 200 else None


async def test_an_oldenburg_agent_acts_for_artland_through_its_grant_in_the_granted_roles_only(
    make_gateway: GatewayFactory, directory: GrantDirectory
) -> None:
    directory.items = [grant(roles=("agent", "knowledge_editor"))]
    gateway = await _gateway(make_gateway, directory)

    status, identity = await _as(gateway, PERSON_KEY)
    own_status, own = await _as(gateway, PERSON_KEY, "/v1/tenants/oldenburg/knowledge/articles")
    elsewhere, _ = await _as(gateway, PERSON_KEY, "/v1/tenants/muenchen/knowledge/articles")

    assert status == 200
    assert identity is not None
    assert (identity["subject"], identity["tenant"], identity["roles"], identity["kind"]) == (
        "anna",
        "artland",
        ["agent"],
        "user",
    )
    assert own_status == 200
    assert own is not None
    assert (own["tenant"], own["roles"]) == ("oldenburg", ["agent", "back_office"])
    assert elsewhere == 404


@pytest.mark.parametrize(
    "items",
    [
        [],
        [grant(grantee="muenchen")],
        [grant(roles=("knowledge_editor",))],
        [grant(valid_from=days_from_now(-2), valid_until=days_from_now(-1))],
        [grant(valid_from=days_from_now(1))],
    ],
    ids=["none", "another-grantee", "no-common-role", "expired", "not-yet"],
)
async def test_without_a_grant_that_counts_now_artland_does_not_exist_for_oldenburg(
    make_gateway: GatewayFactory, directory: GrantDirectory, items: list[dict[str, Any]]
) -> None:
    directory.items = items
    gateway = await _gateway(make_gateway, directory)

    assert (await _as(gateway, PERSON_KEY))[0] == 404


async def test_a_client_key_never_acts_through_a_grant(make_gateway: GatewayFactory, directory: GrantDirectory) -> None:
    directory.items = [grant(roles=("agent", "back_office", "knowledge_editor"))]
    gateway = await _gateway(make_gateway, directory)

    assert (await _as(gateway, CLIENT_KEY))[0] == 404
    assert (await _as(gateway, CLIENT_KEY, "/v1/tenants/oldenburg/knowledge/articles"))[0] == 200


async def test_grants_load_once_the_tenants_service_answers_and_none_count_before(
    make_gateway: GatewayFactory, directory: GrantDirectory
) -> None:
    directory.items = [grant()]
    directory.status = 503
    gateway = await _gateway(make_gateway, directory)
    assert (await _as(gateway, PERSON_KEY))[0] == 404

    directory.status = 200

    async def admitted() -> bool:
        return (await _as(gateway, PERSON_KEY))[0] == 200

    await eventually(admitted, within=10)


async def test_grant_events_add_and_revoke_within_seconds(
    make_gateway: GatewayFactory, directory: GrantDirectory, servers: InfraServers
) -> None:
    given = grant()
    gateway = await _gateway(make_gateway, directory, nats_url=servers.nats_url)
    await app_of(gateway)[KEY_EVENTS].subscribed.wait()
    publisher = await nats.connect(servers.nats_url)
    try:
        await publisher.publish("tenants.artland.grant.added.v1", _event("tenants.grant.added.v1", given))

        async def admitted() -> bool:
            return (await _as(gateway, PERSON_KEY))[0] == 200

        await eventually(admitted, within=5)

        await publisher.publish("tenants.artland.grant.removed.v1", _event("tenants.grant.removed.v1", given))

        async def refused() -> bool:
            return (await _as(gateway, PERSON_KEY))[0] == 404

        await eventually(refused, within=5)
    finally:
        await publisher.close()


def _event(event_type: str, data: dict[str, Any]) -> bytes:
    envelope = {"specversion": "1.0", "id": str(uuid.uuid4()), "type": event_type, "tenantid": data["tenant_id"]}
    return json.dumps({**envelope, "source": "/zentrale/tenants", "data": data}).encode()


def _grants() -> Grants:
    signer = InternalTokenSigner(generate_signing_key(), kid="k")
    return Grants(tenants_url="http://127.0.0.1:1", tokens=TokenCache(signer))


def test_an_older_grants_removal_leaves_the_newer_one_and_a_forged_tenant_is_ignored() -> None:
    grants = _grants()
    older, newer = grant(), grant(roles=("back_office",))
    anna = Identity(subject="anna", tenant_id="oldenburg", roles=frozenset({"agent", "back_office"}))
    grants.apply("tenants.artland.grant.added.v1", _event("tenants.grant.added.v1", older))
    grants.apply("tenants.artland.grant.added.v1", _event("tenants.grant.added.v1", newer))

    grants.apply("tenants.artland.grant.removed.v1", _event("tenants.grant.removed.v1", older))
    grants.apply("tenants.muenchen.grant.added.v1", _event("tenants.grant.added.v1", grant(roles=("agent",))))

    assert grants.acting(anna, "artland").roles == frozenset({"back_office"})
    assert len(grants) == 1
