"""Who the client is on the network, also behind the operator's load balancer or ingress.

Only the proxies the operator names (``GATEWAY_TRUSTED_PROXIES``) are believed: walking
``X-Forwarded-For`` from the right, the first address that is not one of them is the client's. A request
from anywhere else is taken at its connection's address, whatever headers it brings, so nobody can choose
the address that the public's rate limit counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network
from typing import NamedTuple


class ClientOrigin(NamedTuple):
    """The client's address and the scheme it used."""

    address: str
    scheme: str


def parse_networks(values: Iterable[str]) -> tuple[IPv4Network | IPv6Network, ...]:
    """Networks from addresses or CIDR blocks; raises ValueError naming one that is neither."""
    networks = []
    for value in values:
        try:
            networks.append(ip_network(value.strip(), strict=False))
        except ValueError:
            raise ValueError(f"not an address or network: {value!r}") from None
    return tuple(networks)


class TrustedProxies:
    """Resolves a request's origin through the configured proxies."""

    def __init__(self, networks: Iterable[str] = ()) -> None:
        self._networks = parse_networks(networks)

    def _trusted(self, address: str) -> bool:
        try:
            parsed = ip_address(address.strip())
        except ValueError:
            return False
        return any(parsed in network for network in self._networks)

    def origin(self, remote: str | None, scheme: str, headers: Mapping[str, str]) -> ClientOrigin:
        """The client behind ``remote``: itself, unless ``remote`` is a trusted proxy that says who it is."""
        address = remote or ""
        if not self._networks or not self._trusted(address):
            return ClientOrigin(address, scheme)
        forwarded = headers.get("X-Forwarded-For", "")
        for hop in reversed([hop.strip() for hop in forwarded.split(",") if hop.strip()]):
            address = hop
            if not self._trusted(hop):
                break
        proto = headers.get("X-Forwarded-Proto", "").strip().lower()
        return ClientOrigin(address, proto if proto in ("http", "https") else scheme)
