"""HTTP endpoints of the telephony feed: batches of call events in, and the quarantine operators look after."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from kit.errors import Forbidden
from kit.identity import Identity, Role
from kit.web.deps import DatabaseDep, identity_with
from kit.web.problems import problem_responses
from metrics.calls import quarantine, service
from metrics.calls.schemas import CallEventBatch, IngestReport, QuarantineList

router = APIRouter(tags=["telephony"])
Reporter = Annotated[Identity, Depends(identity_with(Role.OPERATOR, Role.INTEGRATION_CLIENT))]
Operator = Annotated[Identity, Depends(identity_with(Role.OPERATOR))]


@router.post("/telephony/call-events", response_model=IngestReport, responses=problem_responses(401, 403, 422))
async def report_call_events(batch: CallEventBatch, reporter: Reporter, database: DatabaseDep) -> IngestReport:
    """Take call events (offered, answered, ended, abandoned) from the telephony, up to 5,000 at a time.

    Each event counts for the municipality whose line it came in on. A repeated event id is a duplicate;
    an event that cannot have happened (e.g. ended before it was offered) is refused with the reason; one for a
    line no municipality has waits in the quarantine. An integration client reports the calls of its own
    municipality and of those it serves through grants; an operator those of every one.
    """
    if reporter.has_role(Role.OPERATOR):
        reporter_tenant = None
    elif reporter.tenant_id is None:
        raise Forbidden("An integration client reports the calls of its own municipality and those it serves.")
    else:
        reporter_tenant = reporter.tenant_id
    return await service.ingest(database, batch.events, reporter_tenant=reporter_tenant)


@router.get("/telephony/quarantine", response_model=QuarantineList, responses=problem_responses(401, 403, 422))
async def list_quarantine(
    _: Operator,
    database: DatabaseDep,
    held: Annotated[bool, Query(description="Only events still held (not yet released)")] = True,
    after: Annotated[int | None, Query(ge=0, description="The `next_after` of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Any:
    """The call events no municipality's line was known for, the oldest first."""
    return await quarantine.page(database, held=held, after=after, limit=limit)


@router.post("/telephony/quarantine/release", response_model=IngestReport, responses=problem_responses(401, 403))
async def release_quarantine(_: Operator, database: DatabaseDep) -> IngestReport:
    """Ingest the held events whose line is now known (after the line was added to its municipality)."""
    return await quarantine.release(database)
