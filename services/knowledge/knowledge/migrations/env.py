import knowledge.directory.models  # noqa: F401 - registers the models on Base.metadata
from kit.migrations import run_env
from knowledge.models import Base

run_env(Base.metadata)
