"""Bodies of the search API."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field


class SearchHit(BaseModel):
    id: uuid.UUID
    layer: str = Field(description="`shared` (the host's base, with the tenant's supplement) or `local`")
    score: float = Field(description="Relevance: only the order within one answer means anything")
    name: str
    highlighted_name: str = Field(description="The name as HTML, the words that matched in `<mark>`")
    leika_key: str | None
    teaser: str | None
    snippet: str | None = Field(description="The best matching passage as HTML, matches in `<mark>`")


class SearchCorrection(BaseModel):
    written: str = Field(description="A word of the query the tenant's knowledge does not contain")
    searched_for: str = Field(description="The known word (as indexed: its stem) searched for instead")


class SearchResults(BaseModel):
    items: list[SearchHit]
    every_word: bool = Field(
        description="Whether the descriptions found match every word; if none did, those matching any word"
    )
    corrections: list[SearchCorrection]
    ignored: list[str] = Field(description="Words of the query nothing in the tenant's knowledge matched")
