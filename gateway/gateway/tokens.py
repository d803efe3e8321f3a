"""Internal tokens for the services, signed once per identity and tenant and reused for half their life."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from kit.identity import Identity, InternalTokenSigner


class TokenCache:
    """``Authorization`` header values for (identity, acting tenant), re-signed after ``ttl / 2``."""

    def __init__(
        self,
        signer: InternalTokenSigner,
        *,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.signer = signer
        self._reuse_for = signer.ttl_seconds / 2
        self._max_entries = max_entries
        self._clock = clock
        self._entries: dict[tuple[Identity, str | None], tuple[str, float]] = {}

    def authorization(self, identity: Identity, tenant: str | None) -> str:
        """A ``Bearer`` header value carrying ``identity`` acting for ``tenant``."""
        key = (identity, tenant)
        now = self._clock()
        entry = self._entries.get(key)
        if entry is not None and entry[1] > now:
            return entry[0]
        acting = (
            identity
            if identity.tenant_id == tenant
            else replace(identity, tenant_id=tenant, delegated=tenant is not None, home_tenant_id=identity.tenant_id)
        )
        value = "Bearer " + self.signer.sign(acting, now=now)
        if len(self._entries) >= self._max_entries:
            self._entries = {k: v for k, v in self._entries.items() if v[1] > now}
            if len(self._entries) >= self._max_entries:
                self._entries.clear()
        self._entries[key] = (value, now + self._reuse_for)
        return value
