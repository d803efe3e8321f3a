"""The demo's knowledge: the German sample of service descriptions, offices and responsibilities, via the gateway.

Loading runs on every start and changes nothing that exists: what is published is listed first and only what
is missing is created and published. A description whose creation was interrupted before it was published
is not seen by the listing and would be made again.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

# Next to the service that keeps it, in the checkout this package runs from.
SAMPLE = Path(__file__).resolve().parents[2] / "services" / "knowledge" / "samples" / "knowledge_de.json"
BASE = "/v1/knowledge/base/descriptions"
PAGE = 200
RETRIED_STATUSES = frozenset({429, 502, 503, 504})
PUBLISHED = {"status": "published"}


class KnowledgeRefused(RuntimeError):
    """The gateway refused a piece of the demo's knowledge."""


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any
    etag: str | None


@dataclass(frozen=True)
class Gateway:
    """The gateway, called with one API key; waits while a service is not reachable yet."""

    url: str
    api_key: str
    patience: float = 15.0

    def send(
        self,
        method: str,
        path: str,
        *,
        payload: Any = None,
        if_match: str | None = None,
        until_tenant_known: bool = False,
        accept: tuple[int, ...] = (200, 201, 204),
        headers: Mapping[str, str] | None = None,
        retried_statuses: frozenset[int] = frozenset(),
    ) -> Reply:
        """Send one request and return the reply with a status in ``accept``; raise ``KnowledgeRefused`` else.

        ``until_tenant_known``: a 404 is retried too, as the knowledge service learns a new tenant from an
        event shortly after the tenants service made it; ``retried_statuses`` are retried as well.
        """
        deadline = time.monotonic() + self.patience
        while True:
            reply, wait = self._once(method, path, payload, if_match, headers or {})
            if reply.status in accept:
                return reply
            retried = (
                reply.status in RETRIED_STATUSES
                or reply.status in retried_statuses
                or (until_tenant_known and reply.status == 404)
            )
            if not retried or time.monotonic() + wait > deadline:
                raise KnowledgeRefused(f"{method} {path} answered {reply.status}: {str(reply.body)[:500]}")
            time.sleep(wait)

    def _once(
        self, method: str, path: str, payload: Any, if_match: str | None, headers: Mapping[str, str]
    ) -> tuple[Reply, float]:
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)  # noqa: S310 - loopback gateway
        request.add_header("Authorization", f"Bearer {self.api_key}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if if_match is not None:
            request.add_header("If-Match", if_match)
        for name, value in headers.items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=10.0) as response:  # noqa: S310
                return Reply(response.status, _json(response.read()), response.headers.get("ETag")), 0.2
        except urllib.error.HTTPError as error:
            retry_after = error.headers.get("Retry-After", "")
            wait = float(retry_after) if retry_after.isdigit() else 0.2
            return Reply(error.code, _json(error.read()), error.headers.get("ETag")), wait
        except OSError as error:
            return Reply(503, str(error), None), 0.2


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return raw.decode(errors="replace")


@dataclass(frozen=True)
class Published:
    """What a tenant's agents see now: descriptions by name, per layer, and which have the tenant's supplement."""

    shared: dict[str, str]
    local: dict[str, str]
    supplemented: set[str]


def _pages(gateway: Gateway, tenant: str) -> Iterator[dict[str, Any]]:
    cursor: str | None = None
    while True:
        query = f"?limit={PAGE}" + (f"&cursor={quote(cursor)}" if cursor else "")
        reply = gateway.send("GET", f"/v1/tenants/{tenant}/knowledge/descriptions{query}", until_tenant_known=True)
        yield from reply.body["items"]
        cursor = reply.body.get("next_cursor")
        if not cursor:
            return


def published(gateway: Gateway, tenant: str) -> Published:
    """The descriptions the tenant's agents see, waiting until the knowledge service knows the tenant."""
    seen = Published({}, {}, set())
    for item in _pages(gateway, tenant):
        (seen.shared if item["layer"] == "shared" else seen.local).setdefault(item["name"], item["id"])
        if "supplement" in item["origins"].values():
            seen.supplemented.add(item["id"])
    return seen


