"""The client's address behind the operator's proxies, and nobody else's word for it."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from pydantic import ValidationError

from gateway.client_address import ClientOrigin, TrustedProxies
from gateway.settings import GatewaySettings

from .support import ARTLAND_KEY, GatewayFactory

Client = TestClient[Any, Any]
INGRESS = TrustedProxies(["10.0.0.0/8", "fd00::/8"])


def test_a_request_from_a_trusted_proxy_is_the_client_it_names_rightmost_untrusted_first() -> None:
    headers = {"X-Forwarded-For": "198.51.100.1, 203.0.113.7, 10.1.2.3", "X-Forwarded-Proto": "https"}

    assert INGRESS.origin("10.0.0.9", "http", headers) == ClientOrigin("203.0.113.7", "https")


def test_a_request_from_anywhere_else_is_its_connection_whatever_it_claims() -> None:
    headers = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}

    assert INGRESS.origin("192.0.2.50", "http", headers) == ClientOrigin("192.0.2.50", "http")
    assert TrustedProxies().origin("10.0.0.9", "http", headers) == ClientOrigin("10.0.0.9", "http")


def test_a_chain_of_only_trusted_proxies_ends_at_the_leftmost_and_an_odd_scheme_is_ignored() -> None:
    headers = {"X-Forwarded-For": "10.9.9.9, 10.1.1.1", "X-Forwarded-Proto": "gopher"}

    assert INGRESS.origin("fd00::1", "http", headers) == ClientOrigin("10.9.9.9", "http")
    assert INGRESS.origin("10.0.0.9", "http", {}) == ClientOrigin("10.0.0.9", "http")


def test_settings_refuse_a_proxy_that_is_no_address_or_network() -> None:
    with pytest.raises(ValidationError, match="not an address or network"):
        GatewaySettings(trusted_proxies=["10.0.0.0/8", "ingress.local"])


@pytest.mark.parametrize(("trusted", "seen"), [([], "127.0.0.1"), (["127.0.0.0/8"], "203.0.113.7")])
async def test_the_service_hears_of_the_client_only_through_trusted_proxies(
    make_gateway: GatewayFactory, trusted: list[str], seen: str
) -> None:
    gateway = await make_gateway(trusted_proxies=trusted)
    headers = {"X-API-Key": ARTLAND_KEY, "X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}

    received = (await (await gateway.get("/v1/tenants/artland", headers=headers)).json())["headers"]

    assert received["x-forwarded-for"] == seen
    assert received["x-forwarded-proto"] == ("https" if trusted else "http")
