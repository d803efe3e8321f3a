"""A lean HTTP/1.1 client for the services: pooled keep-alive connections on asyncio protocols.

The gateway's requests to its services are all alike (one host per service, plain HTTP inside the cluster,
bodies passed through undecoded), so a general client's features cost CPU on every request for nothing.
Here a request is one write of its head (and a small body) on a pooled connection; the answer is parsed by
httptools (llhttp, the parser of Node.js) and its body streamed with back-pressure. What a proxy needs and
no more: connect and read timeouts, chunked request bodies, and a failed connection told apart from one
that dropped after the request was sent.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Iterable
from typing import Any, cast

import httptools

# A body of unknown length is sent in chunks; known lengths go as Content-Length.
Body = bytes | AsyncIterator[bytes] | None
_FRAMING = frozenset({"content-length", "transfer-encoding", "host", "connection"})
_PAUSE_AT = 256 * 1024
_RESUME_AT = 64 * 1024


class UpstreamError(Exception):
    """The service could not be asked, or did not answer in full."""


class ConnectFailed(UpstreamError):
    """No connection could be opened: nothing was sent, so any request may be tried again."""


class ConnectionDropped(UpstreamError):
    """The connection ended before the answer's head: the service may have seen the request."""


class ReadTimeout(UpstreamError, TimeoutError):
    """The service sent nothing for longer than the read timeout."""


def encode_head(method: str, target: str, host: str, headers: Iterable[tuple[str, str]], framing: str) -> bytes:
    """The request line and headers; a line break in any of them is refused (no request smuggling)."""
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}"]
    lines += [f"{name}: {value}" for name, value in headers if name.lower() not in _FRAMING]
    if framing:
        lines.append(framing)
    head = "\r\n".join(lines)
    breaks = len(lines) - 1
    if head.count("\n") != breaks or head.count("\r") != breaks:
        raise ValueError("a request line, header name or value holds a line break")
    return (head + "\r\n\r\n").encode("latin-1")


class UpstreamResponse:
    """An answer whose head has arrived; its body is read whole or streamed, then ``release()`` it."""

    __slots__ = ("_connection", "connection", "content_length", "headers", "reason", "status")

    def __init__(
        self,
        connection: _Connection,
        status: int,
        reason: str,
        headers: list[tuple[str, str]],
        content_length: int | None = None,
        connection_header: str | None = None,
    ) -> None:
        self._connection = connection
        self.status = status
        self.reason = reason
        self.headers = headers
        # Found while the head was parsed: the announced body length, if the service sent one, and the
        # first ``Connection`` header, whose tokens name more headers that end at this hop.
        self.content_length = content_length
        self.connection = connection_header

    async def read(self) -> bytes:
        """The whole body.

        A small answer has mostly arrived with its head: then it is taken as it is, without the async
        generator of ``chunks`` (each one costs the event loop's bookkeeping of async generators).
        """
        connection = self._connection
        parts = connection.take_buffered()
        while True:
            chunk = await connection.next_chunk()
            if chunk is None:
                return b"".join(parts)
            parts.append(chunk)

    async def chunks(self) -> AsyncIterator[bytes]:
        """The body as it arrives; raises ``UpstreamError`` if the service breaks off."""
        connection = self._connection
        while True:
            chunk = await connection.next_chunk()
            if chunk is None:
                return
            yield chunk

    def release(self) -> None:
        """Give the connection back for the next request if the answer was read in full, else close it."""
        self._connection.finish()


