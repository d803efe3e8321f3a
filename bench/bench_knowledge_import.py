"""Importing a municipality's XZuFi 2.2 export through the knowledge API, against a plain bulk INSERT of its rows.

Ours: ``POST /v1/tenants/{tenant}/knowledge/imports`` on the knowledge app (in process, through an ASGI client)
with N synthetic German Leistungen and N/100 Organisationseinheiten responsible for them, as one XZuFi
transfer: parsing, validation, planning and the bulk writes of descriptions, their versions, offices and
responsibilities in one transaction. Measured into an empty tenant (everything created), then the same file
again (everything unchanged), then with every text changed (everything updated).
Baseline: the description and version rows that import wrote, inserted for another tenant with asyncpg's
``executemany`` in one transaction as the same runtime role: the least any import of these rows costs.

Target: 10,000 descriptions imported in at most 60 s. The ratio to the baseline is printed beside it.

    .venv/bin/python bench/bench_knowledge_import.py [--quick] [--descriptions N] [--rounds R]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg
import httpx

from bench.common import BENCH_PASSWORD, bench_servers, execute_as, median, print_header, print_table, verdict
from kit.db.provision import ServiceDatabase, provision
from kit.migrations import upgrade
from kit.testing.keys import SigningKeys
from knowledge.app import create_app
from knowledge.exchange.xzufi import parse_transfer
from knowledge.migrate import MIGRATIONS
from knowledge.settings import get_settings

TARGET_SECONDS = 60.0
TARGET_COUNT = 10_000
PER_OFFICE = 100
NAMESPACE = "http://xoev.de/schemata/xzufi/2_2_0"
OBJECTS = ("Personalausweis", "Gewerbe", "Hund", "Wohnsitz", "Sperrmüll", "Baugenehmigung", "Fischereischein")
ACTIONS = ("beantragen", "anmelden", "abmelden", "ummelden", "verlängern", "ersetzen")
_COPY_DESCRIPTIONS = """
INSERT INTO tenant_descriptions (tenant_id, id, external_id, leika_key, content, status, version,
                                 published_content, published_version, updated_by)
VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8::jsonb, $9, $10)
"""
_COPY_VERSIONS = """
INSERT INTO tenant_description_versions (tenant_id, description_id, version, content, status, changed_by)
VALUES ($1, $2, $3, $4::jsonb, $5, $6)
"""


@dataclass(frozen=True)
class Run:
    label: str
    seconds: float
    report: dict[str, object]


def _text(n: int, topic: str, sentences: int) -> str:
    """German filler about ``topic``, different for every ``n``, of roughly realistic length."""
    parts = [
        f"Für {topic} wenden Sie sich an das Bürgerbüro (Vorgang {n}).",
        "Bringen Sie Ihren gültigen Personalausweis und die erforderlichen Nachweise mit.",
        "Die Bearbeitung erfolgt in der Regel innerhalb weniger Wochen nach Eingang aller Unterlagen.",
        "Gebühren werden bei Antragstellung fällig; eine Zahlung mit Girocard ist möglich.",
        "Bei Fragen hilft Ihnen die Servicestelle telefonisch oder per E-Mail gern weiter.",
    ]
    return " ".join(parts[i % len(parts)] for i in range(sentences))


def leistung(n: int, *, revision: int) -> str:
    topic = f"{OBJECTS[n % len(OBJECTS)]} {ACTIONS[n % len(ACTIONS)]} {n:05d}"
    modules = {"02": topic, "03": topic, "05": _text(n, topic, 2), "06": _text(n + revision, topic, 6)}
    modules |= {"08": _text(n, topic, 3), "09": _text(n, topic, 2), "11": _text(n, topic, 4), "22": "Bürgerbüro"}
    texts = "".join(
        f'<x:modulText><x:inhalt languageCode="de">{text}</x:inhalt><x:leikaTextmodul><code>{code}</code>'
        "</x:leikaTextmodul></x:modulText>"
        for code, text in modules.items()
    )
    return (
        f"<x:schreibe><x:leistung><x:id>L{n:06d}</x:id><x:referenzLeiKa><code>99{n:012d}</code></x:referenzLeiKa>"
        f"{texts}<x:modulKosten><x:kosten><x:betrag>{10 + n % 90}.50</x:betrag>"
        '<x:beschreibung languageCode="de">Gebühr je Antrag</x:beschreibung></x:kosten></x:modulKosten>'
        "<x:modulFrist><x:frist><x:fristDauer><x:dauer>4</x:dauer><x:einheit><code>Wochen</code></x:einheit>"
        '</x:fristDauer><x:beschreibung languageCode="de">Antragsfrist</x:beschreibung></x:frist></x:modulFrist>'
        "<x:modulBegriffImKontext><x:begriffImKontext><x:begriff>"
        f"{OBJECTS[n % len(OBJECTS)]}</x:begriff></x:begriffImKontext></x:modulBegriffImKontext>"
        f"<x:modulUrsprungsportal><x:uri>https://www.example.de/leistung/{n}</x:uri><x:titel>Musterstadt</x:titel>"
        "</x:modulUrsprungsportal><x:modulFachlicheFreigabe><x:fachlichFreigegebenAm>2026-01-15"
        '</x:fachlichFreigegebenAm><x:fachlichFreigegebenDurch languageCode="de">Redaktion Musterstadt'
        "</x:fachlichFreigegebenDurch></x:modulFachlicheFreigabe></x:leistung></x:schreibe>"
    )


def organisationseinheit(k: int, leistungen: range) -> str:
    responsible = "".join(
        f"<x:zustaendigkeit><x:leistungID>L{n:06d}</x:leistungID></x:zustaendigkeit>" for n in leistungen
    )
    return (
        f"<x:schreibe><x:organisationseinheit><x:id>O{k:04d}</x:id><x:name><x:name>Fachdienst {k:04d}</x:name>"
        "</x:name><x:anschrift><x:typ><code>002</code></x:typ><x:strasse>Markt</x:strasse>"
        f"<x:hausnummer>{k}</x:hausnummer><x:postleitzahl>49610</x:postleitzahl><x:ort>Quakenbrück</x:ort></x:anschrift>"
        "<x:kommunikation><x:kanal><code>02</code></x:kanal><x:kennung>+49 5431 1820</x:kennung></x:kommunikation>"
        f"{responsible}</x:organisationseinheit></x:schreibe>"
    )


def transfer(count: int, *, revision: int = 0) -> bytes:
    """A transfer with ``count`` Leistungen and one Organisationseinheit per ``PER_OFFICE`` of them."""
    lines = [f'<?xml version="1.0" encoding="UTF-8"?>\n<x:transfer.operation.040102 xmlns:x="{NAMESPACE}">']
    lines += [leistung(n, revision=revision) for n in range(count)]
    lines += [
        organisationseinheit(k, range(k * PER_OFFICE, min(count, (k + 1) * PER_OFFICE)))
        for k in range((count + PER_OFFICE - 1) // PER_OFFICE)
    ]
    lines.append("</x:transfer.operation.040102>")
    return "\n".join(lines).encode()


def database_admin_url(admin_url: str, database: str) -> str:
    parts = urlsplit(admin_url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, ""))


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the app's settings, and restore them afterwards."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    get_settings.cache_clear()
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        get_settings.cache_clear()


async def import_once(client: httpx.AsyncClient, keys: SigningKeys, tenant: str, data: bytes, label: str) -> Run:
    headers = keys.headers_for(tenant, "knowledge_editor", subject="bench") | {"Content-Type": "application/xml"}
    started = time.perf_counter()
    answer = await client.post(f"/v1/tenants/{tenant}/knowledge/imports", content=data, headers=headers, timeout=600)
    seconds = time.perf_counter() - started
    if answer.status_code != 200:
        raise RuntimeError(f"{label}: {answer.status_code} {answer.text[:500]}")
    report: dict[str, object] = answer.json()
    return Run(label, seconds, report)


async def plain_insert(runtime_url: str, owner_tenant: str, tenant: str) -> float:
    """Insert the description and version rows ``owner_tenant``'s import wrote, for ``tenant``, with executemany."""
    conn = await asyncpg.connect(runtime_url)
    try:
        async with conn.transaction():
            await conn.execute("SELECT set_config('app.tenant_id', $1, true)", owner_tenant)
            heads = await conn.fetch(
                "SELECT id, external_id, leika_key, content::text AS content, version, updated_by "
                "FROM tenant_descriptions"
            )
        rows = [(tenant, r["id"], r["external_id"], r["leika_key"], r["content"], "published", r["version"],
                 r["content"], r["version"], r["updated_by"]) for r in heads]  # fmt: skip
        kept = [(tenant, r["id"], r["version"], r["content"], "published", r["updated_by"]) for r in heads]
        started = time.perf_counter()
        async with conn.transaction():
            await conn.execute("SELECT set_config('app.tenant_id', $1, true)", tenant)
            await conn.executemany(_COPY_DESCRIPTIONS, rows)
            await conn.executemany(_COPY_VERSIONS, kept)
        return time.perf_counter() - started
    finally:
        await conn.close()


