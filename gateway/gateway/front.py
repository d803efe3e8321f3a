"""The gateway's fast front: the common proxied request read and answered on a raw asyncio protocol.

aiohttp's server alone costs about as much per request as the latency the gateway may add (ADR 7), and
most requests are alike: a small GET or JSON write under ``/v1/``. The front reads their heads with
httptools, sends them through the forwarding path every request takes (``Proxy.exchange``) and writes
the answer itself. Any other request (the gateway's own endpoints, preflights, HEAD, uploads that are
chunked or large, HTTP/1.0, upgrades, anything it cannot parse) is handed, with its
connection and the bytes read so far, to the aiohttp application, which keeps that connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formatdate
from http import HTTPStatus
from typing import cast
from urllib.parse import unquote

import httptools
import orjson
from multidict import CIMultiDict, CIMultiDictProxy

from gateway import open311
from gateway.browser import BrowserPolicy
from gateway.headers import REQUEST_ID, request_id
from gateway.problems import NO_STORE
from gateway.proxy import SMALL_BODY, Exchange, Incoming, Proxy, RequestBody, failure, routed
from gateway.routes import RouteMatch
from gateway.upstream import UpstreamError
from kit.errors import PROBLEM_JSON
from kit.telemetry import tracing_enabled

_FAST_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})
_HANDED_OFF_HEADERS = frozenset({b"transfer-encoding", b"upgrade", b"expect"})
_API_PREFIX = b"/v1/"
MAX_HEAD = 16 * 1024
KEEP_ALIVE_SECONDS = 75.0
_PAUSE_READING_AT = 256 * 1024
_NO_BODY = frozenset({204, 304})
_NOTHING: RequestBody = (None, None, None)


@dataclass(frozen=True, slots=True)
class _Request:
    """A request the front answers: its head, and its whole (small) body."""

    method: str
    target: str
    headers: CIMultiDictProxy[str]
    body: bytes
    keep_alive: bool


class _Date:
    """The ``Date`` header's value, formatted once a second."""

    def __init__(self) -> None:
        self._second = 0
        self._value = ""

    def __call__(self) -> str:
        now = int(time.time())
        if now != self._second:
            self._second, self._value = now, formatdate(now, usegmt=True)
        return self._value


class Front:
    """Accepts the gateway's connections; ``handoff`` makes the aiohttp protocol for what the front leaves."""

    def __init__(
        self, proxy: Proxy, browser: BrowserPolicy, handoff: Callable[[], asyncio.BaseProtocol], *, max_body: int
    ) -> None:
        self.proxy = proxy
        self.browser = browser
        self.handoff = handoff
        # A route's own limit only ever raises the default (``max_body``), so every body the front takes is
        # within its route's limit; larger ones go to aiohttp, where the proxy applies the route's limit.
        self.max_body = min(max_body, SMALL_BODY)
        self.date = _Date()
        self.connections: set[_Connection] = set()
        self.closing = False
        self._all_ended = asyncio.Event()
        self._all_ended.set()

    def __call__(self) -> asyncio.Protocol:
        """A protocol for one new connection (the front is the listening socket's protocol factory)."""
        return _Connection(self)

    def opened(self, connection: _Connection) -> None:
        self.connections.add(connection)
        self._all_ended.clear()

    def ended(self, connection: _Connection) -> None:
        self.connections.discard(connection)
        if not self.connections:
            self._all_ended.set()

    async def close(self) -> None:
        """Close idle connections at once and wait for requests under way (bound it with ``asyncio.timeout``)."""
        self.closing = True
        for connection in list(self.connections):
            connection.close_when_idle()
        await self._all_ended.wait()

    def abort(self) -> None:
        """Cut every connection still open."""
        for connection in list(self.connections):
            connection.abort()


