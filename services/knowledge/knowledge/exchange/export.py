"""A municipality's published knowledge in one JSON document: what its agents can look up, nothing unpublished.

Descriptions appear as agents see them (shared ones merged with the municipality's supplement, its own ones as
published); offices and responsibilities as kept, responsibilities only for the descriptions shown.
"""

from __future__ import annotations

from datetime import datetime

from kit.db.database import TenantSession
from knowledge.description import service as descriptions
from knowledge.exchange import repository
from knowledge.exchange.schemas import ExportedDescription, ExportedOffice, ExportedResponsibility, KnowledgeExport

# Descriptions are read in pages: a municipality may have many thousands and each is a sizeable document.
_PAGE = 1000


async def export_knowledge(session: TenantSession, *, tenant_id: str, now: datetime) -> KnowledgeExport:
    """The tenant's published descriptions, offices and responsibilities, with the ids of their source system."""
    views, cursor = await descriptions.agent_list(session, cursor=None, limit=_PAGE)
    while cursor is not None:
        more, cursor = await descriptions.agent_list(session, cursor=cursor, limit=_PAGE)
        views.extend(more)
    external_ids = await repository.description_external_ids(session)
    shown = {view["id"] for view in views}
    pairs = sorted(pair for pair in await repository.responsibility_pairs(session) if pair[1] in shown)
    return KnowledgeExport(
        tenant_id=tenant_id,
        exported_at=now,
        descriptions=[
            ExportedDescription.model_validate({**view, "external_id": external_ids.get(view["id"])}) for view in views
        ],
        offices=[ExportedOffice.model_validate(row) for row in await repository.all_offices(session)],
        responsibilities=[
            ExportedResponsibility(office_id=office, description_id=description) for office, description in pairs
        ],
    )
