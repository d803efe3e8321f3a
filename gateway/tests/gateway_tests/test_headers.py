"""Which headers cross the gateway."""

from __future__ import annotations

from multidict import CIMultiDict

from gateway.headers import client_response_headers, continue_trace, request_id, upstream_request_headers


def test_identity_and_hop_by_hop_headers_are_dropped_on_the_way_in() -> None:
    headers = [
        ("Host", "api.example"),
        ("Authorization", "Bearer key"),
        ("X-API-Key", "key"),
        ("X-Tenant-Id", "oldenburg"),
        ("x-zentrale-identity", "forged"),
        ("X-User-Roles", "operator"),
        ("Forwarded", "for=1.2.3.4"),
        ("X-Forwarded-For", "1.2.3.4"),
        ("X-Real-IP", "1.2.3.4"),
        ("Connection", "keep-alive, X-Private"),
        ("X-Private", "1"),
        ("Transfer-Encoding", "chunked"),
        ("TE", "trailers"),
        ("Traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
        ("Baggage", "tenant=oldenburg"),
        ("Accept", "application/json"),
        ("Accept", "text/plain"),
        ("Content-Type", "application/json"),
        ("Content-Length", "12"),
        ("If-Match", '"v3"'),
        ("Idempotency-Key", "abc"),
    ]

    forwarded = upstream_request_headers(headers, "keep-alive, X-Private")

    assert list(forwarded.items()) == [
        ("Accept", "application/json"),
        ("Accept", "text/plain"),
        ("Content-Type", "application/json"),
        ("Content-Length", "12"),
        ("If-Match", '"v3"'),
        ("Idempotency-Key", "abc"),
        ("Accept-Encoding", "identity"),
        ("User-Agent", "zentrale-gateway"),
    ]


def test_client_encodings_and_agent_are_kept() -> None:
    headers = [("Accept-Encoding", "br, gzip"), ("User-Agent", "artland-web/2.1")]

    forwarded = upstream_request_headers(headers, None)

    assert forwarded["Accept-Encoding"] == "br, gzip"
    assert forwarded["User-Agent"] == "artland-web/2.1"


def test_hop_by_hop_headers_are_dropped_on_the_way_out() -> None:
    headers = [
        ("Content-Type", "application/json"),
        ("Connection", "close"),
        ("Keep-Alive", "timeout=5"),
        ("Transfer-Encoding", "chunked"),
        ("Server", "uvicorn"),
        ("Date", "Mon, 23 Nov 2026 10:00:00 GMT"),
        ("ETag", '"v3"'),
        ("Set-Cookie", "a=1"),
        ("Set-Cookie", "b=2"),
    ]

    returned = client_response_headers(headers, "close")

    assert list(returned.items()) == [
        ("Content-Type", "application/json"),
        ("ETag", '"v3"'),
        ("Set-Cookie", "a=1"),
        ("Set-Cookie", "b=2"),
    ]


def test_request_id_is_kept_only_when_well_formed() -> None:
    assert request_id("7f1c2a9e-4b5d-4c1e-9a0b-1d2e3f4a5b6c") == "7f1c2a9e-4b5d-4c1e-9a0b-1d2e3f4a5b6c"
    for offered in (None, "", "has space", "x" * 129, "new\nline", "-leading-dash"):
        generated = request_id(offered)
        assert generated != offered
        assert len(generated) == 32


def test_without_recorded_spans_the_clients_trace_context_travels_on_unchanged() -> None:
    parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    received = CIMultiDict({"traceparent": parent, "tracestate": "vendor=1", "baggage": "a=b"})
    forwarded: CIMultiDict[str] = CIMultiDict()

    continue_trace(received, forwarded, recording=False)

    assert dict(forwarded) == {"traceparent": parent, "tracestate": "vendor=1"}


def test_a_malformed_traceparent_is_not_passed_on() -> None:
    forwarded: CIMultiDict[str] = CIMultiDict()

    continue_trace(CIMultiDict({"traceparent": "00-nonsense", "tracestate": "x=1"}), forwarded, recording=False)

    assert not forwarded
