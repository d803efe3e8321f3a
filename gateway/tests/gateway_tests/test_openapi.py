"""The merged OpenAPI document and the interactive docs."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from gateway.openapi import merge_documents
from gateway.routes import RouteTable

from .support import EchoUpstream, GatewayFactory

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def _document(paths: dict[str, Any], schemas: dict[str, Any], tag: str) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": tag, "version": "0.1.0"},
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": {"internal": {"type": "http", "scheme": "bearer"}}},
        "tags": [{"name": tag}],
    }


def _operation(operation_id: str, ref: dict[str, str]) -> dict[str, Any]:
    return {
        "operationId": operation_id,
        "security": [{"internal": []}],
        "responses": {"404": {"content": {"application/problem+json": {"schema": ref}}}},
    }


TENANTS = _document(
    {
        "/v1/tenants": {"post": _operation("create", PROBLEM_REF)},
        "/v1/tenants/{tenant_id}": {"get": _operation("read", PROBLEM_REF)},
    },
    {"Problem": {"type": "object", "properties": {"title": {"type": "string"}}}, "Shared": {"type": "string"}},
    "tenants",
)
KNOWLEDGE = _document(
    {
        "/v1/tenants/{tenant_id}/knowledge/articles": {"get": _operation("read", PROBLEM_REF)},
        "/v1/tenants": {"get": _operation("stray", PROBLEM_REF)},
    },
    {
        "Problem": {"type": "object", "properties": {"detail": {"type": "string"}}},
        "Wrapper": {"type": "object", "properties": {"problem": PROBLEM_REF}},
        "Shared": {"type": "string"},
    },
    "knowledge",
)


def test_documents_merge_into_one_with_conflicting_components_prefixed() -> None:
    merged = merge_documents({"tenants": TENANTS, "knowledge": KNOWLEDGE}, RouteTable())

    assert merged["openapi"] == "3.1.0"
    assert merged["info"]["title"] == "Zentrale API"
    assert set(merged["paths"]) == {
        "/v1/tenants",
        "/v1/tenants/{tenant_id}",
        "/v1/tenants/{tenant_id}/knowledge/articles",
    }
    assert "get" not in merged["paths"]["/v1/tenants"]
    schemas = merged["components"]["schemas"]
    assert set(schemas) == {"Problem", "Shared", "knowledge_Problem", "Wrapper"}
    assert schemas["Wrapper"]["properties"]["problem"] == {"$ref": "#/components/schemas/knowledge_Problem"}
    article = merged["paths"]["/v1/tenants/{tenant_id}/knowledge/articles"]["get"]
    assert article["responses"]["404"]["content"]["application/problem+json"]["schema"] == {
        "$ref": "#/components/schemas/knowledge_Problem"
    }
    assert article["operationId"] == "knowledge_read"
    assert "security" not in article
    assert set(merged["components"]["securitySchemes"]) == {"ApiKey", "Bearer"}
    assert merged["security"] == [{"ApiKey": []}, {"Bearer": []}]
    assert [tag["name"] for tag in merged["tags"]] == ["tenants", "knowledge"]
    assert "x-unavailable-services" not in merged


def test_a_missing_service_is_named_and_left_out() -> None:
    merged = merge_documents({"tenants": TENANTS, "knowledge": None, "tickets": None}, RouteTable())

    assert merged["x-unavailable-services"] == ["knowledge", "tickets"]
    assert "knowledge" in merged["info"]["description"]
    assert set(merged["paths"]) == {"/v1/tenants", "/v1/tenants/{tenant_id}"}


async def test_gateway_serves_the_merged_document_while_services_are_down(
    make_gateway: GatewayFactory, upstreams: dict[str, EchoUpstream]
) -> None:
    upstreams["tenants"].openapi = TENANTS
    upstreams["knowledge"].openapi = KNOWLEDGE
    gateway = await make_gateway()

    response = await gateway.get("/openapi.json")

    merged = await response.json()
    assert response.status == 200
    assert "/v1/tenants/{tenant_id}" in merged["paths"]
    assert "/v1/tenants/{tenant_id}/knowledge/articles" in merged["paths"]
    assert merged["x-unavailable-services"] == ["tickets", "metrics"]


async def test_merged_document_is_cached(make_gateway: GatewayFactory, upstreams: dict[str, EchoUpstream]) -> None:
    upstreams["tenants"].openapi = TENANTS
    gateway = await make_gateway(openapi_cache_seconds=60)

    first = await (await gateway.get("/openapi.json")).json()
    upstreams["tenants"].openapi = None
    second = await (await gateway.get("/openapi.json")).json()

    assert first == second
    assert "/v1/tenants" in second["paths"]


async def test_docs_page_loads_swagger_ui_with_the_merged_document(gateway: TestClient[Any, Any]) -> None:
    response = await gateway.get("/docs")

    page = await response.text()
    assert response.status == 200
    assert response.content_type == "text/html"
    assert "swagger-ui-bundle.js" in page
    assert '"/openapi.json"' in page


async def test_docs_assets_are_served_by_the_gateway(gateway: TestClient[Any, Any]) -> None:
    page = await (await gateway.get("/docs")).text()
    assert "://" not in page  # nothing loaded from elsewhere
    script = await gateway.get("/docs/assets/swagger-ui-bundle.js")
    style = await gateway.get("/docs/assets/swagger-ui.css")

    assert script.status == 200
    assert script.headers["Content-Type"].startswith("text/javascript")
    assert "SwaggerUIBundle" in await script.text()
    assert style.status == 200
    assert style.headers["Content-Type"].startswith("text/css")


async def test_other_docs_assets_do_not_exist(gateway: TestClient[Any, Any]) -> None:
    for name in ("index.html", "..%2F..%2Fpyproject.toml", "redoc.standalone.js"):
        response = await gateway.get(f"/docs/assets/{name}")
        assert response.status == 404
        assert response.headers["Content-Type"] == "application/problem+json"
