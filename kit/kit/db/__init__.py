"""Tenant-scoped database access: every transaction carries its tenant, never a connection."""
