"""Settings come from the environment and refuse placeholder secrets outside development."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from pydantic_settings import SettingsConfigDict

from kit.settings import ServiceSettings


class OrdersSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ORDERS_", extra="ignore", env_ignore_empty=True)


def test_production_refuses_placeholder_database_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZENTRALE_ENV", "production")
    monkeypatch.setenv("ORDERS_DATABASE_URL", "postgresql://orders_app:changeme@db/orders")
    monkeypatch.setenv("ZENTRALE_INTERNAL_PUBLIC_KEYS", '{"keys": []}')
    with pytest.raises(ValidationError, match="database_url password"):
        OrdersSettings()


def test_production_refuses_missing_public_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZENTRALE_ENV", "production")
    monkeypatch.setenv("ORDERS_DATABASE_URL", "postgresql://orders_app:Xk3-long-random@db/orders")
    with pytest.raises(ValidationError, match="internal_public_keys"):
        OrdersSettings()


def test_development_accepts_placeholders_and_reads_prefixed_and_shared_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ZENTRALE_ENV", "development")
    monkeypatch.setenv("ORDERS_DATABASE_URL", "postgresql://orders_app:dev@127.0.0.1/orders")
    monkeypatch.setenv("NATS_URL", "nats://127.0.0.1:4333")
    settings = OrdersSettings()
    assert settings.runtime_role_name == "orders_app"
    assert settings.nats_url == "nats://127.0.0.1:4333"


def test_production_accepts_real_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZENTRALE_ENV", "production")
    monkeypatch.setenv("ORDERS_DATABASE_URL", "postgresql://orders_app:Xk3-long-random@db/orders")
    monkeypatch.setenv("ZENTRALE_INTERNAL_PUBLIC_KEYS", '{"keys": []}')
    assert OrdersSettings().environment == "production"
