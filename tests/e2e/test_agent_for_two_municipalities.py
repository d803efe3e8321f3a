"""The host's agent answers for Artland and Rheine through their grants, each with its own knowledge and back office."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from .support import StackHandle, all_pages, assert_not_found, eventually, forward_contact, json_of

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

# What each partner's own supplement of the shared "Personalausweis beantragen" says, and its back office.
PARTNERS = {
    "artland": {
        "office": "Rathaus Quakenbrück",
        "synonym": "Perso Quakenbrück",
        "department": "Bürgerbüro Quakenbrück",
    },
    "rheine": {
        "office": "Klosterstraße 14, 48431 Rheine",
        "synonym": "Perso Rheine",
        "department": "Bürgerbüro Rheine",
    },
}


async def test_the_host_agent_serves_two_municipalities_each_with_its_own_knowledge_and_back_office(
    stack: StackHandle,
) -> None:
    run = uuid.uuid4().hex[:8]
    since = datetime.now(UTC) - timedelta(seconds=5)
    recorded: dict[str, dict[str, Any]] = {}
    request_ids: dict[str, set[str]] = {}
    async with stack.client("oldenburg-agent") as agent:
        for tenant, own in PARTNERS.items():
            other = next(name for name in PARTNERS if name != tenant)
            path = f"/v1/tenants/{tenant}"
            request_ids[tenant] = {f"e2e-agent-{run}-{tenant}-{step}" for step in ("search", "read", "record")}

            found = json_of(
                await agent.get(
                    f"{path}/knowledge/search",
                    params={"q": "Perso abgelaufen"},
                    headers={"X-Request-Id": f"e2e-agent-{run}-{tenant}-search"},
                )
            )
            top = found["items"][0]
            assert top["name"] == "Personalausweis beantragen", found

            # The shared description as this municipality has it: its own supplement, not the other's.
            view = json_of(
                await agent.get(
                    f"{path}/knowledge/descriptions/{top['id']}",
                    headers={"X-Request-Id": f"e2e-agent-{run}-{tenant}-read"},
                )
            )
            assert own["office"] in view["modules"]["responsible_office"]
            assert view["origins"]["modules.responsible_office"] == "supplement"
            assert own["synonym"] in view["synonyms"]
            assert PARTNERS[other]["synonym"] not in view["synonyms"]

            departments = json_of(await agent.get(f"{path}/departments"))["items"]
            assert [department["name"] for department in departments] == [own["department"]]

            contact = await forward_contact(
                agent,
                tenant,
                f"Personalausweis abgelaufen, Termin gewünscht ({run})",
                outcome="callback",
                description_ids=[top["id"]],
                caller={"name": "Erika Musterfrau", "phone": "+49 5971 939-0"},
                forward={"subject": f"Rückruf: Termin Personalausweis ({run})"},
                headers={"X-Request-Id": f"e2e-agent-{run}-{tenant}-record"},
            )
            # Forwarded to this municipality's own back office, with a deadline by its contract.
            assert contact["agent"] == "demo-oldenburg-agent"
            assert contact["ticket"]["department_id"] == departments[0]["id"]
            assert contact["ticket"]["due_at"] is not None
            recorded[tenant] = contact

        # Through one partner's grant the agent cannot reach the other partner's contact.
        assert_not_found(await agent.get(f"/v1/tenants/artland/contacts/{recorded['rheine']['id']}"))
        assert_not_found(await agent.get(f"/v1/tenants/rheine/contacts/{recorded['artland']['id']}"))
        # Nor do they land with the host.
        recent = {"started_from": (since - timedelta(minutes=15)).isoformat(), "limit": 200}
        own_contacts = await all_pages(agent, "/v1/tenants/oldenburg/contacts", recent)
        assert not {contact["id"] for contact in recorded.values()} & {item["id"] for item in own_contacts}

    # Each contact lands in its municipality: its own agent sees it, the other's does not.
    for tenant, contact in recorded.items():
        other = next(name for name in PARTNERS if name != tenant)
        async with stack.client(f"{tenant}-agent") as own_agent, stack.client(f"{other}-agent") as other_agent:
            seen = json_of(await own_agent.get(f"/v1/tenants/{tenant}/contacts/{contact['id']}"))
            assert (seen["outcome"], seen["ticket"]["id"]) == ("callback", contact["ticket"]["id"])
            assert_not_found(await other_agent.get(f"/v1/tenants/{tenant}/contacts/{contact['id']}"))
            assert_not_found(await other_agent.get(f"/v1/tenants/{other}/contacts/{contact['id']}"))

    # Each partner's admin reads the host agent's accesses to its data in its own audit, and only those.
    for tenant, admin in (
        ("artland", stack.client("artland-admin")),
        ("rheine", stack.client(token=await stack.token("rheine", "tenant_admin"))),
    ):
        async with admin:
            audited = await host_agent_accesses(admin, tenant, since=since, expected=request_ids[tenant])
        mine = [item for item in audited if item["request_id"] in request_ids[tenant]]
        assert {(item["method"], item["status"]) for item in mine} == {("GET", 200), ("POST", 201)}
        assert all(item["home_tenant"] == "oldenburg" and item["roles"] == ["agent"] for item in mine), mine
        assert all(item["path"].startswith(f"/v1/tenants/{tenant}/") for item in audited), audited


async def host_agent_accesses(
    admin: httpx.AsyncClient, tenant: str, *, since: datetime, expected: set[str]
) -> list[dict[str, Any]]:
    """The host agent's accesses in ``tenant``'s audit since ``since``, once those with ``expected`` request ids
    are there (the gateway publishes them through NATS to the tenants service)."""

    async def accesses() -> list[dict[str, Any]]:
        params: dict[str, Any] = {"subject": "demo-oldenburg-agent", "since": since.isoformat(), "limit": 200}
        items: list[dict[str, Any]] = json_of(await admin.get(f"/v1/tenants/{tenant}/audit", params=params))["items"]
        return items

    return await eventually(
        accesses,
        lambda items: expected <= {item["request_id"] for item in items},
        what=f"the host agent's accesses in {tenant}'s audit",
    )
