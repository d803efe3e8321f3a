"""Agent search over 50,000 published descriptions of 20 municipalities, against one hand-written SQL query.

Data: a knowledge database migrated as deployed, 20 known tenants, 4 % of the descriptions shared (the
host's base), the rest the tenants' own in equal parts, plus a few hundred supplements of shared ones.
The texts are synthetic German: names from municipal service nouns, topics and verbs, a teaser, an
80–250-word full text, required documents, fees and synonyms. Head rows (published, version 1) and
versions are copied in as the superuser; the search entries and the vocabulary are made by the service's
own analyser, on every core, while earlier parts are copied in.

Measured, each (query, tenant) pair on all four in turn, the order rotating, one connection each:

- service: ``knowledge.search.service.search`` in this process, in ``Database.transaction(tenant)`` as the
  runtime role (row-level security applies), with the names and highlighted snippets it returns;
- baseline: one hand-written query on a plain table (no row-level security) of the same descriptions
  (supplements left out), ``to_tsvector('german', name || ' ' || body)`` stored in a column with a GIN
  index on (tenant, document), the shared rows under the empty tenant: the tenant's rows and the shared
  ones, ``websearch_to_tsquery('german', q)``, ``ts_rank`` order (as the service ranks), ``LIMIT 10``, on a
  plain asyncpg connection;
- http: ``GET /v1/tenants/{t}/knowledge/search?q=…`` of ``python -m kit.serve knowledge.app:create_app`` with
  a gateway-signed internal token (aiohttp, keep-alive);
- gateway: the same through ``python -m gateway`` with an API key per tenant (scope ``knowledge:read``).

Targets: service and http p95 ≤ 25 ms; service p95 ≤ 2 × baseline p95 (both are one call from this
process). The gateway and the hit counts are reported, not judged.

    .venv/bin/python bench/bench_knowledge_search.py [--quick] [--descriptions N] [--passes P]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp
import asyncpg
import uvloop

from bench.bench_tenant_read import Server, start_server
from bench.common import (
    BENCH_PASSWORD,
    PYTHON,
    ROOT,
    BenchDatabase,
    bench_servers,
    percentile,
    print_header,
    print_table,
    stop_process,
    verdict,
    wait_for_http,
)
from kit.db.database import Database
from kit.db.provision import ServiceDatabase, provision
from kit.identity import Identity, InternalTokenSigner, generate_signing_key, jwks, private_key_pem
from kit.local.postgres import free_port
from kit.migrations import upgrade
from knowledge.migrate import MIGRATIONS as KNOWLEDGE_MIGRATIONS
from knowledge.search import analysis
from knowledge.search import service as search_service
from knowledge.search.repository import Filters

P95_TARGET_MS = 25.0
RATIO_TARGET = 2.0
TENANT_COUNT = 20
DESCRIPTIONS = 50_000
QUICK_DESCRIPTIONS = 5_000
SHARED_SHARE = 0.04
SUPPLEMENT_SHARE = 0.006
LIMIT = 10
KEY_ID = "bench"
POSTGRES_SETTINGS = {"shared_buffers": "512MB"}
SEED = 20261123


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


SERVICE_NOUNS = _words(
    "Antrag Bescheinigung Genehmigung Anmeldung Abmeldung Ummeldung Ausweis Gebühr Steuer Zulassung Erlaubnis "
    "Zuschuss Förderung Beihilfe Auskunft Beglaubigung Bestätigung Urkunde Nachweis Registrierung Befreiung "
    "Ermäßigung Verlängerung Eintragung Löschung Beratung Prüfung Bescheid Karte Ausnahmegenehmigung Erstattung"
)
# (modifier in compounds, the topic as a word of its own)
TOPICS = (
    ("Hunde", "Hund"), ("Gewerbe", "Gewerbe"), ("Wohnsitz", "Wohnsitz"), ("Melde", "Meldedaten"),
    ("Fahrzeug", "Fahrzeug"), ("Kfz", "Kfz"), ("Führerschein", "Führerschein"), ("Bau", "Bauvorhaben"),
    ("Abriss", "Abriss"), ("Wohngeld", "Wohngeld"), ("Kinder", "Kind"), ("Elterngeld", "Elterngeld"),
    ("Kita", "Kita"), ("Schul", "Schule"), ("Geburts", "Geburt"), ("Sterbe", "Sterbefall"),
    ("Ehe", "Eheschließung"), ("Namens", "Namensänderung"), ("Einbürgerungs", "Einbürgerung"),
    ("Aufenthalts", "Aufenthalt"), ("Waffen", "Waffe"), ("Jagd", "Jagd"), ("Fischerei", "Fischerei"),
    ("Gaststätten", "Gaststätte"), ("Markt", "Wochenmarkt"), ("Veranstaltungs", "Veranstaltung"),
    ("Sperrzeit", "Sperrzeit"), ("Lärmschutz", "Lärm"), ("Abfall", "Abfall"), ("Sperrmüll", "Sperrmüll"),
    ("Biotonnen", "Biotonne"), ("Wasser", "Trinkwasser"), ("Abwasser", "Abwasser"), ("Grab", "Grabstätte"),
    ("Bestattungs", "Bestattung"), ("Friedhofs", "Friedhof"), ("Park", "Parken"), ("Anwohnerpark", "Anwohner"),
    ("Halteverbots", "Halteverbot"), ("Sondernutzungs", "Sondernutzung"), ("Straßen", "Straße"),
    ("Baum", "Baumfällung"), ("Denkmal", "Denkmalschutz"), ("Brandschutz", "Feuerwehr"),
    ("Rundfunk", "Rundfunkbeitrag"), ("Zweitwohnungs", "Zweitwohnung"), ("Vergnügungs", "Spielhalle"),
    ("Grundstücks", "Grundstück"), ("Schwerbehinderten", "Schwerbehinderung"), ("Pflege", "Pflegegrad"),
    ("Unterhalts", "Unterhaltsvorschuss"), ("Fund", "Fundsache"), ("Wahl", "Briefwahl"),
    ("Personalausweis", "Personalausweis"), ("Reisepass", "Reisepass"), ("Kinderreisepass", "Kinderreisepass"),
)  # fmt: skip
VERBS = _words(
    "anmelden abmelden ummelden beantragen verlängern ändern ausstellen beglaubigen genehmigen zulassen erstatten "
    "zahlen kündigen melden umtauschen ersetzen bestellen widersprechen"
)
AUDIENCES = _words("Unternehmen Minderjährige Senioren Studierende Vereine Privatpersonen Gewerbetreibende Eigentümer")
# Words of callers for some topics (several of them are in the service's thesaurus).
COLLOQUIAL = {
    "Personalausweis": ["Perso"], "Kfz": ["Auto ummelden", "Nummernschild"], "Führerschein": ["Fahrerlaubnis"],
    "Abfall": ["Müll"], "Sperrmüll": ["Müllabfuhr"], "Ehe": ["Hochzeit", "Heiraten"], "Wohnsitz": ["Umzug"],
    "Park": ["Knöllchen", "Strafzettel"], "Kita": ["Kindergarten"], "Geburts": ["Baby"],
}  # fmt: skip
GENERAL = _words(
    "die der das und oder Sie Ihr Ihre ist sind wird werden kann können muss müssen bei mit für von zu zum zur "
    "im in an auf aus nach über unter vor ohne gegen bis durch sowie auch nicht nur noch bereits jedoch wenn dass "
    "sofern soweit damit hierzu hierfür dafür dabei Antragsteller Antragstellerin Behörde Verwaltung Stadt Gemeinde "
    "Landkreis Bürgerbüro Rathaus Sachbearbeitung Fachbereich Abteilung Amt Dienststelle Unterlagen Nachweise "
    "Formular Vordruck Original Kopie Abschrift Frist Fristen Woche Wochen Monat Monate Jahr Jahre Tage Termin "
    "Termine Sprechzeiten Öffnungszeiten Zahlung Überweisung Bargeld Kartenzahlung Konto Kosten Betrag Euro "
    "Entscheidung Bearbeitung Bearbeitungszeit Rückfragen Auskünfte Voraussetzung Voraussetzungen Verfahren Ablauf "
    "Vollmacht Bevollmächtigte Vertretung Person Personen Familie Kinder Eltern Ehegatten Wohnung Haushalt "
    "Einkommen Lichtbild Unterschrift Daten Angaben Änderungen Mitteilung Schreiben Rechtsgrundlage Gesetz "
    "Verordnung Satzung Paragraph Absatz Ausnahme Ausnahmen Regelfall Einzelfall Gültigkeit Dauer Zeitraum Beginn "
    "Ende Zustellung Post Telefon Internet Portal Onlinedienst Servicekonto Identifikation Ausweisfunktion "
    "elektronisch digital schriftlich persönlich mündlich formlos rechtzeitig vollständig unverzüglich erforderlich "
    "notwendig zuständig möglich gebührenfrei gebührenpflichtig kostenlos neu alt gültig ungültig abgelaufen "
    "verloren gestohlen beschädigt volljährig minderjährig ausländisch deutsch einreichen vorlegen mitbringen "
    "ausfüllen unterschreiben entrichten erhalten prüfen bearbeiten entscheiden vereinbaren buchen abholen "
    "zusenden hochladen nachreichen beachten benötigen erforderlichen gelten gilt erfolgt erfolgen richtet"
)
PLACE_PARTS = (
    _words("Ober Unter Neu Alt Groß Klein Nieder Hohen"),
    _words("brück wald berg feld holz hagen linden eich buch wiesen stein bach moor heide rosen"),
    _words("dorf hausen heim feld ingen stedt burg rode kamp"),
)
STREETS = _words("straße weg allee ring platz")

# What agents type: common and rare words, two and three words, compounds, callers' words, typos, spellings.
QUERIES = (
    "Antrag", "Bescheinigung", "Anmeldung", "Gebühr", "Formular",
    "Fischereierlaubnis", "Halteverbot", "Grabstätte", "Zweitwohnungsteuer", "Spielhalle",
    "Hund anmelden", "Gewerbe anmelden", "Wohngeld beantragen", "Personalausweis verlängern",
    "Führerschein umtauschen", "Sperrmüll Termin", "Geburtsurkunde bestellen", "Kita Platz",
    "Baugenehmigung Unterlagen", "Anwohner Parkausweis",
    "Antrag auf Wohngeld", "neuen Reisepass beantragen", "Gebühr für Hundesteuer", "Umzug Wohnsitz melden",
    "Bescheinigung über Meldedaten",
    "Hundesteueranmeldung", "Gewerbeanmeldung", "Meldebescheinigung", "Anwohnerparkausweis", "Ausnahmegenehmigung",
    "Perso verloren", "Knöllchen bezahlen", "Müll abholen", "Hochzeit anmelden", "Auto ummelden",
    "Hundestuer", "Gewerbanmeldung", "Bescheinigumg", "Persnalausweis", "Wohngelt",
    "Fuehrerschein", "Gebuehren", "Strassenreinigung",
)  # fmt: skip

# The shared rows are under the empty tenant, so that one GIN index on (tenant, document) serves both halves.
BASELINE_TABLE = """
CREATE TABLE baseline_search (
    tenant_id text NOT NULL,
    id uuid PRIMARY KEY,
    name text NOT NULL,
    body text NOT NULL,
    document tsvector GENERATED ALWAYS AS (to_tsvector('german', name || ' ' || body)) STORED
)
"""
BASELINE_COLUMNS = ("tenant_id", "id", "name", "body")
BASELINE_INDEX = "CREATE INDEX ix_baseline_search_document ON baseline_search USING gin (tenant_id, document)"
BASELINE_QUERY = """
SELECT id, name, ts_rank(document, q) AS rank
FROM baseline_search, websearch_to_tsquery('german', $2) AS q
WHERE document @@ q AND (tenant_id = $1 OR tenant_id = '')
ORDER BY rank DESC
LIMIT 10
"""


@dataclass(frozen=True)
class Description:
    """One published description: shared (no tenant), a tenant's own, or a tenant's supplement of a shared one."""

    id: uuid.UUID
    tenant: str | None
    content: dict[str, Any]
    base_id: uuid.UUID | None = None
    leika_key: str | None = None


@dataclass
class Samples:
    """What one way of searching measured: latencies in ms, and per query whether it ever found anything."""

    ms: list[float] = field(default_factory=list)
    by_query: dict[str, list[float]] = field(default_factory=dict)
    found: dict[str, bool] = field(default_factory=dict)

    def add(self, query: str, ms: float, hits: int) -> None:
        self.ms.append(ms)
        self.by_query.setdefault(query, []).append(ms)
        self.found[query] = self.found.get(query, False) or hits > 0


Search = Callable[[str, str], Awaitable[list[str]]]
# A search entry: the tsvector literal, whether there is an online service, the lexemes for the vocabulary.
Entry = tuple[str, bool, list[str]]


def tenant_ids() -> list[str]:
    return [f"gemeinde-{n:02d}" for n in range(TENANT_COUNT)]


def sizes(total: int) -> tuple[int, int, int]:
    """Shared descriptions, own descriptions per tenant, supplements per tenant."""
    shared = round(total * SHARED_SHARE)
    return shared, (total - shared) // TENANT_COUNT, max(1, round(total * SUPPLEMENT_SHARE / TENANT_COUNT))


def _sentences(rng: random.Random, words: int, topical: Sequence[str]) -> str:
    # About one word in seven is about the description's topic, the rest is the language of administration.
    share = 0.15 * len(GENERAL) / (0.85 * len(topical))
    picked = rng.choices([*GENERAL, *topical], weights=[1.0] * len(GENERAL) + [share] * len(topical), k=words)
    out: list[str] = []
    while picked:
        length = rng.randint(7, 15)
        sentence, picked = picked[:length], picked[length:]
        out.append(" ".join([sentence[0][:1].upper() + sentence[0][1:], *sentence[1:]]) + ".")
    return " ".join(out)


def _content(rng: random.Random, places: Sequence[str], *, shared: bool) -> dict[str, Any]:
    modifier, topic = rng.choice(TOPICS)
    noun = rng.choice(SERVICE_NOUNS)
    compound = modifier + noun.lower()
    verb = rng.choice(VERBS)
    name = rng.choice(
        (compound, f"{topic} {verb}", f"{noun} für {topic}", f"{compound} für {rng.choice(AUDIENCES)}",
         f"{compound} {verb}")
    )  # fmt: skip
    related = [modifier + other.lower() for other in rng.sample(SERVICE_NOUNS, 4)]
    topical = [topic, noun, compound, verb, *related, *places]
    synonyms = rng.sample(related, rng.randint(0, 2)) + COLLOQUIAL.get(modifier, [])[: rng.randint(0, 2)]
    content: dict[str, Any] = {
        "name": name,
        "modules": {
            "teaser": f"Hier erfahren Sie, wie Sie {topic} {verb} und was Sie für {compound} benötigen.",
            "full_text": _sentences(rng, rng.randint(80, 250), topical),
            "required_documents": _sentences(rng, rng.randint(10, 30), topical),
        },
        "fees": [{"label": f"Gebühr für {compound}", "amount_eur": f"{rng.randint(0, 120)}.00"}],
        "source": "FIM Stammtext" if shared else "Redaktion der Gemeinde",
    }
    if synonyms:
        content["synonyms"] = synonyms
    if rng.random() < 0.3:
        content["online_service_url"] = f"https://portal.example.de/{uuid.UUID(int=rng.getrandbits(128))}"
    return content


def _supplement(rng: random.Random, places: Sequence[str]) -> dict[str, Any]:
    modifier, topic = rng.choice(TOPICS)
    return {
        "modules": {"notes": _sentences(rng, rng.randint(20, 60), [topic, *places])},
        "synonyms": [f"{modifier}{rng.choice(SERVICE_NOUNS).lower()} {rng.choice(places)}"],
    }


def shared_id(number: int) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"https://bench.zentrale.invalid/shared/{number}")


def _places(rng: random.Random) -> list[str]:
    towns = {rng.choice(PLACE_PARTS[0]) + rng.choice(PLACE_PARTS[1]) + rng.choice(PLACE_PARTS[2]) for _ in range(30)}
    streets = {rng.choice(PLACE_PARTS[1]).title() + rng.choice(STREETS) for _ in range(20)}
    return sorted(towns | streets)


def part(number: int, total: int) -> list[tuple[Description, Entry]]:
    """Part 0: the shared descriptions; part n: the n-th tenant's own ones and supplements; each with its entry.

    The same for the same arguments, in whichever process it is made.
    """
    rng = random.Random(f"{SEED}:{number}")
    shared_count, own_count, supplement_count = sizes(total)
    places = _places(rng)
    if number == 0:
        made = [
            Description(shared_id(n), None, _content(rng, places, shared=True), leika_key=f"99{n:012d}")
            for n in range(shared_count)
        ]
    else:
        tenant = tenant_ids()[number - 1]
        made = [Description(_new_id(rng), tenant, _content(rng, places, shared=False)) for _ in range(own_count)]
        made += [
            Description(_new_id(rng), tenant, _supplement(rng, places), base_id=shared_id(n))
            for n in rng.sample(range(shared_count), min(supplement_count, shared_count))
        ]
    return [(description, entry(description.content)) for description in made]


def _new_id(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128))


def entry(content: dict[str, Any]) -> Entry:
    """The search entry the service writes when it publishes ``content``: document, online, vocabulary."""
    document = analysis.document(analysis.weighted_fields(content))
    return document, "online_service_url" in content, analysis.vocabulary(document)


def database_url(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, ""))


def knowledge_database(admin_url: str) -> BenchDatabase:
    """Provision the knowledge service's database with owner and runtime roles and migrate it as the owner."""
    spec = ServiceDatabase.for_service("knowledge", password=BENCH_PASSWORD)
    asyncio.run(provision(admin_url, spec))
    upgrade(KNOWLEDGE_MIGRATIONS, spec.owner_url(admin_url), runtime_role=spec.runtime)
    return BenchDatabase(spec=spec, runtime_url=spec.runtime_url(admin_url), owner_url=spec.owner_url(admin_url))


