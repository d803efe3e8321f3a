"""The tickets service's API: ``uvicorn --factory tickets.app:create_app``."""

from __future__ import annotations

from fastapi import FastAPI

from businesstime import load_holidays
from kit.app import create_service_app
from tickets.contact.endpoints import router as contact_router
from tickets.deadlines.endpoints import router as deadlines_router
from tickets.open311.endpoints import open311_router
from tickets.personal.endpoints import router as personal_router
from tickets.settings import get_settings
from tickets.ticket.endpoints import router as ticket_router


def create_app() -> FastAPI:
    """Build the tickets API from the environment's settings, with the holidays its due dates need loaded."""
    load_holidays()
    return create_service_app(
        get_settings(),
        title="Zentrale tickets",
        description=(
            "Every contact (call, e-mail, chat, walk-in) and its outcome: solved at first contact, or forwarded "
            "to a department with a due date in the tenant's business hours, with callbacks and escalation."
        ),
        # Fixed paths (the overdue overview) before the ones with a ticket id.
        routers=[personal_router, contact_router, deadlines_router, ticket_router, open311_router],
    )
