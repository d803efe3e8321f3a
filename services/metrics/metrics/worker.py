"""The metrics service's worker: ``python -m metrics.worker``."""

from kit.worker import Worker, run_worker
from metrics.calls.feed import CallFeed, telephony_stream
from metrics.compliance.watch import breach_watch
from metrics.events.handlers import SUBSCRIPTIONS
from metrics.settings import SERVICE, get_settings


def call_feed(worker: Worker) -> CallFeed:
    """The telephony subject's feed as one of the worker's loops, on the worker's database and NATS connection."""
    assert worker.database is not None
    assert worker.nats is not None
    return CallFeed(database=worker.database, nats=worker.nats)


def main() -> None:
    """Run the relay, the consumers, the call feed and the breach watch until SIGTERM or SIGINT."""
    settings = get_settings()
    run_worker(
        SERVICE,
        settings,
        port=settings.worker_port,
        subscriptions=SUBSCRIPTIONS,
        loops=[call_feed, breach_watch],
        extra_streams=[telephony_stream(replicas=settings.stream_replicas)],
    )


if __name__ == "__main__":
    main()
