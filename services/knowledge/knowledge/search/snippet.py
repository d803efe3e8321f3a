"""Highlighted snippets: the passage of a description that matches the query best, its matches marked.

The snippet is HTML: the text is escaped and every matching word is wrapped in ``<mark>``. Matching is
decided with the analyser the index was built with, so what was found is what is marked.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from knowledge.search.analysis import all_words, lexeme

# Texts in the order they are looked at: a tie goes to the earlier one.
_SOURCES = ("teaser", "short_text", "full_text", "procedure", "required_documents", "prerequisites", "notes")


@dataclass(frozen=True)
class Matcher:
    """Which lexemes a query matches; ``words`` is how many words of the query found something."""

    lexemes: frozenset[str]
    words: int = 1
    # Words repeat within and across descriptions: each is looked at once per search.
    _seen: dict[str, bool] = field(default_factory=dict, compare=False)

    def matches(self, word: str) -> bool:
        seen = self._seen.get(word)
        if seen is None:
            seen = self._seen[word] = lexeme(word) in self.lexemes
        return seen


def _texts(content: dict[str, Any]) -> Iterator[str]:
    modules: dict[str, str] = content.get("modules", {})
    for name in _SOURCES:
        if name in modules:
            yield modules[name]
    for name, value in modules.items():
        if name not in _SOURCES:
            yield value


@dataclass(frozen=True)
class _Window:
    text: str
    words: list[re.Match[str]]
    marked: list[bool]
    first: int
    last: int

    @property
    def score(self) -> tuple[int, int]:
        hits = [self.words[i].group().lower() for i in range(self.first, self.last + 1) if self.marked[i]]
        return len(set(hits)), len(hits)


def _best_window(text: str, matcher: Matcher, size: int) -> _Window:
    words = list(all_words(text))
    marked = [matcher.matches(word.group()) for word in words]
    best = _Window(text, words, marked, 0, min(size, len(words)) - 1)
    for first in (i for i, hit in enumerate(marked) if hit):
        # Start a little before the first match, so that it is read in its context.
        start = max(0, min(first - 3, len(words) - size))
        window = _Window(text, words, marked, start, min(start + size, len(words)) - 1)
        if window.score > best.score:
            best = window
    return best


def _render(window: _Window) -> str:
    if not window.words:
        return html.escape(window.text)
    at_end = window.last == len(window.words) - 1
    begin = window.words[window.first].start() if window.first > 0 else 0
    end = len(window.text) if at_end else window.words[window.last].end()
    parts = ["… "] if window.first > 0 else []
    at = begin
    for i in range(window.first, window.last + 1):
        word = window.words[i]
        parts.append(html.escape(window.text[at : word.start()]))
        text = html.escape(word.group())
        parts.append(f"<mark>{text}</mark>" if window.marked[i] else text)
        at = word.end()
    parts.append(html.escape(window.text[at:end]))
    if not at_end:
        parts.append(" …")
    return "".join(parts)


def snippet(content: dict[str, Any], matcher: Matcher, *, size: int = 30) -> str | None:
    """The best passage of ``size`` words among the description's texts, or None if it has no text."""
    best: _Window | None = None
    for text in _texts(content):
        window = _best_window(text, matcher, size)
        if best is None or window.score > best.score:
            best = window
            if best.score[0] >= matcher.words:
                break  # every word of the query is in this passage: none later can be better
    return None if best is None else _render(best)


def highlight(text: str, matcher: Matcher) -> str:
    """The whole of a short text (a name), escaped, its matches marked."""
    parts, at = [], 0
    for word in all_words(text):
        parts.append(html.escape(text[at : word.start()]))
        escaped = html.escape(word.group())
        parts.append(f"<mark>{escaped}</mark>" if matcher.matches(word.group()) else escaped)
        at = word.end()
    parts.append(html.escape(text[at:]))
    return "".join(parts)
