"""Highlighted snippets: the passage of a description that matches the query best, its matches marked.

The snippet is HTML: the text is escaped and every matching word is wrapped in ``<mark>``. Matching is
decided with the analyser the index was built with, so what was found is what is marked.

A text is split into its words once and kept for the searches that find it again. A passage is scored
from the positions of its matching words alone, and rendered by escaping each run of text between two
marks at once: escaping replaces character by character, so a run reads the same as its words and
the pieces between them escaped one by one.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import compress
from typing import Any, NamedTuple

from knowledge.search.analysis import WORD, lexeme

# Texts in the order they are looked at: a tie goes to the earlier one.
_SOURCES = ("teaser", "short_text", "full_text", "procedure", "required_documents", "prerequisites", "notes")
# The analyser's words, kept by ``split`` between the pieces of text around them.
_WORDS_AND_GAPS = re.compile(f"({WORD.pattern})", WORD.flags)
# How many words a passage shows before its first match, so that the match is read in its context.
_CONTEXT = 3
# Searches find the same descriptions again and again: the texts split last are kept, about 150 bytes a word.
_TEXTS_KEPT = 2048
# Written words and their lexemes: a language has far fewer words than texts have.
_lexeme_of = lru_cache(maxsize=50_000)(lexeme)

Score = tuple[int, int]


@dataclass(frozen=True)
class Matcher:
    """Which lexemes a query matches; ``words`` is how many words of the query found something."""

    lexemes: frozenset[str]
    words: int = 1


class _Text(NamedTuple):
    """A text split at its words, each word's lexeme, and the set of them.

    ``parts`` holds the pieces between the words at even indices and the words at odd ones: word ``i``
    is ``parts[2 * i + 1]``. It is shared by every search that finds the text again, and never changed.
    """

    parts: list[str]
    lexemes: tuple[str | None, ...]
    vocabulary: frozenset[str | None]

    def matching(self, lexemes: frozenset[str]) -> list[int]:
        """The indices of the words whose lexeme is one of ``lexemes``, in order."""
        if lexemes.isdisjoint(self.vocabulary):
            return []
        return list(compress(range(len(self.lexemes)), map(lexemes.__contains__, self.lexemes)))


@lru_cache(maxsize=_TEXTS_KEPT)
def _split(text: str) -> _Text:
    parts = _WORDS_AND_GAPS.split(text)
    lexemes = tuple(map(_lexeme_of, parts[1::2]))
    return _Text(parts, lexemes, frozenset(lexemes))


class _Passage(NamedTuple):
    """Words ``first`` to ``last`` of a text; ``marked`` are the indices of all the text's matching words."""

    text: _Text
    marked: list[int]
    first: int
    last: int
    score: Score


def _texts(content: dict[str, Any]) -> Iterator[str]:
    modules: dict[str, str] = content.get("modules", {})
    for name in _SOURCES:
        if name in modules:
            yield modules[name]
    for name, value in modules.items():
        if name not in _SOURCES:
            yield value


def _score(marked: list[int], lowered: list[str], first: int, last: int) -> Score:
    """How many distinct words and how many words match from word ``first`` to word ``last``."""
    low, high = bisect_left(marked, first), bisect_right(marked, last)
    return len(set(lowered[low:high])), high - low


def _best_window(text: _Text, marked: list[int], size: int) -> tuple[Score, int]:
    """The score and first word of the first best passage of ``size`` words: the opening one, or one at a match."""
    if not marked:
        return (0, 0), 0
    count = len(text.lexemes)
    lowered = [text.parts[2 * index + 1].lower() for index in marked]
    best_score, best_first = _score(marked, lowered, 0, min(size, count) - 1), 0
    previous = 0
    for index in marked:
        first = max(0, min(index - _CONTEXT, count - size))
        if first != previous:
            previous = first
            score = _score(marked, lowered, first, min(first + size, count) - 1)
            if score > best_score:
                best_score, best_first = score, first
    return best_score, best_first


def _marked_html(parts: list[str], marked: list[int], begin: int, end: int) -> str:
    """``parts[begin:end]`` escaped, the ``marked`` words (all of them within) in ``<mark>``."""
    pieces = []
    at = begin
    for index in marked:
        word = 2 * index + 1
        pieces.append(html.escape("".join(parts[at:word])))
        pieces.append(f"<mark>{html.escape(parts[word])}</mark>")
        at = word + 1
    pieces.append(html.escape("".join(parts[at:end])))
    return "".join(pieces)


def _render(passage: _Passage) -> str:
    """The passage as HTML, with an ellipsis on each side where the text goes on."""
    parts, first, last = passage.text.parts, passage.first, passage.last
    at_start = first == 0
    at_end = last == len(passage.text.lexemes) - 1
    begin = 0 if at_start else 2 * first + 1
    end = len(parts) if at_end else 2 * last + 2
    marked = passage.marked[bisect_left(passage.marked, first) : bisect_right(passage.marked, last)]
    text = _marked_html(parts, marked, begin, end)
    return ("" if at_start else "… ") + text + ("" if at_end else " …")


def snippet(content: dict[str, Any], matcher: Matcher, *, size: int = 30) -> str | None:
    """The best passage of ``size`` words among the description's texts, or None if it has no text."""
    best: _Passage | None = None
    for text in map(_split, _texts(content)):
        marked = text.matching(matcher.lexemes)
        score, first = _best_window(text, marked, size)
        if best is None or score > best.score:
            best = _Passage(text, marked, first, min(first + size, len(text.lexemes)) - 1, score)
            if score[0] >= matcher.words:
                break  # every word of the query is in this passage: none later can be better
    return None if best is None else _render(best)


def highlight(text: str, matcher: Matcher) -> str:
    """The whole of a short text (a name), escaped, its matches marked."""
    split = _split(text)
    return _marked_html(split.parts, split.matching(matcher.lexemes), 0, len(split.parts))
