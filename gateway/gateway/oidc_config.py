"""Which OIDC issuers the gateway trusts, and how their tokens' claims become our identity."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator, model_validator

from kit.identity import Role, load_text_or_file
from kit.tenancy import TenantId

Algorithm = Literal["RS256", "ES256"]
# Keycloak publishes a realm's signing keys here; ``jwks_url`` names another place for other providers.
KEYCLOAK_CERTS = "/protocol/openid-connect/certs"
# A person signing in is never the system; everything else may be granted by a trusted issuer.
GRANTABLE_ROLES = frozenset(role for role in Role if role is not Role.SYSTEM)


class OidcIssuer(BaseModel):
    """One trusted issuer: where its keys are, what its tokens must say, how their roles map to ours."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    issuer: str = Field(min_length=1, description="The exact `iss` of its tokens")
    audience: str = Field(min_length=1, description="Must be one of the token's `aud` values")
    jwks_url: str = Field("", description="Where its JWKS is; default: Keycloak's certs endpoint of the issuer")
    roles_claim: str = Field("realm_access.roles", min_length=1, description="Dotted path to the role names")
    tenant_claim: str = Field("tenant", min_length=1, description="Dotted path to the tenant id")
    tenant: TenantId | None = Field(None, description="Set for a municipality's own issuer: every token is its")
    role_map: dict[str, Role] | None = Field(None, description="External role → ours; default: names equal to ours")
    algorithms: tuple[Algorithm, ...] = ("RS256", "ES256")

    @field_validator("role_map")
    @classmethod
    def _no_system_role(cls, value: dict[str, Role] | None) -> dict[str, Role] | None:
        if value is not None and Role.SYSTEM in value.values():
            raise ValueError("no external role may map to 'system'")
        return value

    @model_validator(mode="after")
    def _default_jwks_url(self) -> OidcIssuer:
        if not self.jwks_url:
            object.__setattr__(self, "jwks_url", self.issuer.rstrip("/") + KEYCLOAK_CERTS)
        if not self.algorithms:
            raise ValueError("algorithms: at least one of RS256, ES256")
        return self

    def map_roles(self, external: list[str]) -> frozenset[str]:
        """Our roles for the external role names; unknown names are ignored."""
        if self.role_map is None:
            return frozenset(name for name in external if name in GRANTABLE_ROLES)
        return frozenset(self.role_map[name].value for name in external if name in self.role_map)


_ISSUERS = TypeAdapter(list[OidcIssuer])


def parse_oidc_issuers(value: str) -> list[OidcIssuer]:
    """Read the JSON list of trusted issuers (JSON text or a file path)."""
    stripped = value.strip()
    if not stripped:
        return []
    text = stripped if stripped.startswith("[") else load_text_or_file(stripped)
    try:
        issuers = _ISSUERS.validate_json(text)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'issuers'}: {e['msg']}" for e in error.errors(include_input=False)
        )
        raise ValueError(f"invalid OIDC issuers: {problems}") from None
    names = [issuer.issuer for issuer in issuers]
    if len(set(names)) != len(names):
        raise ValueError("invalid OIDC issuers: an issuer is listed twice")
    return issuers
