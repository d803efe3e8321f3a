"""The demo: who may call (API keys) and what is there to see, loaded through the gateway like any client."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from devstack.keys import ApiClient

HOST_TENANT = "oldenburg"
DEMO_TENANT = "artland"

CLIENTS: tuple[ApiClient, ...] = (
    ApiClient("operator", "operator of the service center, all tenants", None, ("operator",)),
    ApiClient("artland-agent", "agent answering for the Samtgemeinde Artland", DEMO_TENANT, ("agent",)),
    ApiClient("oldenburg-agent", "agent answering for the Stadt Oldenburg", HOST_TENANT, ("agent",)),
    ApiClient("artland-integration", "integration client of the Samtgemeinde Artland", DEMO_TENANT, ("integration",)),
)

TENANTS: tuple[dict[str, str], ...] = (
    {"id": HOST_TENANT, "name": "Stadt Oldenburg"},
    {"id": DEMO_TENANT, "name": "Samtgemeinde Artland"},
)

RETRIED_STATUSES = frozenset({502, 503, 504})


class DemoFailed(RuntimeError):
    """The gateway refused a piece of the demo."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: str


def call(method: str, url: str, *, api_key: str, payload: Any = None, timeout: float = 10.0) -> Answer:
    """Send one JSON request with an API key; any HTTP status is an answer, not an exception."""
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - our own loopback gateway
    request.add_header("Authorization", f"Bearer {api_key}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return Answer(response.status, response.read().decode())
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.read().decode(errors="replace"))


def _create(url: str, *, api_key: str, payload: Mapping[str, Any], patience: float = 15.0) -> bool:
    """Create one object; True when made now, False when it existed already (409)."""
    deadline = time.monotonic() + patience
    while True:
        try:
            answer = call("POST", url, api_key=api_key, payload=payload)
        except OSError:
            answer = Answer(503, "gateway not reachable")
        if answer.status in (200, 201):
            return True
        if answer.status == 409:
            return False
        if answer.status not in RETRIED_STATUSES or time.monotonic() > deadline:
            raise DemoFailed(f"POST {url} answered {answer.status}: {answer.body[:500]}")
        time.sleep(0.2)


def load_demo(gateway_url: str, api_keys: Mapping[str, str]) -> list[str]:
    """Create the demo's objects that are missing; return what was created."""
    operator = api_keys["operator"]
    created = []
    for tenant in TENANTS:
        if _create(f"{gateway_url}/v1/tenants", api_key=operator, payload=tenant):
            created.append(f"tenant {tenant['id']}")
    return created