class _Connection(asyncio.Protocol):
    """One client connection: requests taken one at a time, in the order they came."""

    def __init__(self, front: Front) -> None:
        self._front = front
        self._loop = asyncio.get_running_loop()
        self._parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self._remote: str | None = None
        self._scheme = "http"
        # Whether spans are recorded is settled when the process starts; asked once per connection.
        self._traced = tracing_enabled()
        self._buffer = bytearray()
        self._busy = False
        self._task: asyncio.Task[None] | None = None
        self._idle_timer: asyncio.TimerHandle | None = None
        self._idle_since: float | None = None
        self._reading_paused = False
        self._writable: asyncio.Future[None] | None = None
        self._closing = False
        self._sent_head = False
        # What the parser found in the head being read.
        self._url = b""
        self._headers: list[tuple[bytes, bytes]] = []
        self._fast = True
        self._has_host = False
        self._keep_alive = True
        self._lengths: list[bytes] = []
        self._pending: tuple[int, int] | None = None

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are no subclasses of asyncio's, only alike.
        self.transport = cast(asyncio.Transport, transport)
        peer = transport.get_extra_info("peername")
        self._remote = peer[0] if isinstance(peer, tuple) else None
        if transport.get_extra_info("sslcontext") is not None:
            self._scheme = "https"
        self._front.opened(self)
        self._arm_idle_timer()

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if self._busy:
            if len(self._buffer) >= _PAUSE_READING_AT and not self._reading_paused and self.transport is not None:
                self._reading_paused = True
                self.transport.pause_reading()
            return
        self._take_next()

    def connection_lost(self, exc: Exception | None) -> None:
        self._front.ended(self)
        self._drop_idle_timer()
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._wake_writer()
        self.transport = None

    def pause_writing(self) -> None:
        if self._writable is None:
            self._writable = self._loop.create_future()

    def resume_writing(self) -> None:
        self._wake_writer()

    # httptools callbacks

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        lowered = name.lower()
        if lowered == b"content-length":
            self._lengths.append(value)
        elif lowered == b"host":
            self._has_host = True
        elif lowered in _HANDED_OFF_HEADERS:
            self._fast = False
        self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        # Asked here: once the message is complete the parser has started over and says keep-alive.
        self._keep_alive = self._parser.should_keep_alive()

    # Requests

    def _take_next(self) -> None:
        """Start the next whole request in the buffer, or hand the connection to aiohttp."""
        if self.transport is None or self._closing:
            return
        if self._pending is None:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                # Not whole yet, or not a head this front reads (bare line feeds, a very long head).
                if len(self._buffer) > MAX_HEAD or b"\n\n" in self._buffer:
                    self._hand_off()
                return
            self._pending = self._read_head(end + 4)
            if self._pending is None:
                self._hand_off()
                return
        head_size, length = self._pending
        if len(self._buffer) < head_size + length:
            return
        body = bytes(self._buffer[head_size : head_size + length])
        if body:
            self._parser.feed_data(body)
        del self._buffer[: head_size + length]
        self._pending = None
        request = _Request(
            self._parser.get_method().decode("ascii"),
            self._url.decode("utf-8", "surrogateescape"),
            CIMultiDictProxy(
                CIMultiDict(
                    [
                        (name.decode("utf-8", "surrogateescape"), value.decode("utf-8", "surrogateescape"))
                        for name, value in self._headers
                    ]
                )
            ),
            body,
            self._keep_alive and not self._front.closing,
        )
        self._busy = True
        self._cancel_idle_timer()
        self._task = self._loop.create_task(self._serve(request))

    def _read_head(self, size: int) -> tuple[int, int] | None:
        """Parse a head of ``size`` bytes: its size and body length if the front takes it, else None."""
        self._url, self._headers, self._lengths, self._fast, self._has_host = b"", [], [], True, False
        try:
            self._parser.feed_data(bytes(self._buffer[:size]))
        except (httptools.HttpParserError, httptools.HttpParserUpgrade):
            return None
        if (
            not self._fast
            or not self._has_host
            or len(self._lengths) > 1
            or self._parser.get_http_version() != "1.1"
            or self._parser.get_method().decode("ascii", "replace") not in _FAST_METHODS
            or not self._url.startswith(_API_PREFIX)
        ):
            return None
        length = 0
        if self._lengths:
            value = self._lengths[0].strip()
            if not value.isdigit() or int(value) > self._front.max_body:
                return None
            length = int(value)
        return size, length

    async def _serve(self, request: _Request) -> None:
        proxy = self._front.proxy
        started = time.perf_counter()
        path = request.target.partition("?")[0]
        match, route, canonical = proxy.locate(path)
        status = 500
        try:
            if self._traced:
                with proxy.server_span(request.method, route, request.headers) as span:
                    status = await self._answer(request, path, match, canonical, recording=True)
                    span.ended(status)
            else:
                status = await self._answer(request, path, match, canonical, recording=False)
        finally:
            proxy.record(request.method, route, status, started)
        self._done(request.keep_alive)

    async def _answer(
        self, request: _Request, path: str, match: RouteMatch | None, canonical: bool, *, recording: bool
    ) -> int:
        """Answer ``request``; returns the status sent."""
        proxy = self._front.proxy
        headers = request.headers
        rid = request_id(headers.get(REQUEST_ID))
        try:
            incoming = Incoming(
                request.method, request.target, path, headers, self._remote, self._scheme, headers.get("Host", "")
            )
            body: RequestBody = (request.body, len(request.body), None) if request.body else _NOTHING
            exchange = await proxy.exchange(
                incoming, rid, routed(match, canonical), lambda: _ready(body), recording=recording
            )
            try:
                await self._relay(exchange, request, path)
            finally:
                exchange.upstream.release()
            return exchange.upstream.status
        except Exception as error:  # noqa: BLE001 - ``failure`` logs what is not a problem of the client's
            if self._sent_head:
                # The status line is out: only cutting the connection tells the client the answer broke off.
                self.abort()
                return 500
            document, extra = failure(error, request.method, _decoded(path))
            answer = CIMultiDict(extra)
            answer[REQUEST_ID] = rid
            if proxy.speaks_open311(match, path):
                status, content_type, payload = open311.errors(document, error, path)
            else:
                status, content_type, payload = document["status"], PROBLEM_JSON, orjson.dumps(document)
            answer["Content-Type"] = content_type
            answer["Cache-Control"] = NO_STORE
            self._write_answer(status, "", answer, payload, request, path)
            return status

    async def _relay(self, exchange: Exchange, request: _Request, path: str) -> None:
        upstream, headers = exchange.upstream, exchange.headers
        status = upstream.status
        if status in _NO_BODY or status < 200:
            self._sent_head = True
            self._write(self._head(status, upstream.reason, headers, None, request, path))
            return
        length = upstream.content_length
        headers.popall("Content-Length", None)
        if length is not None and length <= SMALL_BODY:
            body = await self._front.proxy.read_whole(exchange)
            self._write_answer(status, upstream.reason, headers, body, request, path)
            return
        chunked = length is None
        framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {length}"
        self._sent_head = True
        self._write(self._head(status, upstream.reason, headers, framing, request, path))
        try:
            async for chunk in upstream.chunks():
                if chunk:
                    self._write(b"%x\r\n%b\r\n" % (len(chunk), chunk) if chunked else chunk)
                    if self._writable is not None:
                        await self._writable
            if chunked:
                self._write(b"0\r\n\r\n")
        except UpstreamError as error:
            # The status line is sent already: cut the connection so the client sees a broken body.
            self._front.proxy.interrupted(exchange, error)
            self.abort()

    def _write_answer(
        self, status: int, reason: str, headers: CIMultiDict[str], body: bytes, request: _Request, path: str
    ) -> None:
        self._sent_head = True
        self._write(self._head(status, reason, headers, f"Content-Length: {len(body)}", request, path) + body)

    def _head(
        self,
        status: int,
        reason: str,
        headers: CIMultiDict[str],
        framing: str | None,
        request: _Request,
        path: str,
    ) -> bytes:
        self._front.browser.decorate(headers, path, request.headers.get("Origin"))
        lines = [f"HTTP/1.1 {status} {reason or _phrase(status)}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if framing is not None:
            lines.append(framing)
        lines.append(f"Date: {self._front.date()}")
        if not request.keep_alive or self._closing:
            lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "surrogateescape")

    def _write(self, data: bytes) -> None:
        if self.transport is not None:
            self.transport.write(data)

    def _done(self, keep_alive: bool) -> None:
        """The answer is out: read the next request, or close."""
        self._busy = False
        self._sent_head = False
        self._task = None
        if self.transport is None:
            return
        if not keep_alive or self._closing:
            self.transport.close()
            return
        if self._reading_paused:
            self._reading_paused = False
            self.transport.resume_reading()
        self._arm_idle_timer()
        if self._buffer:
            self._take_next()

    def _hand_off(self) -> None:
        """Give the connection, with what was read of it and not yet answered, to the aiohttp application."""
        transport = self.transport
        if transport is None:
            return
        self._drop_idle_timer()
        self._front.ended(self)
        self.transport = None
        handler = self._front.handoff()
        transport.set_protocol(handler)
        handler.connection_made(transport)
        if self._reading_paused:
            transport.resume_reading()
        if self._buffer:
            cast(asyncio.Protocol, handler).data_received(bytes(self._buffer))
            self._buffer.clear()

    # Closing

    def close_when_idle(self) -> None:
        """Close now if no request is under way, else right after its answer."""
        self._closing = True
        if not self._busy and self.transport is not None:
            self.transport.close()

    def abort(self) -> None:
        self._closing = True
        if self.transport is not None:
            self.transport.abort()

    def _arm_idle_timer(self) -> None:
        """Close the connection once idle for ``KEEP_ALIVE_SECONDS``; one timer, moved on rather than remade."""
        self._idle_since = self._loop.time()
        if self._idle_timer is None:
            self._idle_timer = self._loop.call_at(self._idle_since + KEEP_ALIVE_SECONDS, self._check_idle)

    def _cancel_idle_timer(self) -> None:
        self._idle_since = None

    def _drop_idle_timer(self) -> None:
        self._idle_since = None
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None

    def _check_idle(self) -> None:
        self._idle_timer = None
        if self._idle_since is None or self.transport is None:
            return
        deadline = self._idle_since + KEEP_ALIVE_SECONDS
        if self._loop.time() < deadline:
            self._idle_timer = self._loop.call_at(deadline, self._check_idle)
            return
        self.close_when_idle()

    def _wake_writer(self) -> None:
        waiter, self._writable = self._writable, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


async def _ready(body: RequestBody) -> RequestBody:
    return body


def _phrase(status: int) -> str:
    with contextlib.suppress(ValueError):
        return HTTPStatus(status).phrase
    return ""


def _decoded(path: str) -> str:
    """The path as aiohttp's ``request.path`` gives it, for problem documents' ``instance``."""
    return unquote(path) if "%" in path else path
