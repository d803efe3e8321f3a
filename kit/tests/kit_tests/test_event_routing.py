"""Subjects of every tenant's events, and events whose data names another tenant than their envelope."""

from __future__ import annotations

import pytest

from kit.events import PermanentEventError, every_tenant, new_event, require_same_tenant


def test_an_event_type_of_every_tenant_is_a_subject_filter() -> None:
    assert every_tenant("tenants.tenant.created.v1") == "tenants.*.tenant.created.v1"
    assert every_tenant("tickets.ticket.forwarded.v1") == "tickets.*.ticket.forwarded.v1"


def test_data_naming_another_tenant_is_refused_for_good() -> None:
    event = new_event(service="tenants", type="tenants.line.added.v1", tenant_id="artland", data={})

    require_same_tenant(event, "artland")
    with pytest.raises(PermanentEventError, match="data names oldenburg, envelope artland"):
        require_same_tenant(event, "oldenburg")
