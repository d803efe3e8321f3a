"""The stack of an end-to-end session: started once in-process, reached only through its gateway.

The tests share it with the demo's data and with each other, so each works on objects of its own and
checks what it sent, never totals others could change; a test that needs a day of figures of its own
claims one (``claim_day``).
"""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import httpx

from devstack import demo
from devstack.config import StackConfig, isolated_environment
from devstack.errors import StartupFailed
from devstack.processes import tail
from devstack.progress import Progress
from devstack.simulation.plan import TIME_ZONE, pick_day
from devstack.simulation.profiles import DEMO_MUNICIPALITIES
from devstack.simulation.report import used_days
from devstack.stack import Stack
from kit.testing.infra import scratch_dir

T = TypeVar("T")

BERLIN = TIME_ZONE
PROBLEM_JSON = "application/problem+json"
PASSPORT = "99085001012000"


@dataclass
class StackHandle:
    """The session's stack: its gateway, the demo's API keys by client name, and ways to disturb it."""

    stack: Stack
    gateway_url: str
    api_keys: Mapping[str, str]
    _claimed: set[date] = field(default_factory=set)
    # Linux ends a child when the thread that started it ends (the launcher's PR_SET_PDEATHSIG): restarts run on
    # one thread that lives as long as the stack, not on an event loop's executor, which ends with each test.
    restarter: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(1, "e2e-restarts"))

    def client(self, who: str | None = None, *, token: str | None = None) -> httpx.AsyncClient:
        """A client of the gateway: as the demo client ``who`` (``artland-integration`` …), with ``token``, or none."""
        credential = token if token is not None else (self.api_keys[who] if who is not None else None)
        headers = {"Authorization": f"Bearer {credential}"} if credential else {}
        return httpx.AsyncClient(base_url=self.gateway_url, headers=headers, timeout=30.0)

    async def token(self, tenant: str, *roles: str) -> str:
        """A demo OIDC token of a person of ``tenant`` with ``roles``: the roles no demo key stands for.

        The gateway signs it with a key of its own start: after ``restart("gateway")`` ask for a new one.
        """
        async with self.client() as anonymous:
            answer = await anonymous.post(
                "/auth/demo/token",
                json={"subject": f"e2e-{tenant}-{'-'.join(roles)}", "tenant": tenant, "roles": list(roles)},
            )
        assert answer.status_code == 200, answer.text
        return str(answer.json()["access_token"])

    def restart(self, name: str) -> None:
        """Stop one process (``tickets-api``, ``metrics-worker``, ``gateway`` …) and start it again as it was;
        return once it answers again."""
        self.stack.restart(name)
        if name == "gateway":
            demo.wait_for_grants(self.gateway_url)

    def restart_nats(self, *, down_for: float = 0.0) -> None:
        """Restart NATS on its port with its store (``down_for`` seconds away); return once it and every
        process answer again."""
        self.stack.restart_nats(down_for=down_for)

    async def restart_soon(self, name: str) -> None:
        """``restart`` from a coroutine, without blocking the event loop (e.g. as a player's ``on_halfway``)."""
        await asyncio.get_running_loop().run_in_executor(self.restarter, self.restart, name)

    async def restart_nats_soon(self, *, down_for: float = 0.0) -> None:
        """``restart_nats`` from a coroutine, without blocking the event loop."""
        await asyncio.get_running_loop().run_in_executor(self.restarter, lambda: self.restart_nats(down_for=down_for))

    async def claim_day(self) -> date:
        """A past working day of every demo municipality that no test of this session claimed and that has no
        calls or contacts yet: the most recent at least 14 days back, as the simulator picks its days.
        """
        today = datetime.now(TIME_ZONE).date()
        tenants = tuple(m.tenant_id for m in DEMO_MUNICIPALITIES)
        used = await used_days(
            self.gateway_url, self.api_keys, tenants, start=today - timedelta(days=365), end=today + timedelta(days=1)
        )
        day = pick_day(today, used | self._claimed, quiet_days=1)
        assert day is not None, "no working day of the past year is free of calls and contacts"
        self._claimed.add(day)
        return day


