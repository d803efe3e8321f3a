"""API keys: their format, their randomness and the digest they are kept as."""

from __future__ import annotations

import hashlib

from tenants.client import keys


def test_a_key_reads_scheme_prefix_and_secret_and_is_stored_as_its_sha256() -> None:
    issued = keys.issue()
    scheme, prefix, secret = issued.key.split("_")
    assert (scheme, prefix) == ("zk", issued.prefix)
    assert len(prefix) == 8
    assert len(secret) == 52
    assert len(issued.key) == 64
    assert issued.digest == hashlib.sha256(issued.key.encode()).digest()


def test_keys_never_repeat_and_never_show_in_a_repr() -> None:
    issued = [keys.issue() for _ in range(200)]
    assert len({key.key for key in issued}) == 200
    assert len({key.prefix for key in issued}) == 200
    assert issued[0].key not in repr(issued[0])


def test_only_well_formed_keys_have_a_prefix() -> None:
    issued = keys.issue()
    assert keys.prefix_of(issued.key) == issued.prefix
    for bad in ("", "zk_", issued.key.upper(), issued.key + "a", issued.key[:-1], "ghp_" + issued.key[3:]):
        assert keys.prefix_of(bad) is None


def test_digests_compare_equal_only_for_the_same_key() -> None:
    first, second = keys.issue(), keys.issue()
    assert keys.same_digest(keys.digest(first.key), first.digest)
    assert not keys.same_digest(keys.digest(second.key), first.digest)
