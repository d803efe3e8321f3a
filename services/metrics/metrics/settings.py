"""Settings of the metrics service (``METRICS_*`` plus the shared ``ZENTRALE_*``/``NATS_URL``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import SettingsConfigDict

from kit.settings import ServiceSettings

SERVICE = "metrics"


class MetricsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="METRICS_", extra="ignore", env_ignore_empty=True)

    service_name: str = SERVICE
    worker_port: int = 9104


@lru_cache
def get_settings() -> MetricsSettings:
    """Read the settings once per process."""
    return MetricsSettings()
