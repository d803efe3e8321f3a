"""Settings from the environment: one base class, one subclass per service with its own prefix."""

from __future__ import annotations

from enum import StrEnum
from typing import Self
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRETS = frozenset(
    {"", "changeme", "change-me", "secret", "password", "postgres", "dev", "test", "example"}
)


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


def _is_placeholder(value: str) -> bool:
    return value.lower() in PLACEHOLDER_SECRETS or value.lower().startswith(("dev-", "demo-"))


def url_password(url: str) -> str:
    """Return the password part of a connection URL ('' when none)."""
    return urlsplit(url).password or ""


class KitSettings(BaseSettings):
    """What every process of Zentrale reads from its environment.

    Subclasses set ``env_prefix`` (``TENANTS_``…) for their own fields; the shared ones below carry
    explicit names so one environment can serve every process.
    """

    model_config = SettingsConfigDict(extra="ignore", env_ignore_empty=True, hide_input_in_errors=True)

    service_name: str = "zentrale"
    environment: Environment = Field(
        Environment.PRODUCTION, validation_alias=AliasChoices("ZENTRALE_ENV", "environment")
    )
    nats_url: str = Field("nats://127.0.0.1:4222", validation_alias=AliasChoices("NATS_URL", "nats_url"))
    stream_replicas: int = Field(1, validation_alias=AliasChoices("ZENTRALE_STREAM_REPLICAS", "stream_replicas"))
    internal_public_keys: SecretStr = Field(
        SecretStr(""),
        validation_alias=AliasChoices("ZENTRALE_INTERNAL_PUBLIC_KEYS", "internal_public_keys"),
        description="JWKS (JSON, or a path to a JSON file) with the gateway's public signing keys",
    )
    log_level: str = Field("INFO", validation_alias=AliasChoices("LOG_LEVEL", "log_level"))
    log_json: bool = Field(True, validation_alias=AliasChoices("ZENTRALE_LOG_JSON", "log_json"))
    max_body_bytes: int = Field(1_048_576, validation_alias=AliasChoices("ZENTRALE_MAX_BODY_BYTES", "max_body_bytes"))

    @property
    def is_development(self) -> bool:
        return self.environment in (Environment.DEVELOPMENT, Environment.TEST)

    def secrets_to_check(self) -> dict[str, str]:
        """Name → value of every secret that must not be a placeholder outside development."""
        return {}

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Self:
        if self.is_development:
            return self
        bad = [name for name, value in self.secrets_to_check().items() if _is_placeholder(value)]
        if bad:
            raise ValueError(f"placeholder or empty secrets outside development: {', '.join(sorted(bad))}")
        return self


class ServiceSettings(KitSettings):
    """Settings of a service with its own database (runtime role) and migrations (owner role)."""

    database_url: SecretStr = SecretStr("postgresql://app:app@127.0.0.1:5432/app")
    migration_database_url: SecretStr = SecretStr("")
    runtime_role: str = ""
    db_pool_size: int = Field(10, ge=1, description="Database connections per process, at most")
    db_pool_timeout: float = Field(10.0, gt=0, description="Seconds a request waits for a free connection")
    relay_batch_size: int = 256
    relay_linger: float = Field(
        0.005, ge=0, le=1, description="Seconds the relay waits after a wake-up for more commits to publish together"
    )
    event_batch_wait: float = Field(
        0.0, ge=0, le=1, description="Seconds a consumer waits after a short fetch for more events to group"
    )

    def secrets_to_check(self) -> dict[str, str]:
        return {
            "database_url password": url_password(self.database_url.get_secret_value()),
            "internal_public_keys": self.internal_public_keys.get_secret_value(),
        }

    @property
    def runtime_role_name(self) -> str:
        """The role the service runs as: named explicitly, else the user of ``database_url``."""
        return self.runtime_role or urlsplit(self.database_url.get_secret_value()).username or ""
