"""HTTP endpoint of the overdue overview: how many open tickets each department let pass their due instant."""

from __future__ import annotations

from fastapi import APIRouter

from kit.web.problems import problem_responses
from tickets.deadlines import service
from tickets.deadlines.schemas import OverdueDepartment, OverdueOverview
from tickets.deps import StaffScope

router = APIRouter(tags=["tickets"])
# A fixed segment beside ``/tickets/{ticket_id}``: this router must be included before the tickets router.
OVERDUE = "/tenants/{tenant_id}/tickets/overdue"


@router.get(OVERDUE, response_model=OverdueOverview, responses=problem_responses(401, 403, 404, 422))
async def overdue_overview(scope: StaffScope) -> OverdueOverview:
    """Count the open tickets past their due instant per department, with the oldest due instant of each."""
    async with scope.database.lean_transaction(scope.tenant_id) as conn:
        rows = await service.overdue_overview(conn)
    items = [OverdueDepartment.model_validate(row) for row in rows]
    return OverdueOverview(items=items, total=sum(item.count for item in items))
