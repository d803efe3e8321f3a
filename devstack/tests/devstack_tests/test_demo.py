"""The demo waits for the gateway's grants before it says the stack is ready."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler

from devstack.demo import wait_for_grants

from .stand_ins import serving


@contextmanager
def gateway_reporting(states: list[str]) -> Iterator[str]:
    """A stand-in gateway whose ``/readyz`` reports the grants as ``states`` says, one answer each."""

    class Readyz(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state = states.pop(0) if len(states) > 1 else states[0]
            body = json.dumps({"status": "ready", "checks": {"grants": state}}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    with serving(Readyz) as url:
        yield url


def test_waits_until_the_gateway_has_loaded_the_grants() -> None:
    states = ["not loaded", "not loaded", "loaded"]
    with gateway_reporting(states) as url:
        assert wait_for_grants(url, timeout=5.0)
    assert states == ["loaded"]


def test_gives_up_after_the_timeout() -> None:
    with gateway_reporting(["not loaded"]) as url:
        assert not wait_for_grants(url, timeout=0.3)
