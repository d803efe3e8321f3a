"""Run the metrics service's migrations as the owner role: ``python -m metrics.migrate``."""

from pathlib import Path

from kit.migrations import upgrade
from metrics.settings import get_settings

MIGRATIONS = Path(__file__).parent / "migrations"


def main() -> None:
    """Bring the database to the newest revision."""
    settings = get_settings()
    upgrade(MIGRATIONS, settings.migration_database_url.get_secret_value(), runtime_role=settings.runtime_role_name)


if __name__ == "__main__":
    main()