async def measure(admin_url: str, nats_url: str, count: int, rounds: int) -> int:
    spec = ServiceDatabase.for_service("knowledge", password=BENCH_PASSWORD)
    await provision(admin_url, spec)
    await asyncio.to_thread(upgrade, MIGRATIONS, spec.owner_url(admin_url), runtime_role=spec.runtime)
    tenants = [f"bench-{kind}-{r}" for r in range(rounds) for kind in ("ours", "plain")]
    await execute_as(
        database_admin_url(admin_url, spec.database),
        *(f"INSERT INTO known_tenants (tenant_id, name, created_at) VALUES ('{t}', '{t}', now())" for t in tenants),
    )
    data, changed = transfer(count), transfer(count, revision=1)
    started = time.perf_counter()
    parsed = parse_transfer(data)
    parse_seconds = time.perf_counter() - started
    keys = SigningKeys.generate()
    settings = {
        "ZENTRALE_ENV": "test",
        "KNOWLEDGE_DATABASE_URL": spec.runtime_url(admin_url),
        "NATS_URL": nats_url,
        "ZENTRALE_INTERNAL_PUBLIC_KEYS": keys.jwks_json,
        "ZENTRALE_MAX_BODY_BYTES": str(len(data) * 2),
        "LOG_LEVEL": "WARNING",
    }
    results: dict[str, list[tuple[Run, float]]] = {}
    with environment(settings):
        app = create_app()
        transport = httpx.ASGITransport(app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://k") as client,
        ):
            for r in range(rounds):
                ours, plain = f"bench-ours-{r}", f"bench-plain-{r}"
                created = await import_once(client, keys, ours, data, "import into an empty tenant (all created)")
                baseline = await plain_insert(spec.runtime_url(admin_url), ours, plain)
                again = await import_once(client, keys, ours, data, "the same file again (all unchanged)")
                updated = await import_once(client, keys, ours, changed, "every text changed (all updated)")
                results.setdefault("plain executemany INSERT of the same rows", []).append(
                    (Run("plain", baseline, {}), 1.0)
                )
                for run in (created, again, updated):
                    results.setdefault(run.label, []).append((run, run.seconds / baseline))
    print(
        f"   {count:,} Leistungen, {len(parsed.organisationseinheiten):,} Organisationseinheiten, "
        f"{len(data) / 1e6:.1f} MB of XML; parsing alone {parse_seconds:.1f} s; {rounds} round(s), medians"
    )
    summary = {
        label: (median([run.seconds for run, _ in runs]), median([ratio for _, ratio in runs]))
        for label, runs in results.items()
    }
    print_table(["run", "seconds", "× baseline"], [[label, s, ratio] for label, (s, ratio) in summary.items()])
    print(f"   first import's report: {json.dumps(results[created.label][0][0].report)}")
    print(f"   second import's report: {json.dumps(results[again.label][0][0].report)}")
    worst = max(run.seconds for run, _ in results[created.label])
    scaled = worst * TARGET_COUNT / count
    return verdict(
        scaled <= TARGET_SECONDS,
        f"importing {count:,} descriptions took {worst:.1f} s at worst"
        + (f" (≈ {scaled:.1f} s for {TARGET_COUNT:,})" if count != TARGET_COUNT else "")
        + f" = {summary[created.label][1]:.1f} × a plain bulk INSERT (target ≤ {TARGET_SECONDS:.0f} s for "
        f"{TARGET_COUNT:,})",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Measure the XZuFi import against a plain bulk insert and print the verdict."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1,000 descriptions and one round, for a smoke run")
    parser.add_argument("--descriptions", type=int, help=f"descriptions per import (default {TARGET_COUNT:,})")
    parser.add_argument("--rounds", type=int, help="rounds (default 2, 1 with --quick)")
    args = parser.parse_args(argv)
    count = args.descriptions or (1000 if args.quick else TARGET_COUNT)
    rounds = args.rounds or (1 if args.quick else 2)
    print_header(
        "XZuFi import of a municipality's knowledge",
        f"{TARGET_COUNT:,} descriptions in ≤ {TARGET_SECONDS:.0f} s through the API; ratio to a plain bulk INSERT",
    )
    with bench_servers("knowledge-import") as servers:
        return asyncio.run(measure(servers.admin_url, servers.nats_url, count, rounds))


if __name__ == "__main__":
    sys.exit(main())
