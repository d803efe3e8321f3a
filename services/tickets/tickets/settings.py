"""Settings of the tickets service (``TICKETS_*`` plus the shared ``ZENTRALE_*``/``NATS_URL``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import SettingsConfigDict

from kit.settings import ServiceSettings

SERVICE = "tickets"


class TicketsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TICKETS_", extra="ignore", env_ignore_empty=True)

    service_name: str = SERVICE
    worker_port: int = 9103


@lru_cache
def get_settings() -> TicketsSettings:
    """Read the settings once per process."""
    return TicketsSettings()