def _create_published(gateway: Gateway, collection: str, entry: dict[str, Any]) -> str:
    made = gateway.send("POST", collection, payload=entry)
    description_id: str = made.body["id"]
    gateway.send("PUT", f"{collection}/{description_id}/status", payload=PUBLISHED, if_match=made.etag)
    return description_id


def _named(name: str, *layers: dict[str, str]) -> str:
    for layer in layers:
        if name in layer:
            return layer[name]
    raise KnowledgeRefused(f"no published description is named {name!r}")


@dataclass
class _Loading:
    """One pass over the sample: what is missing is made, and counted by kind."""

    gateway: Gateway
    sample: dict[str, Any]
    made: Counter[str] = field(default_factory=Counter)

    def tenants(self, host_tenant: str) -> list[str]:
        parts = ("local", "supplements", "offices", "responsibilities")
        return list(dict.fromkeys([host_tenant, *(tenant for part in parts for tenant in self.sample.get(part, {}))]))

    def of(self, part: str, tenant: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.sample.get(part, {}).get(tenant, [])
        return items

    def descriptions(self, collection: str, entries: list[dict[str, Any]], known: dict[str, str], kind: str) -> None:
        for entry in entries:
            name = entry["content"]["name"]
            if name not in known:
                known[name] = _create_published(self.gateway, collection, entry)
                self.made[kind] += 1

    def supplement(self, tenant: str, base_id: str, content: dict[str, Any]) -> None:
        """Write and publish the tenant's supplement of a shared description unless it has one."""
        path = f"/v1/tenants/{tenant}/knowledge/descriptions/{base_id}/supplement"
        current = self.gateway.send("GET", path, accept=(200, 404))
        if current.status == 404:
            current = self.gateway.send("PUT", path, payload={"content": content})
            self.made["supplements"] += 1
        # An archived supplement was withdrawn on purpose: it stays so.
        if current.body["status"] in ("draft", "review"):
            self.gateway.send("PUT", f"{path}/status", payload=PUBLISHED, if_match=current.etag)

    def offices(self, tenant: str) -> dict[str, str]:
        path = f"/v1/tenants/{tenant}/knowledge/offices"
        offices = {office["name"]: office["id"] for office in self.gateway.send("GET", path).body["items"]}
        for office in self.of("offices", tenant):
            if office["name"] not in offices:
                offices[office["name"]] = self.gateway.send("POST", path, payload=office).body["id"]
                self.made["offices"] += 1
        return offices

    def assign(self, tenant: str, office_id: str, description_ids: list[str]) -> None:
        path = f"/v1/tenants/{tenant}/knowledge/offices/{office_id}/descriptions"
        assigned = {item["description_id"] for item in self.gateway.send("GET", path).body["items"]}
        for description_id in description_ids:
            if description_id not in assigned:
                self.gateway.send("PUT", f"{path}/{description_id}")
                self.made["responsibilities"] += 1

    def tenant(self, tenant: str, seen: Published, shared: dict[str, str]) -> None:
        """The tenant's own descriptions, supplements, offices and responsibilities."""
        collection = f"/v1/tenants/{tenant}/knowledge/descriptions"
        self.descriptions(collection, self.of("local", tenant), seen.local, "local descriptions")
        for supplement in self.of("supplements", tenant):
            base_id = _named(supplement["base"], shared)
            if base_id not in seen.supplemented:
                self.supplement(tenant, base_id, supplement["content"])
        offices = self.offices(tenant)
        for responsibility in self.of("responsibilities", tenant):
            ids = [_named(name, seen.local, shared) for name in responsibility["descriptions"]]
            self.assign(tenant, offices[responsibility["office"]], ids)


def load_knowledge(gateway: Gateway, *, host_tenant: str, sample: Path = SAMPLE) -> list[str]:
    """Create and publish what of the sample is missing; return what was made, e.g. ``knowledge 3 offices``."""
    loading = _Loading(gateway, json.loads(sample.read_text(encoding="utf-8")))
    tenants = loading.tenants(host_tenant)
    seen = {tenant: published(gateway, tenant) for tenant in tenants}
    shared = seen[host_tenant].shared
    loading.descriptions(BASE, loading.sample.get("descriptions", []), shared, "shared descriptions")
    for tenant in tenants:
        loading.tenant(tenant, seen[tenant], shared)
    made = loading.made
    return [f"knowledge {', '.join(f'{count} {kind}' for kind, count in made.items())}"] if made else []
