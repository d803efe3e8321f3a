"""Settings of the tenants service (``TENANTS_*`` plus the shared ``ZENTRALE_*``/``NATS_URL``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import SettingsConfigDict

from kit.settings import ServiceSettings

SERVICE = "tenants"


class TenantsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TENANTS_", extra="ignore", env_ignore_empty=True)

    service_name: str = SERVICE
    worker_port: int = 9101


@lru_cache
def get_settings() -> TenantsSettings:
    return TenantsSettings()
