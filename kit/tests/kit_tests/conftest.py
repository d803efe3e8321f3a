from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from kit.db.database import Database
from kit.testing.infra import ScratchDatabase, ServiceDatabases

from .sample import MIGRATIONS


@pytest.fixture
def sample_db(service_databases: ServiceDatabases) -> Iterator[ScratchDatabase]:
    database = service_databases.clone("kitsample", MIGRATIONS)
    yield database
    service_databases.drop(database)


@pytest.fixture
async def database(sample_db: ScratchDatabase) -> AsyncIterator[Database]:
    """The sample database, connected as the runtime role (never as owner or superuser)."""
    db = Database(sample_db.runtime_url, pool_size=2)
    yield db
    await db.dispose()
