from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from .support import (
    EchoUpstream,
    GatewayFactory,
    KeyService,
    SigningMaterial,
    closed_url,
    echo_upstreams,
    start_gateway,
)


@pytest.fixture(scope="session")
def signing() -> SigningMaterial:
    return SigningMaterial.generate()


@pytest.fixture
async def upstreams(signing: SigningMaterial) -> AsyncIterator[dict[str, EchoUpstream]]:
    """Tenants and knowledge running; tickets and metrics behind closed ports."""
    async with echo_upstreams(signing.verifier, ("tenants", "knowledge")) as running:
        yield running


@pytest.fixture
async def make_gateway(signing: SigningMaterial, upstreams: dict[str, EchoUpstream]) -> AsyncIterator[GatewayFactory]:
    """Start a gateway in front of the fake services; keyword arguments override its settings."""
    clients: list[TestClient[Any, Any]] = []

    async def make(**overrides: Any) -> TestClient[Any, Any]:
        urls = {"tickets": closed_url(), "metrics": closed_url()}
        urls.update({name: upstream.url for name, upstream in upstreams.items()})
        client = await start_gateway(signing, urls, **overrides)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


@pytest.fixture
async def gateway(make_gateway: GatewayFactory) -> TestClient[Any, Any]:
    return await make_gateway()


@pytest.fixture
async def key_service(signing: SigningMaterial) -> AsyncIterator[KeyService]:
    """The tenants service's key verification, standing in for it."""
    service = await KeyService(signing.verifier).start()
    yield service
    await service.stop()
