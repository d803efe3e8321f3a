"""Two gateway processes share their rate-limit counts through NATS key-value; without NATS each limits alone.

Windows of an hour keep a test from straddling two windows.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from typing import Any

from aiohttp.test_utils import TestClient
from nats.aio.client import Client as NATS

from gateway.app import RATE_LIMITS
from gateway.rate_limit_store import parse_counts
from gateway.rate_limits import subject_key
from kit.errors import PROBLEM_JSON
from kit.local.nats import LocalNats
from kit.testing.events import eventually
from kit.testing.infra import InfraServers

from .support import API_KEYS, ARTLAND_KEY, OPERATOR_KEY, GatewayFactory, app_of

Client = TestClient[Any, Any]
FLUSH = 0.05
PORTAL_KEY = "artland-portal-key-0123456789"
BURG_KEY = "burg-key-0123456789"
KEYS = {
    **API_KEYS,
    PORTAL_KEY: {"subject": "artland-portal", "tenant": "artland", "roles": ["agent"], "scopes": ["knowledge:read"]},
    BURG_KEY: {"subject": "burg-app", "tenant": "burg", "roles": ["agent"], "scopes": ["knowledge:read"]},
}


def _path(tenant: str) -> str:
    return f"/v1/tenants/{tenant}/knowledge/articles"


async def _pair(make_gateway: GatewayFactory, nats_url: str, **limits: Any) -> tuple[Client, Client]:
    """Two gateways with their own limiter and NATS connection, sharing one bucket."""
    settings = {
        "nats_url": nats_url,
        "api_keys": json.dumps(KEYS),
        "rate_limit_window": 3600,
        "rate_limit_flush_interval": FLUSH,
        "rate_limit_bucket": f"RL_{uuid.uuid4().hex}",
        **limits,
    }
    gateways = (await make_gateway(**settings), await make_gateway(**settings))
    for gateway in gateways:
        await asyncio.wait_for(app_of(gateway)[RATE_LIMITS].ready.wait(), 10)
    return gateways


async def _spread(gateways: tuple[Client, Client], key: str, tenant: str, *, rounds: int, per_round: int) -> list[int]:
    """Send ``per_round`` requests to each gateway per round, letting the counts travel between rounds."""
    statuses = []
    for _ in range(rounds):
        for gateway in gateways:
            for _ in range(per_round):
                statuses.append((await gateway.get(_path(tenant), headers={"X-API-Key": key})).status)
        await asyncio.sleep(4 * FLUSH)
    return statuses


def _used(gateway: Client, subject: str) -> int:
    """The requests of ``subject`` a gateway knows of in the current window: its own and the other's."""
    counters = app_of(gateway)[RATE_LIMITS].limiter.counters()
    return sum(counter.used for counter in counters if counter.key == subject_key(subject))


async def test_a_client_limit_is_shared_by_two_gateways(
    make_gateway: GatewayFactory, servers: InfraServers, nats_client: NATS
) -> None:
    gateways = await _pair(make_gateway, servers.nats_url, rate_limit_client=30)
    statuses = await _spread(gateways, ARTLAND_KEY, "artland", rounds=6, per_round=5)
    admitted = statuses.count(200)
    # Overshoot is at most what the other replica admits within one flush interval: one round here.
    assert 30 <= admitted <= 30 + 5
    assert statuses[-10:] == [429] * 10

    for gateway in gateways:
        refused = await gateway.get(_path("artland"), headers={"X-API-Key": ARTLAND_KEY})
        assert refused.status == 429
        assert refused.headers["Content-Type"] == PROBLEM_JSON
        assert 0 < int(refused.headers["Retry-After"]) <= 3600
        assert refused.headers["RateLimit-Policy"] == '"client";q=30;w=3600, "tenant";q=3000;w=3600'
        assert refused.headers["RateLimit"].startswith('"client";r=0;t=')
        problem = await refused.json(content_type=PROBLEM_JSON)
        assert (problem["status"], problem["limit"], problem["quota"]) == (429, "client", 30)
        assert "X-Request-Id" in refused.headers

    for gateway in gateways:
        other = await gateway.get(_path("artland"), headers={"X-API-Key": PORTAL_KEY})
        assert other.status == 200
        assert other.headers["RateLimit-Policy"] == '"client";q=30;w=3600, "tenant";q=3000;w=3600'
        assert (await gateway.get(_path("burg"), headers={"X-API-Key": BURG_KEY})).status == 200
        assert (await gateway.get(_path("artland"), headers={"X-API-Key": OPERATOR_KEY})).status == 200

    # The store holds one document per replica and window; together they count every admission, naming no subject.
    await asyncio.sleep(4 * FLUSH)
    kv = await nats_client.jetstream().key_value(app_of(gateways[0])[RATE_LIMITS].limiter.config.bucket)
    keys = await kv.keys()
    replicas = {app_of(gateway)[RATE_LIMITS].replica for gateway in gateways}
    assert {key.partition(".")[2] for key in keys} == replicas
    documents = [(await kv.get(key)).value or b"" for key in keys]
    assert sum(parse_counts(document).get(subject_key("artland-app"), 0) for document in documents) == admitted
    assert not any(b"artland-app" in document for document in documents)


