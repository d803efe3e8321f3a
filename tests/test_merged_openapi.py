"""The gateway's merged API document, built from every service's own, is valid OpenAPI 3.1."""

from __future__ import annotations

import importlib
import json
from typing import Any

import pytest
from openapi_spec_validator import validate

from gateway.openapi import merge_documents
from gateway.routes import RouteTable
from kit.identity import generate_signing_key, jwks

SERVICES = ("tenants", "knowledge", "tickets", "metrics")


def _document(service: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    prefix = service.upper()
    monkeypatch.setenv(f"{prefix}_DATABASE_URL", f"postgresql://{service}:unused@127.0.0.1:1/{service}")
    settings = importlib.import_module(f"{service}.settings")
    settings.get_settings.cache_clear()
    try:
        app = importlib.import_module(f"{service}.app").create_app()
        document: dict[str, Any] = app.openapi()
    finally:
        settings.get_settings.cache_clear()
    return document


def test_the_merged_document_is_valid_openapi_3_1(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZENTRALE_ENV", "test")
    monkeypatch.setenv("NATS_URL", "nats://127.0.0.1:1")
    monkeypatch.setenv("ZENTRALE_INTERNAL_PUBLIC_KEYS", json.dumps(jwks({"k": generate_signing_key().public_key()})))
    documents = {service: _document(service, monkeypatch) for service in SERVICES}

    merged = merge_documents(documents, RouteTable())

    validate(merged)
    assert merged["openapi"].startswith("3.1")
    assert "/v1/tenants/{tenant_id}/contract" in merged["paths"]
    assert not any("internal" in path for path in merged["paths"])
