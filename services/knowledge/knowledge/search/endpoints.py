"""HTTP endpoint of search for agents."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from kit.web.problems import problem_responses
from knowledge.deps import KnownScope
from knowledge.search import service
from knowledge.search.repository import Filters
from knowledge.search.schemas import SearchResults

router = APIRouter(tags=["search"])


@router.get(
    "/tenants/{tenant_id}/knowledge/search", response_model=SearchResults, responses=problem_responses(401, 404, 422)
)
async def search_descriptions(
    scope: KnownScope,
    q: Annotated[str, Query(min_length=1, max_length=300, description="What the caller asks, as typed")],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
    layer: Annotated[Literal["shared", "local"] | None, Query(description="Only shared or only own")] = None,
    office: Annotated[uuid.UUID | None, Query(description="Only descriptions this office is responsible for")] = None,
    online: Annotated[bool | None, Query(description="Only descriptions with (or without) an online service")] = None,
) -> SearchResults:
    """Find the published descriptions (the municipality's own and the shared ones) that answer a caller's concern.

    German words are matched by their stem, with umlaut and ß spellings, compounds in either form, the
    terms callers use and the descriptions' synonyms; words the knowledge does not contain are corrected
    to the most similar known ones. Names weigh more than synonyms, synonyms more than summaries, these
    more than the body; descriptions that solved the municipality's concerns at first contact rank higher.
    """
    filters = Filters(layer=layer, office_id=office, online=online)
    async with scope.database.lean_transaction(scope.tenant_id, first=service.PLANNED_ONCE) as connection:
        result = await service.search(connection, q, filters, limit=limit)
    return SearchResults.model_validate(asdict(result))
