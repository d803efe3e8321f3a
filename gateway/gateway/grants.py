"""Grants: a partner municipality lets the host's people act on its data in the roles it names.

The table lives in memory and costs the request path one dict look-up. It is loaded from the tenants
service's grant directory at start (retried in the background; until then nobody acts through a grant),
kept current by the ``tenants.*.grant.>`` events on the gateway's NATS connection, and loaded again
whenever events may have been missed (a connect, a reconnect, a slow consumer) and every
``refresh_seconds``, which bounds a missed revocation while NATS is away. Validity is checked at each
look-up, so an expired grant needs no event.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass, replace
from typing import ClassVar

import aiohttp
from pydantic import BaseModel, ConfigDict, ValidationError

from gateway.client_keys import GATEWAY_IDENTITY
from gateway.events.consumed import GrantStateV1
from gateway.tokens import TokenCache
from kit.errors import NotFound
from kit.http import client_session
from kit.identity import Identity

log = logging.getLogger("gateway.grants")

GRANTS_PATH = "/v1/internal/grants"
GRANT_EVENTS = "tenants.*.grant.>"


@dataclass(frozen=True, slots=True)
class Grant:
    """One partner's grant to one host, as the request path checks it."""

    id: str
    roles: frozenset[str]
    valid_from: float
    valid_until: float | None

    def counts_at(self, now: float) -> bool:
        return self.valid_from <= now and (self.valid_until is None or now < self.valid_until)


def _grant(state: GrantStateV1) -> Grant:
    until = state.valid_until.timestamp() if state.valid_until is not None else None
    return Grant(state.id, frozenset(state.roles), state.valid_from.timestamp(), until)


class _EventV1(BaseModel):
    model_config = ConfigDict(extra="ignore")

    data: dict[str, object]


class _DirectoryV1(BaseModel):
    model_config = ConfigDict(extra="ignore")

    items: list[GrantStateV1]


class Grants:
    """The grants of every partner by (partner, grantee), loaded and kept current in the background."""

    subjects: ClassVar[tuple[str, ...]] = (GRANT_EVENTS,)

    def __init__(
        self,
        *,
        tenants_url: str,
        tokens: TokenCache,
        refresh_seconds: float = 60.0,
        retry_seconds: float = 2.0,
        timeout: float = 5.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._url = tenants_url.rstrip("/") + GRANTS_PATH
        self._tokens = tokens
        self._refresh_seconds = refresh_seconds
        self._retry_seconds = retry_seconds
        self._timeout = timeout
        self._clock = clock
        self._table: dict[tuple[str, str], Grant] = {}
        # Counts applied events: a directory fetched across one may already be stale.
        self._epoch = 0
        self._failing = False
        self._wanted = asyncio.Event()
        self.loaded = asyncio.Event()
        self._session: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None

    def __len__(self) -> int:
        return len(self._table)

    def acting(self, identity: Identity, tenant: str) -> Identity:
        """``identity`` with only the roles ``tenant`` grants its home tenant now; 404 as for any other tenant.

        Only people (kind ``user``) act through grants: API clients serve the tenant that made them.
        """
        home = identity.tenant_id
        grant = self._table.get((tenant, home)) if identity.kind == "user" and home is not None else None
        if grant is None or not grant.counts_at(self._clock()):
            raise NotFound()
        roles = identity.roles & grant.roles
        if not roles:
            raise NotFound()
        return identity if roles == identity.roles else replace(identity, roles=roles)

    def replace_all(self, states: Iterable[GrantStateV1]) -> None:
        """Make ``states`` the whole table."""
        self._table = {(state.tenant_id, state.grantee_tenant): _grant(state) for state in states}

    def apply(self, subject: str, payload: bytes) -> None:
        """Apply a ``tenants.<tenant>.grant.<verb>.v1`` event; one it cannot read asks for a reload."""
        self._epoch += 1
        parts = subject.split(".")
        try:
            state = GrantStateV1.model_validate(_EventV1.model_validate_json(payload).data)
        except ValidationError:
            state = None
        if state is None or len(parts) != 5 or state.tenant_id != parts[1] or parts[3] not in ("added", "removed"):
            log.warning("gateway.grants.unreadable", extra={"subject": subject})
            self.missed()
            return
        key = (state.tenant_id, state.grantee_tenant)
        if parts[3] == "added":
            self._table[key] = _grant(state)
        elif (current := self._table.get(key)) is not None and current.id == state.id:
            del self._table[key]

    def missed(self) -> None:
        """Events may have been missed: load the whole directory again soon."""
        self._wanted.set()

    async def load(self) -> bool:
        """Fetch the directory once and install it; False if the tenants service could not answer."""
        if self._session is None:
            raise RuntimeError("the grants are not open")
        epoch = self._epoch
        headers = {"Authorization": self._tokens.authorization(GATEWAY_IDENTITY, None), "Accept": "application/json"}
        try:
            async with self._session.get(self._url, headers=headers) as response:
                if response.status != 200:
                    return self._failed("gateway.grants.refused", status=response.status)
                directory = _DirectoryV1.model_validate_json(await response.read())
        except (aiohttp.ClientError, TimeoutError) as error:
            return self._failed("gateway.grants.unreachable", error=type(error).__name__)
        except ValidationError:
            return self._failed("gateway.grants.unreadable_directory")
        self._failing = False
        self.replace_all(directory.items)
        if self._epoch != epoch:
            # An event applied meanwhile may be newer than the directory: fetch once more.
            self.missed()
        self.loaded.set()
        log.info("gateway.grants.loaded", extra={"grants": len(self._table)})
        return True

    def _failed(self, event: str, **extra: object) -> bool:
        """Log a failed load, as a warning the first time in a row only (retries follow every few seconds)."""
        log.log(logging.DEBUG if self._failing else logging.WARNING, event, extra=extra)
        self._failing = True
        return False

    async def open(self) -> None:
        """Create the client session and start loading in the background: the gateway serves meanwhile."""
        self._session = client_session(
            cookie_jar=aiohttp.DummyCookieJar(),
            timeout=aiohttp.ClientTimeout(total=self._timeout),
            raise_for_status=False,
        )
        self._task = asyncio.create_task(self._run(), name="gateway.grants")

    async def close(self) -> None:
        """Stop loading and close the client session."""
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
        if self._session is not None:
            await self._session.close()

    async def _run(self) -> None:
        while True:
            self._wanted.clear()
            try:
                loaded = await self.load()
            except Exception as error:  # noqa: BLE001 - the loader must outlive any failure; the table stays
                log.warning("gateway.grants.load_failed", extra={"error": repr(error)})
                loaded = False
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wanted.wait(), self._refresh_seconds if loaded else self._retry_seconds)
