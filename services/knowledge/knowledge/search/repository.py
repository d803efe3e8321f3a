"""All SQL of search: the entries and vocabulary kept as descriptions are published, and the queries on them.

Shared descriptions have one entry for every tenant. A tenant's supplement has an entry of its own that
holds only what the supplement says; a shared description is found for the tenant by the two together.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import text

from kit.db.database import TenantConnection, TenantSession


async def put_shared(session: TenantSession, description_id: uuid.UUID, document: str, *, online: bool) -> None:
    await session.execute(
        text(
            """
            INSERT INTO base_search_entries (description_id, document, online)
            VALUES (:id, CAST(:document AS tsvector), :online)
            ON CONFLICT (description_id) DO UPDATE SET document = excluded.document, online = excluded.online
            """
        ),
        {"id": description_id, "document": document, "online": online},
    )


async def put_own(
    session: TenantSession, description_id: uuid.UUID, document: str, *, online: bool, supplement: bool
) -> None:
    """The entry of the session's tenant's own description, or of its supplement of a shared one."""
    await session.execute(
        text(
            """
            INSERT INTO tenant_search_entries (tenant_id, description_id, supplement, document, online)
            VALUES (:tenant, :id, :supplement, CAST(:document AS tsvector), :online)
            ON CONFLICT (tenant_id, description_id) DO UPDATE
                SET document = excluded.document, online = excluded.online, supplement = excluded.supplement
            """
        ),
        {
            "tenant": session.tenant_id,
            "id": description_id,
            "supplement": supplement,
            "document": document,
            "online": online,
        },
    )


async def put_own_many(session: TenantSession, entries: Sequence[tuple[uuid.UUID, str, bool]]) -> None:
    """The entries (id, document, online) of many of the session's tenant's own descriptions, in one statement."""
    await session.execute(
        text(
            """
            INSERT INTO tenant_search_entries (tenant_id, description_id, supplement, document, online)
            SELECT :tenant, unnest(CAST(:ids AS uuid[])), false, unnest(CAST(:documents AS tsvector[])),
                   unnest(CAST(:online AS boolean[]))
            ON CONFLICT (tenant_id, description_id) DO UPDATE
                SET document = excluded.document, online = excluded.online, supplement = false
            """
        ),
        {
            "tenant": session.tenant_id,
            "ids": [entry[0] for entry in entries],
            "documents": [entry[1] for entry in entries],
            "online": [entry[2] for entry in entries],
        },
    )


async def drop_own_many(session: TenantSession, description_ids: Sequence[uuid.UUID]) -> None:
    await session.execute(
        text("DELETE FROM tenant_search_entries WHERE description_id = ANY(CAST(:ids AS uuid[]))"),
        {"ids": list(description_ids)},
    )


async def drop_shared(session: TenantSession, description_id: uuid.UUID) -> None:
    await session.execute(text("DELETE FROM base_search_entries WHERE description_id = :id"), {"id": description_id})


async def drop_own(session: TenantSession, description_id: uuid.UUID) -> None:
    await session.execute(text("DELETE FROM tenant_search_entries WHERE description_id = :id"), {"id": description_id})


async def add_shared_terms(session: TenantSession, terms: Mapping[str, int]) -> None:
    """Count the lexemes of newly indexed shared entries: for each, in how many entries it stands."""
    await session.execute(
        text(
            """
            INSERT INTO base_search_terms (term, documents)
            SELECT unnest(CAST(:terms AS text[])), unnest(CAST(:counts AS integer[]))
            ON CONFLICT (term) DO UPDATE SET documents = base_search_terms.documents + excluded.documents
            """
        ),
        {"terms": list(terms), "counts": list(terms.values())},
    )


async def add_own_terms(session: TenantSession, terms: Mapping[str, int]) -> None:
    """The same for the session's tenant's own entries."""
    await session.execute(
        text(
            """
            INSERT INTO tenant_search_terms (tenant_id, term, documents)
            SELECT :tenant, unnest(CAST(:terms AS text[])), unnest(CAST(:counts AS integer[]))
            ON CONFLICT (tenant_id, term) DO UPDATE SET documents = tenant_search_terms.documents + excluded.documents
            """
        ),
        {"tenant": session.tenant_id, "terms": list(terms), "counts": list(terms.values())},
    )


# The tenant's vocabulary: the shared one through its trigram index (``LIKE``), and its own (under row-level
# security) through B-trees: compounds a word begins in a range of the lexemes, those it ends in a range
# of the lexemes spelled backwards. Ranges are compared byte by byte (``COLLATE "C"``); U+10FFFF sorts
# after every character a lexeme can continue with. ``OFFSET 0`` keeps each range a subquery of its own:
# joined to the words, its bounds would be expressions of another table's columns, which row-level
# security does not let reach the index (``||`` is not leakproof).
_VOCABULARY = """
SELECT term, documents FROM base_search_terms WHERE term = ANY($1::text[])
UNION ALL
SELECT c.term, c.documents
FROM unnest($2::text[]) AS w(lexeme)
CROSS JOIN LATERAL (VALUES (w.lexeme || '%'), ('%' || w.lexeme)) AS p(pattern)
CROSS JOIN LATERAL (
    SELECT term, documents FROM base_search_terms WHERE term LIKE p.pattern ORDER BY documents DESC LIMIT $3
) c
UNION ALL (
    SELECT term, documents FROM tenant_search_terms WHERE term = ANY($1::text[])
    UNION
    SELECT t.term, t.documents
    FROM unnest($2::text[]) AS w(lexeme)
    CROSS JOIN LATERAL (
        SELECT term, documents FROM tenant_search_terms
        WHERE term COLLATE "C" >= w.lexeme AND term COLLATE "C" < w.lexeme || U&'\\+10FFFF'
        OFFSET 0
    ) t
    UNION
    SELECT t.term, t.documents
    FROM unnest($2::text[]) AS w(lexeme)
    CROSS JOIN LATERAL (
        SELECT term, documents FROM tenant_search_terms
        WHERE reversed COLLATE "C" >= reverse(w.lexeme) AND reversed COLLATE "C" < reverse(w.lexeme) || U&'\\+10FFFF'
        OFFSET 0
    ) t
)
"""


async def vocabulary(
    connection: TenantConnection, lexemes: Sequence[str], widened: Sequence[str], *, widest: int
) -> dict[str, int]:
    """The known lexemes among ``lexemes`` and those a ``widened`` lexeme begins or ends (of the shared ones,
    the ``widest`` most common each way), with the entries they stand in."""
    rows = await connection.fetch(_VOCABULARY, list(lexemes), list(widened), widest)
    found: dict[str, int] = {}
    for term, documents in rows:
        found[term] = found.get(term, 0) + documents
    return found


# Candidates for typos: the shared lexemes through the trigram index (``%``); the tenant's own through their
# trigrams, by equality. A lexeme at least ``$3`` alike shares at least ``$3`` of the word's trigrams. The
# word's trigrams are taken once (``OFFSET 0``): inlined, ``show_trgm`` ran again for every lexeme counted.
_SIMILAR = """
SELECT w.term AS lexeme, s.term, s.likeness
FROM unnest($1::text[]) AS w(term)
CROSS JOIN LATERAL (SELECT show_trgm(w.term) AS trigrams OFFSET 0) t
CROSS JOIN LATERAL (
    SELECT term, similarity(term, w.term) AS likeness FROM (
        SELECT term FROM base_search_terms WHERE term % w.term
        UNION
        SELECT g.term FROM tenant_search_term_trigrams g
        WHERE g.trigram = ANY(t.trigrams)
        GROUP BY g.term
        HAVING count(*) >= $3::real * cardinality(t.trigrams)
    ) candidates
    ORDER BY likeness DESC, term
    LIMIT $2
) s
WHERE s.likeness >= $3
ORDER BY w.term, s.likeness DESC, s.term
"""


async def similar(
    connection: TenantConnection, lexemes: Sequence[str], *, limit: int, least: float
) -> list[tuple[str, str, float]]:
    """For each lexeme, up to ``limit`` known lexemes at least ``least`` alike, best first, with their likeness."""
    rows = await connection.fetch(_SIMILAR, list(lexemes), limit, least)
    return [(row["lexeme"], row["term"], float(row["likeness"])) for row in rows]


@dataclass(frozen=True)
class Filters:
    layer: str | None = None
    office_id: uuid.UUID | None = None
    online: bool | None = None


# Weights of D (body), C (summaries), B (synonyms), A (name), as ts_rank takes them.
_WEIGHTS = "{0.1, 0.3, 0.7, 1.0}"
# A description that solved concerns at first contact for the tenant ranks higher, less and less so.
_USAGE_BOOST = 0.2

# The best $5 descriptions answering the query in one column of the entries (the summary or the
# whole document), those of the tenant's own found through its postings. ``gate`` is a condition that
# does not depend on the rows: where it is false, PostgreSQL reads none of them.
_BEST_IN_COLUMN = """
{name}_candidates AS (
    SELECT p.description_id
    FROM unnest($6::text[], $7::integer[]) AS w(lexeme, word)
    JOIN tenant_search_postings p ON p.lexeme = w.lexeme{in_summary}
    WHERE {gate}
    GROUP BY p.description_id
    HAVING bit_or(1 << w.word) & $8 = $8
),
{name}_hits AS (
    SELECT e.description_id, 'local' AS layer, e.{column} AS document, e.online
    FROM {name}_candidates c
    JOIN tenant_search_entries e ON e.description_id = c.description_id
    CROSS JOIN q
    WHERE NOT e.supplement AND e.{column} @@ q.q
    UNION ALL
    SELECT b.description_id, 'shared', b.{column}, b.online
    FROM base_search_entries b, q
    WHERE {gate} AND b.{column} @@ q.q
      AND NOT EXISTS (SELECT 1 FROM supplements s WHERE s.description_id = b.description_id)
    UNION ALL
    SELECT b.description_id, 'shared', b.{column} || s.{column}, b.online OR s.online
    FROM supplements s CROSS JOIN q
    JOIN base_search_entries b ON b.description_id = s.description_id
    WHERE {gate} AND (b.{column} || s.{column}) @@ q.q
),
{name} AS MATERIALIZED (
    SELECT h.description_id, h.layer,
           ts_rank('{weights}', h.document, q.q, 1)
               * (1 + {usage_boost} * ln(1 + coalesce(u.solved_at_first_contact, 0))) AS score
    FROM {name}_hits h CROSS JOIN q
    LEFT JOIN description_usage u ON u.description_id = h.description_id
    WHERE ($2::text IS NULL OR h.layer = $2::text)
      AND ($3::boolean IS NULL OR h.online = $3::boolean)
      AND ($4::uuid IS NULL OR h.description_id IN (
            SELECT r.description_id FROM responsibilities r WHERE r.office_id = $4::uuid))
    ORDER BY score DESC, h.description_id
    LIMIT $5
)"""
_ENOUGH_IN_SUMMARIES = "(SELECT count(*) FROM in_summaries) = $5"
_IN_SUMMARIES = _BEST_IN_COLUMN.format(
    name="in_summaries",
    column="summary",
    in_summary=" AND p.in_summary",
    gate="true",
    weights=_WEIGHTS,
    usage_boost=_USAGE_BOOST,
)
_IN_DOCUMENTS = _BEST_IN_COLUMN.format(
    name="in_documents",
    column="document",
    in_summary="",
    gate=f"NOT {_ENOUGH_IN_SUMMARIES}",
    weights=_WEIGHTS,
    usage_boost=_USAGE_BOOST,
)
# Summaries first (name, synonyms, teaser); the whole text only when they answer too little. A common word
# stands in thousands of texts, and ranking them all costs more than the rest of a search, while those
# with it in their name, synonyms or teaser rank first anyway.
_FIND = f"""
WITH q AS (SELECT $1::tsquery AS q),
supplements AS MATERIALIZED (
    SELECT description_id, summary, document, online FROM tenant_search_entries WHERE supplement
),
{_IN_SUMMARIES},
{_IN_DOCUMENTS},
ranked AS (
    SELECT * FROM in_summaries WHERE {_ENOUGH_IN_SUMMARIES}
    UNION ALL
    SELECT * FROM in_documents
)
SELECT r.description_id AS id, r.layer, r.score,
       coalesce(b.leika_key, d.leika_key) AS leika_key,
       coalesce(b.published_content, d.published_content) AS content,
       s.published_content AS supplement
