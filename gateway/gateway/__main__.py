"""Run the gateway: ``python -m gateway`` (``GATEWAY_HOST``/``GATEWAY_PORT``, default 127.0.0.1:8000)."""

from __future__ import annotations

import logging
import sys

from pydantic import ValidationError

from gateway.app import create_app
from gateway.serving import serve
from gateway.settings import SERVICE, get_settings
from kit.logging import configure_logging
from kit.runtime import run, tune_garbage_collection
from kit.telemetry import configure_tracing

log = logging.getLogger("gateway")


def main() -> None:
    """Start the gateway and serve until SIGINT or SIGTERM."""
    try:
        settings = get_settings()
    except ValidationError as error:
        # Only the messages: the inputs may hold secrets.
        messages = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in error.errors())
        print(f"gateway: invalid settings: {messages}", file=sys.stderr)
        raise SystemExit(2) from None
    configure_logging(SERVICE, level=settings.log_level, json=settings.log_json)
    configure_tracing(SERVICE, databases=False)
    try:
        app = create_app(settings)
    except ValueError as error:
        log.error("gateway.start.failed", extra={"reason": str(error)})
        raise SystemExit(2) from None
    tune_garbage_collection()
    log.info("gateway.starting", extra={"host": settings.host, "port": settings.port})
    run(serve(app, host=settings.host, port=settings.port))


if __name__ == "__main__":
    main()
