from kit.migrations import run_env
from tenants.models import Base

run_env(Base.metadata)