_GIN_INDEXES = (
    "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND indexdef LIKE '% USING gin %'"
)


_STAGING = """
CREATE TEMP TABLE staged_entries (
    tenant_id text, description_id uuid, supplement boolean, document text, online boolean
) ON COMMIT DROP
"""


async def seed(url: str, parts: Sequence[Future[list[tuple[Description, Entry]]]]) -> tuple[int, int]:
    """Copy each part in as soon as it is made, as the superuser; then analyse. The vocabularies' sizes.

    Heads, versions, search entries and vocabulary go in on one connection, the baseline table on another.
    """
    conn = await asyncpg.connect(url)
    baseline = await asyncpg.connect(url)
    try:
        await baseline.execute(BASELINE_TABLE)
        async with conn.transaction():
            # A GIN index is built faster at once than row by row: dropped for the copy, made again as it was.
            gin = await conn.fetch(_GIN_INDEXES)
            for index in gin:
                await conn.execute(f'DROP INDEX "{index["indexname"]}"')
            await conn.execute(_STAGING)
            await conn.executemany(
                "INSERT INTO known_tenants (tenant_id, name, created_at) VALUES ($1, $2, now())",
                [(tenant, f"Gemeinde {tenant[-2:]}") for tenant in tenant_ids()],
            )
            # The shared part comes first: supplements refer to it.
            for made in parts:
                indexed = await asyncio.wrap_future(made)
                rows = [
                    (d.tenant or "", d.id, d.content["name"], _body(d.content)) for d, _ in indexed if not d.base_id
                ]
                await asyncio.gather(
                    _copy_part(conn, indexed),
                    baseline.copy_records_to_table("baseline_search", records=rows, columns=BASELINE_COLUMNS),
                )
            await baseline.execute("SET maintenance_work_mem = '256MB'")
            await conn.execute("SET LOCAL maintenance_work_mem = '256MB'")
            await asyncio.gather(_execute(conn, [index["indexdef"] for index in gin]), baseline.execute(BASELINE_INDEX))
        await conn.execute("VACUUM ANALYZE")
        counts = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM base_search_terms), (SELECT count(*) FROM tenant_search_terms)"
        )
        assert counts is not None
        return counts[0], counts[1]
    finally:
        await baseline.close()
        await conn.close()


