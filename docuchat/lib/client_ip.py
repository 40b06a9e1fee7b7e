"""The client's IP address, for every per-IP limit, behind proxies we trust and only those.

Behind a reverse proxy every request comes from the proxy's address, so a per-IP limit keyed on
REMOTE_ADDR becomes one limit shared by everybody. `X-Forwarded-For` names the client, but anyone
can send that header: it is believed only when the request comes from an address in
TRUSTED_PROXIES (IP addresses or networks), and then read from the right, skipping the trusted
proxies' own entries, so that a client cannot choose its address by sending the header itself.
"""

import ipaddress
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@cache
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in proxies if p.strip())


def trusted(address: str, proxies: Iterable[str] | None = None) -> bool:
    networks = _networks(tuple(settings.TRUSTED_PROXIES if proxies is None else proxies))
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in networks)


def resolve(remote_addr: str, forwarded_for: str, proxies: Iterable[str] | None = None) -> str:
    """The client address: REMOTE_ADDR, or the right-most untrusted X-Forwarded-For entry when
    REMOTE_ADDR is a trusted proxy."""
    if not forwarded_for or not trusted(remote_addr, proxies):
        return remote_addr
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not trusted(hop, proxies):
            return _valid(hop) or remote_addr
    return _valid(hops[0]) or remote_addr if hops else remote_addr


def _valid(address: str) -> str:
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return ""


def client_ip(request: Any) -> str:
    """For an HttpRequest."""
    meta = request.META
    return resolve(meta.get("REMOTE_ADDR", ""), meta.get("HTTP_X_FORWARDED_FOR", ""))


def ratelimit_key(group: str, request: Any) -> str:
    """A django-ratelimit `key` callable: the client's IP address."""
    return client_ip(request)


def scope_client_ip(scope: Mapping[str, Any]) -> str:
    """For an ASGI scope (a WebSocket or an ASGI view)."""
    client = scope.get("client") or ("", 0)
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
    return resolve(str(client[0] or ""), headers.get("x-forwarded-for", ""))
