"""One OpenAPI document for the whole API, merged from every service's own.

A service's path enters only if the route table sends it to that service, so the document shows what
the gateway really answers. Components keep their names unless two services disagree on one; the
later service's component is then prefixed with its name and its references rewritten.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import aiohttp
import orjson

from gateway.routes import RouteTable

log = logging.getLogger("gateway.openapi")

TITLE = "Zentrale API"
SECURITY_SCHEMES: dict[str, Any] = {
    "ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key", "description": "An API key."},
    "Bearer": {"type": "http", "scheme": "bearer", "description": "An API key sent as bearer token."},
}
_OPERATIONS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
_SHORT_TTL = 5.0

Document = dict[str, Any]


def _rewrite_refs(node: Any, renames: Mapping[str, str]) -> Any:
    """A copy of ``node`` whose ``$ref`` values point at the renamed components."""
    if isinstance(node, dict):
        out = {key: _rewrite_refs(value, renames) for key, value in node.items()}
        ref = out.get("$ref")
        if isinstance(ref, str) and ref in renames:
            out["$ref"] = renames[ref]
        return out
    if isinstance(node, list):
        return [_rewrite_refs(item, renames) for item in node]
    return node


def _free_name(service: str, name: str, taken: Mapping[str, Any]) -> str:
    candidate = f"{service}_{name}"
    number = 2
    while candidate in taken:
        candidate = f"{service}_{name}_{number}"
        number += 1
    return candidate


def _component_renames(service: str, components: Mapping[str, Any], merged: Mapping[str, Any]) -> dict[str, str]:
    """``$ref`` → new ``$ref`` for every component whose name another service already uses differently."""
    renames: dict[str, str] = {}
    while True:
        added = False
        for section, items in components.items():
            if section == "securitySchemes" or not isinstance(items, dict):
                continue
            existing = merged.get(section, {})
            for name, definition in items.items():
                ref = f"#/components/{section}/{name}"
                if ref in renames or name not in existing:
                    continue
                if existing[name] != _rewrite_refs(definition, renames):
                    taken = {**existing, **items}
                    renames[ref] = f"#/components/{section}/{_free_name(service, name, taken)}"
                    added = True
        if not added:
            return renames


def _operations(path_item: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [op for method, op in path_item.items() if method in _OPERATIONS and isinstance(op, dict)]


def merge_documents(documents: Mapping[str, Document | None], routes: RouteTable) -> Document:
    """Merge the services' documents (None: the service did not answer) into the public one."""
    paths: dict[str, Any] = {}
    components: dict[str, dict[str, Any]] = {}
    tags: dict[str, Any] = {}
    operation_ids: set[str] = set()
    unavailable = [service for service, document in documents.items() if document is None]
    for service, document in documents.items():
        if document is None:
            continue
        own = {k: v for k, v in document.get("components", {}).items() if k != "securitySchemes"}
        renames = _component_renames(service, own, components)
        for section, items in own.items():
            if not isinstance(items, dict):
                continue
            target = components.setdefault(section, {})
            for name, definition in items.items():
                new_ref = renames.get(f"#/components/{section}/{name}")
                target[new_ref.rsplit("/", 1)[1] if new_ref else name] = _rewrite_refs(definition, renames)
        for template, path_item in document.get("paths", {}).items():
            match = routes.match_template(template)
            if match is None or match.service != service:
                log.warning("gateway.openapi.path_not_routed", extra={"upstream": service, "path": template})
                continue
            if template in paths:
                log.warning("gateway.openapi.path_conflict", extra={"upstream": service, "path": template})
                continue
            item = _rewrite_refs(path_item, renames)
            for operation in _operations(item):
                # The services' own security is the gateway's internal token, not what clients send.
                operation.pop("security", None)
                operation_id = operation.get("operationId")
                if isinstance(operation_id, str):
                    if operation_id in operation_ids:
                        operation["operationId"] = operation_id = f"{service}_{operation_id}"
                    operation_ids.add(operation_id)
            paths[template] = item
        for tag in document.get("tags", []):
            if isinstance(tag, dict) and "name" in tag:
                tags.setdefault(tag["name"], tag)
    components["securitySchemes"] = copy.deepcopy(SECURITY_SCHEMES)
    available = [service for service, document in documents.items() if document is not None]
    description = "The public API of Zentrale, merged from its services: " + (", ".join(available) or "none") + "."
    if unavailable:
        description += " Not available right now: " + ", ".join(unavailable) + "."
    merged: Document = {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": "1", "description": description},
        "paths": dict(sorted(paths.items())),
        "components": components,
        "security": [{name: []} for name in SECURITY_SCHEMES],
    }
    if tags:
        merged["tags"] = list(tags.values())
    if unavailable:
        merged["x-unavailable-services"] = unavailable
    return merged


class MergedOpenApi:
    """The merged document, fetched on demand and kept for a while (briefer while a service is missing)."""

    def __init__(
        self,
        session: Callable[[], aiohttp.ClientSession],
        upstreams: Mapping[str, str],
        routes: RouteTable,
        *,
        ttl: float,
        fetch_timeout: float = 3.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._session = session
        self._sources = {name: upstreams[name].rstrip("/") + "/openapi.json" for name in _ordered(routes)}
        self._routes = routes
        self._ttl = ttl
        self._timeout = aiohttp.ClientTimeout(total=fetch_timeout)
        self._clock = clock
        self._lock = asyncio.Lock()
        self._body: bytes | None = None
        self._expires = 0.0

    async def document(self) -> bytes:
        """The merged document as JSON."""
        if self._body is not None and self._expires > self._clock():
            return self._body
        async with self._lock:
            if self._body is not None and self._expires > self._clock():
                return self._body
            fetched = await asyncio.gather(*(self._fetch(name, url) for name, url in self._sources.items()))
            documents = dict(zip(self._sources, fetched, strict=True))
            body = orjson.dumps(merge_documents(documents, self._routes))
            complete = all(document is not None for document in fetched)
            self._body = body
            self._expires = self._clock() + (self._ttl if complete else min(self._ttl, _SHORT_TTL))
            return body

    async def _fetch(self, service: str, url: str) -> Document | None:
        try:
            async with self._session().get(url, timeout=self._timeout) as response:
                if response.status != 200:
                    raise ValueError(f"status {response.status}")
                document = orjson.loads(await response.read())
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            log.warning("gateway.openapi.unavailable", extra={"upstream": service, "error": str(error)})
            return None
        return document if isinstance(document, dict) else None


def _ordered(routes: RouteTable) -> list[str]:
    return list(dict.fromkeys(route.service for route in routes.routes))
