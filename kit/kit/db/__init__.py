"""Tenant-scoped database access: every transaction carries its tenant, never a connection."""

from kit.db.database import Database, TenantSession

__all__ = ["Database", "TenantSession"]