async def _execute(conn: asyncpg.Connection, statements: Sequence[str]) -> None:
    for statement in statements:
        await conn.execute(statement)


def _body(content: dict[str, Any]) -> str:
    texts = [*content.get("synonyms", []), *content.get("modules", {}).values()]
    return " ".join([*texts, *(fee["label"] for fee in content.get("fees", []))])


async def _copy_part(conn: asyncpg.Connection, indexed: Sequence[tuple[Description, Entry]]) -> None:
    """One part's heads and versions (published at version 1), its search entries and its vocabulary."""
    heads = ("content", "status", "version", "published_content", "published_version", "updated_by")
    versions = ("description_id", "version", "content", "status", "changed_by")
    texts = [(d, json.dumps(d.content)) for d, _ in indexed]
    shared = indexed[0][0].tenant is None
    if shared:
        await conn.copy_records_to_table(
            "base_descriptions",
            records=[(d.id, d.leika_key, t, "published", 1, t, 1, "bench") for d, t in texts],
            columns=("id", "leika_key", *heads),
        )
        await conn.copy_records_to_table(
            "base_description_versions",
            records=[(d.id, 1, t, "published", "bench") for d, t in texts],
            columns=versions,
        )
    else:
        await conn.copy_records_to_table(
            "tenant_descriptions",
            records=[(d.tenant, d.id, d.base_id, t, "published", 1, t, 1, "bench") for d, t in texts],
            columns=("tenant_id", "id", "base_id", *heads),
        )
        await conn.copy_records_to_table(
            "tenant_description_versions",
            records=[(d.tenant, d.id, 1, t, "published", "bench") for d, t in texts],
            columns=("tenant_id", *versions),
        )
    # A supplement's entry is keyed by the shared description's id, as the service keeps it. asyncpg copies
    # binary and has no binary codec for tsvector: the literals go through a text column.
    await conn.copy_records_to_table(
        "staged_entries",
        records=[(d.tenant, d.base_id or d.id, d.base_id is not None, e[0], e[1]) for d, e in indexed],
    )
    table = "base_search_entries" if shared else "tenant_search_entries"
    columns = (
        "description_id, document, online" if shared else "tenant_id, description_id, supplement, document, online"
    )
    await conn.execute(
        f"INSERT INTO {table} ({columns}) SELECT {columns.replace('document', 'CAST(document AS tsvector)')} "
        "FROM staged_entries; TRUNCATE staged_entries"
    )
    terms = sorted(Counter(term for _, (_, _, vocabulary) in indexed for term in vocabulary).items())
    if shared:
        await conn.copy_records_to_table("base_search_terms", records=terms, columns=("term", "documents"))
    else:
        tenant = indexed[0][0].tenant
        await conn.copy_records_to_table(
            "tenant_search_terms",
            records=[(tenant, term, count) for term, count in terms],
            columns=("tenant_id", "term", "documents"),
        )


