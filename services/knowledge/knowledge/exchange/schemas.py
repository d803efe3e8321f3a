"""What an import reports and what an export holds."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field

from knowledge.description.schemas import MergedDescription
from knowledge.office.schemas import OfficeRead


class Counts(BaseModel):
    """What became of the objects of one kind; every object the file names is counted once."""

    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0


class ImportReport(BaseModel):
    dry_run: bool = Field(description="True: nothing was written; the counts say what an import would do")
    descriptions: Counts
    offices: Counts
    responsibilities: Counts


class ExportedDescription(MergedDescription):
    """A published description as agents of the municipality see it, with the id it has in its source system."""

    external_id: str | None = Field(description="The Leistung's id in the XZuFi source, for imported descriptions")
    updated_at: datetime


class ExportedOffice(OfficeRead):
    external_id: str | None = Field(description="The Organisationseinheit's id in the XZuFi source, if imported")


class ExportedResponsibility(BaseModel):
    office_id: UUID
    description_id: UUID


class KnowledgeExport(BaseModel):
    """Everything agents of one municipality can look up: descriptions, offices and which office does what."""

    tenant_id: str
    exported_at: datetime
    descriptions: list[ExportedDescription]
    offices: list[ExportedOffice]
    responsibilities: list[ExportedResponsibility]
