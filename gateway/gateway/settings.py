"""Settings of the gateway (``GATEWAY_*`` plus the shared ``ZENTRALE_*``)."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import SettingsConfigDict

from gateway.client_address import parse_networks
from gateway.oidc_config import OidcIssuer, parse_oidc_issuers
from gateway.rate_limits import RateLimitConfig
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
    # A key that stands for a person (an agent's desk) may act for partners through their grants; a client's never.
    kind: Literal["user", "client"] = "client"


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


class RateLimitOverride(BaseModel):
    """One tenant's own limits; an absent one keeps the default."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    client: int | None = Field(None, ge=1)
    tenant: int | None = Field(None, ge=1)


_OVERRIDES = TypeAdapter(dict[TenantId, RateLimitOverride])


def parse_rate_limit_overrides(value: str) -> dict[str, RateLimitOverride]:
    """Read the ``{"<tenant>": {client, tenant}}`` document (JSON text or a file path)."""
    if not value.strip():
        return {}
    try:
        return _OVERRIDES.validate_json(load_text_or_file(value))
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors(include_input=False))
        raise ValueError(f"invalid rate-limit overrides: {problems}") from None


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
    oidc_issuers: str = Field("", description="Trusted OIDC issuers: a JSON list or a path to a JSON file")
    oidc_leeway_seconds: float = Field(30.0, ge=0, le=300, description="Clock skew allowed on exp, iat, nbf")
    oidc_jwks_cache_seconds: float = Field(600.0, gt=0, description="Seconds an issuer's key set is used unasked")
    oidc_jwks_refetch_seconds: float = Field(10.0, ge=0, description="Least seconds between key-set fetches")
    oidc_jwks_stale_seconds: float = Field(3600.0, ge=0, description="Seconds old keys serve while a refresh fails")
    oidc_jwks_timeout: float = Field(3.0, gt=0, description="Seconds an identity provider has to send its keys")
    demo_tokens: bool = Field(False, description="Issue demo tokens at /auth/demo (development only)")
    demo_token_key: SecretStr = Field(SecretStr(""), description="P-256 key for demo tokens: PEM or path")
    demo_token_ttl: int = Field(3600, ge=60, le=86400, description="Lifetime of a demo token in seconds")
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
    grants_refresh_seconds: float = Field(
        60.0, gt=0, description="Seconds between full reloads of the grants (events keep them current meanwhile)"
    )
    rate_limit_client: int = Field(600, ge=1, description="Requests one API client may make per window")
    rate_limit_tenant: int = Field(3000, ge=1, description="Requests all callers of one tenant may make per window")
    rate_limit_public: int = Field(
        3000, ge=1, description="Requests the public may make per window on one tenant's public routes, all together"
    )
    rate_limit_window: int = Field(60, ge=1, le=3600, description="Length of a rate-limit window in seconds")
    rate_limit_overrides: str = Field(
        "", description='Per-tenant limits: JSON text or a path, {"<tenant>": {"client": n, "tenant": n}}'
    )
    rate_limit_flush_interval: float = Field(
        0.2, gt=0, le=5, description="Seconds between sending local counts to the shared store"
    )
    rate_limit_bucket: str = Field("ZENTRALE_RATELIMITS", pattern=r"^[a-zA-Z0-9_-]+$")

    @field_validator("rate_limit_overrides")
    @classmethod
    def _overrides_are_valid(cls, value: str) -> str:
        parse_rate_limit_overrides(value)
        return value

    @field_validator("api_keys")
    @classmethod
    def _grants_are_valid(cls, value: SecretStr) -> SecretStr:
        parse_api_keys(value.get_secret_value())
        return value

    @field_validator("oidc_issuers")
    @classmethod
    def _issuers_are_valid(cls, value: str) -> str:
        parse_oidc_issuers(value)
        return value

    @model_validator(mode="after")
    def _demo_tokens_only_in_development(self) -> Self:
        if self.demo_tokens and not self.is_development:
            raise ValueError("GATEWAY_DEMO_TOKENS: demo tokens let anyone act as anyone; development only")
        return self

    def oidc_issuer_configs(self) -> list[OidcIssuer]:
        """The trusted OIDC issuers, read from ``GATEWAY_OIDC_ISSUERS``."""
        return parse_oidc_issuers(self.oidc_issuers)

    cors_origins: list[str] = Field(
        default_factory=list, description="Origins of agent frontends that may call from a browser (CORS)"
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Load balancers or ingresses in front (addresses or CIDR blocks) whose X-Forwarded-For is believed",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_networks(cls, value: list[str]) -> list[str]:
        parse_networks(value)
        return value

    hsts_seconds: int = Field(0, ge=0, description="Strict-Transport-Security max-age; 0 sends none (no TLS here)")

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

    def rate_limit_config(self) -> RateLimitConfig:
        """The rate limits with their per-tenant overrides, and how their counts are shared."""
        overrides = parse_rate_limit_overrides(self.rate_limit_overrides)
        return RateLimitConfig(
            client=self.rate_limit_client,
            tenant=self.rate_limit_tenant,
            window=self.rate_limit_window,
            overrides={tenant: (limits.client, limits.tenant) for tenant, limits in overrides.items()},
            public=self.rate_limit_public,
            flush_interval=self.rate_limit_flush_interval,
            bucket=self.rate_limit_bucket,
            replicas=self.stream_replicas,
        )

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
