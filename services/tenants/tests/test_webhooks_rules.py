"""Webhook rules without servers: targets, event type filters, signatures, the retry schedule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from ipaddress import ip_address, ip_network

import pytest
from standardwebhooks import Webhook

from tenants.settings import WEBHOOK_MIN_RETRY_SPAN, WEBHOOK_RETRY_SCHEDULE, TenantsSettings
from tenants.webhook.deliveries import retry_delay
from tenants.webhook.filters import is_event_type_filter, wants
from tenants.webhook.signing import new_secret, signed_headers
from tenants.webhook.targets import TargetPolicy, TargetRefused, address_kind, check_target, url_problem


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fd00::1", "private"),
        ("100.64.0.1", "shared (CGNAT)"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("0.0.0.0", "unspecified"),  # noqa: S104 - an address under test
        ("240.0.0.1", "private"),
        ("::ffff:127.0.0.1", "loopback"),
        ("64:ff9b::a00:1", "private"),
        ("2002:c0a8:101::1", "private"),
        ("93.184.215.14", None),
        ("2606:4700::1111", None),
    ],
)
def test_addresses_are_classified(address: str, kind: str | None) -> None:
    assert address_kind(ip_address(address)) == kind


def test_private_targets_are_refused_unless_the_operator_allows_them() -> None:
    strict = TargetPolicy()
    lenient = TargetPolicy(allow_private=True)
    narrow = TargetPolicy(allowed_networks=(ip_network("10.20.0.0/16"),))

    assert strict.refusal(ip_address("127.0.0.1")) is not None
    assert lenient.refusal(ip_address("127.0.0.1")) is None
    assert lenient.refusal(ip_address("10.0.0.1")) is None
    assert lenient.refusal(ip_address("169.254.169.254")) is not None
    assert narrow.refusal(ip_address("10.20.1.1")) is None
    assert narrow.refusal(ip_address("10.21.1.1")) is not None


async def test_names_are_resolved_and_checked_when_saved() -> None:
    with pytest.raises(TargetRefused, match="loopback"):
        await check_target("https://localhost/hook", TargetPolicy())
    with pytest.raises(TargetRefused, match="link-local"):
        await check_target("https://169.254.169.254/latest/meta-data", TargetPolicy(allow_private=True))
    await check_target("https://localhost/hook", TargetPolicy(allow_private=True))


async def test_plain_http_needs_the_operators_consent() -> None:
    with pytest.raises(TargetRefused, match="https"):
        await check_target("http://127.0.0.1/hook", TargetPolicy(allow_private=True))
    await check_target("http://127.0.0.1/hook", TargetPolicy(allow_private=True, allow_http=True))


@pytest.mark.parametrize(
    "url",
    [
        "ftp://partner.example/hook",
        "https://user:pass@partner.example/hook",
        "https:///hook",
        "https://partner.example/hook#part",
        "https://partner.example:99999/hook",
        "partner.example/hook",
    ],
)
def test_urls_that_are_no_webhook_targets_at_all(url: str) -> None:
    assert url_problem(url) is not None


def test_event_type_filters() -> None:
    assert is_event_type_filter("tickets.ticket.forwarded.v1")
    assert is_event_type_filter("tickets.ticket.*")
    assert is_event_type_filter("tickets.*")
    assert not is_event_type_filter("*")
    assert not is_event_type_filter("tickets.*.forwarded.v1")
    assert not is_event_type_filter("Tickets.ticket.*")

    assert wants([], "knowledge.article.published.v1")
    assert wants(["tickets.ticket.*"], "tickets.ticket.forwarded.v1")
    assert not wants(["tickets.ticket.*"], "tickets.callback.requested.v1")
    assert not wants(["tickets.ticket.*"], "tickets.tickets_archive.purged.v1")
    assert wants(["tickets.ticket.forwarded.v1"], "tickets.ticket.forwarded.v1")
    assert not wants(["tickets.ticket.forwarded.v1"], "tickets.ticket.forwarded.v2")


def test_the_webhook_domains_own_events_are_never_delivered() -> None:
    assert not wants([], "tenants.webhook.delivery_failed.v1")
    assert not wants(["tenants.*"], "tenants.webhook.updated.v1")
    assert wants(["tenants.*"], "tenants.tenant.updated.v1")


def test_signatures_verify_with_the_standard_webhooks_library_for_each_secret() -> None:
    old, new = new_secret(), new_secret()
    body = b'{"type":"tickets.ticket.created.v1","data":{"title":"Stra\xc3\x9fenlaterne"}}'

    headers = signed_headers(message_id="4e1f", body=body, keys=[new, old], at=datetime.now(UTC))

    assert old.startswith("whsec_")
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        assert Webhook(secret).verify(body, headers)["data"]["title"] == "Straßenlaterne"


def test_default_retries_span_more_than_a_day_then_stop() -> None:
    assert sum(WEBHOOK_RETRY_SCHEDULE) >= WEBHOOK_MIN_RETRY_SPAN
    delays = [retry_delay(n, WEBHOOK_RETRY_SCHEDULE) for n in range(1, len(WEBHOOK_RETRY_SCHEDULE) + 2)]

    assert delays[-1] is None
    assert all(delay is not None for delay in delays[:-1])
    assert delays[0] is not None
    assert timedelta(seconds=5) <= delays[0] <= timedelta(seconds=5.5)


def test_a_schedule_shorter_than_a_day_is_refused_outside_development() -> None:
    with pytest.raises(ValueError, match="24 hours"):
        TenantsSettings(environment="production", internal_public_keys="{}", webhook_retry_schedule=[5.0])
    assert TenantsSettings(environment="test", webhook_retry_schedule=[0.1]).webhook_retry_schedule == [0.1]
