"""Settings of the metrics service (``METRICS_*`` plus the shared ``ZENTRALE_*``/``NATS_URL``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from kit.settings import ServiceSettings

SERVICE = "metrics"


class MetricsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="METRICS_", extra="ignore", env_ignore_empty=True)

    service_name: str = SERVICE
    worker_port: int = 9104
    # How often the worker checks the days that ended against the contracts, and how many days back: a day's
    # late call events (the telephony catching up) can still turn it into a breach within the look-back.
    breach_check_seconds: float = Field(default=300.0, gt=0)
    breach_lookback_days: int = Field(default=3, ge=1, le=31)


@lru_cache
def get_settings() -> MetricsSettings:
    """Read the settings once per process."""
    return MetricsSettings()
