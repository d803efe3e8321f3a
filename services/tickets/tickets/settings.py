"""Settings of the tickets service (``TICKETS_*`` plus the shared ``ZENTRALE_*``/``NATS_URL``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from kit.settings import ServiceSettings

SERVICE = "tickets"


class TicketsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TICKETS_", extra="ignore", env_ignore_empty=True)

    service_name: str = SERVICE
    worker_port: int = 9103
    # The warning comes this much business time before a ticket is due (or at forwarding, if less is left).
    warning_lead_business_minutes: int = Field(default=120, ge=0, le=24 * 60)
    # How often the worker looks for tickets to warn of or escalate, and for personal data past retention.
    deadline_watch_seconds: float = Field(default=5.0, gt=0)
    retention_sweep_seconds: float = Field(default=3600.0, gt=0)


@lru_cache
def get_settings() -> TicketsSettings:
    """Read the settings once per process."""
    return TicketsSettings()
