"""Search for agents: keep the entries of published descriptions, and find what a caller means.

Entries are written in the transaction that publishes or withdraws a description, so an agent finds
what is published at once and never what was withdrawn.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from kit.db.database import TenantSession
from knowledge.description import repository as descriptions
from knowledge.description.content import local, merge
from knowledge.search import analysis, query, repository
from knowledge.search.query import Alternatives, Vocabulary
from knowledge.search.repository import Filters
from knowledge.search.snippet import Matcher, highlight, snippet

# Compounds looked for per word of a query: enough for any real head, few enough to stay fast.
_COMPOUNDS_PER_WORD = 30
# Typos: the known words at least this alike (trigram similarity), at most two per word.
_LEAST_LIKENESS = 0.35
_SIMILAR_PER_WORD = 2


def _document(content: dict[str, Any]) -> tuple[str, bool]:
    return analysis.document(analysis.weighted_fields(content)), "online_service_url" in content


async def index_shared(session: TenantSession, description_id: uuid.UUID, published: dict[str, Any] | None) -> None:
    """Make a shared description findable as published for every tenant, or unfindable when withdrawn."""
    if published is None:
        await repository.drop_shared(session, description_id)
        return
    document, online = _document(published)
    await repository.put_shared(session, description_id, document, online=online)
    await repository.add_shared_terms(session, analysis.vocabulary(document))


async def index_own(
    session: TenantSession, description_id: uuid.UUID, published: dict[str, Any] | None, *, supplement: bool
) -> None:
    """The same for the session's tenant's own description, or its supplement (keyed by the shared one's id)."""
    if published is None:
        await repository.drop_own(session, description_id)
        return
    document, online = _document(published)
    await repository.put_own(session, description_id, document, online=online, supplement=supplement)
    await repository.add_own_terms(session, analysis.vocabulary(document))


async def index_own_many(
    session: TenantSession,
    published: Sequence[tuple[uuid.UUID, dict[str, Any]]],
    withdrawn: Sequence[uuid.UUID],
) -> None:
    """Index many of the session's tenant's own descriptions at once (an import): as published, or withdrawn."""
    if withdrawn:
        await repository.drop_own_many(session, withdrawn)
    if not published:
        return
    entries = [(description_id, *_document(content)) for description_id, content in published]
    await repository.put_own_many(session, entries)
    terms = dict.fromkeys(term for _, document, _ in entries for term in analysis.vocabulary(document))
    await repository.add_own_terms(session, list(terms))


@dataclass(frozen=True)
class Hit:
    id: uuid.UUID
    layer: str
    score: float
    name: str
    highlighted_name: str
    leika_key: str | None
    teaser: str | None
    snippet: str | None


@dataclass(frozen=True)
class Correction:
    written: str
    searched_for: str


@dataclass(frozen=True)
class Result:
    items: list[Hit]
    every_word: bool = True
    corrections: list[Correction] = field(default_factory=list)
    # Words of the query nothing in the tenant's knowledge could match.
    ignored: list[str] = field(default_factory=list)


async def _vocabulary(session: TenantSession, words: list[query.QueryWord]) -> Vocabulary:
    rows = await repository.known_and_compounds(
        session, query.lexemes_to_look_up(words), query.heads(words), compounds=_COMPOUNDS_PER_WORD
    )
    known = frozenset(lexeme for kind, lexeme, _ in rows if kind == "known")
    compounds: dict[str, tuple[str, ...]] = {}
    for kind, head, term in rows:
        if kind == "compound":
            compounds[head] = (*compounds.get(head, ()), term)
    vocabulary = Vocabulary(known, compounds)
    unknown = query.unknown(words, vocabulary)
    if not unknown:
        return vocabulary
    similar: dict[str, tuple[str, ...]] = {}
    for lexeme, term in await repository.similar(session, unknown, limit=_SIMILAR_PER_WORD, least=_LEAST_LIKENESS):
        similar[lexeme] = (*similar.get(lexeme, ()), term)
    return Vocabulary(known, compounds, similar)


def _hit(row: dict[str, Any], layer: str, score: float, matcher: Matcher) -> Hit:
    merged, _ = merge(row["content"], row["supplement"]) if layer == "shared" else local(row["content"])
    return Hit(
        id=row["id"],
        layer=layer,
        score=round(score, 6),
        name=merged["name"],
        highlighted_name=highlight(merged["name"], matcher),
        leika_key=row["leika_key"],
        teaser=merged["modules"].get("teaser") or merged["modules"].get("short_text"),
        snippet=snippet(merged, matcher),
    )


async def search(session: TenantSession, text: str, filters: Filters, *, limit: int) -> Result:
    """The published descriptions of the session's tenant (its own and the shared ones) that best answer ``text``."""
    words = query.parse(text)
    if not words:
        return Result(items=[])
    vocabulary = await _vocabulary(session, words)
    choices: list[Alternatives] = []
    ignored: list[str] = []
    for word in words:
        choice = query.alternatives(word, vocabulary)
        if choice is None:
            ignored.append(word.written)
        else:
            choices.append(choice)
    if not choices:
        return Result(items=[], ignored=ignored)
    every_word = True
    found = await repository.find(session, query.tsquery(choices, every_word=True), filters, limit=limit)
    if not found and len(choices) > 1:
        every_word = False
        found = await repository.find(session, query.tsquery(choices, every_word=False), filters, limit=limit)
    rows = await descriptions.visible_many(session, [description_id for description_id, _, _ in found])
    matcher = Matcher(
        exact=frozenset().union(*(choice.exact for choice in choices)),
        prefixes=frozenset().union(*(choice.prefixes for choice in choices)),
    )
    hits = [_hit(rows[i], layer, score, matcher) for i, layer, score in found if i in rows]
    corrections = [
        Correction(choice.word.written, choice.corrected) for choice in choices if choice.corrected is not None
    ]
    return Result(items=hits, every_word=every_word, corrections=corrections, ignored=ignored)


async def record_usage(
    session: TenantSession, description_ids: list[uuid.UUID], *, solved_at_first_contact: bool
) -> None:
    """A contact of the session's tenant was about these descriptions: they rank higher the more they solve."""
    await repository.record_usage(session, description_ids, solved_at_first_contact=solved_at_first_contact)
