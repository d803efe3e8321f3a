"""The demo's knowledge: the sample is created and published once, through the gateway, and found again after."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from pydantic import BaseModel, ValidationError

from devstack.demo_knowledge import SAMPLE, Gateway, KnowledgeRefused, load_knowledge
from knowledge.description.schemas import DescriptionCreate, SupplementWrite
from knowledge.office.schemas import OfficeCreate

from .stand_ins import serving

KEY = "demo-operator-test"
HOST = "oldenburg"
# Fewer than the loader asks for, so that it has to follow the cursor.
PAGE = 25


class Refusal(Exception):
    def __init__(self, status: int, detail: str = "") -> None:
        super().__init__(detail)
        self.status = status


@dataclass
class Document:
    """A description or supplement as the stand-in keeps it: its workflow state and version."""

    content: dict[str, Any]
    tenant: str | None = None
    status: str = "draft"
    version: int = 1

    def publish(self, if_match: str | None) -> None:
        if if_match is None:
            raise Refusal(428)
        if if_match != f'"{self.version}"':
            raise Refusal(412)
        if self.status not in ("draft", "review"):
            raise Refusal(409, f"{self.status} cannot move to published")
        self.status, self.version = "published", self.version + 1


@dataclass
class Knowledge:
    """The knowledge service behind the gateway, in memory; it learns a tenant only after ``unknown_for`` lists."""

    tenants: set[str]
    unknown_for: int = 0
    descriptions: dict[str, Document] = field(default_factory=dict)
    supplements: dict[tuple[str, str], Document] = field(default_factory=dict)
    offices: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    responsible: set[tuple[str, str, str]] = field(default_factory=set)
    writes: list[str] = field(default_factory=list)

    def visible(self, tenant: str) -> dict[str, Document]:
        return {
            key: doc
            for key, doc in self.descriptions.items()
            if doc.status == "published" and doc.tenant in (None, tenant)
        }

    def names(self, tenant: str) -> list[str]:
        return sorted(doc.content["name"] for doc in self.visible(tenant).values())

    def handle(self, method: str, path: str, query: dict[str, list[str]], body: Any, if_match: str | None) -> Any:
        if method != "GET":
            self.writes.append(f"{method} {path}")
        if m := re.fullmatch(r"/v1/knowledge/base/descriptions", path):
            return self._create(None, body)
        if m := re.fullmatch(r"/v1/knowledge/base/descriptions/([^/]+)/status", path):
            return self._publish(self._description(m[1]), if_match)
        tenant_path = re.fullmatch(r"/v1/tenants/([^/]+)/knowledge(/.*)", path)
        if tenant_path is None:
            raise Refusal(404)
        tenant, rest = tenant_path[1], tenant_path[2]
        if tenant not in self.tenants:
            raise Refusal(404, "No such tenant.")
        if rest == "/descriptions" and method == "GET":
            return self._page(tenant, int(query.get("cursor", ["0"])[0]))
        if rest == "/descriptions":
            return self._create(tenant, body)
        if m := re.fullmatch(r"/descriptions/([^/]+)/status", rest):
            return self._publish(self._description(m[1], tenant), if_match)
        if m := re.fullmatch(r"/descriptions/([^/]+)/supplement(/status)?", rest):
            return self._supplement(tenant, m[1], method, m[2] is not None, body, if_match)
        offices = self.offices.setdefault(tenant, {})
        if rest == "/offices":
            return self._office(offices, method, body)
        if m := re.fullmatch(r"/offices/([^/]+)/descriptions(?:/([^/]+))?", rest):
            if m[1] not in offices:
                raise Refusal(404)
            if m[2] is None:
                return {"items": [{"description_id": d} for t, o, d in self.responsible if (t, o) == (tenant, m[1])]}
            if m[2] not in self.visible(tenant):
                raise Refusal(404)
            self.responsible.add((tenant, m[1], m[2]))
            return None
        raise Refusal(404)

    def _description(self, key: str, tenant: str | None = None) -> Document:
        doc = self.descriptions.get(key)
        if doc is None or doc.tenant != tenant:
            raise Refusal(404)
        return doc

    def _create(self, tenant: str | None, body: Any) -> tuple[dict[str, Any], Document]:
        _valid(DescriptionCreate, body)
        key = str(uuid.uuid4())
        self.descriptions[key] = doc = Document(body["content"], tenant)
        return {"id": key, "status": doc.status, "version": doc.version}, doc

    def _publish(self, doc: Document, if_match: str | None) -> tuple[dict[str, Any], Document]:
        doc.publish(if_match)
        return {"status": doc.status, "version": doc.version}, doc

    def _page(self, tenant: str, start: int) -> dict[str, Any]:
        if self.unknown_for > 0:
            self.unknown_for -= 1
            raise Refusal(404, "No such tenant.")
        items = [
            {
                "id": key,
                "layer": "shared" if doc.tenant is None else "local",
                "name": doc.content["name"],
                "origins": {"name": "base"}
                | ({"modules.notes": "supplement"} if self._supplemented(tenant, key) else {}),
            }
            for key, doc in self.visible(tenant).items()
        ]
        more = start + PAGE < len(items)
        return {"items": items[start : start + PAGE], "next_cursor": str(start + PAGE) if more else None}

    def _supplemented(self, tenant: str, key: str) -> bool:
        supplement = self.supplements.get((tenant, key))
        return supplement is not None and supplement.status == "published"

    def _supplement(
        self, tenant: str, key: str, method: str, status: bool, body: Any, if_match: str | None
    ) -> tuple[dict[str, Any], Document]:
        if self.descriptions.get(key) is None or self.descriptions[key].tenant is not None:
            raise Refusal(404)
        current = self.supplements.get((tenant, key))
        if method == "PUT" and not status:
            _valid(SupplementWrite, body)
            if current is not None:
                raise Refusal(409, "the loader replaces no supplement")
            current = self.supplements[(tenant, key)] = Document(body["content"], tenant)
        if current is None:
            raise Refusal(404)
        if status:
            current.publish(if_match)
        return {"status": current.status, "version": current.version}, current

    @staticmethod
    def _office(offices: dict[str, dict[str, Any]], method: str, body: Any) -> dict[str, Any]:
        if method == "GET":
            return {"items": list(offices.values())}
        _valid(OfficeCreate, body)
        if any(office["name"] == body["name"] for office in offices.values()):
            raise Refusal(409)
        key = str(uuid.uuid4())
        offices[key] = {**body, "id": key}
        return offices[key]


def _valid(schema: type[BaseModel], body: Any) -> None:
    try:
        schema.model_validate(body)
    except ValidationError as invalid:
        raise Refusal(422, str(invalid)) from None


@contextmanager
def gateway_with(knowledge: Knowledge) -> Iterator[str]:
    """A stand-in gateway in front of ``knowledge`` that checks the operator's key."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._answer()

        def do_POST(self) -> None:
            self._answer()

        def do_PUT(self) -> None:
            self._answer()

        def _answer(self) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            try:
                if self.headers.get("Authorization") != f"Bearer {KEY}":
                    raise Refusal(401)
                answer = knowledge.handle(
                    self.command, url.path, parse_qs(url.query), body, self.headers.get("If-Match")
                )
                status = 201 if self.command == "POST" else 200 if answer is not None else 204
            except Refusal as refusal:
                answer, status = {"detail": str(refusal)}, refusal.status
            etag = None
            if isinstance(answer, tuple):
                answer, doc = answer
                etag = f'"{doc.version}"'
            data = b"" if answer is None else json.dumps(answer).encode()
            self.send_response(status)
            if etag:
                self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    with serving(Handler) as url:
        yield url


