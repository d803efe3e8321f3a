"""From what an agent types to a ``tsquery``, with the help of the vocabulary of what can be found.

Each meaningful word of the query becomes a set of alternatives, any of which may match:

- its lexeme, and the lexemes of words callers use for the same thing (the thesaurus);
- the most common known words it begins (``hund`` → ``Hundesteuer``) and compounds it is the head of
  (``anmeld`` → ``Gewerbeanmeldung``), so that "Gewerbe anmelden" finds "Gewerbeanmeldung";
- the parts of a compound that are known on their own, so that "Gewerbeanmeldung" finds "Gewerbe
  anmelden";
- for a word the vocabulary does not know and cannot split: the known words most like it (typos).

A description must match every word; if none does, one that matches any word is found instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from knowledge.search.analysis import stem, thesaurus, tokens

MAX_WORDS = 12
# Shorter words begin or end too many others to widen them to compounds.
_MIN_WIDENED = 4
# What a compound adds to the word it is made of: at least a short word ("perso" does not widen to "person").
_MIN_ADDED = 3
# A word widens to its most common compounds only: each one more makes ranking dearer.
WIDENED_PER_WORD = 6
# A compound's parts: a modifier of at least three letters before a head of at least four.
_MIN_MODIFIER = 3
_MIN_HEAD = 4
_LINKS = ("es", "en", "s", "n", "e")
# A typo is read as a second known word too only if that is nearly as alike as the best one.
_NEARLY_AS_ALIKE = 0.8
# A word standing in more entries than this is left to the full-text match when finding candidates.
COMMON_WORD_ENTRIES = 1000


@dataclass(frozen=True, slots=True)
class QueryWord:
    """One meaningful word of a query."""

    written: str
    lexeme: str
    synonyms: frozenset[str]
    # (modifier, head) lexemes the word could be made of, longest head first.
    splits: tuple[tuple[str, str], ...]

    @property
    def widens(self) -> bool:
        return len(self.lexeme) >= _MIN_WIDENED


@dataclass(frozen=True)
class Vocabulary:
    """What the tenant's vocabulary says of the lexemes of a query."""

    known: frozenset[str] = frozenset()
    # For a lexeme, the most common known compounds it begins or is the head of.
    compounds: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # For a lexeme the vocabulary does not know, the known ones most like it, best first.
    similar: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # For the lexemes found, how many entries hold each.
    frequency: dict[str, int] = field(default_factory=dict)


def _splits(word: str) -> tuple[tuple[str, str], ...]:
    found: dict[tuple[str, str], None] = {}
    for cut in range(len(word) - _MIN_HEAD, _MIN_MODIFIER - 1, -1):
        modifier, head = word[:cut], word[cut:]
        head_lexeme = stem(head)
        found[(stem(modifier), head_lexeme)] = None
        for link in _LINKS:
            if modifier.endswith(link) and len(modifier) - len(link) >= _MIN_MODIFIER:
                found[(stem(modifier[: -len(link)]), head_lexeme)] = None
    return tuple(found)


def parse(text: str) -> list[QueryWord]:
    """The meaningful words of a query, each once, at most ``MAX_WORDS``."""
    words: dict[str, QueryWord] = {}
    for token in tokens(text):
        written = text[token.start : token.end].lower()
        if token.lexeme in words:
            continue
        synonyms = thesaurus().get(token.lexeme, frozenset()) - {token.lexeme}
        splits = _splits(written) if len(written) >= _MIN_MODIFIER + _MIN_HEAD else ()
        words[token.lexeme] = QueryWord(written, token.lexeme, synonyms, splits)
        if len(words) == MAX_WORDS:
            break
    return list(words.values())


def lexemes_to_look_up(words: Iterable[QueryWord]) -> list[str]:
    """Every lexeme whose presence in the vocabulary decides a query's alternatives."""
    wanted: dict[str, None] = {}
    for word in words:
        wanted[word.lexeme] = None
        wanted.update(dict.fromkeys(word.synonyms))
        for modifier, head in word.splits:
            wanted[modifier] = wanted[head] = None
    return list(wanted)


def widened(words: Iterable[QueryWord]) -> list[str]:
    """The lexemes of the words long enough to widen to the known compounds they begin or are the head of."""
    return [word.lexeme for word in words if word.widens]