async def test_a_tenant_override_is_shared_and_spares_other_tenants(
    make_gateway: GatewayFactory, servers: InfraServers
) -> None:
    overrides = json.dumps({"artland": {"tenant": 20}})
    gateways = await _pair(make_gateway, servers.nats_url, rate_limit_client=100, rate_limit_overrides=overrides)
    statuses = []
    for key in (ARTLAND_KEY, PORTAL_KEY):
        statuses += await _spread(gateways, key, "artland", rounds=3, per_round=4)
    assert 20 <= statuses.count(200) <= 20 + 4
    refused = await gateways[1].get(_path("artland"), headers={"X-API-Key": PORTAL_KEY})
    assert refused.status == 429
    assert (await refused.json(content_type=PROBLEM_JSON))["limit"] == "tenant"
    assert refused.headers["RateLimit-Policy"] == '"client";q=100;w=3600, "tenant";q=20;w=3600'

    burg = await gateways[0].get(_path("burg"), headers={"X-API-Key": BURG_KEY})
    assert burg.status == 200
    assert re.fullmatch(r'"client";r=99;t=\d+, "tenant";r=2999;t=\d+', burg.headers["RateLimit"])


async def test_without_nats_each_gateway_limits_on_its_own_and_requests_pass(make_gateway: GatewayFactory) -> None:
    gateway = await make_gateway(rate_limit_client=5, rate_limit_window=3600)
    statuses = [(await gateway.get(_path("artland"), headers={"X-API-Key": ARTLAND_KEY})).status for _ in range(7)]
    assert statuses == [200] * 5 + [429] * 2
    assert not app_of(gateway)[RATE_LIMITS].shared


async def test_when_nats_goes_away_the_gateways_keep_serving_and_limiting(
    make_gateway: GatewayFactory, own_nats: LocalNats
) -> None:
    gateways = await _pair(make_gateway, own_nats.url, rate_limit_client=20)
    statuses = await _spread(gateways, ARTLAND_KEY, "artland", rounds=1, per_round=4)
    assert statuses == [200] * 8
    for gateway in gateways:

        async def knows_all(gateway: Client = gateway) -> bool:
            return _used(gateway, "artland-app") == 8

        await eventually(knows_all)

    own_nats.stop()
    # Each replica knows the 8 shared requests and counts the rest alone: 12 more on each.
    statuses = await _spread(gateways, ARTLAND_KEY, "artland", rounds=1, per_round=14)
    assert statuses == ([200] * 12 + [429] * 2) * 2
    assert (await gateways[0].get(_path("burg"), headers={"X-API-Key": BURG_KEY})).status == 200

    # Back together, each replica learns everything the other admitted while they were apart: 16 each.
    own_nats.start()
    for gateway in gateways:

        async def knows_both(gateway: Client = gateway) -> bool:
            refused = await gateway.get(_path("artland"), headers={"X-API-Key": ARTLAND_KEY})
            return refused.headers["RateLimit"].endswith('"tenant";r=2968;t=' + refused.headers["Retry-After"])

        await eventually(knows_both)