def prepare(admin_url: str, total: int) -> tuple[BenchDatabase, str]:
    """Migrate; make and index the parts on every core while they are copied in. The database, its superuser URL."""
    started = time.perf_counter()
    database = knowledge_database(admin_url)
    superuser_url = database_url(admin_url, database.spec.database)
    # Forked: the workers import nothing anew, and nothing runs in this process yet but the main thread.
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1, mp_context=get_context("fork")) as pool:
        parts = [pool.submit(part, number, total) for number in range(TENANT_COUNT + 1)]
        shared_terms, tenant_terms = asyncio.run(seed(superuser_url, parts))
    shared_count, own_count, supplement_count = sizes(total)
    print(
        f"   data: {shared_count:,} shared + {TENANT_COUNT} × {own_count:,} own descriptions "
        f"= {shared_count + TENANT_COUNT * own_count:,}, and {TENANT_COUNT} × {supplement_count} supplements; "
        f"vocabulary {shared_terms:,} shared + {tenant_terms // TENANT_COUNT:,} per tenant lexemes; "
        f"seeded in {time.perf_counter() - started:.0f} s"
    )
    return database, superuser_url


@dataclass(frozen=True)
class Endpoints:
    """Where the processes under test answer, and how each tenant's agent authenticates at each."""

    service_url: str
    gateway_url: str
    tokens: dict[str, str]
    api_keys: dict[str, str]


