"""Small real HTTP servers standing in for the services, and keys and settings for a gateway under test."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Self

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from gateway.app import create_app
from gateway.serving import GatewayRunner
from gateway.settings import GatewaySettings
from kit.errors import ProblemError
from kit.identity import Identity, InternalTokenVerifier, generate_signing_key, jwks, private_key_pem
from kit.local.postgres import free_port

KID = "gateway-test"
ARTLAND_KEY = "artland-key-0123456789"
OPERATOR_KEY = "operator-key-0123456789"
# People's desks (kind "user"): what they may do is the services' decision, so every route lets them through.
API_KEYS: dict[str, dict[str, Any]] = {
    ARTLAND_KEY: {
        "subject": "artland-app",
        "tenant": "artland",
        "roles": ["agent"],
        "scopes": ["tickets:read"],
        "kind": "user",
    },
    OPERATOR_KEY: {"subject": "ops-console", "tenant": None, "roles": ["operator"], "kind": "user"},
}

GatewayFactory = Callable[..., Awaitable[TestClient[Any, Any]]]


@dataclass(frozen=True)
class SigningMaterial:
    """A gateway signing key (PEM) and a verifier holding its public half, as a service would."""

    pem: str
    verifier: InternalTokenVerifier
    jwks_json: str

    @classmethod
    def generate(cls) -> SigningMaterial:
        key = generate_signing_key()
        document = jwks({KID: key.public_key()})
        return cls(
            pem=private_key_pem(key).decode(),
            verifier=InternalTokenVerifier.from_jwks(document),
            jwks_json=json.dumps(document),
        )


def gateway_settings(signing: SigningMaterial, urls: dict[str, str], **overrides: Any) -> GatewaySettings:
    """Settings of a test gateway in front of ``urls`` (service name → base URL)."""
    values: dict[str, Any] = {
        "environment": "test",
        "signing_key": signing.pem,
        "signing_key_id": KID,
        "api_keys": json.dumps(API_KEYS),
        "connect_timeout": 1.0,
        "upstream_timeout": 5.0,
        "openapi_cache_seconds": 0.0,
        "nats_url": closed_url().replace("http", "nats"),
        **{f"{name}_url": url for name, url in urls.items()},
        **overrides,
    }
    return GatewaySettings(**values)


def closed_url() -> str:
    """The URL of a port nobody listens on: a service that is down."""
    return f"http://127.0.0.1:{free_port()}"


class GatewayTestServer(TestServer):
    """A test server serving the gateway as deployed: its application behind the fast front."""

    async def _make_runner(self, **kwargs: Any) -> GatewayRunner:
        return GatewayRunner(self.app, **kwargs)


async def start_gateway(signing: SigningMaterial, urls: dict[str, str], **overrides: Any) -> TestClient[Any, Any]:
    """A running gateway in front of ``urls``; ``overrides`` change its settings. Close it when done."""
    server = GatewayTestServer(create_app(gateway_settings(signing, urls, **overrides)))
    client: TestClient[Any, Any] = TestClient(server)
    await client.start_server()
    return client


CHUNK = 64 * 1024


@dataclass
class Call:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body_size: int
    body_sha256: str
    identity: dict[str, Any] | None


class Clock:
    """A clock a test moves by hand: ``clock.now += 60``."""

    def __init__(self, now: float | None = None) -> None:
        self.now = time.time() if now is None else now

    def __call__(self) -> float:
        return self.now


class StandIn:
    """A real HTTP server on loopback standing in for something outside the gateway; subclasses route ``app()``."""

    server: TestServer | None

    def app(self) -> web.Application:
        raise NotImplementedError

    @property
    def url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("")).rstrip("/")

    async def start(self) -> Self:
        self.server = TestServer(self.app(), host="127.0.0.1")
        await self.server.start_server()
        return self

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.close()


@dataclass
class EchoUpstream(StandIn):
    """A service that records each call and answers with what it received and whom the token names.

    As the tenants service it also states ``grants`` to the gateway loading its grant directory.
    """

    name: str
    verifier: InternalTokenVerifier
    openapi: dict[str, Any] | None = None
    grants: list[dict[str, Any]] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    server: TestServer | None = None

    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/openapi.json", self._openapi)
        # The gateway loads the grant directory from the tenants service at start: not a call.
        app.router.add_get("/v1/internal/grants", self._grants)
        app.router.add_route("*", "/{path:.*}", self._echo)
        return app

    async def _grants(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({"items": self.grants})

    async def _openapi(self, request: web.Request) -> web.StreamResponse:
        if self.openapi is None:
            raise web.HTTPNotFound()
        return web.json_response(self.openapi)

    async def _echo(self, request: web.Request) -> web.StreamResponse:
        digest = hashlib.sha256()
        size = 0
        async for chunk in request.content.iter_any():
            digest.update(chunk)
            size += len(chunk)
        identity = self._identity(request.headers.get("Authorization", ""))
        call = Call(
            method=request.method,
            path=request.raw_path.partition("?")[0],
            query=request.raw_path.partition("?")[2],
            headers={name.lower(): value for name, value in request.headers.items()},
            body_size=size,
            body_sha256=digest.hexdigest(),
            identity=identity,
        )
        self.calls.append(call)
        if "sleep" in request.query:
            await asyncio.sleep(float(request.query["sleep"]))
        if "size" in request.query:
            cut = int(request.query["cut"]) if "cut" in request.query else None
            return await _stream(request, int(request.query["size"]), known_length="length" in request.query, cut=cut)
        status = int(request.query.get("status", "200"))
        payload = {"service": self.name, **call.__dict__}
        response = web.json_response(payload, status=status)
        response.headers["X-Upstream"] = self.name
        return response

    def _identity(self, authorization: str) -> dict[str, Any] | None:
        scheme, _, token = authorization.partition(" ")
        if scheme != "Bearer":
            return None
        try:
            identity = self.verifier.verify(token)
        except ProblemError:
            return None
        return {
            "subject": identity.subject,
            "tenant": identity.tenant_id,
            "roles": sorted(identity.roles),
            "scopes": sorted(identity.scopes),
            "kind": identity.kind,
            "token": token,
        }


@asynccontextmanager
async def echo_upstreams(
    verifier: InternalTokenVerifier, names: Iterable[str]
) -> AsyncIterator[dict[str, EchoUpstream]]:
    """Echo services by name, running until the block ends."""
    running: dict[str, EchoUpstream] = {}
    try:
        for name in names:
            running[name] = await EchoUpstream(name, verifier).start()
        yield running
    finally:
        for upstream in running.values():
            await upstream.stop()


def grant(
    tenant: str = "artland", grantee: str = "oldenburg", roles: tuple[str, ...] = ("agent",), **when: Any
) -> dict[str, Any]:
    """A grant as the tenants service states it."""
    return {
        "id": str(uuid.uuid4()),
        "tenant_id": tenant,
        "grantee_tenant": grantee,
        "roles": list(roles),
        "valid_from": when.get("valid_from", days_from_now(-1)),
        "valid_until": when.get("valid_until"),
        "created_by": "ops",
        "created_at": days_from_now(-1),
    }


def days_from_now(days: float) -> str:
    """An ISO instant ``days`` from now (negative: in the past)."""
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def pattern(size: int) -> bytes:
    """A body whose every byte depends on its position, so reordering or loss shows."""
    block = bytes(range(256)) * (CHUNK // 256)
    whole, rest = divmod(size, CHUNK)
    return block * whole + block[:rest]


async def _stream(request: web.Request, size: int, *, known_length: bool, cut: int | None) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
    if known_length:
        response.content_length = size
    await response.prepare(request)
    body = pattern(size)
    for start in range(0, size, CHUNK):
        if cut is not None and start >= cut:
            assert request.transport is not None
            request.transport.abort()
            return response
        await response.write(body[start : start + CHUNK])
    await response.write_eof()
    return response


class FlakyUpstream:
    """A raw TCP server that drops its first connection without answering, then answers 200."""

    def __init__(self) -> None:
        self.connections = 0
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"

    async def start(self) -> FlakyUpstream:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            await reader.readuntil(b"\r\n\r\n")
            if self.connections > 1:
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


VERIFY_PATH = "/v1/internal/api-keys/verify"


def tenant_key() -> str:
    """A key in the tenants service's format (``zk_<prefix>_<secret>``) that nobody issued."""

    def base32(size: int) -> str:
        return base64.b32encode(secrets.token_bytes(size)).decode().rstrip("=").lower()

    return f"zk_{base32(5)}_{base32(32)}"


