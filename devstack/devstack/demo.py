"""The demo: who may call (API keys) and what is there to see, loaded through the gateway like any client."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from devstack.demo_calls import CallsRefused, load_calls
from devstack.demo_knowledge import Gateway, KnowledgeRefused, load_knowledge
from devstack.demo_tickets import TicketsRefused, load_tickets
from devstack.keys import ApiClient

HOST_TENANT = "oldenburg"
DEMO_TENANT = "artland"
# A partner in another state (North Rhine-Westphalia): its own calendar, terms and price.
THIRD_TENANT = "rheine"

# One key per role (the public needs none); people at a desk are of kind "user", integrations are clients.
CLIENTS: tuple[ApiClient, ...] = (
    ApiClient("operator", "operator of the service center, all tenants", None, ("operator",), "user"),
    ApiClient(
        "oldenburg-agent",
        "agent of the Stadt Oldenburg, also for Artland and Rheine by their grants",
        HOST_TENANT,
        ("agent",),
        "user",
    ),
    ApiClient(
        "oldenburg-editor",
        "knowledge editor of the host, keeps the shared knowledge",
        HOST_TENANT,
        ("knowledge_editor",),
        "user",
    ),
    ApiClient(
        "oldenburg-back-office",
        "back-office staff of the Stadt Oldenburg (forwarded concerns)",
        HOST_TENANT,
        ("back_office",),
        "user",
    ),
    ApiClient("artland-agent", "agent answering for the Samtgemeinde Artland", DEMO_TENANT, ("agent",), "user"),
    ApiClient("artland-admin", "tenant admin of the Samtgemeinde Artland", DEMO_TENANT, ("tenant_admin",), "user"),
    ApiClient(
        "artland-back-office",
        "back-office staff of the Samtgemeinde Artland (forwarded concerns)",
        DEMO_TENANT,
        ("back_office",),
        "user",
    ),
    ApiClient(
        "artland-integration",
        "integration client of the Samtgemeinde Artland",
        DEMO_TENANT,
        ("integration_client",),
        scopes=("contacts:write", "knowledge:read", "open311:write", "tickets:read", "tickets:write"),
    ),
    ApiClient("rheine-agent", "agent answering for the Stadt Rheine", THIRD_TENANT, ("agent",), "user"),
    ApiClient(
        "rheine-back-office",
        "back-office staff of the Stadt Rheine (forwarded concerns)",
        THIRD_TENANT,
        ("back_office",),
        "user",
    ),
)

TENANTS: tuple[dict[str, str], ...] = (
    {"id": HOST_TENANT, "name": "Stadt Oldenburg", "ars": "034030000000", "ags": "03403000", "state": "NI"},
    {"id": DEMO_TENANT, "name": "Samtgemeinde Artland", "ars": "034595406029", "ags": "03459029", "state": "NI"},
    {"id": THIRD_TENANT, "name": "Stadt Rheine", "ars": "055660076076", "ags": "05566076", "state": "NW"},
)


WORKING_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")


def _weekdays(*windows: tuple[str, str], days: tuple[str, ...] = WORKING_DAYS) -> dict[str, list[dict[str, str]]]:
    return {day: [{"start": start, "end": end} for start, end in windows] for day in days}


# The host answers its own calls by the 115 standards. Artland, in its trial, is promised what Oldenburg
# promises its citizens (90 % within 20 s, counted by variant 3: every abandoned call counts against it;
# a callback by the end of the next working day) and pays per handled minute. Rheine, in North
# Rhine-Westphalia (other holidays, e.g. Corpus Christi and All Saints), hands over only its 115 calls,
# by the 115 standards with abandons before 30 s neutral (variant 4), shorter hours, a reply within 24
# service hours, and pays a flat fee for a volume of minutes.
CONTRACTS: dict[str, dict[str, Any]] = {
    HOST_TENANT: {
        "effective_from": "2026-01-01T00:00:00+01:00",
        "terms": {
            "term": {"start": "2026-01-01", "notice_period_months": 0},
            "channels": ["phone", "email", "chat"],
            "scope": "all_first_contact",
            "service_level": {"target_percent": 75, "threshold_seconds": 30, "variant": 3},
            "first_contact_resolution_target_percent": 65,
            "forwarding_deadline": {"rule": "business_hours", "hours": 24},
            "reachability": _weekdays(("07:00", "18:00")),
            "closure_days": [{"first": "2026-12-24", "last": "2026-12-26", "reason": "Weihnachten"}],
            "price": {"model": "free"},
            "personal_data_retention_days": 90,
        },
    },
    DEMO_TENANT: {
        "effective_from": "2026-01-01T00:00:00+01:00",
        "terms": {
            "term": {"start": "2026-01-01", "trial_end": "2026-06-30", "notice_period_months": 6},
            "channels": ["phone", "email"],
            "scope": "central_number",
            "service_level": {"target_percent": 90, "threshold_seconds": 20, "variant": 3},
            "max_average_speed_of_answer_seconds": 15,
            "first_contact_resolution_target_percent": 75,
            "forwarding_deadline": {"rule": "next_working_day_end"},
            "reachability": _weekdays(("07:00", "18:00")),
            "closure_days": [{"first": "2026-12-24", "last": "2027-01-01", "reason": "Weihnachten"}],
            "price": {"model": "per_minute", "cents_per_minute": 115, "annual_base_fee_cents": 1_500_000},
            "personal_data_retention_days": 90,
        },
    },
    THIRD_TENANT: {
        "effective_from": "2026-01-01T00:00:00+01:00",
        "terms": {
            "term": {"start": "2026-01-01", "end": "2028-12-31", "notice_period_months": 12},
            "channels": ["phone", "email", "web"],
            "scope": "115",
            "service_level": {"target_percent": 75, "threshold_seconds": 30, "variant": 4},
            "first_contact_resolution_target_percent": 65,
            "forwarding_deadline": {"rule": "business_hours", "hours": 24},
            "reachability": {
                **_weekdays(("08:00", "16:00"), days=("monday", "tuesday", "wednesday")),
                "thursday": [{"start": "08:00", "end": "18:00"}],
                "friday": [{"start": "08:00", "end": "13:00"}],
            },
            "closure_days": [{"first": "2026-12-24", "last": "2026-12-31", "reason": "Weihnachten und Jahreswechsel"}],
            "price": {
                "model": "flat_fee",
                "annual_fee_cents": 3_800_000,
                "included_minutes": 30_000,
                "overage_cents_per_minute": 130,
            },
            "personal_data_retention_days": 30,
        },
    },
}

DEPARTMENTS: dict[str, dict[str, Any]] = {
    HOST_TENANT: {"name": "Bürgerbüro Mitte", "email": "buergerbuero@example.org", "leika_keys": ["99085001012000"]},
    DEMO_TENANT: {
        "name": "Bürgerbüro Quakenbrück",
        "email": "buergerbuero@example.net",
        "leika_keys": ["99085001012000"],
    },
    THIRD_TENANT: {
        "name": "Bürgerbüro Rheine",
        "email": "buergerbuero@rheine.example",
        "leika_keys": ["99085001012000"],
    },
}

LINES: dict[str, dict[str, str]] = {
    HOST_TENANT: {"kind": "queue", "address": "oldenburg-115", "label": "115 queue"},
    DEMO_TENANT: {"kind": "queue", "address": "artland-central", "label": "Artland central number"},
    THIRD_TENANT: {"kind": "queue", "address": "rheine-115", "label": "Rheine 115 calls"},
}

RETRIED_STATUSES = frozenset({502, 503, 504})


class DemoFailed(RuntimeError):
    """The gateway refused a piece of the demo."""


GRANT = {"grantee_tenant": HOST_TENANT, "roles": ["agent"]}
# The partners whose calls the host's agents answer: each lets them act on its data as agents.
GRANTING = (DEMO_TENANT, THIRD_TENANT)


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


def _create(
    url: str, *, api_key: str, payload: Mapping[str, Any], patience: float = 15.0, exists: tuple[int, ...] = (409,)
) -> bool:
    """Create one object; True when made now, False when it existed already (409, or ``exists``)."""
    deadline = time.monotonic() + patience
    while True:
        try:
            answer = call("POST", url, api_key=api_key, payload=payload)
        except OSError:
            answer = Answer(503, "gateway not reachable")
        if answer.status in (200, 201):
            return True
        if answer.status in exists:
            return False
        if answer.status not in RETRIED_STATUSES or time.monotonic() > deadline:
            raise DemoFailed(f"POST {url} answered {answer.status}: {answer.body[:500]}")
        time.sleep(0.2)


def load_demo(gateway_url: str, api_keys: Mapping[str, str]) -> list[str]:
    """Create the demo's missing objects and knowledge; return what was created, e.g. ``tenants oldenburg, artland``."""
    operator = api_keys["operator"]
    created: dict[str, list[str]] = {}
    for tenant in TENANTS:
        tenant_id = tenant["id"]
        tenant_url = f"{gateway_url}/v1/tenants/{tenant_id}"
        parts = (
            ("tenants", f"{gateway_url}/v1/tenants", tenant, (409,)),
            # A second version needs the first one's ETag (428 without): the demo's contract exists then.
            ("contracts", f"{tenant_url}/contract/versions", CONTRACTS[tenant_id], (428,)),
            ("departments", f"{tenant_url}/departments", DEPARTMENTS[tenant_id], (409,)),
            ("lines", f"{tenant_url}/lines", LINES[tenant_id], (409,)),
        )
        for kind, url, payload, exists in parts:
            if _create(url, api_key=operator, payload=payload, exists=exists):
                created.setdefault(kind, []).append(tenant_id)
    # The host's agents answer the partners' calls: each partner lets them act on its data as agents.
    for partner in GRANTING:
        if _create(f"{gateway_url}/v1/tenants/{partner}/grants", api_key=operator, payload=GRANT):
            created.setdefault("grants", []).append(partner)
    try:
        knowledge = load_knowledge(Gateway(gateway_url, operator), host_tenant=HOST_TENANT)
        contacts = load_tickets(Gateway(gateway_url, api_keys["artland-agent"]), DEMO_TENANT)
        calls = load_calls(Gateway(gateway_url, operator))
    except (KnowledgeRefused, TicketsRefused, CallsRefused) as refused:
        raise DemoFailed(str(refused)) from refused
    return [f"{kind} {', '.join(tenants)}" for kind, tenants in created.items()] + knowledge + contacts + calls


def wait_for_grants(gateway_url: str, *, timeout: float = 15.0) -> bool:
    """Wait until the gateway has loaded the grants, so the demo's host agents can act for partners at once.

    The gateway reports them in ``/readyz`` without waiting for them (its readiness does not depend on the
    tenants service); a start that finds the demo's grant already stored sends no event to load it sooner.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{gateway_url}/readyz", timeout=1.0) as answer:  # noqa: S310 - loopback
                if json.loads(answer.read()).get("checks", {}).get("grants") == "loaded":
                    return True
        except (urllib.error.URLError, OSError, ValueError):
            pass
        time.sleep(0.1)
    return False
