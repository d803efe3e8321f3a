"""Where webhooks may go: http(s) URLs whose every address is public, unless an operator allows more.

Checked when a subscription is saved and again at every delivery. At delivery the check sits in the
HTTP client's resolver, so the connection goes to exactly the addresses that were checked (a name that
resolves differently a moment later — DNS rebinding — cannot slip in between check and connect).
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

from tenants.settings import TenantsSettings

Address = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network

MAX_URL_LENGTH = 2048
_SHARED = ip_network("100.64.0.0/10")
_NAT64 = ip_network("64:ff9b::/96")
# What "allow private targets" opens; link-local (cloud metadata), multicast and the like stay closed.
PRIVATE_KINDS = frozenset({"loopback", "private", "shared (CGNAT)"})
_RESOLVE_TIMEOUT = 5.0


class TargetRefused(Exception):
    """The URL may not be a webhook target; the message says why."""


def url_problem(url: str) -> str | None:
    """Why ``url`` is no webhook URL at all (whatever the settings), or None."""
    if len(url) > MAX_URL_LENGTH:
        return f"longer than {MAX_URL_LENGTH} characters"
    try:
        parts = urlsplit(url)
        _ = parts.port
    except ValueError as error:
        return f"not a URL: {error}"
    if parts.scheme not in ("http", "https"):
        return "only http and https URLs are accepted"
    if not parts.hostname:
        return "the URL names no host"
    if parts.username is not None or parts.password is not None:
        return "credentials in the URL are not accepted; the signature authenticates deliveries"
    if parts.fragment:
        return "a URL fragment is never sent; leave it out"
    return None


def address_kind(address: Address) -> str | None:
    """What kind of non-public address ``address`` is, or None for a public one."""
    if isinstance(address, IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return address_kind(embedded)
    if address.is_unspecified:
        return "unspecified"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if isinstance(address, IPv4Address) and address in _SHARED:
        return "shared (CGNAT)"
    if address.is_private:
        return "private"
    if address.is_reserved:
        return "reserved"
    if not address.is_global:
        return "non-public"
    return None


@dataclass(frozen=True)
class TargetPolicy:
    """The operator's rules for webhook targets."""

    allow_private: bool = False
    allowed_networks: tuple[Network, ...] = ()
    allow_http: bool = False

    @classmethod
    def from_settings(cls, settings: TenantsSettings) -> TargetPolicy:
        return cls(
            allow_private=settings.webhook_allow_private_targets,
            allowed_networks=tuple(settings.webhook_allowed_target_networks),
            allow_http=settings.webhook_allow_http or settings.is_development,
        )

    def refusal(self, address: Address) -> str | None:
        """Why ``address`` may not be a target, or None."""
        if any(address in network for network in self.allowed_networks):
            return None
        kind = address_kind(address)
        if kind is None or (self.allow_private and kind in PRIVATE_KINDS):
            return None
        return f"{address} is a {kind} address"

    def check_scheme(self, url: str) -> None:
        if urlsplit(url).scheme != "https" and not self.allow_http:
            raise TargetRefused("only https URLs are accepted")

    def check_literal(self, url: str) -> bool:
        """Refuse a URL whose host is a refused IP address; True if the host is an address at all."""
        literal = _literal_address(urlsplit(url).hostname or "")
        if literal is None:
            return False
        if reason := self.refusal(literal):
            raise TargetRefused(reason)
        return True

    def check_resolved(self, host: str, addresses: list[str]) -> None:
        for text in addresses:
            if reason := self.refusal(ip_address(text.split("%", 1)[0])):
                raise TargetRefused(f"{host} resolves to {reason}")


def _literal_address(host: str) -> Address | None:
    try:
        return ip_address(host)
    except ValueError:
        return None


async def check_target(url: str, policy: TargetPolicy) -> None:
    """Refuse ``url`` as a target if its scheme, address, or any address its host resolves to is refused.

    A host that does not resolve (yet) is accepted here; every delivery checks again.
    """
    policy.check_scheme(url)
    if policy.check_literal(url):
        return
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = await asyncio.wait_for(
            asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM), _RESOLVE_TIMEOUT
        )
    except (OSError, TimeoutError):
        return
    policy.check_resolved(host, [str(info[4][0]) for info in infos])


class GuardedResolver(AbstractResolver):
    """An aiohttp resolver that hands the connector only addresses the policy allows."""

    def __init__(self, policy: TargetPolicy) -> None:
        self._policy = policy
        self._resolver: ThreadedResolver | None = None

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if self._resolver is None:
            self._resolver = ThreadedResolver()
        results = await self._resolver.resolve(host, port, family)
        self._policy.check_resolved(host, [result["host"] for result in results])
        return results

    async def close(self) -> None:
        if self._resolver is not None:
            await self._resolver.close()
