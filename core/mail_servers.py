"""Which mail servers a tenant may name: only servers on the public internet, on a mail port.

A tenant's SMTP host is text any of its admins can type, and the install connects to it from inside
the hosting network. Unchecked, that makes the install a port scanner and banner reader for the
hosting network (databases, the cloud's metadata service). So a tenant's host must resolve only to
public addresses, and its port must be one the operator allows (25, 465, 587 by default). The check
runs when the settings are saved and again at every connection, because a name's addresses may
change in between; the connection then goes to the address that was checked, never to a name resolved
a second time. The operator may allow ranges that are not public (``smtp_allowed_networks``), for a
relay inside the hosting network. The install's own server (an operator setting) is trusted.
"""

from __future__ import annotations

import socket
from ipaddress import IPv4Address, IPv6Address, IPv6Network, ip_address

import anyio

from core.errors import FieldError
from core.settings import Settings

__all__ = [
    "RESOLVE_SECONDS",
    "ServerRefused",
    "is_reachable_address",
    "port_allowed",
    "refusals",
    "safe_address",
]

RESOLVE_SECONDS = 5.0
"""How long a name may take to resolve before the server counts as unreachable."""

METADATA = frozenset(
    ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200", "168.63.129.16")
)
"""Cloud metadata and platform services (AWS, ECS, Alibaba, Azure): never a tenant's mail server, even
inside an allowed range."""

_NAT64 = IPv6Network("64:ff9b::/96")

IPAddress = IPv4Address | IPv6Address


class ServerRefused(Exception):
    """A tenant's mail server that the install will not connect to; the text is for the server log."""


def _embedded(address: IPAddress) -> IPAddress | None:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, Teredo, NAT64), which is where it leads."""
    if not isinstance(address, IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_reachable_address(address: IPAddress, settings: Settings) -> bool:
    """May the install connect to ``address`` for a tenant: a public unicast address, or one in a
    range the operator allows; never a metadata service."""
    inner = _embedded(address)
    if inner is not None and not is_reachable_address(inner, settings):
        return False
    if address in METADATA:
        return False
    if any(address in network for network in settings.smtp_allowed_networks):
        return True
    return address.is_global and not (address.is_multicast or address.is_reserved or address.is_unspecified)


def port_allowed(port: int, settings: Settings) -> bool:
    return port in settings.smtp_allowed_ports


def _lookup(host: str, port: int) -> list[IPAddress]:
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in found:
        address = ip_address(str(sockaddr[0]).partition("%")[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


async def _resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` has now (an address literal is its own); ``OSError`` when it has none."""
    try:
        return [ip_address(host.strip("[]"))]
    except ValueError:
        pass
    with anyio.fail_after(RESOLVE_SECONDS):
        return await anyio.to_thread.run_sync(_lookup, host, port, abandon_on_cancel=True)


async def safe_address(host: str, port: int, settings: Settings) -> str:
    """The address to connect to for a tenant's server ``host:port``: resolved now, every address
    checked, the first one returned. Raises ``ServerRefused`` (with the reason, for the log)."""
    if not port_allowed(port, settings):
        raise ServerRefused(f"port {port} of {host} is not a port the install allows")
    try:
        addresses = await _resolve(host, port)
    except (OSError, TimeoutError, UnicodeError) as exc:
        raise ServerRefused(f"{host} could not be resolved: {exc!r}") from None
    refused = [str(a) for a in addresses if not is_reachable_address(a, settings)]
    if refused or not addresses:
        raise ServerRefused(f"{host} resolves to addresses a tenant may not reach: {', '.join(refused)}")
    return str(addresses[0])


async def refusals(host: str, port: int, settings: Settings) -> list[FieldError]:
    """What is wrong with a tenant's server as its settings name it, as field errors.

    A name that does not resolve now is accepted (the server may be set up later, or only be known to
    the install's resolver): every connection is checked again anyway.
    """
    errors: list[FieldError] = []
    if not port_allowed(port, settings):
        allowed = ", ".join(str(p) for p in sorted(settings.smtp_allowed_ports)[:10])
        errors.append({"field": "smtp.port", "message": f"must be a mail port ({allowed})"})
    try:
        addresses = await _resolve(host, port)
    except (OSError, TimeoutError, UnicodeError):
        addresses = []
    if any(not is_reachable_address(a, settings) for a in addresses):
        errors.append({"field": "smtp.host", "message": "must be a mail server on the public internet"})
    return errors
