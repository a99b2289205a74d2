"""Where the safe fetcher may go: a URL read into scheme, host, port and path (IDNA, escapes,
no credentials or fragments), and the rules that refuse private, loopback, link-local and other
special-purpose addresses, however they are written (IPv4-mapped, NAT64, 6to4 …).

Used by :class:`verifier.fetch.SafeFetcher` before every connection and redirect.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final
from urllib.parse import quote, urlsplit

from verifier.errors import (
    FetchRefused,
)

if TYPE_CHECKING:
    pass


__all__ = [
    "IPAddress",
    "Target",
    "ascii_host",
    "bad_url",
    "embedded_ipv4",
    "normalise",
    "parse_url",
    "refusal",
    "refused",
    "system_resolver",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_MAX_URL_LENGTH: Final = 2048
_DEFAULT_PORTS: Final = {"https": 443, "http": 80}

# RFC 3986 §3.3/§3.4: characters that may stand unencoded in a path or query. "%" is kept so
# that existing percent-escapes survive; everything else (spaces, non-ASCII) is escaped.
_PATH_SAFE: Final = "/:@!$&'()*+,;=%-._~"
_QUERY_SAFE: Final = _PATH_SAFE + "?"
_NO_SPACE_OR_CONTROL: Final = re.compile(r"[\x00-\x20\x7f]")
# A host name after IDNA encoding: LDH labels (underscores tolerated, as resolvers do).
_ASCII_HOST: Final = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*")

# Addresses refused whatever this Python's ipaddress thinks (its tables changed across patch
# releases), named for the hint. RFC 6890 special-purpose registries, RFC 6598 (shared), RFC
# 4193 (unique local), RFC 4291 (link-local), RFC 3879 (site-local, deprecated).
_REFUSED_NETWORKS: Final[tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str], ...]] = (
    (ipaddress.ip_network("0.0.0.0/8"), "unspecified or 'this network'"),
    (ipaddress.ip_network("10.0.0.0/8"), "private"),
    (ipaddress.ip_network("100.64.0.0/10"), "shared address space (CGNAT)"),
    (ipaddress.ip_network("169.254.0.0/16"), "link-local"),
    (ipaddress.ip_network("172.16.0.0/12"), "private"),
    (ipaddress.ip_network("192.0.0.0/24"), "IETF protocol assignments"),
    (ipaddress.ip_network("192.168.0.0/16"), "private"),
    (ipaddress.ip_network("198.18.0.0/15"), "benchmarking"),
    (ipaddress.ip_network("224.0.0.0/4"), "multicast"),
    (ipaddress.ip_network("240.0.0.0/4"), "reserved"),
    (ipaddress.ip_network("::/128"), "unspecified"),
    (ipaddress.ip_network("64:ff9b:1::/48"), "local-use NAT64"),
    (ipaddress.ip_network("100::/64"), "discard-only"),
    (ipaddress.ip_network("fc00::/7"), "unique local (private)"),
    (ipaddress.ip_network("fe80::/10"), "link-local"),
    (ipaddress.ip_network("fec0::/10"), "site-local"),
    (ipaddress.ip_network("ff00::/8"), "multicast"),
)
_NAT64: Final = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052 well-known prefix
_IPV4_COMPATIBLE: Final = ipaddress.IPv6Network("::/96")  # RFC 4291 §2.5.5.1, deprecated


def refused(code: str, message: str, hint: str | None = None) -> FetchRefused:
    return FetchRefused(message, code=code, hint=hint)


def bad_url(url: str, why: str) -> FetchRefused:
    return refused(
        "fetch_refused_url",
        "The address of the issuer's key document is not one we will fetch.",
        f"{url[:200]!r}: {why}.",
    )


# -- URLs -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Target:
    scheme: str
    host: str  # lower-case A-label name or IP literal, no brackets, no trailing dot
    port: int
    netloc: str  # what the Host header says: host, [v6], plus ":port" when not the default
    request_path: str  # path and query, percent-encoded ASCII

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.netloc}{self.request_path}"

    @property
    def origin(self) -> tuple[str, str, int]:
        return (self.scheme, self.host, self.port)


def parse_url(url: str) -> Target:
    """Split and normalise ``url``; refuse what the fetcher never fetches (before any I/O)."""
    if not isinstance(url, str) or not url:
        raise bad_url(repr(url), "not a URL")
    if len(url) > _MAX_URL_LENGTH:
        raise bad_url(url, f"longer than {_MAX_URL_LENGTH} characters")
    if _NO_SPACE_OR_CONTROL.search(url):
        raise bad_url(url, "contains spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise bad_url(url, str(exc)) from exc
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise refused(
            "fetch_refused_scheme",
            "The issuer's key document is not served over HTTPS, so it was not fetched.",
            f"{url[:200]!r}: only https URLs are fetched.",
        )
    # RFC 3986 §3.2.1 userinfo: credentials in URLs are refused outright (RFC 9110 §4.2.4).
    if "@" in parts.netloc:
        # Not echoed back: the hint would otherwise carry the password.
        shown_url = url.replace(parts.netloc, parts.netloc.rpartition("@")[2], 1)
        raise bad_url(shown_url, "user names and passwords in URLs are refused")
    if not parts.hostname:
        raise bad_url(url, "no host")
    host = ascii_host(url, parts.hostname)
    if port is None:
        port = _DEFAULT_PORTS[scheme]
    shown = f"[{host}]" if ":" in host else host
    netloc = shown if port == _DEFAULT_PORTS[scheme] else f"{shown}:{port}"
    # RFC 3986 §3.5: the fragment is for the client; urlsplit already keeps it out of path.
    request_path = quote(parts.path or "/", safe=_PATH_SAFE)
    if parts.query:
        request_path += "?" + quote(parts.query, safe=_QUERY_SAFE)
    return Target(scheme, host, port, netloc, request_path)


def ascii_host(url: str, hostname: str) -> str:
    try:
        literal = ipaddress.ip_address(hostname)
    except ValueError:
        pass
    else:
        if isinstance(literal, ipaddress.IPv6Address) and literal.scope_id:
            raise bad_url(url, "IPv6 zone identifiers are refused")  # RFC 6874 §2
        return str(literal)
    try:
        # IDNA (RFC 3490, the stdlib codec) turns U-labels into the A-labels DNS and TLS use.
        ascii_host = hostname.encode("idna").decode("ascii").lower()
    except UnicodeError as exc:
        raise bad_url(url, "the host name is not a valid domain name") from exc
    ascii_host = ascii_host.removesuffix(".")  # RFC 6066 §3: SNI carries no trailing dot
    if _ASCII_HOST.fullmatch(ascii_host) is None:
        raise bad_url(url, "the host name is not a valid domain name")
    return ascii_host


# -- addresses ------------------------------------------------------------------------------
def normalise(ip: IPAddress) -> IPAddress:
    """An IPv4-mapped IPv6 address (RFC 4291 §2.5.5.2) is the IPv4 address it maps."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address routes to: 6to4, Teredo, IPv4-compatible."""
    found: list[ipaddress.IPv4Address] = []
    if ip.sixtofour is not None:  # RFC 3056: 2002:AABB:CCDD::/48
        found.append(ip.sixtofour)
    if ip.teredo is not None:  # RFC 4380: server and (de-obfuscated) client
        found.extend(ip.teredo)
    if ip in _IPV4_COMPATIBLE and int(ip) > 1:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def refusal(ip: IPAddress, *, allow_loopback: bool) -> str | None:
    """Why ``ip`` must not be connected to, or None when it may be."""
    ip = normalise(ip)
    if ip in _NAT64:
        # DNS64 on an IPv6-only network (RFC 6147) synthesises these for IPv4-only hosts: the
        # address is as good as the IPv4 address it carries (some Pythons call it "reserved").
        inner = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        inner_reason = refusal(inner, allow_loopback=False)
        return None if inner_reason is None else f"NAT64 address of a {inner_reason} address"
    if ip.is_loopback:
        return None if allow_loopback else "loopback"
    for network, reason in _REFUSED_NETWORKS:
        if ip.version == network.version and ip in network:
            return reason
    if isinstance(ip, ipaddress.IPv6Address):
        for inner in embedded_ipv4(ip):
            inner_reason = refusal(inner, allow_loopback=False)
            if inner_reason is not None:
                return f"IPv6 address embedding a {inner_reason} IPv4 address ({inner})"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_private:
        return "private"
    if ip.is_reserved:
        return "reserved"
    if not ip.is_global:
        return "not globally routable"
    return None


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return [str(info[4][0]) for info in infos]