def verified(tenant: str, client_id: str, *, expires_at: str | None = None, **extra: Any) -> dict[str, Any]:
    """The tenants service's answer for a working key of ``client_id``."""
    return {
        "tenant_id": tenant,
        "client_id": client_id,
        "client_name": "Open311 portal",
        "scopes": ["knowledge:read", "open311:write"],
        "roles": ["integration_client"],
        "key_id": "9a0e6f5c-0000-4000-8000-000000000001",
        "key_prefix": "abcdefgh",
        "expires_at": expires_at,
        **extra,
    }


@dataclass
class KeyService(StandIn):
    """The tenants service's key verification as the gateway sees it: known keys answer, others 404."""

    verifier: InternalTokenVerifier
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    status: int | None = None
    delay: float = 0.0
    calls: int = 0
    callers: list[Identity] = field(default_factory=list)
    server: TestServer | None = None

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post(VERIFY_PATH, self._verify)
        return app

    async def _verify(self, request: web.Request) -> web.StreamResponse:
        self.calls += 1
        self.callers.append(self.verifier.verify(request.headers["Authorization"].removeprefix("Bearer ")))
        key = (await request.json())["key"]
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.status is not None:
            return web.json_response({"status": self.status, "title": "failed"}, status=self.status)
        answer = self.answers.get(key)
        if answer is None:
            return web.json_response({"status": 404, "detail": "No such API key."}, status=404)
        return web.json_response(answer)


DEMO_TOKEN = "/auth/demo/token"


async def demo_token(gateway: TestClient[Any, Any], **body: Any) -> str:
    """A demo token from a gateway with ``demo_tokens`` on; ``body`` names subject, tenant, roles, scopes."""
    response = await gateway.post(DEMO_TOKEN, json=body)
    assert response.status == 200, await response.text()
    answer = await response.json()
    assert (answer["token_type"], answer["expires_in"]) == ("Bearer", 3600)
    token: str = answer["access_token"]
    return token


def app_of(client: TestClient[Any, Any]) -> web.Application:
    """The gateway application behind a test client."""
    app = client.app
    assert isinstance(app, web.Application)
    return app
