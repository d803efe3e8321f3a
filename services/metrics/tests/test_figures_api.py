"""A municipality's call figures: what the telephony reported, rolled up and judged by its contract."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import orjson
import pytest

from kit.testing.checks import service_client
from kit.testing.infra import InfraServers, ScratchDatabase
from kit.testing.keys import SigningKeys
from metrics.app import create_app
from metrics.settings import get_settings

LINES = {"artland": "+4954311800", "oldenburg": "+494412350"}
LEVEL = {"target_percent": 90.0, "threshold_seconds": 20, "variant": 3, "short_abandon_seconds": 5}
# Monday 2 November 2026, 09:00 in Berlin (UTC+1).
MONDAY_NINE = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
async def figures_client(
    scratch: ScratchDatabase,
    admin: asyncpg.Connection,
    servers: InfraServers,
    keys: SigningKeys,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[httpx.AsyncClient]:
    for tenant_id, address in LINES.items():
        await admin.execute(
            "INSERT INTO known_tenants (tenant_id, name, created_at, version) VALUES ($1, $1, now(), 1)", tenant_id
        )
        await admin.execute(
            "INSERT INTO lines (tenant_id, id, kind, address) VALUES ($1, $2, 'phone', $3)",
            tenant_id,
            uuid.uuid4(),
            address,
        )
    await admin.execute(
        "INSERT INTO contract_versions (tenant_id, version, effective_from, terms) VALUES ('artland', 1, $1, $2)",
        datetime(2026, 1, 1, tzinfo=UTC),
        orjson.dumps({"service_level": LEVEL}).decode(),
    )
    async with service_client(
        create_app,
        get_settings,
        prefix="METRICS",
        database=scratch,
        servers=servers,
        keys=keys,
        monkeypatch=monkeypatch,
    ) as http:
        yield http


def _call(call_id: str, line: str, offered: datetime, *, wait: int, answered: bool) -> list[dict[str, Any]]:
    def event(kind: str, at: datetime, **extra: Any) -> dict[str, Any]:
        base = {"event_id": f"{call_id}-{kind}", "call_id": call_id, "type": kind, "at": at.isoformat(), "line": line}
        return base | extra

    left = offered + timedelta(seconds=wait)
    if not answered:
        return [event("offered", offered), event("abandoned", left)]
    ended = left + timedelta(seconds=240)
    return [
        event("offered", offered),
        event("answered", left, agent="agent-anna"),
        event("ended", ended, talk_seconds=200, hold_seconds=10, after_call_work_seconds=30),
    ]


async def _report(client: httpx.AsyncClient, keys: SigningKeys, events: list[dict[str, Any]]) -> dict[str, Any]:
    answer = await client.post(
        "/v1/telephony/call-events", json={"events": events}, headers=keys.headers_for(None, "operator")
    )
    assert answer.status_code == 200, answer.text
    report: dict[str, Any] = answer.json()
    return report


async def test_a_days_calls_are_judged_by_the_contracts_variant_and_threshold(
    figures_client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    artland = LINES["artland"]
    events = [
        *_call("a1", artland, MONDAY_NINE, wait=10, answered=True),
        *_call("a2", artland, MONDAY_NINE + timedelta(minutes=3), wait=25, answered=True),
        *_call("a3", artland, MONDAY_NINE + timedelta(minutes=20), wait=3, answered=False),
        *_call("a4", artland, MONDAY_NINE + timedelta(days=1), wait=40, answered=False),
        *_call("o1", LINES["oldenburg"], MONDAY_NINE, wait=5, answered=True),
    ]
    report = await _report(figures_client, keys, events)
    assert (report["accepted"], report["refused"]) == (len(events), [])

    answer = await figures_client.get(
        "/v1/tenants/artland/figures/kpis",
        params={"from": "2026-11-02", "to": "2026-11-04", "granularity": "day"},
        headers=keys.headers_for("artland", "tenant_admin"),
    )
    assert answer.status_code == 200, answer.text
    kpis = answer.json()
    monday, tuesday = kpis["buckets"]
    assert kpis["contract"] == {
        "version": 1,
        "variant": 3,
        "threshold_seconds": 20,
        "target_percent": 90.0,
        "first_contact_resolution_target_percent": None,
    }
    assert (monday["offered"], monday["answered"], monday["abandoned"]) == (3, 2, 1)
    assert (monday["answered_within_threshold"], monday["abandoned_within_threshold"], monday["short_abandons"]) == (
        1,
        1,
        1,
    )
    assert monday["answered_within"]["30"] == 2
    assert monday["service_level"]["3"] == pytest.approx(100 / 3)
    assert monday["service_level_contract"] == monday["service_level"]["3"]
    assert monday["average_speed_of_answer_seconds"] == pytest.approx(17.5)
    assert monday["average_handle_time_seconds"] == pytest.approx(240)
    assert monday["start"] == "2026-11-01T23:00:00Z"
    assert (tuesday["offered"], tuesday["abandoned"], tuesday["answered"]) == (1, 1, 0)
    assert kpis["total"]["offered"] == 4
    assert kpis["total"]["abandonment_rate_percent"] == pytest.approx(50)


async def test_another_municipalitys_figures_do_not_exist_for_it(
    figures_client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    answer = await figures_client.get(
        "/v1/tenants/oldenburg/figures/kpis",
        params={"from": "2026-11-02", "to": "2026-11-03"},
        headers=keys.headers_for("artland", "tenant_admin"),
    )
    assert answer.status_code == 404


async def test_a_period_over_the_allowed_range_is_refused_naming_the_field(
    figures_client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    answer = await figures_client.get(
        "/v1/tenants/artland/figures/kpis",
        params={"from": "2026-01-01", "to": "2026-03-01", "granularity": "interval"},
        headers=keys.headers_for("artland", "tenant_admin"),
    )
    assert answer.status_code == 422
    assert "to" in answer.text


async def test_operators_see_every_municipality_and_the_sum(
    figures_client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    events = [
        *_call("a1", LINES["artland"], MONDAY_NINE, wait=10, answered=True),
        *_call("o1", LINES["oldenburg"], MONDAY_NINE, wait=5, answered=True),
        *_call("o2", LINES["oldenburg"], MONDAY_NINE, wait=50, answered=False),
    ]
    await _report(figures_client, keys, events)
    answer = await figures_client.get(
        "/v1/figures/kpis",
        params={"from": "2026-11-01", "to": "2026-12-01"},
        headers=keys.headers_for(None, "operator"),
    )
    assert answer.status_code == 200, answer.text
    kpis = answer.json()
    assert [(row["tenant_id"], row["total"]["offered"]) for row in kpis["tenants"]] == [
        ("artland", 1),
        ("oldenburg", 2),
    ]
    assert kpis["total"]["offered"] == 3
    refused = await figures_client.get(
        "/v1/figures/kpis",
        params={"from": "2026-11-01", "to": "2026-12-01"},
        headers=keys.headers_for("artland", "tenant_admin"),
    )
    assert refused.status_code == 403