class _Connection(asyncio.Protocol):
    """One keep-alive connection: one request at a time, its answer parsed as it arrives."""

    def __init__(self, pool: UpstreamPool) -> None:
        self._pool = pool
        self._loop = asyncio.get_running_loop()
        self._parser = httptools.HttpResponseParser(self)
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self._head: asyncio.Future[UpstreamResponse] | None = None
        self._headers: list[tuple[str, str]] = []
        self._length: int | None = None
        self._connection_header: str | None = None
        self._reason = ""
        self._body: deque[bytes] = deque()
        self._buffered = 0
        self._paused = False
        self._complete = False
        self._keep_alive = False
        self._error: UpstreamError | None = None
        self._waiter: asyncio.Future[None] | None = None
        # The read timeout: one timer whose deadline moves as bytes arrive, not a new timer for each arrival.
        self._timer: asyncio.TimerHandle | None = None
        self._deadline: float | None = None
        self._no_body = False
        self._writable = asyncio.Event()
        self._writable.set()

    # Driven by the pool.

    def send(self, head: bytes, *, no_body: bool) -> asyncio.Future[UpstreamResponse]:
        """Start a request (its head, and a small body with it); the future resolves with the answer's head."""
        assert self.transport is not None
        self._head = self._loop.create_future()
        self._headers, self._length, self._connection_header = [], None, None
        self._reason, self._body, self._buffered = "", deque(), 0
        self._complete, self._error, self._no_body = False, None, no_body
        self.transport.write(head)
        self._arm_timer()
        return self._head

    async def write_body(self, chunks: AsyncIterator[bytes], *, chunked: bool) -> None:
        """Stream a request body after its head, waiting whenever the service reads slower than we send."""
        assert self.transport is not None
        async for chunk in chunks:
            if self.closed:
                return
            if chunk:
                self.transport.write(b"%x\r\n%b\r\n" % (len(chunk), chunk) if chunked else chunk)
                await self._writable.wait()
        if chunked and not self.closed:
            self.transport.write(b"0\r\n\r\n")

    def finish(self) -> None:
        """The caller is done with the answer: back to the pool when it was read in full, else closed."""
        self._cancel_timer()
        if self._complete and self._keep_alive and not self.closed and self._error is None:
            self._pool.give_back(self)
        else:
            self.close()
            self._pool.forget(self)

    def close(self) -> None:
        if not self.closed and self.transport is not None:
            self.transport.close()
        self.closed = True

    def take_buffered(self) -> list[bytes]:
        """What of the body has arrived and was not read yet, taken whole."""
        parts = list(self._body)
        self._body.clear()
        self._buffered = 0
        if self._paused and self.transport is not None:
            self._paused = False
            self.transport.resume_reading()
            self._arm_timer()
        return parts

    async def next_chunk(self) -> bytes | None:
        while not self._body:
            if self._complete:
                return None
            if self._error is not None:
                raise self._error
            self._waiter = self._loop.create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        chunk = self._body.popleft()
        self._buffered -= len(chunk)
        if self._paused and self._buffered <= _RESUME_AT and self.transport is not None:
            self._paused = False
            self.transport.resume_reading()
            self._arm_timer()
        return chunk

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are no subclasses of asyncio's, only alike.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self._arm_timer()
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError:
            self._fail(UpstreamError("the service's answer is not HTTP"))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._cancel_timer()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._writable.set()
        if not self._complete:
            self._fail(ConnectionDropped("the service closed the connection"))
        self._pool.forget(self)

    def pause_writing(self) -> None:
        self._writable.clear()

    def resume_writing(self) -> None:
        self._writable.set()

    # httptools callbacks

    def on_status(self, status: bytes) -> None:
        self._reason = status.decode("latin-1")

    def on_header(self, name: bytes, value: bytes) -> None:
        text = value.decode("latin-1")
        size = len(name)
        if size == 14 and self._length is None and name.lower() == b"content-length":
            with contextlib.suppress(ValueError):
                self._length = int(text)
        elif size == 10 and self._connection_header is None and name.lower() == b"connection":
            self._connection_header = text
        self._headers.append((name.decode("latin-1"), text))

    def on_headers_complete(self) -> None:
        status = self._parser.get_status_code()
        if 100 <= status < 200:
            self._headers, self._length, self._connection_header = [], None, None
            return
        self._keep_alive = self._parser.should_keep_alive()
        if self._head is not None and not self._head.done():
            response = UpstreamResponse(
                self, status, self._reason, self._headers, self._length, self._connection_header
            )
            self._head.set_result(response)
        if self._no_body:
            # The parser cannot know that a HEAD answer has no body: end here, and do not reuse the connection.
            self._keep_alive = False
            self._message_complete()

    def on_body(self, body: bytes) -> None:
        self._body.append(body)
        self._buffered += len(body)
        if self._buffered >= _PAUSE_AT and not self._paused and self.transport is not None:
            self._paused = True
            self.transport.pause_reading()
            self._cancel_timer()
        self._wake()

    def on_message_complete(self) -> None:
        if not self._complete:
            self._message_complete()

    def _message_complete(self) -> None:
        self._complete = True
        self._cancel_timer()
        self._wake()

    # Helpers

    def _fail(self, error: UpstreamError) -> None:
        if self._error is None and not self._complete:
            self._error = error
        if self._head is not None and not self._head.done():
            self._head.set_exception(error)
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def _arm_timer(self) -> None:
        """Start the read timeout over. The deadline moves; the timer is made only when there is none."""
        if self._head is None or self._complete:
            return
        self._deadline = self._loop.time() + self._pool.read_timeout
        if self._timer is None:
            self._timer = self._loop.call_at(self._deadline, self._check_deadline)

    def _cancel_timer(self) -> None:
        """Stop the read timeout: the answer is in, or the gateway stopped reading it."""
        self._deadline = None

    def _check_deadline(self) -> None:
        self._timer = None
        if self._deadline is None:
            return
        if self._loop.time() < self._deadline:
            self._timer = self._loop.call_at(self._deadline, self._check_deadline)
            return
        self._deadline = None
        self._fail(ReadTimeout("the service did not answer in time"))
        self.close()


