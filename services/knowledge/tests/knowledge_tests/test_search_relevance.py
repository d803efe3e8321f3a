"""Search quality over the sample knowledge: realistic caller queries and the descriptions that answer them.

The relevance set (``samples/relevance_de.json``) holds what agents type while listening, with the
description that should come first. Reported: hit@3 (the best answer among the first three) and the
mean reciprocal rank of the best answer. Run with ``-s`` to see every query's rank.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from kit.testing.keys import SigningKeys

from .support import agent, editor, published

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
BASE = "/v1/knowledge/base/descriptions"
# What the search reaches on the set today, kept from slipping back.
LEAST_HIT_AT_3 = 0.95
LEAST_MRR = 0.92


def _sample(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SAMPLES / name).read_text(encoding="utf-8"))
    return loaded


async def _load(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    sample = _sample("knowledge_de.json")
    shared = {}
    for body in sample["descriptions"]:
        shared[body["content"]["name"]] = await published(client, BASE, body, editor(keys))
    for tenant, bodies in sample["local"].items():
        for body in bodies:
            await published(client, f"/v1/tenants/{tenant}/knowledge/descriptions", body, editor(keys, tenant))
    for tenant, supplements in sample["supplements"].items():
        for supplement in supplements:
            path = f"/v1/tenants/{tenant}/knowledge/descriptions/{shared[supplement['base']]}/supplement"
            written = await client.put(path, json={"content": supplement["content"]}, headers=editor(keys, tenant))
            assert written.status_code == 201, written.text
            moved = await client.put(
                f"{path}/status",
                json={"status": "published"},
                headers=editor(keys, tenant) | {"If-Match": written.headers["ETag"]},
            )
            assert moved.status_code == 200, moved.text


def _rank(names: list[str], best: str) -> int | None:
    return names.index(best) + 1 if best in names else None


async def test_callers_queries_find_the_answer_near_the_top(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    await _load(client, keys)
    queries = _sample("relevance_de.json")["queries"]
    assert len(queries) >= 40

    ranks: list[int | None] = []
    lines = []
    for case in queries:
        answer = await client.get(
            f"/v1/tenants/{case['tenant']}/knowledge/search",
            params={"q": case["query"], "limit": 10},
            headers=agent(keys, case["tenant"]),
        )
        assert answer.status_code == 200, answer.text
        names = [hit["name"] for hit in answer.json()["items"]]
        rank = _rank(names, case["best"])
        ranks.append(rank)
        lines.append(f"{rank or '-':>2}  {case['query']!r} → {names[:3]}")

    hit_at_3 = sum(1 for rank in ranks if rank is not None and rank <= 3) / len(ranks)
    mrr = sum(1 / rank for rank in ranks if rank is not None) / len(ranks)
    report = "\n".join([*lines, f"queries {len(ranks)}  hit@3 {hit_at_3:.3f}  MRR {mrr:.3f}"])
    print(report)
    assert hit_at_3 >= LEAST_HIT_AT_3, report
    assert mrr >= LEAST_MRR, report