def compounds_of(words: Iterable[QueryWord], found: dict[str, int]) -> dict[str, tuple[str, ...]]:
    """For each word, the most common of the ``found`` lexemes (with their counts) that are compounds of it."""
    compounds: dict[str, tuple[str, ...]] = {}
    for word in words:
        if not word.widens:
            continue
        longer = [
            term
            for term in found
            if len(term) >= len(word.lexeme) + _MIN_ADDED
            and (term.endswith(word.lexeme) or term.startswith(word.lexeme))
        ]
        longer.sort(key=lambda term: (-found[term], term))
        if longer:
            compounds[word.lexeme] = tuple(longer[:WIDENED_PER_WORD])
    return compounds


def _nothing_of_its_own(word: QueryWord, vocabulary: Vocabulary) -> bool:
    """Whether the vocabulary knows neither the word, nor a compound of it, nor a synonym."""
    return (
        word.lexeme not in vocabulary.known
        and not vocabulary.compounds.get(word.lexeme)
        and not (word.synonyms & vocabulary.known)
    )


def unknown(words: Iterable[QueryWord], vocabulary: Vocabulary) -> list[str]:
    """Lexemes the vocabulary neither knows, nor finds in compounds, nor can split: candidates for typos."""
    return [word.lexeme for word in words if _nothing_of_its_own(word, vocabulary) and _split(word, vocabulary) is None]


def split_only(words: Iterable[QueryWord], vocabulary: Vocabulary) -> list[str]:
    """Lexemes of words matched only through the known parts they split into, nothing of their own."""
    return [
        word.lexeme for word in words if _nothing_of_its_own(word, vocabulary) and _split(word, vocabulary) is not None
    ]


def likely_readings(alike: Iterable[tuple[str, float]]) -> tuple[str, ...]:
    """Of the known lexemes most like a typo, with their likeness, best first: those nearly as alike as the best.

    "wohngelt" is "wohngeld" (0.64), not also "wohn" (0.40), which would rank "Wohnen im Alter" as high.
    """
    readings: list[str] = []
    best = 0.0
    for term, likeness in alike:
        best = best or likeness
        if likeness >= best * _NEARLY_AS_ALIKE:
            readings.append(term)
    return tuple(readings)


def _split(word: QueryWord, vocabulary: Vocabulary) -> tuple[str, str] | None:
    for modifier, head in word.splits:
        if modifier in vocabulary.known and head in vocabulary.known:
            return modifier, head
    return None


@dataclass(frozen=True)
class Alternatives:
    """What one word of the query may match, as ``tsquery`` operands, and the lexemes to highlight."""

    word: QueryWord
    operands: tuple[str, ...]
    exact: frozenset[str]
    corrected: str | None = None


def _quoted(lexeme: str) -> str:
    # Lexemes are letters and digits only (see analysis): quoting is all they need.
    return f"'{lexeme}'"


def alternatives(word: QueryWord, vocabulary: Vocabulary, *, split: bool = True) -> Alternatives | None:
    """The word's alternatives, or None if nothing in the vocabulary could match it.

    ``split``: whether the known parts of a compound may stand for it; without, an unknown word is
    corrected to the known ones most like it.
    """
    exact = {word.lexeme} if word.lexeme in vocabulary.known else set()
    exact |= word.synonyms & vocabulary.known
    exact.update(vocabulary.compounds.get(word.lexeme, ()))
    operands = [_quoted(lexeme) for lexeme in sorted(exact)]
    parts = _split(word, vocabulary) if split else None
    if parts is not None:
        operands.append(f"({_quoted(parts[0])} & {_quoted(parts[1])})")
        exact.update(parts)
    corrected = None
    if not operands:
        similar = vocabulary.similar.get(word.lexeme, ())
        if not similar:
            return None
        corrected = similar[0]
        exact.update(similar)
        operands = [_quoted(lexeme) for lexeme in similar]
    return Alternatives(word, tuple(operands), frozenset(exact), corrected)


def narrowing(choices: list[Alternatives], vocabulary: Vocabulary) -> list[Alternatives]:
    """The words through whose postings the descriptions worth testing are found: all but the common ones.

    A description holding every word is found through any of them; reading the postings of a word in
    thousands of entries costs more than testing the few more descriptions left without it. Only if
    every word is that common is the rarest one read. A word the vocabulary gives no count for (a
    corrected typo) counts as rare.
    """

    def entries(choice: Alternatives) -> int:
        return sum(vocabulary.frequency.get(lexeme, 0) for lexeme in choice.exact)

    narrow = [choice for choice in choices if entries(choice) <= COMMON_WORD_ENTRIES]
    return narrow or [min(choices, key=entries)]


def tsquery(choices: Iterable[Alternatives], *, every_word: bool) -> str:
    """The ``tsquery`` text: all words (or any word) matched by one of their alternatives."""
    joiner = " & " if every_word else " | "
    return joiner.join(f"({' | '.join(choice.operands)})" for choice in choices)