async def run_passes(
    runtime_url: str, superuser_url: str, endpoints: Endpoints, passes: int
) -> tuple[dict[str, Samples], int]:
    """A warm-up pass, then ``passes`` passes over every query, each for a random tenant, on all four in turn.

    Also counts the (query, tenant) pairs for which the service, its HTTP API and the gateway disagree.
    """
    database = Database(runtime_url, pool_size=1)
    conn = await asyncpg.connect(superuser_url)
    statement = await conn.prepare(BASELINE_QUERY)
    direct = aiohttp.ClientSession(endpoints.service_url)
    gateway = aiohttp.ClientSession(endpoints.gateway_url)

    async def service(tenant: str, text: str) -> list[str]:
        async with database.lean_transaction(tenant, first=search_service.PLANNED_ONCE) as connection:
            result = await search_service.search(connection, text, Filters(), limit=LIMIT)
        return [str(hit.id) for hit in result.items]

    async def baseline(tenant: str, text: str) -> list[str]:
        return [str(row["id"]) for row in await statement.fetch(tenant, text)]

    def over_http(client: aiohttp.ClientSession, headers: Callable[[str], dict[str, str]]) -> Search:
        async def search(tenant: str, text: str) -> list[str]:
            path = f"/v1/tenants/{tenant}/knowledge/search"
            async with client.get(path, params={"q": text, "limit": str(LIMIT)}, headers=headers(tenant)) as answer:
                if answer.status != 200:
                    raise RuntimeError(f"{path}?q={text}: {answer.status} {await answer.text()}")
                body = await answer.json()
            return [item["id"] for item in body["items"]]

        return search

    targets: dict[str, Search] = {
        "service": service,
        "baseline": baseline,
        "http": over_http(direct, lambda t: {"Authorization": f"Bearer {endpoints.tokens[t]}"}),
        "gateway": over_http(gateway, lambda t: {"X-API-Key": endpoints.api_keys[t]}),
    }
    samples = {label: Samples() for label in targets}
    rng = random.Random(7)
    mismatches = 0
    try:
        for number in range(passes + 1):
            plan = [(text, rng.choice(tenant_ids())) for text in QUERIES]
            rng.shuffle(plan)
            for index, (text, tenant) in enumerate(plan):
                labels = list(targets)
                labels = labels[index % len(labels) :] + labels[: index % len(labels)]
                found: dict[str, list[str]] = {}
                for label in labels:
                    started = time.perf_counter()
                    found[label] = await targets[label](tenant, text)
                    if number > 0:
                        samples[label].add(text, (time.perf_counter() - started) * 1000, len(found[label]))
                mismatches += not found["service"] == found["http"] == found["gateway"]
    finally:
        await direct.close()
        await gateway.close()
        await conn.close()
        await database.dispose()
    return samples, mismatches


