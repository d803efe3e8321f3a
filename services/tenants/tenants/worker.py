"""The tenants service's worker: ``python -m tenants.worker``."""

from kit.worker import run_worker
from tenants.events.handlers import SUBSCRIPTIONS
from tenants.settings import SERVICE, get_settings
from tenants.webhook.dispatcher import webhook_dispatcher


def main() -> None:
    settings = get_settings()
    run_worker(
        SERVICE,
        settings,
        port=settings.worker_port,
        subscriptions=SUBSCRIPTIONS,
        loops=(webhook_dispatcher(settings),),
    )


if __name__ == "__main__":
    main()
