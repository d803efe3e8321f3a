"""Back offices report when they really claimed and answered: instants given, kept in order, never ahead."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from kit.testing.keys import SigningKeys

from .support import add_department, admin_rows, agent, back_office, forwarded_call, outbox, served_since_2020

BERSENBRUECK = "/v1/tenants/bersenbrueck"
TICKETS = f"{BERSENBRUECK}/tickets"
# A call that ended on Tuesday 12 March 2024 at 17:00 in Bersenbrück (due within 24 service hours, 8–18 on
# working days: Friday 11:00), claimed on Wednesday at 9:00 and answered at 15:00.
ENDED = datetime(2024, 3, 12, 16, 0, tzinfo=UTC)
CLAIMED = datetime(2024, 3, 13, 8, 0, tzinfo=UTC)
ANSWERED = datetime(2024, 3, 13, 14, 0, tzinfo=UTC)
TOMORROW = datetime.now(UTC) + timedelta(days=1)


@pytest.fixture
async def ticket(client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection) -> str:
    """The concern of the call that ended at ``ENDED``, recorded now."""
    await served_since_2020(admin, "bersenbrueck")
    department = await add_department(admin, "bersenbrueck", "Bürgerbüro")
    call = forwarded_call(department, started_at=(ENDED - timedelta(minutes=4)).isoformat(), ended_at=ENDED.isoformat())
    answer = await client.post(f"{BERSENBRUECK}/contacts", json=call, headers=agent(keys, "bersenbrueck"))
    assert answer.status_code == 201, answer.text
    assert datetime.fromisoformat(answer.json()["ticket"]["due_at"]) == datetime(2024, 3, 15, 10, 0, tzinfo=UTC)
    return str(answer.json()["ticket"]["id"])


def _at(value: Any) -> datetime:
    assert isinstance(value, str), value
    return datetime.fromisoformat(value)


async def _events(admin: asyncpg.Connection) -> dict[str, dict[str, Any]]:
    """The data of each ticket event written so far, by its type without the tenant."""
    return {subject.split(".", 2)[2]: event["data"] for subject, event in await outbox(admin)}


async def _history(admin: asyncpg.Connection) -> list[dict[str, Any]]:
    rows = await admin_rows(admin, "SELECT at, action, before, after FROM ticket_changes ORDER BY id")
    return [row | {"before": json.loads(row["before"] or "null"), "after": json.loads(row["after"])} for row in rows]


async def test_a_back_office_reports_when_it_claimed_and_answered(
    client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection, ticket: str
) -> None:
    staff = back_office(keys, "bersenbrueck")
    recorded_from = datetime.now(UTC)

    claimed = await client.post(f"{TICKETS}/{ticket}/claim", json={"claimed_at": CLAIMED.isoformat()}, headers=staff)
    answered = await client.post(
        f"{TICKETS}/{ticket}/answer",
        json={"channel": "letter", "text": "Antwort per Post", "answered_at": "2024-03-13T15:00:00+01:00"},
        headers=staff,
    )

    assert (claimed.status_code, answered.status_code) == (200, 200), (claimed.text, answered.text)
    assert (claimed.json()["status"], _at(claimed.json()["claimed_at"])) == ("in_progress", CLAIMED)
    assert (_at(answered.json()["claimed_at"]), _at(answered.json()["answered_at"])) == (CLAIMED, ANSWERED)
    [row] = await admin_rows(admin, "SELECT status, claimed_at, answered_at FROM tickets")
    assert row == {"status": "answered", "claimed_at": CLAIMED, "answered_at": ANSWERED}
    # The history says when each change was recorded, and the instants the back office gave.
    forwarded, claim, answer = await _history(admin)
    assert [change["action"] for change in (forwarded, claim, answer)] == ["forwarded", "claimed", "answered"]
    assert all(change["at"] >= recorded_from for change in (claim, answer))
    assert (claim["before"]["claimed_at"], _at(claim["after"]["claimed_at"])) == (None, CLAIMED)
    assert (answer["before"]["answered_at"], _at(answer["after"]["answered_at"])) == (None, ANSWERED)
    events = await _events(admin)
    assert _at(events["ticket.claimed.v1"]["claimed_at"]) == CLAIMED
    assert _at(events["ticket.answered.v1"]["answered_at"]) == ANSWERED
    assert _at(events["ticket.answered.v1"]["answered_at"]) < _at(events["ticket.answered.v1"]["due_at"])


async def test_an_answer_nobody_claimed_before_counts_as_claimed_at_the_same_instant(
    client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection, ticket: str
) -> None:
    answered = await client.post(
        f"{TICKETS}/{ticket}/answer",
        json={"channel": "callback", "answered_at": ANSWERED.isoformat()},
        headers=back_office(keys, "bersenbrueck"),
    )

    assert answered.status_code == 200, answered.text
    [row] = await admin_rows(admin, "SELECT claimed_by, claimed_at, answered_at FROM tickets")
    assert row == {"claimed_by": "bo-bernd", "claimed_at": ANSWERED, "answered_at": ANSWERED}
    event = (await _events(admin))["ticket.answered.v1"]
    assert (_at(event["claimed_at"]), _at(event["answered_at"])) == (ANSWERED, ANSWERED)
    answer = (await _history(admin))[-1]
    assert (_at(answer["after"]["claimed_at"]), _at(answer["after"]["answered_at"])) == (ANSWERED, ANSWERED)


async def test_an_instant_a_few_seconds_ahead_is_taken_as_now_and_none_means_now(
    client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection, ticket: str
) -> None:
    staff = back_office(keys, "bersenbrueck")
    before = datetime.now(UTC)

    claimed = await client.post(
        f"{TICKETS}/{ticket}/claim", json={"claimed_at": (before + timedelta(seconds=2)).isoformat()}, headers=staff
    )
    answered = await client.post(f"{TICKETS}/{ticket}/answer", json={"channel": "email"}, headers=staff)

    after = datetime.now(UTC)
    assert (claimed.status_code, answered.status_code) == (200, 200), (claimed.text, answered.text)
    assert before <= _at(claimed.json()["claimed_at"]) <= _at(answered.json()["answered_at"]) <= after


@pytest.mark.parametrize(
    ("action", "body", "field", "named"),
    [
        ("claim", {"claimed_at": TOMORROW.isoformat()}, "claimed_at", "future"),
        ("answer", {"channel": "email", "answered_at": TOMORROW.isoformat()}, "answered_at", "future"),
        ("claim", {"claimed_at": (ENDED - timedelta(minutes=1)).isoformat()}, "claimed_at", "forwarded_at"),
        ("answer", {"channel": "email", "answered_at": "2024-03-12T16:59:00+01:00"}, "answered_at", "forwarded_at"),
        ("claim", {"claimed_at": "2024-03-13T09:00:00"}, "claimed_at", "timezone"),
    ],
)
async def test_an_instant_ahead_or_before_the_forwarding_is_refused_naming_the_field(
    client: httpx.AsyncClient,
    keys: SigningKeys,
    admin: asyncpg.Connection,
    ticket: str,
    action: str,
    body: dict[str, Any],
    field: str,
    named: str,
) -> None:
    answer = await client.post(f"{TICKETS}/{ticket}/{action}", json=body, headers=back_office(keys, "bersenbrueck"))

    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    [error] = answer.json()["errors"]
    assert (error["field"], error["in"]) == (field, "body")
    assert named in error["detail"], error
    [row] = await admin_rows(admin, "SELECT status, claimed_at, answered_at, version FROM tickets")
    assert row == {"status": "forwarded", "claimed_at": None, "answered_at": None, "version": 1}
    assert list(await _events(admin)) == ["ticket.forwarded.v1", "contact.recorded.v1"]


async def test_an_answer_before_its_claim_is_refused(
    client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection, ticket: str
) -> None:
    staff = back_office(keys, "bersenbrueck")
    await client.post(f"{TICKETS}/{ticket}/claim", json={"claimed_at": CLAIMED.isoformat()}, headers=staff)

    early = await client.post(
        f"{TICKETS}/{ticket}/answer",
        json={"channel": "email", "answered_at": (CLAIMED - timedelta(minutes=30)).isoformat()},
        headers=staff,
    )
    at_once = await client.post(
        f"{TICKETS}/{ticket}/answer", json={"channel": "email", "answered_at": CLAIMED.isoformat()}, headers=staff
    )

    assert early.status_code == 422, early.text
    [error] = early.json()["errors"]
    assert error["field"] == "answered_at"
    assert "claimed_at" in error["detail"]
    assert at_once.status_code == 200, at_once.text
    assert _at(at_once.json()["answered_at"]) == CLAIMED


async def test_an_answer_before_the_concern_was_resumed_is_refused(
    client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection, ticket: str
) -> None:
    staff = back_office(keys, "bersenbrueck")
    await client.post(f"{TICKETS}/{ticket}/wait", headers=staff)
    resumed = await client.post(f"{TICKETS}/{ticket}/resume", headers=staff)

    answer = await client.post(
        f"{TICKETS}/{ticket}/answer", json={"channel": "email", "answered_at": ANSWERED.isoformat()}, headers=staff
    )

    assert resumed.status_code == 200, resumed.text
    assert answer.status_code == 422, answer.text
    [error] = answer.json()["errors"]
    assert (error["field"], "resumed" in error["detail"]) == ("answered_at", True), error
    [row] = await admin_rows(admin, "SELECT status, answered_at FROM tickets")
    assert row == {"status": "forwarded", "answered_at": None}


async def test_an_answer_before_the_concern_was_reopened_is_refused(
    client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection, ticket: str
) -> None:
    staff = back_office(keys, "bersenbrueck")
    answered = await client.post(
        f"{TICKETS}/{ticket}/answer", json={"channel": "letter", "answered_at": ANSWERED.isoformat()}, headers=staff
    )
    await client.post(f"{TICKETS}/{ticket}/reopen", json={"reason": "Brief kam nicht an"}, headers=staff)

    again = await client.post(
        f"{TICKETS}/{ticket}/answer",
        json={"channel": "callback", "answered_at": (ANSWERED + timedelta(days=1)).isoformat()},
        headers=staff,
    )

    assert answered.status_code == 200, answered.text
    assert again.status_code == 422, again.text
    [error] = again.json()["errors"]
    assert (error["field"], "reopened" in error["detail"]) == ("answered_at", True), error
