"""The tickets demo: a morning of Artland's contacts, two of them forwarded to its back office.

A tenant that has contacts already gets none (a second start records nothing); each contact carries an
Idempotency-Key, so a request retried after a lost answer is recorded once. The tickets service
learns Artland, its contract and its department from the tenants events shortly after the demo made them:
until it has, forwarding answers 404, 409 (no contract yet) or 422 (no department yet), and is tried again.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from devstack.demo_knowledge import Gateway, KnowledgeRefused

PASSPORT = "99085001012000"
NOT_YET_KNOWN = frozenset({404, 409, 422})


class TicketsRefused(RuntimeError):
    """The gateway refused a piece of the tickets demo."""


def _contacts(now: datetime) -> list[tuple[str, dict[str, Any]]]:
    """What the Artland desk recorded this morning: (idempotency key, contact)."""

    def at(minutes_ago: int, length: int) -> dict[str, str]:
        start = now - timedelta(minutes=minutes_ago)
        return {"started_at": start.isoformat(), "ended_at": (start + timedelta(minutes=length)).isoformat()}

    return [
        (
            "demo-artland-contact-1",
            {
                "channel": "phone",
                **at(50, 3),
                "leika_key": PASSPORT,
                "summary": "Welche Unterlagen brauche ich für den Reisepass?",
                "outcome": "solved",
            },
        ),
        (
            "demo-artland-contact-2",
            {
                "channel": "phone",
                **at(35, 6),
                "leika_key": PASSPORT,
                "summary": "Expresspass für Reise nächste Woche; Termin im Bürgerbüro gewünscht",
                "outcome": "callback",
                "caller": {"name": "Erika Mustermann", "phone": "+49 5431 123456"},
                "forward": {"subject": "Rückruf: Expresspass, Termin gewünscht", "priority": "high"},
            },
        ),
        (
            "demo-artland-contact-3",
            {
                "channel": "email",
                **at(20, 2),
                "leika_key": PASSPORT,
                "summary": "Reisepass verloren im Urlaub, was tun?",
                "outcome": "forwarded",
                "caller": {"name": "Max Mustermann", "email": "max@example.org"},
                "forward": {"reply_by": "email"},
            },
        ),
        (
            "demo-artland-contact-4",
            {
                "channel": "chat",
                **at(5, 4),
                "summary": "Frage zur Hundesteuer",
                "outcome": "referred",
                "referred_to": "Landkreis Osnabrück, Steueramt",
            },
        ),
    ]


def load_tickets(gateway: Gateway, tenant: str, *, now: datetime | None = None) -> list[str]:
    """Record the demo's contacts unless the tenant has some; return e.g. ``["contacts 4 (2 forwarded)"]``."""
    path = f"/v1/tenants/{tenant}/contacts"
    try:
        if gateway.send("GET", f"{path}?limit=1", until_tenant_known=True).body["items"]:
            return []
        forwarded = 0
        contacts = _contacts(now or datetime.now(UTC))
        for key, contact in contacts:
            reply = gateway.send(
                "POST",
                path,
                payload=contact,
                headers={"Idempotency-Key": key},
                retried_statuses=NOT_YET_KNOWN,
                accept=(201,),
            )
            forwarded += reply.body.get("ticket") is not None
    except KnowledgeRefused as refused:
        raise TicketsRefused(str(refused)) from refused
    return [f"contacts {len(contacts)} ({forwarded} forwarded)"]
