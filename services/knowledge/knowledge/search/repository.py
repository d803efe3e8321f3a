"""All SQL of search: the entries and vocabulary kept as descriptions are published, and the queries on them.

Shared descriptions have one entry for every tenant. A tenant's supplement has an entry of its own that
holds only what the supplement says; a shared description is found for the tenant by the two together.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

from kit.db.database import TenantSession


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


async def add_shared_terms(session: TenantSession, terms: Sequence[str]) -> None:
    await session.execute(
        text("INSERT INTO base_search_terms (term) SELECT unnest(CAST(:terms AS text[])) ON CONFLICT DO NOTHING"),
        {"terms": list(terms)},
    )


async def add_own_terms(session: TenantSession, terms: Sequence[str]) -> None:
    await session.execute(
        text(
            """
            INSERT INTO tenant_search_terms (tenant_id, term)
            SELECT :tenant, unnest(CAST(:terms AS text[])) ON CONFLICT DO NOTHING
            """
        ),
        {"tenant": session.tenant_id, "terms": list(terms)},
    )


# The tenant's vocabulary: the shared one and its own (row-level security keeps other tenants' out).
_KNOWN_AND_COMPOUNDS = text(
    """
    SELECT 'known' AS kind, w.term AS lexeme, w.term AS term
    FROM unnest(CAST(:lexemes AS text[])) AS w(term)
    WHERE EXISTS (SELECT 1 FROM base_search_terms b WHERE b.term = w.term)
       OR EXISTS (SELECT 1 FROM tenant_search_terms t WHERE t.term = w.term)
    UNION ALL
    SELECT 'compound', h.head, c.term
    FROM unnest(CAST(:heads AS text[])) AS h(head)
    CROSS JOIN LATERAL (
        SELECT term FROM base_search_terms WHERE term LIKE '%' || h.head AND term <> h.head
        UNION
        SELECT term FROM tenant_search_terms WHERE term LIKE '%' || h.head AND term <> h.head
        LIMIT :compounds
    ) c
    """
)

_SIMILAR = text(
    """
    SELECT w.term AS lexeme, s.term
    FROM unnest(CAST(:lexemes AS text[])) AS w(term)
    CROSS JOIN LATERAL (
        SELECT term, similarity(term, w.term) AS likeness FROM (
            SELECT term FROM base_search_terms WHERE term % w.term
            UNION
            SELECT term FROM tenant_search_terms WHERE term % w.term
        ) candidates
        ORDER BY likeness DESC, term
        LIMIT :limit
    ) s
    WHERE s.likeness >= :least
    ORDER BY w.term, s.likeness DESC, s.term
    """
)


async def known_and_compounds(
    session: TenantSession, lexemes: Sequence[str], heads: Sequence[str], *, compounds: int
) -> list[tuple[str, str, str]]:
    """Rows (``known``, lexeme, lexeme) for known lexemes and (``compound``, head, compound) for compounds."""
    rows = await session.execute(
        _KNOWN_AND_COMPOUNDS, {"lexemes": list(lexemes), "heads": list(heads), "compounds": compounds}
    )
    return [(row.kind, row.lexeme, row.term) for row in rows]


async def similar(session: TenantSession, lexemes: Sequence[str], *, limit: int, least: float) -> list[tuple[str, str]]:
    """For each lexeme, up to ``limit`` known lexemes at least ``least`` alike (trigram similarity), best first."""
    rows = await session.execute(_SIMILAR, {"lexemes": list(lexemes), "limit": limit, "least": least})
    return [(row.lexeme, row.term) for row in rows]


@dataclass(frozen=True)
class Filters:
    layer: str | None = None
    office_id: uuid.UUID | None = None
    online: bool | None = None


# Weights of D (body), C (summaries), B (synonyms), A (name), as ts_rank_cd takes them.
_WEIGHTS = "{0.1, 0.3, 0.7, 1.0}"
# A description that solved concerns at first contact for the tenant ranks higher, less and less so.
_USAGE_BOOST = 0.2

_FIND = f"""
WITH q AS (SELECT CAST(:query AS tsquery) AS q),
hits AS (
    SELECT e.description_id, 'local' AS layer, e.document, e.online
    FROM tenant_search_entries e, q
    WHERE NOT e.supplement AND e.document @@ q.q
    UNION ALL
    SELECT b.description_id, 'shared', b.document || coalesce(s.document, ''::tsvector), b.online OR s.online IS TRUE
    FROM base_search_entries b CROSS JOIN q
    LEFT JOIN tenant_search_entries s ON s.description_id = b.description_id AND s.supplement
    WHERE b.document @@ q.q
    UNION ALL
    SELECT b.description_id, 'shared', b.document || s.document, b.online OR s.online
    FROM tenant_search_entries s CROSS JOIN q
    JOIN base_search_entries b ON b.description_id = s.description_id
    WHERE s.supplement AND NOT b.document @@ q.q AND (b.document || s.document) @@ q.q
)
SELECT h.description_id, h.layer,
       ts_rank_cd('{_WEIGHTS}', h.document, q.q, 1)
           * (1 + {_USAGE_BOOST} * ln(1 + coalesce(u.solved_at_first_contact, 0))) AS score
FROM hits h CROSS JOIN q
LEFT JOIN description_usage u ON u.description_id = h.description_id
WHERE (CAST(:layer AS text) IS NULL OR h.layer = :layer)
  AND (CAST(:online AS boolean) IS NULL OR h.online = :online)
  AND (CAST(:office AS uuid) IS NULL OR h.description_id IN (
        SELECT r.description_id FROM responsibilities r WHERE r.office_id = :office))
ORDER BY score DESC, h.description_id
LIMIT :limit
"""


async def find(
    session: TenantSession, query: str, filters: Filters, *, limit: int
) -> list[tuple[uuid.UUID, str, float]]:
    """The best ``limit`` descriptions the session's tenant sees for ``query``: (id, layer, score)."""
    params: dict[str, Any] = {
        "query": query,
        "layer": filters.layer,
        "online": filters.online,
        "office": filters.office_id,
        "limit": limit,
    }
    rows = await session.execute(text(_FIND), params)
    return [(row.description_id, row.layer, float(row.score)) for row in rows]


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