def start_gateway(workdir: Path, env: dict[str, str], probe: tuple[str, dict[str, str]]) -> Server:
    """Start ``python -m gateway`` and wait until ``probe`` answers through it."""
    url = f"http://127.0.0.1:{env['GATEWAY_PORT']}"
    log = open(workdir / "gateway.log", "wb")  # noqa: SIM115 - the gateway writes it until it ends
    process = subprocess.Popen(
        [PYTHON, "-m", "gateway"], cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        wait_for_http(url + probe[0], process, headers=probe[1])
    except (RuntimeError, TimeoutError) as error:
        stop_process(process)
        tail = (workdir / "gateway.log").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"the gateway did not answer: {error}\n{tail}") from None
    except BaseException:
        stop_process(process)
        raise
    return Server("gateway", process, url)


def measure(database: BenchDatabase, superuser_url: str, nats_url: str, workdir: Path, passes: int) -> int:
    """Start the service and the gateway, run the passes; print the tables and the verdict."""
    key = generate_signing_key()
    (workdir / "signing.pem").write_bytes(private_key_pem(key))
    signer = InternalTokenSigner(key, kid=KEY_ID, ttl_seconds=3600)
    tenants = tenant_ids()
    tokens = {t: signer.sign(Identity(subject=f"desk-{t}", tenant_id=t, roles=frozenset({"agent"}))) for t in tenants}
    api_keys = {t: f"bench-agent-{t}-Hq7Lw2Xe9R" for t in tenants}
    grants = {
        k: {"subject": f"desk-{t}", "tenant": t, "roles": ["agent"], "scopes": ["knowledge:read"], "kind": "client"}
        for t, k in api_keys.items()
    }
    (workdir / "api-keys.json").write_text(json.dumps(grants))
    env = {
        "ZENTRALE_ENV": "development",
        "LOG_LEVEL": "WARNING",
        "NATS_URL": nats_url,
        "ZENTRALE_INTERNAL_PUBLIC_KEYS": json.dumps(jwks({KEY_ID: key.public_key()})),
    }
    probe = f"/v1/tenants/{tenants[0]}/knowledge/search?q=Antrag"
    servers: list[Server] = []
    try:
        service_env = {**env, "KNOWLEDGE_DATABASE_URL": database.runtime_url, "KNOWLEDGE_DB_POOL_SIZE": "4"}
        auth = {"Authorization": f"Bearer {tokens[tenants[0]]}"}
        servers.append(
            start_server(
                "knowledge service", "knowledge.app:create_app", service_env, workdir, (probe, auth), as_deployed=True
            )
        )
        gateway_env = {
            **env,
            "GATEWAY_PORT": str(free_port()),
            "GATEWAY_SIGNING_KEY": str(workdir / "signing.pem"),
            "GATEWAY_SIGNING_KEY_ID": KEY_ID,
            "GATEWAY_API_KEYS": str(workdir / "api-keys.json"),
            "GATEWAY_KNOWLEDGE_URL": servers[0].url,
            # No tenants service runs: the static keys need none, and loading partners' grants may fail.
            "GATEWAY_TENANTS_URL": f"http://127.0.0.1:{free_port()}",
            "GATEWAY_RATE_LIMIT_CLIENT": "1000000000",
            "GATEWAY_RATE_LIMIT_TENANT": "1000000000",
        }
        servers.append(start_gateway(workdir, gateway_env, (probe, {"X-API-Key": api_keys[tenants[0]]})))
        endpoints = Endpoints(servers[0].url, servers[1].url, tokens, api_keys)
        print(f"   {len(QUERIES)} queries × {passes} passes (after one warm-up pass), a random tenant each time")
        samples, mismatches = uvloop.run(run_passes(database.runtime_url, superuser_url, endpoints, passes))
    finally:
        for server in reversed(servers):
            stop_process(server.process)
    return report(samples, mismatches)