def _sample() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SAMPLE.read_text(encoding="utf-8"))
    return loaded


def test_the_sample_is_published_once_and_found_again_on_the_next_start() -> None:
    sample = _sample()
    knowledge = Knowledge({"oldenburg", "artland", "rheine"})
    with gateway_with(knowledge) as url:
        first = load_knowledge(Gateway(url, KEY), host_tenant=HOST)
        written = len(knowledge.writes)
        second = load_knowledge(Gateway(url, KEY), host_tenant=HOST)

    shared = sorted(entry["content"]["name"] for entry in sample["descriptions"])
    local = {tenant: sorted(entry["content"]["name"] for entry in items) for tenant, items in sample["local"].items()}
    assert knowledge.names("artland") == sorted(shared + local["artland"])
    assert knowledge.names("oldenburg") == sorted(shared + local["oldenburg"])
    supplements = [(t, s["base"]) for t, items in sample["supplements"].items() for s in items]
    assert all(doc.status == "published" for doc in knowledge.supplements.values())
    assert len(knowledge.supplements) == len(supplements)
    responsibilities = sum(len(r["descriptions"]) for items in sample["responsibilities"].values() for r in items)
    assert len(knowledge.responsible) == responsibilities
    offices = sum(len(items) for items in sample["offices"].values())
    assert first == [
        f"knowledge {len(shared)} shared descriptions, {sum(map(len, local.values()))} local descriptions, "
        f"{len(supplements)} supplements, {offices} offices, {responsibilities} responsibilities"
    ]
    assert second == []
    assert len(knowledge.writes) == written


def test_waits_until_the_knowledge_service_knows_the_tenant(tmp_path: Path) -> None:
    sample = tmp_path / "knowledge.json"
    entry = {"content": {"name": "Fundsachen", "modules": {"teaser": "Fundbüro"}}}
    sample.write_text(json.dumps({"descriptions": [entry]}))
    knowledge = Knowledge({"oldenburg"}, unknown_for=3)
    with gateway_with(knowledge) as url:
        assert load_knowledge(Gateway(url, KEY), host_tenant=HOST, sample=sample) == ["knowledge 1 shared descriptions"]
    assert knowledge.names("oldenburg") == ["Fundsachen"]


def test_a_tenant_the_knowledge_service_never_learns_fails_the_demo() -> None:
    knowledge = Knowledge(set())
    with gateway_with(knowledge) as url, pytest.raises(KnowledgeRefused, match="404"):
        load_knowledge(Gateway(url, KEY, patience=0.5), host_tenant=HOST)


def test_a_refused_sample_names_what_was_refused(tmp_path: Path) -> None:
    sample = tmp_path / "knowledge.json"
    sample.write_text(json.dumps({"descriptions": [{"content": {"name": "Fundsachen", "fees": "kostenlos"}}]}))
    with gateway_with(Knowledge({"oldenburg"})) as url, pytest.raises(KnowledgeRefused, match=r"POST .* 422"):
        load_knowledge(Gateway(url, KEY), host_tenant=HOST, sample=sample)
