"""The telephony feed: call events in any order rolled up per quarter hour for the municipality of their line,
repeats and impossible steps kept out, unknown lines held for operators, and each client kept to its lines."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from kit.db.database import Database
from kit.testing.keys import SigningKeys

from .support import (
    DIALLED,
    LINES,
    QUARANTINE,
    RELEASE,
    STANDARD_THRESHOLDS,
    UNKNOWN_DIALLED,
    UNKNOWN_LINE,
    abandoned_call,
    add_grant,
    add_line,
    answered_call,
    calls,
    event,
    everything,
    figures,
    held,
    integration_client,
    intervals,
    operator,
    release,
    report,
    reported,
    stored_event_ids,
)

# Yesterday's quarter hours from 09:00 UTC: past for every event whenever the tests run.
NINE = (datetime.now(UTC) - timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
QUARTER = timedelta(minutes=15)
ANSWERED = ("offered", "answered", "answered_within_threshold", "answered_within", "wait_seconds", "max_wait_seconds")
HANDLED = ("handled", "talk_seconds", "hold_seconds", "after_call_work_seconds")
ABANDONED = (
    "offered",
    "abandoned",
    "abandoned_within_threshold",
    "short_abandons",
    "abandoned_within",
    "abandoned_wait_seconds",
)
JUDGED_BY = ("contract_version", "threshold_seconds", "short_abandon_seconds")


def at(minutes: float, seconds: float = 0) -> datetime:
    return NINE + timedelta(minutes=minutes, seconds=seconds)


def within(*waits: float) -> list[int]:
    """How many of ``waits`` lie within each standard threshold."""
    return [sum(wait <= threshold for wait in waits) for threshold in STANDARD_THRESHOLDS]


def one_call_answered_after_12_s() -> dict[str, Any]:
    """The interval of one call answered after 12 s, talked 180 s, held 20 s, wrapped up 40 s, in Oldenburg."""
    return {
        "offered": 1,
        "answered": 1,
        "answered_within_threshold": 1,
        "answered_within": within(12),
        "wait_seconds": 12.0,
        "max_wait_seconds": 12.0,
        "handled": 1,
        "talk_seconds": 180,
        "hold_seconds": 20,
        "after_call_work_seconds": 40,
    }


def no_refusal(received: int, **counts: int) -> dict[str, Any]:
    return {"received": received, "accepted": 0, "duplicates": 0, "quarantined": 0, "refused": []} | counts


async def test_a_whole_call_rolls_up_into_its_quarter_hour_judged_by_the_contract(
    client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection
) -> None:
    batch = [
        *answered_call("o-1", at(7, 30)),
        *answered_call("o-2", at(14, 50), wait=25, talk=60, hold=0, after_call_work=30),
        *answered_call("o-3", at(15), wait=5, talk=100, hold=0, after_call_work=0),
    ]

    answer = await reported(client, integration_client(keys, "oldenburg"), batch)

    assert answer == no_refusal(9, accepted=9)
    [first, second] = await intervals(admin, "oldenburg")
    assert (first["interval_start"], second["interval_start"]) == (NINE, NINE + QUARTER)
    # 12 s is within the contract's 20 s, 25 s is not; the standard thresholds count both.
    assert figures(first, *JUDGED_BY, *ANSWERED, *HANDLED, "abandoned") == {
        "contract_version": 1,
        "threshold_seconds": 20,
        "short_abandon_seconds": 10,
        "offered": 2,
        "answered": 2,
        "answered_within_threshold": 1,
        "answered_within": [0, 1, 1, 2, 2, 2, 2, 2],
        "wait_seconds": 37.0,
        "max_wait_seconds": 25.0,
        "handled": 2,
        "talk_seconds": 240,
        "hold_seconds": 20,
        "after_call_work_seconds": 70,
        "abandoned": 0,
    }
    assert figures(second, "offered", "answered", "answered_within", "wait_seconds") == {
        "offered": 1,
        "answered": 1,
        "answered_within": within(5),
        "wait_seconds": 5.0,
    }
    [call, *_] = await calls(admin, "oldenburg")
    assert {key: value for key, value in call.items() if key != "updated_at"} == {
        "tenant_id": "oldenburg",
        "call_id": "o-1",
        "line": LINES["oldenburg"],
        "interval_start": NINE,
        "offered_at": at(7, 30),
        "answered_at": at(7, 42),
        "agent": "agent-anna",
        "abandoned_at": None,
        "ended_at": at(11, 2),
        "wait_seconds": 12.0,
        "talk_seconds": 180,
        "hold_seconds": 20,
        "after_call_work_seconds": 40,
    }
    assert await intervals(admin, "artland") == []


async def test_abandoned_calls_count_within_the_threshold_and_as_short_abandons_by_the_contract(
    client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection
) -> None:
    batch = [
        *abandoned_call("o-8s", at(1), wait=8),
        *abandoned_call("o-15s", at(2), wait=15),
        *abandoned_call("o-45s", at(3), wait=45),
        # Artland's contract knows no short abandons.
        *abandoned_call("a-8s", at(1), wait=8, line=DIALLED["artland"]),
    ]

    answer = await reported(client, operator(keys), batch)

    assert answer == no_refusal(8, accepted=8)
    [oldenburg] = await intervals(admin, "oldenburg")
    assert figures(oldenburg, *ABANDONED, "answered", "max_wait_seconds", "handled") == {
        "offered": 3,
        "abandoned": 3,
        "abandoned_within_threshold": 2,
        "short_abandons": 1,
        "abandoned_within": within(8, 15, 45),
        "abandoned_wait_seconds": 68.0,
        "answered": 0,
        "max_wait_seconds": 45.0,
        "handled": 0,
    }
    [artland] = await intervals(admin, "artland")
    assert figures(artland, "threshold_seconds", "abandoned", "abandoned_within_threshold", "short_abandons") == {
        "threshold_seconds": 30,
        "abandoned": 1,
        "abandoned_within_threshold": 1,
        "short_abandons": 0,
    }
    call = (await calls(admin, "oldenburg"))[2]
    assert (call["call_id"], call["abandoned_at"], call["answered_at"], call["wait_seconds"]) == (
        "o-8s",
        at(1, 8),
        None,
        8.0,
    )


def _newest_first_in_one_batch(events: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    return [events[::-1]]


def _newest_first_one_per_batch(events: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    return [[each] for each in events[::-1]]


@pytest.mark.parametrize(
    "batches", [_newest_first_in_one_batch, _newest_first_one_per_batch], ids=["one batch", "one event per batch"]
)
async def test_events_out_of_order_give_the_same_rollup(
    client: httpx.AsyncClient,
    keys: SigningKeys,
    admin: asyncpg.Connection,
    batches: Callable[[list[dict[str, Any]]], list[list[dict[str, Any]]]],
) -> None:
    answers = [await reported(client, operator(keys), batch) for batch in batches(answered_call("o-1", at(7, 30)))]

    assert sum(answer["accepted"] for answer in answers) == 3
    assert [answer["refused"] for answer in answers] == [[]] * len(answers)
    [interval] = await intervals(admin, "oldenburg")
    assert interval["interval_start"] == NINE
    assert figures(interval, *ANSWERED, *HANDLED) == one_call_answered_after_12_s()
    [call] = await calls(admin, "oldenburg")
    assert (call["offered_at"], call["answered_at"], call["ended_at"], call["wait_seconds"]) == (
        at(7, 30),
        at(7, 42),
        at(11, 2),
        12.0,
    )


async def test_a_late_offered_event_brings_its_call_into_its_interval(
    client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection
) -> None:
    late_offer, *answered_and_ended = answered_call("o-late", at(20))
    await reported(client, operator(keys), [*answered_call("o-early", at(2)), *answered_and_ended])
    before = await intervals(admin, "oldenburg")
    waiting = next(call for call in await calls(admin, "oldenburg") if call["call_id"] == "o-late")

    answer = await reported(client, operator(keys), [late_offer])

    assert [(row["interval_start"], row["offered"]) for row in before] == [(NINE, 1)]
    assert (waiting["interval_start"], waiting["wait_seconds"]) == (None, None)
    assert answer == no_refusal(1, accepted=1)
    early, late = await intervals(admin, "oldenburg")
    assert figures(early, *ANSWERED, *HANDLED) == figures(before[0], *ANSWERED, *HANDLED)
    assert late["interval_start"] == NINE + QUARTER
    assert figures(late, *ANSWERED, *HANDLED) == one_call_answered_after_12_s()


async def test_a_repeated_batch_is_all_duplicates_and_changes_nothing(
    client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection
) -> None:
    batch = [
        *answered_call("o-1", at(7, 30)),
        *abandoned_call("o-2", at(8)),
        *abandoned_call("a-1", at(9), line=DIALLED["artland"]),
    ]
    await reported(client, operator(keys), batch)
    stored = await everything(admin)

    answer = await reported(client, operator(keys), batch)

    assert answer == no_refusal(7, duplicates=7)
    assert await everything(admin) == stored
    assert len(stored["call_events"]) == 7


async def test_the_same_event_twice_in_a_batch_counts_once(
    client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection
) -> None:
    offered, answered, _ = answered_call("o-1", at(7, 30))
    # A second copy under the same id, even with another time, is the same event.
    copy = offered | {"at": at(7, 31).isoformat()}

    answer = await reported(client, operator(keys), [offered, copy, answered, offered])

    assert answer == no_refusal(4, accepted=2, duplicates=2)
    assert await stored_event_ids(admin) == [("oldenburg", "o-1-answered"), ("oldenburg", "o-1-offered")]
    [interval] = await intervals(admin, "oldenburg")
    assert figures(interval, "offered", "answered", "wait_seconds") == {
        "offered": 1,
        "answered": 1,
        "wait_seconds": 12.0,
    }


async def test_an_end_before_the_offer_is_refused_and_nothing_of_it_is_kept(
    client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection
) -> None:
    offered, answered, _ = answered_call("o-1", at(7, 30))
    early_end = event("ended", "o-1", at(6), talk_seconds=60, hold_seconds=5, after_call_work_seconds=10)
    await reported(client, operator(keys), [offered])

    answer = await reported(client, operator(keys), [early_end, answered])

    assert answer == no_refusal(2, accepted=1) | {
        "refused": [{"index": 0, "event_id": "o-1-ended", "reason": "ended before it was offered"}]
    }
    assert await stored_event_ids(admin) == [("oldenburg", "o-1-answered"), ("oldenburg", "o-1-offered")]
    [call] = await calls(admin, "oldenburg")
    assert (call["answered_at"], call["ended_at"], call["talk_seconds"], call["hold_seconds"]) == (
        at(7, 42),
        None,
        None,
        None,
    )
    [interval] = await intervals(admin, "oldenburg")
    assert figures(interval, "answered", *HANDLED) == {
        "answered": 1,
        "handled": 0,
        "talk_seconds": 0,
        "hold_seconds": 0,
        "after_call_work_seconds": 0,
    }


def _in_time_order(events: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    return [events]


def _latest_first(events: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    return [events[-1:] + events[:-1]]


def _latest_later(events: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    return [events[:-1], events[-1:]]


@pytest.mark.parametrize(
    ("batches", "index"),
    [(_in_time_order, 2), (_latest_first, 0), (_latest_later, 0)],
    ids=["in time order", "the answer listed first", "the answer in a later batch"],
)
async def test_an_answer_after_the_caller_hung_up_is_refused(
    client: httpx.AsyncClient,
    keys: SigningKeys,
    admin: asyncpg.Connection,
    batches: Callable[[list[dict[str, Any]]], list[list[dict[str, Any]]]],
    index: int,
) -> None:
    late_answer = event("answered", "o-1", at(7, 42), agent="agent-anna")

    answers = [
        await reported(client, operator(keys), batch)
        for batch in batches([*abandoned_call("o-1", at(7, 30)), late_answer])
    ]

    reason = "the call was abandoned, it cannot be answered"
    assert answers[-1]["refused"] == [{"index": index, "event_id": "o-1-answered", "reason": reason}]
    assert sum(answer["accepted"] for answer in answers) == 2
    [call] = await calls(admin, "oldenburg")
    assert (call["abandoned_at"], call["answered_at"], call["agent"], call["wait_seconds"]) == (
        at(7, 38),
        None,
        None,
        8.0,
    )
    [interval] = await intervals(admin, "oldenburg")
    assert figures(interval, "offered", "answered", "abandoned", "short_abandons") == {
        "offered": 1,
        "answered": 0,
        "abandoned": 1,
        "short_abandons": 1,
    }
    assert ("oldenburg", "o-1-answered") not in await stored_event_ids(admin)


async def test_an_event_an_hour_ahead_is_refused(
    client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection
) -> None:
    now = datetime.now(UTC)
    batch = [
        event("offered", "o-future", now + timedelta(hours=1)),
        event("offered", "o-now", now - timedelta(minutes=1)),
    ]

    answer = await reported(client, operator(keys), batch)

    assert answer == no_refusal(2, accepted=1) | {
        "refused": [{"index": 0, "event_id": "o-future-offered", "reason": "at lies in the future"}]
    }
    assert await stored_event_ids(admin) == [("oldenburg", "o-now-offered")]
    assert [call["call_id"] for call in await calls(admin, "oldenburg")] == ["o-now"]


async def test_an_answer_without_its_agent_is_rejected_whole_naming_the_field(
    client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection
) -> None:
    offered, answered, ended = answered_call("o-1", at(7, 30))
    del answered["agent"]

    response = await report(
        client, operator(keys), [offered, answered, ended, *abandoned_call("x", at(8), line=UNKNOWN_DIALLED)]
    )

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    [error] = response.json()["errors"]
    assert error["field"] == "events.1.agent"
    assert "agent" in error["detail"]
    assert await everything(admin) == {"call_events": [], "calls": [], "call_intervals": [], "call_quarantine": []}


@pytest.mark.parametrize("size", [0, 5001])
async def test_a_batch_holds_one_to_5000_events(
    client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection, size: int
) -> None:
    batch = [event("offered", f"o-{n}", at(1)) for n in range(size)]

    response = await report(client, operator(keys), batch)

    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["events"]
    assert await stored_event_ids(admin) == []


async def test_events_of_an_unknown_line_wait_in_quarantine_until_its_line_is_known(
    client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection
) -> None:
    batch = answered_call("c-1", at(7, 30), line=UNKNOWN_DIALLED)
    answer = await reported(client, operator(keys), batch)
    again = await reported(client, operator(keys), batch)
    listed = (await client.get(QUARANTINE, headers=operator(keys))).json()
    too_early = await release(client, keys)
    await add_line(admin, "artland", UNKNOWN_LINE)

    released = await release(client, keys)

    assert answer == no_refusal(3, quarantined=3)
    assert again["accepted"] == 0
    assert [
        (item["line"], item["event"]["event_id"], item["event"]["line"], item["reason"], item["released_at"])
        for item in listed["items"]
    ] == [
        (UNKNOWN_LINE, each["event_id"], UNKNOWN_DIALLED, f"no municipality has the line {UNKNOWN_LINE}", None)
        for each in batch
    ]
    assert listed["next_after"] is None
    assert too_early == no_refusal(0)
    assert released == no_refusal(3, accepted=3)
    assert [(row["event_id"], row["released_to"], row["released_at"] is not None) for row in await held(admin)] == [
        (each["event_id"], "artland", True) for each in batch
    ]
    [interval] = await intervals(admin, "artland")
    assert figures(interval, "offered", "answered", "threshold_seconds", "talk_seconds") == {
        "offered": 1,
        "answered": 1,
        "threshold_seconds": 30,
        "talk_seconds": 180,
    }
    assert (await client.get(QUARANTINE, headers=operator(keys))).json() == {"items": [], "next_after": None}
    assert await release(client, keys) == no_refusal(0)
    assert await intervals(admin, "oldenburg") == []


async def test_the_quarantine_pages_by_id_and_shows_released_events_on_request(
    client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection
) -> None:
    await reported(client, operator(keys), answered_call("c-1", at(7, 30), line=UNKNOWN_DIALLED))
    await reported(client, operator(keys), abandoned_call("c-2", at(8), line="queue-wahlamt"))
    await add_line(admin, "oldenburg", "queue-wahlamt", kind="queue")
    await release(client, keys)

    def page(**query: Any) -> Any:
        return client.get(QUARANTINE, params=query, headers=operator(keys))

    first = (await page(held="false", limit=3)).json()
    rest = (await page(held="false", limit=3, after=first["next_after"])).json()
    still_held = (await page()).json()

    assert [item["event"]["event_id"] for item in first["items"]] == ["c-1-offered", "c-1-answered", "c-1-ended"]
    assert first["next_after"] == first["items"][-1]["id"]
    assert [(item["event"]["event_id"], item["released_to"]) for item in rest["items"]] == [
        ("c-2-offered", "oldenburg"),
        ("c-2-abandoned", "oldenburg"),
    ]
    assert rest["next_after"] is None
    assert [item["event"]["event_id"] for item in still_held["items"]] == ["c-1-offered", "c-1-answered", "c-1-ended"]


async def test_a_client_reports_only_its_own_lines_whoever_it_serves(
    client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection
) -> None:
    # Oldenburg serves Artland: that lets Oldenburg's telephony report Artland's calls, not the other way round.
    await add_grant(admin, "artland", grantee="oldenburg")
    batch = [event("offered", "a-1", at(1), line=DIALLED["artland"]), event("offered", "o-1", at(1))]

    answer = await reported(client, integration_client(keys, "artland"), batch)

    assert answer == no_refusal(2, accepted=1) | {
        "refused": [
            {
                "index": 1,
                "event_id": "o-1-offered",
                "reason": f"the line {LINES['oldenburg']} is not of a municipality this client reports for",
            }
        ]
    }
    assert await stored_event_ids(admin) == [("artland", "a-1-offered")]
    assert await calls(admin, "oldenburg") == []
    assert await intervals(admin, "oldenburg") == []


ONE_DAY = timedelta(days=1)
GRANTS: dict[str, dict[str, Any]] = {
    "in force": {},
    "open-ended from an hour ago": {"valid_from": datetime.now(UTC) - timedelta(hours=1)},
    "expired": {"valid_until": datetime.now(UTC) - timedelta(minutes=1)},
    "not yet valid": {"valid_from": datetime.now(UTC) + ONE_DAY},
    "removed": {"removed": True},
}


@pytest.mark.parametrize("grant", GRANTS, ids=list(GRANTS))
async def test_a_host_client_reports_a_partner_s_line_while_a_grant_is_in_force(
    client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection, grant: str
) -> None:
    await add_grant(admin, "artland", grantee="oldenburg", **GRANTS[grant])
    # A grant of Artland to München does not let Oldenburg report for Artland.
    await add_grant(admin, "artland", grantee="muenchen")
    in_force = grant in ("in force", "open-ended from an hour ago")

    answer = await reported(
        client, integration_client(keys, "oldenburg"), abandoned_call("a-1", at(1), line=DIALLED["artland"])
    )

    assert (answer["accepted"], len(answer["refused"])) == ((2, 0) if in_force else (0, 2))
    assert len(await intervals(admin, "artland")) == (1 if in_force else 0)
    assert await intervals(admin, "oldenburg") == []


async def test_an_integration_client_without_a_municipality_reports_for_none(
    client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection
) -> None:
    response = await report(client, integration_client(keys, None), [event("offered", "o-1", at(1))])

    assert response.status_code == 403
    assert await calls(admin, "oldenburg") == []


async def test_release_reaches_events_behind_a_full_batch_of_still_unknown_lines(
    client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("metrics.calls.quarantine.RELEASE_BATCH", 2)
    await reported(client, operator(keys), abandoned_call("unknown", at(1), line=UNKNOWN_DIALLED))
    await reported(client, operator(keys), abandoned_call("wahlamt", at(2), line="queue-wahlamt"))
    await add_line(admin, "oldenburg", "queue-wahlamt", kind="queue")

    released = await release(client, keys)

    assert released["accepted"] == 2


AGENT, BACK_OFFICE, TENANT_ADMIN, CLIENT = "agent", "back_office", "tenant_admin", "integration_client"


@pytest.mark.parametrize("role", [AGENT, BACK_OFFICE, TENANT_ADMIN, "knowledge_editor"])
async def test_people_of_a_municipality_may_not_report_call_events(
    client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection, role: str
) -> None:
    headers = keys.headers_for("oldenburg", role, subject=f"{role}-anna")

    response = await report(client, headers, answered_call("o-1", at(1)))

    assert response.status_code == 403
    assert await stored_event_ids(admin) == []


@pytest.mark.parametrize("role", [AGENT, BACK_OFFICE, TENANT_ADMIN, CLIENT])
async def test_only_operators_see_and_release_the_quarantine(
    client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection, role: str
) -> None:
    await reported(client, operator(keys), abandoned_call("c-1", at(1), line=UNKNOWN_DIALLED))
    await add_line(admin, "oldenburg", UNKNOWN_LINE)
    headers = keys.headers_for("oldenburg", role, subject=f"{role}-anna")

    listed = await client.get(QUARANTINE, headers=headers)
    released = await client.post(RELEASE, headers=headers)
    anonymous = await client.get(QUARANTINE)

    assert (listed.status_code, released.status_code, anonymous.status_code) == (403, 403, 401)
    assert [row["released_at"] for row in await held(admin)] == [None, None]
    assert await stored_event_ids(admin) == []


async def test_each_municipality_reads_only_its_own_calls_as_the_runtime_role(
    client: httpx.AsyncClient, keys: SigningKeys, database: Database
) -> None:
    batch = [
        *answered_call("o-1", at(7, 30)),
        *abandoned_call("a-1", at(7, 30), line=DIALLED["artland"]),
        *answered_call("a-2", at(8), line=DIALLED["artland"]),
    ]
    await reported(client, operator(keys), batch)

    async def seen(tenant_id: str) -> dict[str, list[Any]]:
        async with database.lean_transaction(tenant_id) as conn:
            return {
                "calls": [row["call_id"] for row in await conn.fetch("SELECT call_id FROM calls ORDER BY 1")],
                "events": [row[0] for row in await conn.fetch("SELECT DISTINCT call_id FROM call_events ORDER BY 1")],
                "intervals": [row[0] for row in await conn.fetch("SELECT offered FROM call_intervals")],
            }

    assert await seen("oldenburg") == {"calls": ["o-1"], "events": ["o-1"], "intervals": [1]}
    assert await seen("artland") == {"calls": ["a-1", "a-2"], "events": ["a-1", "a-2"], "intervals": [2]}
    assert await seen("muenchen") == {"calls": [], "events": [], "intervals": []}
