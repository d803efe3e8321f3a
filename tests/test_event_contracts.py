"""Each consumer's copy of an event matches what its producer publishes (the producer owns the contract)."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

import pytest
from pydantic import BaseModel

SERVICES = ("tenants", "knowledge", "tickets", "metrics", "gateway")


def _module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError:
        return None


def published() -> dict[str, type[BaseModel]]:
    contracts: dict[str, type[BaseModel]] = {}
    for service in SERVICES:
        module = _module(f"{service}.events.published")
        contracts.update(getattr(module, "PUBLISHED", {}))
    return contracts


def consumed() -> list[tuple[str, str, type[BaseModel]]]:
    copies = []
    for service in SERVICES:
        module = _module(f"{service}.events.consumed")
        for event_type, model in getattr(module, "CONSUMED", {}).items():
            copies.append((service, event_type, model))
    return copies


def _json_type(model: type[BaseModel], field: str) -> Any:
    schema = model.model_json_schema()["properties"][field]
    return schema.get("type", schema.get("anyOf"))


@pytest.mark.parametrize(("consumer", "event_type", "copy"), consumed(), ids=lambda v: getattr(v, "__name__", v))
def test_consumer_copy_reads_only_what_the_producer_publishes(
    consumer: str, event_type: str, copy: type[BaseModel]
) -> None:
    contracts = published()
    assert event_type in contracts, f"{consumer} consumes {event_type}, which nobody publishes"
    producer = contracts[event_type]
    for name, field in copy.model_fields.items():
        assert name in producer.model_fields, f"{consumer} reads {event_type}.{name}, which is not published"
        if field.is_required():
            assert producer.model_fields[name].is_required(), f"{event_type}.{name} is optional at the producer"
        assert _json_type(copy, name) == _json_type(producer, name), f"{event_type}.{name} differs in type"


def test_every_service_consumes_something_published() -> None:
    assert consumed(), "no consumer declares its copies in events/consumed.py CONSUMED"
