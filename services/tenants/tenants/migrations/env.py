import tenants.tenant.models  # noqa: F401 - registers the models on Base.metadata
from kit.migrations import run_env
from tenants.models import Base

run_env(Base.metadata)
