"""Serve a service's API: ``python -m kit.serve tenants.app:create_app [--host H] [--port P]``.

uvicorn with the app factory loaded first, then the process tuned (``kit.runtime``): the start-up heap
is frozen out of garbage collection before the first request.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import uvicorn

from kit.runtime import tune_garbage_collection


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m kit.serve", description=__doc__.splitlines()[0])
    parser.add_argument("factory", help="module:function returning the ASGI app, e.g. tenants.app:create_app")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args(argv)
    config = uvicorn.Config(
        args.factory,
        factory=True,
        host=args.host,
        port=args.port,
        access_log=False,
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=10,
    )
    config.load()
    tune_garbage_collection()
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
