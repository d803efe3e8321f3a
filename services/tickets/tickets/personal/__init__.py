"""Callers' personal data: the audit of who read them, export and erasure on request, and the retention sweep."""
