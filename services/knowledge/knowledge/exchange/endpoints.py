"""HTTP endpoints for exchanging knowledge: importing an XZuFi 2.2 transfer, exporting what agents see."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from kit.identity import Role
from kit.web.deps import TenantScope
from kit.web.problems import problem_responses
from knowledge.deps import EditorScope, known_scope_for
from knowledge.exchange import export, importer
from knowledge.exchange.schemas import ImportReport, KnowledgeExport

router = APIRouter(tags=["exchange"])

PATH = "/tenants/{tenant_id}/knowledge"
# Whoever may read the knowledge one by one may read it whole.
ReaderScope = Annotated[
    TenantScope,
    Depends(known_scope_for(Role.TENANT_ADMIN, Role.KNOWLEDGE_EDITOR, Role.OPERATOR, Role.AGENT)),
]
DryRun = Annotated[bool, Query(description="Report what the import would do without writing anything")]
_XML_BODY = {
    "requestBody": {
        "required": True,
        "description": "An XZuFi 2.2 transfer message (xzufi.transfer.*)",
        "content": {"application/xml": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.post(
    PATH + "/imports",
    response_model=ImportReport,
    responses=problem_responses(401, 403, 404, 409, 413, 415, 422),
    openapi_extra=_XML_BODY,
)
async def import_xzufi(request: Request, scope: EditorScope, dry_run: DryRun = False) -> ImportReport:
    """Apply an XZuFi 2.2 transfer to the municipality's own descriptions, offices and responsibilities.

    Objects are matched by their XZuFi ids; what the file writes is published, what it deletes is withdrawn.
    All of it is applied in one transaction, or nothing is.
    """
    transfer = await importer.read_transfer(request.headers.get("content-type"), await request.body())
    async with scope.database.transaction(scope.tenant_id) as session:
        return await importer.apply_transfer(
            session, scope.identity, tenant_id=scope.tenant_id, transfer=transfer, dry_run=dry_run
        )


@router.get(PATH + "/export", response_model=KnowledgeExport, responses=problem_responses(401, 403, 404))
async def export_knowledge(scope: ReaderScope) -> KnowledgeExport:
    """Export the municipality's published knowledge as agents see it, with offices and responsibilities."""
    async with scope.database.transaction(scope.tenant_id) as session:
        return await export.export_knowledge(session, tenant_id=scope.tenant_id, now=datetime.now(UTC))
