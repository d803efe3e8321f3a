"""Settings of the knowledge service (``KNOWLEDGE_*`` plus the shared ``ZENTRALE_*``/``NATS_URL``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import SettingsConfigDict

from kit.settings import ServiceSettings
from kit.tenancy import TenantId

SERVICE = "knowledge"


class KnowledgeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="KNOWLEDGE_", extra="ignore", env_ignore_empty=True)

    service_name: str = SERVICE
    worker_port: int = 9102
    # The municipality that runs the service center: its knowledge editors keep the shared base.
    host_tenant: TenantId | None = None


@lru_cache
def get_settings() -> KnowledgeSettings:
    """Read the settings once per process."""
    return KnowledgeSettings()
