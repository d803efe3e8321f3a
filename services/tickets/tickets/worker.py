"""The tickets service's worker: ``python -m tickets.worker``."""

from kit.worker import run_worker
from tickets.deadlines.watch import deadline_watch
from tickets.events.handlers import SUBSCRIPTIONS
from tickets.personal.sweep import retention_sweep
from tickets.settings import SERVICE, get_settings


def main() -> None:
    """Run the relay, the consumers, the deadline watch and the retention sweep until SIGTERM or SIGINT."""
    settings = get_settings()
    run_worker(
        SERVICE,
        settings,
        port=settings.worker_port,
        subscriptions=SUBSCRIPTIONS,
        loops=[deadline_watch, retention_sweep],
    )


if __name__ == "__main__":
    main()
