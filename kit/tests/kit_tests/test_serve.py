"""``python -m kit.serve``: a service API process as devstack and the deployment start it."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import httpx

from kit.local.postgres import free_port
from kit.testing.events import eventually
from kit.testing.infra import InfraServers, ScratchDatabase
from kit.testing.keys import SigningKeys

TESTS_ROOT = Path(__file__).resolve().parent.parent


async def test_serves_the_factory_app_until_terminated(
    sample_db: ScratchDatabase, servers: InfraServers, keys: SigningKeys
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(TESTS_ROOT), os.environ.get("PYTHONPATH", "")]),
        "SAMPLE_DATABASE_URL": sample_db.runtime_url,
        "SAMPLE_NATS_URL": servers.nats_url,
        "SAMPLE_JWKS": keys.jwks_json,
    }
    factory = "kit_tests.sample:sample_app_from_environment"
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "kit.serve", factory, "--host", "127.0.0.1", "--port", str(port)),
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:

            async def ready() -> bool:
                try:
                    return (await client.get("/readyz")).status_code == 200
                except httpx.TransportError:
                    assert process.returncode is None, "the server exited"
                    return False

            await eventually(ready, within=20)
            created = await client.post(
                "/v1/tenants/artland/notes", json={"body": "served"}, headers=keys.headers_for("artland")
            )
            assert created.status_code == 201
            assert "server" not in created.headers
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=15)
    log = stderr.decode(errors="replace")
    assert "Application shutdown complete" in log, log[-2000:]
    assert process.returncode in (0, -signal.SIGTERM)
