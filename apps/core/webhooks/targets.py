"""Which URLs a webhook may go to, checked at registration and again at every delivery.

A webhook is a request the platform makes on an integration's say-so, from inside the bank's
VPC: without these checks an endpoint could point it at the instance metadata service, an
internal admin or a database. The rules (docs/webhooks.md, "Targets"):

* ``https`` only (``http`` too where private targets are allowed: local development and tests);
* no user name or password in the URL;
* the host is resolved here and **every** address it resolves to must be public: not private,
  loopback, link-local, multicast, reserved, unspecified, shared (100.64.0.0/10), nor any of those
  in IPv4-mapped, IPv4-compatible, NAT64 or 6to4 form; cloud metadata addresses are refused even
  where private targets are allowed;
* the connection goes to the address checked here (``delivery.py`` connects to the IP and sends
  the host name as ``Host`` and for TLS), so a second DNS answer cannot redirect it (DNS rebinding);
  redirects are not followed and no proxy from the environment is used.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

MAX_URL_LENGTH = 2000
METADATA = frozenset({ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254"),
                      ipaddress.ip_address("100.100.100.200"), ipaddress.ip_address("169.254.170.2")})
SHARED = ipaddress.ip_network("100.64.0.0/10")
NAT64 = ipaddress.ip_network("64:ff9b::/96")
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class TargetRefused(ValueError):
    """A URL (or what its host resolves to) that webhooks may not reach; the message says why."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as written (the Host header and the TLS server name)
    port: int
    path: str  # path and query, as sent on the request line
    addresses: tuple[str, ...]  # every address the host resolved to, each checked


def private_allowed() -> bool:
    return bool(settings.CDD_WEBHOOKS_ALLOW_PRIVATE_TARGETS)


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, compatible, 6to4, NAT64), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if int(address) >> 32 == 0 and int(address) > 1:  # ::a.b.c.d (IPv4-compatible, deprecated)
        return ipaddress.IPv4Address(int(address))
    return None


def address_problem(address: IPAddress, *, allow_private: bool) -> str | None:
    """Why webhooks may not connect to ``address`` (None when they may)."""
    if address in METADATA:
        return f"{address} is a cloud metadata address"
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            problem = address_problem(embedded, allow_private=allow_private)
            return f"{address} embeds {problem}" if problem else None
    if allow_private:
        return None
    for kind, bad in (("loopback", address.is_loopback), ("link-local", address.is_link_local),
                      ("multicast", address.is_multicast), ("unspecified", address.is_unspecified),
                      ("reserved", address.is_reserved),
                      ("shared (100.64.0.0/10)", isinstance(address, ipaddress.IPv4Address) and address in SHARED),
                      ("private", address.is_private)):
        if bad:
            return f"{address} is {'an' if kind[0] in 'aeiou' else 'a'} {kind} address"
    if not address.is_global:
        return f"{address} is not a globally routable address"
    return None


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise TargetRefused(f"the host {host} does not resolve ({exc})") from exc
    found = list(dict.fromkeys(str(info[4][0]).split("%")[0] for info in infos))
    if not found:
        raise TargetRefused(f"the host {host} does not resolve")
    return found


def url_problem(url: str) -> str | None:
    """What is wrong with the URL as written (before any DNS lookup), or None."""
    if len(url) > MAX_URL_LENGTH:
        return f"at most {MAX_URL_LENGTH} characters"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return f"not a valid URL ({exc})"
    schemes = ("https", "http") if private_allowed() else ("https",)
    if parts.scheme not in schemes:
        return "must start with https://" + (" (or http:// here)" if private_allowed() else "")
    if not parts.hostname:
        return "has no host"
    if parts.username is not None or parts.password is not None:
        return "must not carry a user name or password; authenticate the webhook by its signature"
    if parts.fragment:
        return "must not have a #fragment"
    if port == 0:
        return "port 0 is not a port"
    return None


def target_check(url: str) -> Target:
    """The checked target of ``url`` with every address its host resolves to now; ``TargetRefused`` if any is refused."""
    problem = url_problem(url)
    if problem:
        raise TargetRefused(f"the URL {problem}")
    parts = urlsplit(url)
    host = str(parts.hostname)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    allow = private_allowed()
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    addresses = [str(literal)] if literal is not None else _resolve(host, port)
    for text in addresses:
        refused = address_problem(ipaddress.ip_address(text), allow_private=allow)
        if refused:
            where = "" if literal is not None else f"{host} resolves to {text}: "
            raise TargetRefused(f"{where}{refused}; webhooks go only to public addresses")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(scheme=parts.scheme, host=host, port=port, path=path, addresses=tuple(addresses))
