"""Settings of the tenants service (``TENANTS_*`` plus the shared ``ZENTRALE_*``/``NATS_URL``)."""

from __future__ import annotations

from functools import lru_cache
from typing import Self

from pydantic import Field, IPvAnyNetwork, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from kit.settings import ServiceSettings

SERVICE = "tenants"
# 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: eight tries over 27.6 hours.
WEBHOOK_RETRY_SCHEDULE = (5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0)
WEBHOOK_MIN_RETRY_SPAN = 24 * 3600.0


class TenantsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TENANTS_", extra="ignore", env_ignore_empty=True)

    service_name: str = SERVICE
    worker_port: int = 9101
    client_key_grace_seconds: int = Field(
        86400, ge=0, le=7 * 86400, description="Seconds a rotated API key keeps working when the rotation names none"
    )
    webhook_allow_private_targets: bool = Field(
        False, description="Let webhooks target loopback, private (RFC 1918, unique-local) and CGNAT addresses"
    )
    webhook_allowed_target_networks: list[IPvAnyNetwork] = Field(
        default_factory=list, description="Networks webhooks may target although they are not public (JSON list)"
    )
    webhook_allow_http: bool = Field(False, description="Accept plain http:// webhook URLs outside development")
    webhook_retry_schedule: list[float] = Field(
        default_factory=lambda: list(WEBHOOK_RETRY_SCHEDULE),
        min_length=1,
        description="Seconds before each retry of a failed webhook delivery; after the last one it is dead",
    )
    webhook_timeout: float = Field(10.0, gt=0, le=60, description="Seconds a webhook target has to answer")
    webhook_concurrency: int = Field(16, ge=1, description="Webhook deliveries in flight per worker")
    webhook_poll_interval: float = Field(1.0, gt=0, description="Seconds between looks for due webhook deliveries")
    webhook_secret_overlap: float = Field(
        86400.0, ge=0, description="Seconds a rotated webhook secret keeps signing beside the new one"
    )
    webhook_log_retention_days: float = Field(
        30.0, gt=0, description="Days finished webhook deliveries and their attempts are kept"
    )

    @field_validator("webhook_retry_schedule")
    @classmethod
    def _positive_delays(cls, delays: list[float]) -> list[float]:
        if any(delay <= 0 for delay in delays):
            raise ValueError("every retry delay must be positive")
        return delays

    @model_validator(mode="after")
    def _retries_cover_a_day(self) -> Self:
        if not self.is_development and sum(self.webhook_retry_schedule) < WEBHOOK_MIN_RETRY_SPAN:
            raise ValueError("webhook_retry_schedule must span at least 24 hours outside development")
        return self


@lru_cache
def get_settings() -> TenantsSettings:
    return TenantsSettings()