class UpstreamPool:
    """Keep-alive connections to one service, at most ``size`` of them at once."""

    def __init__(
        self, host: str, port: int, *, size: int = 256, connect_timeout: float = 2.0, read_timeout: float = 30.0
    ) -> None:
        self.host = host
        self.port = port
        self.authority = f"{host}:{port}"
        self.read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._idle: deque[_Connection] = deque()
        self._open: set[_Connection] = set()
        self._slots = asyncio.Semaphore(size)
        self._holding: set[_Connection] = set()

    async def request(
        self,
        method: str,
        target: str,
        headers: Iterable[tuple[str, str]],
        body: Body = None,
        *,
        length: int | None = None,
        retry_dropped: bool = False,
    ) -> UpstreamResponse:
        """Send a request; returns once the answer's head is there. ``length``: of a streamed body, if known.

        ``retry_dropped``: when the connection ends before the answer's head, try once more on a new one
        (only for idempotent methods, whose repetition does no harm).
        """
        if isinstance(body, bytes):
            framing = f"Content-Length: {len(body)}"
        elif body is None:
            framing = "Content-Length: 0" if method in ("POST", "PUT", "PATCH") else ""
        else:
            framing = f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
        head = encode_head(method, target, self.authority, headers, framing)
        if isinstance(body, bytes):
            head += body
        # A streamed body is gone once sent: only a request held whole can be sent again.
        resendable = body is None or isinstance(body, bytes)
        attempts = 2 if retry_dropped and resendable else 1
        for attempt in range(attempts):
            connection = await self._acquire(fresh=attempt > 0)
            answer = connection.send(head, no_body=method == "HEAD")
            writer = None
            if body is not None and not isinstance(body, bytes):
                writer = asyncio.ensure_future(connection.write_body(body, chunked=length is None))
                _close_if_failed(writer, connection)
            try:
                return await answer
            except BaseException as error:
                self._drop(connection)
                if writer is not None:
                    writer.cancel()
                if isinstance(error, ConnectionDropped) and attempt + 1 < attempts:
                    continue
                raise
        raise AssertionError("unreachable")

    async def _acquire(self, *, fresh: bool) -> _Connection:
        await self._slots.acquire()
        try:
            while self._idle and not fresh:
                connection = self._idle.pop()
                if not connection.closed:
                    self._holding.add(connection)
                    return connection
            connection = await self._connect()
        except BaseException:
            self._slots.release()
            raise
        self._holding.add(connection)
        return connection

    async def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self._connect_timeout):
                _, protocol = await loop.create_connection(lambda: _Connection(self), self.host, self.port)
        except TimeoutError:
            raise ConnectFailed(f"no connection to {self.authority} within {self._connect_timeout} s") from None
        except OSError as error:
            raise ConnectFailed(f"no connection to {self.authority}: {error.strerror or error}") from None
        self._open.add(protocol)
        return protocol

    def give_back(self, connection: _Connection) -> None:
        if connection in self._holding:
            self._holding.discard(connection)
            self._slots.release()
        self._idle.append(connection)

    def forget(self, connection: _Connection) -> None:
        self._open.discard(connection)
        if connection in self._holding:
            self._holding.discard(connection)
            self._slots.release()
        with contextlib.suppress(ValueError):
            self._idle.remove(connection)

    def _drop(self, connection: _Connection) -> None:
        connection.close()
        self.forget(connection)

    async def close(self) -> None:
        """Close every connection."""
        for connection in list(self._open):
            connection.close()
        self._idle.clear()
        await asyncio.sleep(0)


def _close_if_failed(writer: asyncio.Future[Any], connection: _Connection) -> None:
    """A request body that cannot be sent in full ends its connection (and so the wait for the answer)."""

    def done(task: asyncio.Future[Any]) -> None:
        if task.cancelled() or task.exception() is not None:
            connection.close()

    writer.add_done_callback(done)
