"""Search for agents: keep the entries of published descriptions, and find what a caller means.

Entries are written in the transaction that publishes or withdraws a description, so an agent finds
what is published at once and never what was withdrawn.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from kit.db.database import TenantConnection, TenantSession
from knowledge.description.content import local, merge
from knowledge.search import analysis, query, repository
from knowledge.search.query import Alternatives, Vocabulary
from knowledge.search.repository import Filters
from knowledge.search.snippet import Matcher, highlight, snippet

# Shared compounds read per pattern, before the most common of all are chosen (query.WIDENED_PER_WORD).
_WIDEST_PER_PATTERN = 50
# Typos: the known words at least this alike (trigram similarity), at most two per word.
_LEAST_LIKENESS = 0.35
_SIMILAR_PER_WORD = 2
# Sent as the search's transaction begins. A search is a few statements, the same every time: planned once
# per connection rather than for each search, where planning cost more than running them. The custom plans
# gained little from the values of the arrays and the tsquery, and now and then chose a worse join.
PLANNED_ONCE = "SET LOCAL plan_cache_mode = force_generic_plan"


def _document(content: dict[str, Any]) -> tuple[str, bool]:
    return analysis.document(analysis.weighted_fields(content)), "online_service_url" in content


async def index_shared(session: TenantSession, description_id: uuid.UUID, published: dict[str, Any] | None) -> None:
    """Make a shared description findable as published for every tenant, or unfindable when withdrawn."""
    if published is None:
        await repository.drop_shared(session, description_id)
        return
    document, online = _document(published)
    await repository.put_shared(session, description_id, document, online=online)
    await repository.add_shared_terms(session, Counter(analysis.vocabulary(document)))


async def index_own(
    session: TenantSession, description_id: uuid.UUID, published: dict[str, Any] | None, *, supplement: bool
) -> None:
    """The same for the session's tenant's own description, or its supplement (keyed by the shared one's id)."""
    if published is None:
        await repository.drop_own(session, description_id)
        return
    document, online = _document(published)
    await repository.put_own(session, description_id, document, online=online, supplement=supplement)
    await repository.add_own_terms(session, Counter(analysis.vocabulary(document)))


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
    await repository.add_own_terms(
        session, Counter(term for _, document, _ in entries for term in analysis.vocabulary(document))
    )


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


async def _vocabulary(connection: TenantConnection, words: list[query.QueryWord]) -> Vocabulary:
    lexemes = query.lexemes_to_look_up(words)
    found = await repository.vocabulary(connection, lexemes, query.widened(words), widest=_WIDEST_PER_PATTERN)
    vocabulary = Vocabulary(frozenset(found.keys() & set(lexemes)), query.compounds_of(words, found), frequency=found)
    return await _with_similar(connection, vocabulary, query.unknown(words, vocabulary))


async def _with_similar(connection: TenantConnection, vocabulary: Vocabulary, lexemes: list[str]) -> Vocabulary:
    """The vocabulary, told the known lexemes most like each of ``lexemes`` (typos)."""
    if not lexemes:
        return vocabulary
    alike: dict[str, list[tuple[str, float]]] = {}
    for lexeme, term, likeness in await repository.similar(
        connection, lexemes, limit=_SIMILAR_PER_WORD, least=_LEAST_LIKENESS
    ):
        alike.setdefault(lexeme, []).append((term, likeness))
    similar = dict(vocabulary.similar) | {lexeme: query.likely_readings(terms) for lexeme, terms in alike.items()}
    return Vocabulary(vocabulary.known, vocabulary.compounds, similar, vocabulary.frequency)


def _hit(row: dict[str, Any], matcher: Matcher) -> Hit:
    merged, _ = merge(row["content"], row["supplement"]) if row["layer"] == "shared" else local(row["content"])
    return Hit(
        id=row["id"],
        layer=row["layer"],
        score=round(float(row["score"]), 6),
        name=merged["name"],
        highlighted_name=highlight(merged["name"], matcher),
        leika_key=row["leika_key"],
        teaser=merged["modules"].get("teaser") or merged["modules"].get("short_text"),
        snippet=snippet(merged, matcher),
    )


def _query(choices: list[Alternatives], vocabulary: Vocabulary, *, every_word: bool) -> repository.Query:
    """The query, and the lexemes (by word) through which the tenant's descriptions to test are found."""
    tested = query.narrowing(choices, vocabulary) if every_word else choices
    lexemes = [(lexeme, number) for number, choice in enumerate(tested) for lexeme in sorted(choice.exact)]
    required = (1 << len(tested)) - 1 if every_word else 0
    return repository.Query(query.tsquery(choices, every_word=every_word), lexemes, required)


def _choices(
    words: list[query.QueryWord], vocabulary: Vocabulary, *, unsplit: frozenset[str] = frozenset()
) -> tuple[list[Alternatives], list[str]]:
    """Each word's alternatives, and the words written that nothing could match."""
    choices: list[Alternatives] = []
    ignored: list[str] = []
    for word in words:
        choice = query.alternatives(word, vocabulary, split=word.lexeme not in unsplit)
        if choice is None:
            ignored.append(word.written)
        else:
            choices.append(choice)
    return choices, ignored


async def _find(
    connection: TenantConnection, choices: list[Alternatives], vocabulary: Vocabulary, filters: Filters, *, limit: int
) -> tuple[list[dict[str, Any]], bool]:
    """The hits holding every word, else those holding any word; and whether they hold every word."""
    found = await repository.find(connection, _query(choices, vocabulary, every_word=True), filters, limit=limit)
    if found or len(choices) == 1:
        return found, True
    return await repository.find(connection, _query(choices, vocabulary, every_word=False), filters, limit=limit), False


async def search(connection: TenantConnection, text: str, filters: Filters, *, limit: int) -> Result:
    """The published descriptions of the tenant (its own and the shared ones) that best answer ``text``.

    Reads on a lean transaction: a search is a few statements, and the ORM's work per statement would
    cost more than the database's.
    """
    words = query.parse(text)
    if not words:
        return Result(items=[])
    vocabulary = await _vocabulary(connection, words)
    choices, ignored = _choices(words, vocabulary)
    if not choices:
        return Result(items=[], ignored=ignored)
    found, every_word = await _find(connection, choices, vocabulary, filters, limit=limit)
    unsplit = query.split_only(words, vocabulary)
    if not found and unsplit:
        # Known parts that no description holds together: the word may be a typo of a known one ("Wohngelt").
        vocabulary = await _with_similar(connection, vocabulary, unsplit)
        choices, ignored = _choices(words, vocabulary, unsplit=frozenset(unsplit))
        if choices:
            found, every_word = await _find(connection, choices, vocabulary, filters, limit=limit)
    matcher = Matcher(frozenset().union(*(choice.exact for choice in choices)), words=len(choices))
    hits = [_hit(row, matcher) for row in found]
    corrections = [
        Correction(choice.word.written, choice.corrected) for choice in choices if choice.corrected is not None
    ]
    return Result(items=hits, every_word=every_word, corrections=corrections, ignored=ignored)


async def record_usage(
    session: TenantSession, description_ids: list[uuid.UUID], *, solved_at_first_contact: bool
) -> None:
    """A contact of the session's tenant was about these descriptions: they rank higher the more they solve."""
    await repository.record_usage(session, description_ids, solved_at_first_contact=solved_at_first_contact)