@contextmanager
def running_stack() -> Iterator[StackHandle]:
    """Start the whole stack with the demo in a scratch folder on free ports; stop it and remove the folder after."""
    home = scratch_dir("zentrale-e2e-")
    env = isolated_environment(os.environ, home)
    output = io.StringIO()
    stack = Stack(StackConfig.from_env(env, home=home), Progress(output, started=time.monotonic(), tty=False), env=env)
    try:
        try:
            ready = stack.start(load_demo=True)
        except (StartupFailed, demo.DemoFailed) as error:
            log = getattr(error, "log", None)
            details = f"\n--- {log} ---\n{tail(log)}" if log is not None else ""
            raise RuntimeError(f"the stack did not start: {error}\n{output.getvalue()}{details}") from error
        handle = StackHandle(stack, stack.config.gateway_url, ready.api_keys)
        yield handle
    finally:
        stack.stop()
        shutil.rmtree(home, ignore_errors=True)
    handle.restarter.shutdown()


async def eventually(
    probe: Callable[[], Awaitable[T]], done: Callable[[T], bool], *, what: str, within: float = 30.0
) -> T:
    """Ask ``probe`` until ``done`` holds for its answer (events go their way through NATS); fail after ``within`` s."""
    deadline = time.monotonic() + within
    while True:
        answer = await probe()
        if done(answer):
            return answer
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {within:.0f} s; last answer: {answer!r}")
        await asyncio.sleep(0.2)


def json_of(answer: httpx.Response, status: int = 200) -> Any:
    """The JSON body of an answer that must have ``status``."""
    assert answer.status_code == status, (
        f"{answer.request.method} {answer.request.url}: {answer.status_code} {answer.text}"
    )
    return answer.json()


def assert_not_found(answer: httpx.Response) -> None:
    """Another municipality's object answers as one that does not exist: 404, as problem+json."""
    where = f"{answer.request.method} {answer.request.url}"
    assert answer.status_code == 404, f"{where}: {answer.status_code} {answer.text}"
    assert answer.headers["content-type"].startswith(PROBLEM_JSON), f"{where}: {answer.headers['content-type']}"
    assert answer.json()["status"] == 404, f"{where}: {answer.text}"


async def all_pages(client: httpx.AsyncClient, path: str, params: Mapping[str, Any] | None = None) -> list[Any]:
    """Every item of a cursor-paginated list."""
    items: list[Any] = []
    query = dict(params or {})
    while True:
        page = json_of(await client.get(path, params=query))
        items.extend(page["items"])
        if not page.get("next_cursor"):
            return items
        query["cursor"] = page["next_cursor"]


async def forward_contact(
    agent: httpx.AsyncClient,
    tenant: str,
    summary: str,
    *,
    outcome: str = "forwarded",
    channel: str = "phone",
    forward: Mapping[str, Any] | None = None,
    caller: Mapping[str, Any] | None = None,
    description_ids: Sequence[str] = (),
    headers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Record a contact of a few minutes ago whose concern (a passport's) goes to ``tenant``'s back office.

    Returns the contact as the tickets service answered it, its ``ticket`` included.
    """
    now = datetime.now(UTC)
    body: dict[str, Any] = {
        "channel": channel,
        "started_at": (now - timedelta(minutes=5)).isoformat(),
        "ended_at": (now - timedelta(minutes=1)).isoformat(),
        "description_ids": list(description_ids),
        "leika_key": PASSPORT,
        "summary": summary,
        "outcome": outcome,
        "forward": dict(forward or {}),
    }
    if caller is not None:
        body["caller"] = dict(caller)
    sent = {"Idempotency-Key": f"e2e-{uuid.uuid4()}", **(headers or {})}
    contact: dict[str, Any] = json_of(await agent.post(f"/v1/tenants/{tenant}/contacts", json=body, headers=sent), 201)
    return contact