LABELS = {
    "service": "service: search() in-process, runtime role + RLS",
    "baseline": "baseline: one hand-written FTS query, plain table",
    "http": "http: knowledge service GET …/knowledge/search",
    "gateway": "gateway: the same through python -m gateway",
}


def report(samples: dict[str, Samples], mismatches: int) -> int:
    """Print the latency table, the slowest queries, the hit counts and the verdict."""
    rows = [
        [
            LABELS[label],
            percentile(s.ms, 50),
            percentile(s.ms, 95),
            percentile(s.ms, 99),
            len(s.ms),
            f"{sum(s.found.values())}/{len(QUERIES)}",
        ]
        for label, s in samples.items()
    ]
    print_table(["path", "p50 ms", "p95 ms", "p99 ms", "requests", "queries with hits"], rows)
    p95 = {label: percentile(s.ms, 95) for label, s in samples.items()}
    ratio = p95["service"] / p95["baseline"]
    print(
        f"   service p95 / baseline p95 = {ratio:.2f}; http p95 / baseline p95 = {p95['http'] / p95['baseline']:.2f}; "
        f"gateway p95 − http p95 = {p95['gateway'] - p95['http']:.2f} ms"
    )
    print("   queries with hits: those that found at least one description (not judged)")
    for label in ("service", "baseline"):
        missing = [text for text in QUERIES if not samples[label].found.get(text)]
        print(f"   {label} found nothing for: {', '.join(missing) or '-'}")
    if mismatches:
        print(f"   {mismatches} (query, tenant) pairs answered differently by search(), the HTTP API and the gateway")

    def med(label: str, text: str) -> float:
        return percentile(samples[label].by_query[text], 50)

    slowest = sorted(QUERIES, key=lambda text: med("service", text), reverse=True)[:8]
    print("   slowest queries (median over the passes):")
    print_table(
        ["query", "service ms", "baseline ms", "http ms"],
        [[text, med("service", text), med("baseline", text), med("http", text)] for text in slowest],
    )
    passed = p95["service"] <= P95_TARGET_MS and p95["http"] <= P95_TARGET_MS and ratio <= RATIO_TARGET
    return verdict(
        passed and mismatches == 0,
        f"agent search p95 {p95['service']:.1f} ms in-process, {p95['http']:.1f} ms at the HTTP service "
        f"(target ≤ {P95_TARGET_MS:.0f}), {ratio:.2f} × the hand-written query's p95 {p95['baseline']:.1f} ms "
        f"(target ≤ {RATIO_TARGET}); through the gateway {p95['gateway']:.1f} ms",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Seed the knowledge database, measure agent search four ways and print the verdict."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_DESCRIPTIONS:,} descriptions, fewer passes")
    parser.add_argument("--descriptions", type=int, help=f"descriptions in all (default {DESCRIPTIONS:,})")
    parser.add_argument("--passes", type=int, help="measured passes over the queries (default 12, 3 with --quick)")
    args = parser.parse_args(argv)
    total = args.descriptions or (QUICK_DESCRIPTIONS if args.quick else DESCRIPTIONS)
    passes = args.passes or (3 if args.quick else 12)
    print_header(
        f"Agent search over {total:,} descriptions of {TENANT_COUNT} tenants",
        f"p95 ≤ {P95_TARGET_MS:.0f} ms in-process and at the HTTP service, and ≤ {RATIO_TARGET} × the p95 of one "
        "hand-written full-text query over the same data; through the gateway reported",
    )
    print(f"   PostgreSQL: {', '.join(f'{k}={v}' for k, v in POSTGRES_SETTINGS.items())}")
    with bench_servers("knowledge-search", postgres_settings=POSTGRES_SETTINGS) as servers:
        database, superuser_url = prepare(servers.admin_url, total)
        return measure(database, superuser_url, servers.nats_url, servers.workdir, passes)


if __name__ == "__main__":
    sys.exit(main())
