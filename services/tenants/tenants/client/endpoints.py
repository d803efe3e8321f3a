"""HTTP endpoints for a tenant's API clients."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["api clients"])
