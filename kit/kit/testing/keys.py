"""A gateway signing key for tests, and tokens for any identity."""

from __future__ import annotations

import json
from dataclasses import dataclass

from kit.identity import Identity, InternalTokenSigner, generate_signing_key, jwks


@dataclass(frozen=True)
class SigningKeys:
    signer: InternalTokenSigner
    jwks_json: str

    @classmethod
    def generate(cls, kid: str = "test-key") -> SigningKeys:
        key = generate_signing_key()
        return cls(signer=InternalTokenSigner(key, kid=kid), jwks_json=json.dumps(jwks({kid: key.public_key()})))

    def headers(self, identity: Identity) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.signer.sign(identity)}"}

    def headers_for(
        self, tenant_id: str | None, *roles: str, subject: str = "test-user", home: str | None = None
    ) -> dict[str, str]:
        """Headers of a principal with ``roles`` acting for ``tenant_id`` (from ``home`` through a grant, if set)."""
        identity = Identity(
            subject=subject,
            tenant_id=tenant_id,
            roles=frozenset(roles or ("agent",)),
            delegated=home is not None,
            home_tenant_id=home,
        )
        return self.headers(identity)