FROM ranked r
LEFT JOIN base_descriptions b ON r.layer = 'shared' AND b.id = r.description_id
LEFT JOIN tenant_descriptions s ON r.layer = 'shared' AND s.base_id = r.description_id
LEFT JOIN tenant_descriptions d ON r.layer = 'local' AND d.id = r.description_id
ORDER BY r.score DESC, r.description_id
"""


@dataclass(frozen=True)
class Query:
    """A ``tsquery``; lexemes by the number of their word, and the words a description must hold (bits by
    number) to be tested against it: the tenant's own entries are found through these."""

    text: str
    lexemes: Sequence[tuple[str, int]]
    required_words: int


async def find(connection: TenantConnection, query: Query, filters: Filters, *, limit: int) -> list[dict[str, Any]]:
    """The best ``limit`` descriptions the connection's tenant sees for ``query``, best first: id, layer, score,
    LeiKa key, and the published content with the tenant's published supplement of a shared one.

    In the names, synonyms and teasers if ``limit`` of them answer the query, else in the whole texts.
    """
    rows = await connection.fetch(
        _FIND,
        query.text,
        filters.layer,
        filters.online,
        filters.office_id,
        limit,
        [lexeme for lexeme, _ in query.lexemes],
        [word for _, word in query.lexemes],
        query.required_words,
    )
    return [{**row, "content": _json(row["content"]), "supplement": _json(row["supplement"])} for row in rows]


def _json(value: Any) -> Any:
    # The driver gives JSON as text unless a codec for it is set on the connection.
    return orjson.loads(value) if isinstance(value, str) else value


async def record_usage(
    session: TenantSession, description_ids: Sequence[uuid.UUID], *, solved_at_first_contact: bool
) -> None:
    """Count one contact about each description, and whether it was solved at first contact."""
    await session.execute(
        text(
            """
            INSERT INTO description_usage (tenant_id, description_id, contacts, solved_at_first_contact)
            SELECT :tenant, unnest(CAST(:ids AS uuid[])), 1, :solved
            ON CONFLICT (tenant_id, description_id) DO UPDATE SET
                contacts = description_usage.contacts + 1,
                solved_at_first_contact = description_usage.solved_at_first_contact + excluded.solved_at_first_contact
            """
        ),
        {"tenant": session.tenant_id, "ids": list(description_ids), "solved": int(solved_at_first_contact)},
    )
