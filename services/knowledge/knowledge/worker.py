"""The knowledge service's worker: ``python -m knowledge.worker``."""

from kit.worker import run_worker
from knowledge.events.handlers import SUBSCRIPTIONS
from knowledge.settings import SERVICE, get_settings


def main() -> None:
    """Run the relay and the consumers until SIGTERM or SIGINT."""
    settings = get_settings()
    run_worker(SERVICE, settings, port=settings.worker_port, subscriptions=SUBSCRIPTIONS)


if __name__ == "__main__":
    main()
