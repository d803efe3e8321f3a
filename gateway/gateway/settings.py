"""Settings of the gateway (``GATEWAY_*`` plus the shared ``ZENTRALE_*``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field, SecretStr, TypeAdapter, ValidationError, field_validator
from pydantic_settings import SettingsConfigDict

from kit.identity import load_text_or_file
from kit.settings import KitSettings
from kit.tenancy import TenantId

SERVICE = "gateway"


class ApiKeyGrant(BaseModel):
    """What one API key stands for: a client principal, bound to a tenant or (operators) to none."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    subject: str = Field(min_length=1)
    tenant: TenantId | None = None
    roles: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()


_GRANTS = TypeAdapter(dict[str, ApiKeyGrant])


def parse_api_keys(value: str) -> dict[str, ApiKeyGrant]:
    """Read the ``{"<api key>": {subject, tenant, roles, scopes}}`` document (JSON text or a file path)."""
    if not value.strip():
        return {}
    try:
        return _GRANTS.validate_json(load_text_or_file(value))
    except ValidationError as error:
        # The first location is the key itself: leave it out of the message.
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'][1:])) or 'grant'}: {e['msg']}" for e in error.errors(include_input=False)
        )
        raise ValueError(f"invalid API key grants: {problems}") from None


class GatewaySettings(KitSettings):
    """The gateway's settings; secrets are refused as placeholders outside development."""

    # Errors must not echo their input: it holds the signing key and the API keys.
    model_config = SettingsConfigDict(
        env_prefix="GATEWAY_", extra="ignore", env_ignore_empty=True, hide_input_in_errors=True
    )

    service_name: str = SERVICE
    host: str = "127.0.0.1"
    port: int = 8000
    tenants_url: str = "http://127.0.0.1:8101"
    knowledge_url: str = "http://127.0.0.1:8102"
    tickets_url: str = "http://127.0.0.1:8103"
    metrics_url: str = "http://127.0.0.1:8104"
    signing_key: SecretStr = Field(
        SecretStr(""), description="Ed25519 private key for internal tokens: PEM text or a path to a PEM file"
    )
    signing_key_id: str = "gateway-1"
    internal_token_ttl: int = Field(60, ge=10, description="Lifetime of an internal token in seconds")
    api_keys: SecretStr = Field(SecretStr(""), description="API keys: JSON text or a path to a JSON file, key → grant")
    upstream_timeout: float = Field(30.0, gt=0, description="Seconds until a service's response headers arrive")
    connect_timeout: float = Field(2.0, gt=0, description="Seconds to open a connection to a service")
    connect_retries: int = Field(1, ge=0, description="Extra connection attempts for idempotent requests")
    upstream_pool_size: int = Field(256, ge=1, description="Open connections kept per service")
    openapi_cache_seconds: float = Field(30.0, ge=0)
    key_cache_seconds: float = Field(
        60.0, gt=0, description="Seconds a key the tenants service verified is trusted without asking again"
    )
    key_negative_cache_seconds: float = Field(
        5.0, ge=0, description="Seconds a key the tenants service does not know is refused without asking again"
    )
    key_verify_timeout: float = Field(2.0, gt=0, description="Seconds the tenants service has to verify a key")

    @field_validator("api_keys")
    @classmethod
    def _grants_are_valid(cls, value: SecretStr) -> SecretStr:
        parse_api_keys(value.get_secret_value())
        return value

    def upstream_urls(self) -> dict[str, str]:
        """Service name → base URL of its API."""
        return {
            "tenants": self.tenants_url,
            "knowledge": self.knowledge_url,
            "tickets": self.tickets_url,
            "metrics": self.metrics_url,
        }

    def api_key_grants(self) -> dict[str, ApiKeyGrant]:
        """API key → grant, read from ``GATEWAY_API_KEYS``."""
        return parse_api_keys(self.api_keys.get_secret_value())

    def secrets_to_check(self) -> dict[str, str]:
        """The signing key and every API key, named without their values."""
        secrets = {"signing_key": self.signing_key.get_secret_value().strip()}
        for number, (key, grant) in enumerate(self.api_key_grants().items(), start=1):
            secrets[f"api key {number} ({grant.subject})"] = key
        return secrets


@lru_cache
def get_settings() -> GatewaySettings:
    """The process's settings, read once."""
    return GatewaySettings()
