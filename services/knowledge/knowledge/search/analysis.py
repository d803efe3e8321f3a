"""The German analyser: from text to the lexemes that search matches on.

Words are lower-cased and reduced to their Snowball stem, which also folds umlauts and their spellings
(``Führerschein``, ``Fuehrerschein`` and ``Fuhrerschein`` share ``fuhrerschein``) and ß to ss. Stop words
and callers' filler words carry no meaning and are dropped. Descriptions are turned into a weighted
``tsvector`` here rather than by PostgreSQL's ``german`` configuration, so that indexing, queries and the
highlighting of snippets all see the very same lexemes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib.resources import files
from typing import Any, Literal

import Stemmer

Weight = Literal["A", "B", "C", "D"]

WORD = re.compile(r"[^\W_]+")
# PostgreSQL keeps positions up to 16383 and at most 256 of them per lexeme.
_MAX_POSITION = 16_383
_MAX_POSITIONS_PER_LEXEME = 256
# A gap between fields, so that words of two fields never count as neighbours.
_FIELD_GAP = 8
_STEMMER = Stemmer.Stemmer("german")


def _word_list(name: str) -> list[str]:
    text = files("knowledge.search").joinpath(name).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


@cache
def stop_words() -> frozenset[str]:
    return frozenset(word for line in _word_list("stopwords_de.txt") for word in line.split())


@dataclass(frozen=True, slots=True)
class Token:
    """A word of a text: where it stands, as written, and its lexeme."""

    start: int
    end: int
    lexeme: str


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The lexeme of one lower-cased word (a language has far fewer words than texts have: kept once made)."""
    lexeme: str = _STEMMER.stemWord(word)
    return lexeme


def lexeme(word: str) -> str | None:
    """The lexeme of one word as written, or None for a stop word or a single letter."""
    lower = word.lower()
    if len(lower) < 2 or lower in stop_words():
        return None
    return stem(lower)


def tokens(text: str) -> Iterator[Token]:
    """The meaningful words of ``text`` with their offsets (stop words and single letters dropped)."""
    for match in WORD.finditer(text):
        found = lexeme(match.group())
        if found is not None:
            yield Token(match.start(), match.end(), found)


def lexemes(text: str) -> list[str]:
    return [token.lexeme for token in tokens(text)]


def weighted_fields(content: dict[str, Any]) -> Iterator[tuple[Weight, str]]:
    """The texts of a (merged) description with their weight: name over synonyms over summaries over body."""
    yield "A", content.get("name", "")
    modules: dict[str, str] = content.get("modules", {})
    for synonym in content.get("synonyms", []):
        yield "B", synonym
    if "designation" in modules:
        yield "B", modules["designation"]
    for module in ("teaser", "short_text"):
        if module in modules:
            yield "C", modules[module]
    for module, text in modules.items():
        if module not in ("designation", "teaser", "short_text"):
            yield "D", text
    for fee in content.get("fees", []):
        yield "D", " ".join(part for part in (fee.get("label"), fee.get("note")) if part)
    for deadline in content.get("deadlines", []):
        yield "D", " ".join(part for part in (deadline.get("label"), deadline.get("note")) if part)


def document(fields: Iterable[tuple[Weight, str]]) -> str:
    """A ``tsvector`` literal of the fields' lexemes with their positions and weights."""
    positions: dict[str, list[str]] = {}
    position = 0
    for weight, text in fields:
        for lexeme in lexemes(text):
            position += 1
            if position > _MAX_POSITION:
                break
            at = positions.setdefault(lexeme, [])
            if len(at) < _MAX_POSITIONS_PER_LEXEME:
                at.append(f"{position}{weight}")
        position += _FIELD_GAP
    # Lexemes are letters and digits only: no quote in them needs escaping.
    return " ".join(f"'{lexeme}':{','.join(at)}" for lexeme, at in positions.items())


def vocabulary(literal: str) -> list[str]:
    """The lexemes of a ``tsvector`` literal made by ``document``."""
    return [entry[1 : entry.index("'", 1)] for entry in literal.split(" ") if entry]


@cache
def thesaurus() -> dict[str, frozenset[str]]:
    """For each lexeme of the thesaurus, the lexemes of the words that mean the same to callers."""
    groups: dict[str, frozenset[str]] = {}
    for line in _word_list("thesaurus_de.txt"):
        group = frozenset(stem(word.strip().lower()) for word in line.split(","))
        for lexeme in group:
            groups[lexeme] = groups.get(lexeme, frozenset()) | group
    return groups
