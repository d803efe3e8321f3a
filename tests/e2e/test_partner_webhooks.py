"""A partner's webhook receiver on its own machine verifies every delivery and gets its own events only."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from aiohttp import web
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from .support import StackHandle, eventually, forward_contact, json_of

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]


@dataclass(frozen=True)
class Delivery:
    body: bytes
    headers: dict[str, str]
    event: dict[str, Any]


@dataclass
class Receiver:
    """A partner's endpoint: it checks each delivery's signature with the partner's secret and keeps what passed."""

    secrets: dict[str, str] = field(default_factory=dict)
    verified: dict[str, list[Delivery]] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        partner = request.match_info["partner"]
        body = await request.read()
        headers = dict(request.headers)
        try:
            event = Webhook(self.secrets[partner]).verify(body, headers)
        except (KeyError, WebhookVerificationError):
            self.rejected[partner] = self.rejected.get(partner, 0) + 1
            return web.Response(status=400, text="signature not valid")
        self.verified.setdefault(partner, []).append(Delivery(body, headers, event))
        return web.Response(status=204)

    def events(self, partner: str) -> list[dict[str, Any]]:
        return [delivery.event for delivery in self.verified.get(partner, [])]


@asynccontextmanager
async def receiving() -> AsyncIterator[Receiver]:
    """The receiver, served on a free loopback port while the block runs."""
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/hooks/{partner}", receiver.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    receiver.url = f"http://{host}:{port}/hooks"
    try:
        yield receiver
    finally:
        await runner.cleanup()


@asynccontextmanager
async def subscribed(admin: httpx.AsyncClient, tenant: str, url: str) -> AsyncIterator[dict[str, Any]]:
    """The tenant admin subscribes ``url`` to the tenant's ticket events (the answer shows the secret, this once);
    the subscription is deleted after the block."""
    created: dict[str, Any] = json_of(
        await admin.post(
            f"/v1/tenants/{tenant}/webhooks",
            json={"url": url, "event_types": ["tickets.*"], "description": "Fachverfahren (e2e)"},
        ),
        201,
    )
    assert created["secret"].startswith("whsec_")
    webhook = f"/v1/tenants/{tenant}/webhooks/{created['id']}"
    try:
        assert "secret" not in json_of(await admin.get(webhook))
        yield created
    finally:
        assert (await admin.delete(webhook)).status_code == 204


def about(events: list[dict[str, Any]], contact: dict[str, Any]) -> set[str]:
    """The types of the events about ``contact`` or its ticket."""
    ids = {contact["id"], contact["ticket"]["id"]}
    return {event["type"] for event in events if event["data"]["id"] in ids}


async def test_the_partners_receiver_verifies_each_delivery_and_gets_only_its_own_events(stack: StackHandle) -> None:
    run = uuid.uuid4().hex[:8]
    rheine_admin = await stack.token("rheine", "tenant_admin")
    async with (
        receiving() as receiver,
        stack.client("artland-admin") as artland_admin,
        stack.client(token=rheine_admin) as rheine_admin_client,
        subscribed(artland_admin, "artland", f"{receiver.url}/artland") as artland_hook,
        subscribed(rheine_admin_client, "rheine", f"{receiver.url}/rheine") as rheine_hook,
    ):
        receiver.secrets.update(artland=artland_hook["secret"], rheine=rheine_hook["secret"])

        # Rheine's concern first: by the time Artland's events arrive, Rheine's have been dispatched too.
        async with stack.client("rheine-agent") as rheine_agent, stack.client("artland-agent") as artland_agent:
            theirs = await forward_contact(
                rheine_agent, "rheine", f"Ausweis verloren ({run})", channel="email", forward={"reply_by": "letter"}
            )
            ours = await forward_contact(
                artland_agent, "artland", f"Ausweis verloren ({run})", channel="email", forward={"reply_by": "letter"}
            )

        expected = {"tickets.contact.recorded.v1", "tickets.ticket.forwarded.v1"}
        await eventually(
            lambda: asyncio.sleep(0, receiver),
            lambda r: about(r.events("artland"), ours) == expected and about(r.events("rheine"), theirs) == expected,
            what="each partner's deliveries of its own concern",
        )

        # Every delivery passed the partner's own check, and Artland's carry Artland's events alone.
        assert receiver.rejected == {}
        assert {event["tenantid"] for event in receiver.events("artland")} == {"artland"}
        assert {event["tenantid"] for event in receiver.events("rheine")} == {"rheine"}
        assert about(receiver.events("artland"), theirs) == set()
        assert about(receiver.events("rheine"), ours) == set()

        # A delivery changed on its way, or signed for another partner, does not pass.
        delivery = receiver.verified["artland"][0]
        tampered = delivery.body.replace(b'"artland"', b'"rheine"')
        assert tampered != delivery.body
        with pytest.raises(WebhookVerificationError):
            Webhook(artland_hook["secret"]).verify(tampered, delivery.headers)
        with pytest.raises(WebhookVerificationError):
            Webhook(rheine_hook["secret"]).verify(delivery.body, delivery.headers)
        signed = {name: value for name, value in delivery.headers.items() if name.lower().startswith("webhook-")}
        async with httpx.AsyncClient() as forger:
            answer = await forger.post(f"{receiver.url}/artland", content=tampered, headers=signed)
        assert answer.status_code == 400
        assert receiver.rejected == {"artland": 1}
        assert json.loads(delivery.body) == delivery.event

        # The partner's delivery log agrees: its deliveries of this concern succeeded (the log holds Artland's
        # other events as well, e.g. deadline warnings of other tests' concerns).
        ours_sent = {
            delivery.headers["webhook-id"]: delivery.event["type"]
            for delivery in receiver.verified["artland"]
            if about([delivery.event], ours)
        }
        assert set(ours_sent.values()) == expected
        deliveries = f"/v1/tenants/artland/webhooks/{artland_hook['id']}/deliveries"

        async def logged() -> dict[str, tuple[str, str]]:
            items = json_of(await artland_admin.get(deliveries, params={"limit": 200}))["items"]
            return {item["event_id"]: (item["event_type"], item["status"]) for item in items}

        await eventually(
            logged,
            lambda log: (
                {event_id: log.get(event_id) for event_id in ours_sent}
                == {event_id: (kind, "succeeded") for event_id, kind in ours_sent.items()}
            ),
            what="artland's delivery log",
        )
