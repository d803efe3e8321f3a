"""A small HTTP load generator for when ``wrk`` is not installed: aiohttp, keep-alive, N concurrent clients.

Runs as its own process (so it does not share the server's interpreter) and imports nothing of the
project, so it starts fast. Prints one JSON line: requests, seconds, failures (non-200 answers).

    python bench/http_load.py --url http://127.0.0.1:8000 --seconds 5 --connections 64 --requests requests.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import aiohttp
import uvloop


async def load(
    url: str, seconds: float, connections: int, requests: list[tuple[str, dict[str, str]]]
) -> dict[str, float]:
    """Keep ``connections`` keep-alive connections busy for ``seconds``, cycling through ``requests``."""
    done = failures = 0
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(url, connector=connector) as session:
        deadline = time.perf_counter() + seconds

        async def client(offset: int) -> None:
            nonlocal done, failures
            index = offset
            while time.perf_counter() < deadline:
                path, headers = requests[index % len(requests)]
                index += 1
                async with session.get(path, headers=headers) as answer:
                    await answer.read()
                    done += 1
                    failures += answer.status != 200

        started = time.perf_counter()
        await asyncio.gather(*(client(n) for n in range(connections)))
        elapsed = time.perf_counter() - started
    return {"requests": done, "seconds": elapsed, "failures": failures}


def main(argv: Sequence[str] | None = None) -> int:
    """Run one load interval and print its result as JSON."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--connections", type=int, default=64, help="concurrent keep-alive connections")
    parser.add_argument("--requests", required=True, help="JSON list of [path, headers]")
    args = parser.parse_args(argv)
    requests = [(path, headers) for path, headers in json.loads(Path(args.requests).read_text())]
    print(json.dumps(uvloop.run(load(args.url, args.seconds, args.connections, requests))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
