"""The one fetcher the verifier uses: did:web and controller documents, JWKS, status lists.

:class:`SafeFetcher` implements :class:`verifier.resolve.DocumentFetcher`. The issue's rules:
"did:web and https controller documents through one fetcher that speaks only https (http only
to loopback, and only in development/test), refuses private, link-local and loopback targets
after DNS resolution in production, caps size (256 KiB) and time (5 s), follows no cross-host
redirect, and caches with a TTL". How each rule is kept:

* **Scheme.** ``https`` only. ``http`` only when :attr:`FetchPolicy.allow_loopback_http` is set
  *and* every address the host resolves to is loopback. URLs with userinfo are refused; the
  fragment is never sent (RFC 3986 §3.5: it is for the client). IDNA host names are sent as
  A-labels.

* **Addresses, and DNS rebinding.** The host is resolved exactly once per fetch (in a helper
  thread, so a hung resolver cannot outlast the time budget), and *every* address returned is
  checked with :mod:`ipaddress`: private, loopback (unless the development policy allows it),
  link-local (incl. cloud metadata at 169.254.169.254), multicast, reserved, unspecified,
  shared/CGNAT, and IPv6 forms that embed such an IPv4 address (IPv4-mapped, 6to4, Teredo,
  NAT64) are refused before any connection is made. The TCP connection is then opened to the
  *checked IP address* — the host name is never looked up again, not for the connection, not for
  a redirect — while the ``Host`` header carries the original name and TLS uses it for SNI and
  certificate verification (``ssl.create_default_context()``: ``CERT_REQUIRED`` with
  ``check_hostname``). A DNS server that answers "public" to the check and "private" to the
  connect therefore has no second answer to give.

  Implementation: a raw :mod:`socket` connected to the IP, wrapped with
  ``SSLContext.wrap_socket(server_hostname=host)``; the request is written by hand (a GET with
  ``Accept-Encoding: identity`` and ``Connection: close``) and the answer parsed by
  :class:`http.client.HTTPResponse` (status line, header limits, chunked transfer coding).

* **Time.** :attr:`FetchPolicy.timeout` is one wall-clock budget for the whole fetch: DNS,
  connect, TLS handshake, sending, headers and body, across redirects. Before every blocking
  socket operation the socket timeout is set to the time *left*, so a server that drips one byte
  a second is cut off when the budget is spent, not after every byte. The budget uses
  :func:`time.monotonic` (the ``clock`` seam is only for the cache).

* **Size.** At most :attr:`FetchPolicy.max_bytes` (256 KiB) of body: refused early when
  ``Content-Length`` says more, otherwise cut off after ``max_bytes + 1`` bytes. A backstop caps
  everything read from the socket (headers and chunk framing included) at twice that plus 64
  KiB. ``Content-Encoding`` other than identity is refused (no decompression bombs), and only
  JSON media types are read. Bodies go through :func:`verifier.jsonparse.parse_json`.

* **Redirects.** At most :data:`MAX_REDIRECTS`, and only to the same origin (scheme, host and
  port, RFC 6454 §4); each target URL is re-checked and connected to at the same checked
  addresses.

* **Cache.** Documents are cached per URL (fragment stripped) for ``cache_ttl`` seconds in an
  LRU of ``cache_entries``; the body bytes are stored and parsed afresh on every hit, so no
  caller can change what another caller sees. Failures are cached too, but for at most
  :data:`NEGATIVE_CACHE_TTL` (10 s): long enough that one unreachable issuer does not cost a
  full timeout per credential in a batch, short enough that a retry soon sees a fixed server.
  The cache is guarded by a lock; network I/O happens outside it.

Errors (one plain sentence in ``message``; addresses and status codes only in ``hint``) are
fetch errors (:class:`~verifier.errors.FetchError`): not yet a verdict on anything. The key
resolver turns them into ``KeyNotResolved`` / ``KeyUnreachable`` (check ``signature``) and the
status checker into ``StatusUnavailable`` / ``StatusListInvalid`` (check ``status``), each
chaining the fetch error as the cause:

=========================  ===================  =============================================
code                       class                when
=========================  ===================  =============================================
``fetch_refused_url``      FetchRefused         malformed URL, userinfo, bad host name
``fetch_refused_scheme``   FetchRefused         not https (http outside dev/loopback)
``fetch_refused_address``  AddressRefused       host resolves to a refused address
``redirect_refused``       FetchRefused         cross-origin redirect, or too many
``document_too_large``     DocumentTooLarge     over ``max_bytes``
``fetch_refused_encoding`` FetchRefused         compressed/unknown content or transfer coding
``bad_key_document``       BadDocument          not a JSON media type, or not valid JSON
``fetch_timeout``          FetchTimeout         the time budget ran out
``fetch_dns_error``        FetchUnreachable     the host name did not resolve
``fetch_tls_error``        FetchUnreachable     TLS handshake or certificate failure
``fetch_connect_error``    FetchUnreachable     connection refused/reset/dropped
``fetch_http_error``       FetchUnreachable     non-200 status or a malformed HTTP answer
=========================  ===================  =============================================

``FetchUnreachable`` (and its ``FetchTimeout``) is inconclusive ("could not check"); the
refusals are policy decisions or a broken document, and are not. Document bodies are never
logged.
"""

from __future__ import annotations

import http.client
import io
import ipaddress
import logging
import math
import re
import socket
import ssl
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, cast
from urllib.parse import quote, urljoin, urlsplit

from verifier.errors import (
    AddressRefused,
    BadDocument,
    DocumentTooLarge,
    FetchError,
    FetchRefused,
    FetchTimeout,
    FetchUnreachable,
    FormatError,
    _OutOfTime,
    _TooMuchData,
)
from verifier.jsonparse import parse_json

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

__all__ = ["DEFAULT_POLICY", "MAX_REDIRECTS", "NEGATIVE_CACHE_TTL", "FetchPolicy", "SafeFetcher"]

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]

#: Redirects followed per fetch (each to the same origin only).
MAX_REDIRECTS: Final = 3
#: Longest time a failed fetch is remembered, in seconds (never longer than ``cache_ttl``).
NEGATIVE_CACHE_TTL: Final = 10.0

_DEFAULT_PORTS: Final = {"https": 443, "http": 80}
_REDIRECT_STATUSES: Final = frozenset({301, 302, 303, 307, 308})
_MAX_URL_LENGTH: Final = 2048
#: Room for the status line, headers and chunk framing on top of the body limit.
_FRAMING_ALLOWANCE: Final = 64 * 1024
_READ_CHUNK: Final = 64 * 1024
_ACCEPT: Final = (
    "application/did+ld+json, application/did+json, application/jwk-set+json, "
    "application/jwk+json, application/ld+json;q=0.9, application/json;q=0.9, "
    "application/*+json;q=0.8"
)
# RFC 3986 §3.3/§3.4: characters that may stand unencoded in a path or query. "%" is kept so
# that existing percent-escapes survive; everything else (spaces, non-ASCII) is escaped.
_PATH_SAFE: Final = "/:@!$&'()*+,;=%-._~"
_QUERY_SAFE: Final = _PATH_SAFE + "?"
_NO_SPACE_OR_CONTROL: Final = re.compile(r"[\x00-\x20\x7f]")
# A host name after IDNA encoding: LDH labels (underscores tolerated, as resolvers do).
_ASCII_HOST: Final = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*")
_PRINTABLE_ASCII: Final = re.compile(r"[\x20-\x7e]+")

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


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    """What :class:`SafeFetcher` may do. The defaults are the production policy."""

    #: Development/test only: allow http:// (and https://) to loopback (127.0.0.0/8, ::1).
    allow_loopback_http: bool = False
    #: Largest document body accepted, in bytes.
    max_bytes: int = 256 * 1024
    #: Wall-clock budget per fetch (DNS + connect + TLS + headers + body, across redirects).
    timeout: float = 5.0
    #: Seconds a fetched document is served from the cache.
    cache_ttl: float = 300.0
    #: Most URLs remembered (least recently used are dropped first); 0 disables the cache.
    cache_entries: int = 512
    user_agent: str = "SkillPassport-Verifier/0.1"

    def __post_init__(self) -> None:
        if self.max_bytes <= 0:
            raise ValueError("max_bytes must be positive")
        if not (math.isfinite(self.timeout) and self.timeout > 0):
            raise ValueError("timeout must be a positive number of seconds")
        if not (math.isfinite(self.cache_ttl) and self.cache_ttl >= 0):
            raise ValueError("cache_ttl must be zero or a positive number of seconds")
        if self.cache_entries < 0:
            raise ValueError("cache_entries must not be negative")
        if _PRINTABLE_ASCII.fullmatch(self.user_agent) is None:
            raise ValueError("user_agent must be printable ASCII")


DEFAULT_POLICY: Final = FetchPolicy()


# -- errors ---------------------------------------------------------------------------------
def _refused(code: str, message: str, hint: str | None = None) -> FetchRefused:
    return FetchRefused(message, code=code, hint=hint)


def _unreachable(code: str, message: str, hint: str | None = None) -> FetchUnreachable:
    return FetchUnreachable(message, code=code, hint=hint)


def _bad_url(url: str, why: str) -> FetchRefused:
    return _refused(
        "fetch_refused_url",
        "The address of the issuer's key document is not one we will fetch.",
        f"{url[:200]!r}: {why}.",
    )


def _too_large(url: str, what: str, limit: int) -> DocumentTooLarge:
    return DocumentTooLarge(
        "The issuer's key document is larger than the size limit, so it was not read.",
        hint=f"{url} {what}; the limit is {limit} bytes.",
    )


# -- URLs -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Target:
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


def _parse_url(url: str) -> _Target:
    """Split and normalise ``url``; refuse what the fetcher never fetches (before any I/O)."""
    if not isinstance(url, str) or not url:
        raise _bad_url(repr(url), "not a URL")
    if len(url) > _MAX_URL_LENGTH:
        raise _bad_url(url, f"longer than {_MAX_URL_LENGTH} characters")
    if _NO_SPACE_OR_CONTROL.search(url):
        raise _bad_url(url, "contains spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise _bad_url(url, str(exc)) from exc
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise _refused(
            "fetch_refused_scheme",
            "The issuer's key document is not served over HTTPS, so it was not fetched.",
            f"{url[:200]!r}: only https URLs are fetched.",
        )
    # RFC 3986 §3.2.1 userinfo: credentials in URLs are refused outright (RFC 9110 §4.2.4).
    if "@" in parts.netloc:
        # Not echoed back: the hint would otherwise carry the password.
        shown_url = url.replace(parts.netloc, parts.netloc.rpartition("@")[2], 1)
        raise _bad_url(shown_url, "user names and passwords in URLs are refused")
    if not parts.hostname:
        raise _bad_url(url, "no host")
    host = _ascii_host(url, parts.hostname)
    if port is None:
        port = _DEFAULT_PORTS[scheme]
    shown = f"[{host}]" if ":" in host else host
    netloc = shown if port == _DEFAULT_PORTS[scheme] else f"{shown}:{port}"
    # RFC 3986 §3.5: the fragment is for the client; urlsplit already keeps it out of path.
    request_path = quote(parts.path or "/", safe=_PATH_SAFE)
    if parts.query:
        request_path += "?" + quote(parts.query, safe=_QUERY_SAFE)
    return _Target(scheme, host, port, netloc, request_path)


def _ascii_host(url: str, hostname: str) -> str:
    try:
        literal = ipaddress.ip_address(hostname)
    except ValueError:
        pass
    else:
        if isinstance(literal, ipaddress.IPv6Address) and literal.scope_id:
            raise _bad_url(url, "IPv6 zone identifiers are refused")  # RFC 6874 §2
        return str(literal)
    try:
        # IDNA (RFC 3490, the stdlib codec) turns U-labels into the A-labels DNS and TLS use.
        ascii_host = hostname.encode("idna").decode("ascii").lower()
    except UnicodeError as exc:
        raise _bad_url(url, "the host name is not a valid domain name") from exc
    ascii_host = ascii_host.removesuffix(".")  # RFC 6066 §3: SNI carries no trailing dot
    if _ASCII_HOST.fullmatch(ascii_host) is None:
        raise _bad_url(url, "the host name is not a valid domain name")
    return ascii_host


# -- addresses ------------------------------------------------------------------------------
def _normalise(ip: IPAddress) -> IPAddress:
    """An IPv4-mapped IPv6 address (RFC 4291 §2.5.5.2) is the IPv4 address it maps."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address routes to: 6to4, Teredo, IPv4-compatible."""
    found: list[ipaddress.IPv4Address] = []
    if ip.sixtofour is not None:  # RFC 3056: 2002:AABB:CCDD::/48
        found.append(ip.sixtofour)
    if ip.teredo is not None:  # RFC 4380: server and (de-obfuscated) client
        found.extend(ip.teredo)
    if ip in _IPV4_COMPATIBLE and int(ip) > 1:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def _refusal(ip: IPAddress, *, allow_loopback: bool) -> str | None:
    """Why ``ip`` must not be connected to, or None when it may be."""
    ip = _normalise(ip)
    if ip in _NAT64:
        # DNS64 on an IPv6-only network (RFC 6147) synthesises these for IPv4-only hosts: the
        # address is as good as the IPv4 address it carries (some Pythons call it "reserved").
        inner = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        inner_reason = _refusal(inner, allow_loopback=False)
        return None if inner_reason is None else f"NAT64 address of a {inner_reason} address"
    if ip.is_loopback:
        return None if allow_loopback else "loopback"
    for network, reason in _REFUSED_NETWORKS:
        if ip.version == network.version and ip in network:
            return reason
    if isinstance(ip, ipaddress.IPv6Address):
        for inner in _embedded_ipv4(ip):
            inner_reason = _refusal(inner, allow_loopback=False)
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


def _system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return [str(info[4][0]) for info in infos]


# -- the socket under the time budget --------------------------------------------------------
class _Deadline:
    __slots__ = ("_end",)

    def __init__(self, budget: float) -> None:
        self._end = time.monotonic() + budget

    def remaining(self) -> float:
        """Seconds left; raises :class:`_OutOfTime` when none are."""
        left = self._end - time.monotonic()
        if left <= 0:
            raise _OutOfTime("the time budget for this fetch is spent")
        return left


class _BudgetedReader(io.RawIOBase):
    """Reads a socket, re-arming its timeout to the budget left before every receive.

    Per-operation socket timeouts alone let a server that sends one byte per second keep a
    fetch alive forever; re-arming to the *remaining* budget makes the deadline absolute. It
    also counts bytes, as a backstop against floods of headers or chunk framing.
    """

    def __init__(self, sock: socket.socket, deadline: _Deadline, max_raw: int) -> None:
        super().__init__()
        self._sock = sock
        self._deadline = deadline
        self._left = max_raw

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        if self._left <= 0:
            raise _TooMuchData
        view = memoryview(buffer).cast("B")
        self._sock.settimeout(self._deadline.remaining())
        received = self._sock.recv_into(view[: self._left])
        self._left -= received
        return received


class _ReaderAsSocket:
    """:class:`http.client.HTTPResponse` only ever calls ``makefile("rb")`` on its socket."""

    def __init__(self, reader: io.BufferedIOBase) -> None:
        self._reader = reader

    def makefile(self, mode: str) -> io.BufferedIOBase:
        return self._reader


@dataclass(frozen=True, slots=True)
class _Redirect:
    location: str


@dataclass(slots=True)
class _Entry:
    expires: float
    body: bytes | None = None
    failure: tuple[type[FetchError], str, str, str | None] | None = None


# -- the fetcher ----------------------------------------------------------------------------
class SafeFetcher:
    """Fetches JSON key documents under :class:`FetchPolicy`. Thread-safe.

    ``resolver`` maps (host, port) to IP address strings (default: :func:`socket.getaddrinfo`);
    ``clock`` drives the cache's TTL (default: :func:`time.monotonic`); ``ssl_context``
    verifies servers (default: :func:`ssl.create_default_context`, the system trust store).
    """

    def __init__(
        self,
        policy: FetchPolicy = DEFAULT_POLICY,
        *,
        clock: Callable[[], float] = time.monotonic,
        resolver: Resolver | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._policy = policy
        self._clock = clock
        self._resolver: Resolver = resolver if resolver is not None else _system_resolver
        self._ssl_context = ssl_context  # the default is made on first https use (~0.1 s)
        self._cache: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def policy(self) -> FetchPolicy:
        return self._policy

    def clear_cache(self) -> None:
        """Forget every cached document and failure."""
        with self._lock:
            self._cache.clear()

    def fetch_json(self, url: str) -> Any:
        """Return the parsed JSON document at ``url``.

        Raises a :class:`~verifier.errors.FetchError`: :class:`FetchUnreachable`
        (inconclusive: timeout, DNS, TLS, connection, HTTP status), :class:`FetchRefused`
        (refused by policy), :class:`DocumentTooLarge` or :class:`BadDocument` (not JSON).
        """
        target = _parse_url(url)
        key = target.url
        entry = self._cached(key)
        if entry is not None:
            if entry.body is not None:
                logger.debug("key document %s served from cache", key)
                return self._parse(target, entry.body)
            assert entry.failure is not None
            cls, message, code, hint = entry.failure
            logger.debug("key document %s failed recently (%s); not refetched", key, code)
            raise cls(message, code=code, hint=hint)
        started = time.monotonic()
        try:
            body = self._fetch(target)
            value = self._parse(target, body)
        except FetchError as exc:
            logger.warning("key document %s not fetched: %s (%s)", key, exc.code, exc.hint)
            self._remember(key, _Entry(0.0, failure=(type(exc), exc.message, exc.code, exc.hint)))
            raise
        logger.info(
            "fetched key document %s: %d bytes in %.0f ms",
            key,
            len(body),
            (time.monotonic() - started) * 1000,
        )
        self._remember(key, _Entry(0.0, body=body))
        return value

    # -- cache ------------------------------------------------------------------------------
    def _cached(self, key: str) -> _Entry | None:
        with self._lock:
            entry = self._cache.get(key)
            if entry is None:
                return None
            if self._clock() >= entry.expires:
                del self._cache[key]
                return None
            self._cache.move_to_end(key)
            return entry

    def _remember(self, key: str, entry: _Entry) -> None:
        ttl = self._policy.cache_ttl
        if entry.failure is not None:
            ttl = min(ttl, NEGATIVE_CACHE_TTL)
        if ttl <= 0 or self._policy.cache_entries <= 0:
            return
        entry.expires = self._clock() + ttl
        with self._lock:
            self._cache[key] = entry
            self._cache.move_to_end(key)
            while len(self._cache) > self._policy.cache_entries:
                self._cache.popitem(last=False)

    # -- one fetch --------------------------------------------------------------------------
    def _parse(self, target: _Target, body: bytes) -> Any:
        try:
            return parse_json(body, max_bytes=self._policy.max_bytes, what="key document")
        except FormatError as exc:
            # Fetched but unusable: a wrong answer, not "could not check".
            raise BadDocument(
                "The issuer's published key document is not valid JSON.",
                hint=f"{target.url}: {exc.message}",
            ) from exc

    def _fetch(self, target: _Target) -> bytes:
        policy = self._policy
        if target.scheme == "http" and not policy.allow_loopback_http:
            raise _refused(
                "fetch_refused_scheme",
                "The issuer's key document is not served over HTTPS, so it was not fetched.",
                f"{target.url}: http is allowed only to loopback in development.",
            )
        deadline = _Deadline(policy.timeout)
        try:
            addresses = self._resolve(target, deadline)
            if target.scheme == "http" and not all(ip.is_loopback for ip in addresses):
                raise _refused(
                    "fetch_refused_scheme",
                    "The issuer's key document is not served over HTTPS, so it was not fetched.",
                    f"{target.url}: http is allowed only to loopback in development.",
                )
            return self._follow(target, addresses, deadline)
        except FetchError:
            raise
        except _TooMuchData as exc:
            raise _too_large(target.url, "sent too much data", policy.max_bytes) from exc
        except TimeoutError as exc:
            raise FetchTimeout(
                "The issuer's server did not answer in time, so the signature could not be "
                "checked.",
                hint=f"{target.url}: no complete answer within {policy.timeout:g} s.",
            ) from exc
        except ssl.SSLError as exc:  # includes certificate verification failures
            raise _unreachable(
                "fetch_tls_error",
                "A secure connection to the issuer's server could not be made, so the "
                "signature could not be checked.",
                f"{target.url}: {getattr(exc, 'verify_message', None) or exc.reason or exc}.",
            ) from exc
        except http.client.IncompleteRead as exc:
            raise _unreachable(
                "fetch_connect_error",
                "The connection to the issuer's server broke off, so the signature could not "
                "be checked.",
                f"{target.url}: the answer ended early.",
            ) from exc
        except http.client.HTTPException as exc:
            raise _unreachable(
                "fetch_http_error",
                "The issuer's server gave an answer that is not valid HTTP, so the signature "
                "could not be checked.",
                f"{target.url}: {type(exc).__name__}.",
            ) from exc
        except OSError as exc:
            raise _unreachable(
                "fetch_connect_error",
                "The issuer's server could not be reached, so the signature could not be checked.",
                f"{target.url}: {exc.strerror or type(exc).__name__}.",
            ) from exc

    def _resolve(self, target: _Target, deadline: _Deadline) -> list[IPAddress]:
        """Resolve once and check every address; refuse the host if any address is refused."""
        try:
            candidates = [ipaddress.ip_address(target.host)]
        except ValueError:
            candidates = []
        if not candidates:
            try:
                names = self._resolve_in_time(target.host, target.port, deadline)
                candidates = [ipaddress.ip_address(name) for name in names]
            except _OutOfTime:
                raise
            except (OSError, UnicodeError, ValueError) as exc:
                raise _unreachable(
                    "fetch_dns_error",
                    "The issuer's domain name could not be looked up, so the signature could "
                    "not be checked.",
                    f"{target.host}: {exc}.",
                ) from exc
        if not candidates:
            raise _unreachable(
                "fetch_dns_error",
                "The issuer's domain name could not be looked up, so the signature could not "
                "be checked.",
                f"{target.host} has no addresses.",
            )
        allow_loopback = self._policy.allow_loopback_http
        for ip in candidates:
            reason = _refusal(ip, allow_loopback=allow_loopback)
            if reason is not None:
                raise AddressRefused(
                    "The issuer's key document is on a private or reserved network address, "
                    "so it was not fetched.",
                    hint=f"{target.host} resolves to {ip} ({reason}).",
                )
        return list(dict.fromkeys(_normalise(ip) for ip in candidates))

    def _resolve_in_time(self, host: str, port: int, deadline: _Deadline) -> list[str]:
        """Run the resolver in a daemon thread: getaddrinfo has no timeout of its own."""
        outcome: list[list[str] | Exception] = []
        done = threading.Event()

        def work() -> None:
            try:
                outcome.append(self._resolver(host, port))
            except Exception as exc:  # noqa: BLE001 - handed over and re-raised below
                outcome.append(exc)
            finally:
                done.set()

        threading.Thread(target=work, name="SafeFetcher-resolve", daemon=True).start()
        if not done.wait(deadline.remaining()):
            raise _OutOfTime(f"resolving {host} took longer than the budget")
        result = outcome[0]
        if isinstance(result, Exception):
            raise result
        return result

    def _follow(self, target: _Target, addresses: list[IPAddress], deadline: _Deadline) -> bytes:
        current = target
        for hop in range(MAX_REDIRECTS + 1):
            answer = self._exchange(current, addresses, deadline)
            if isinstance(answer, bytes):
                return answer
            if hop == MAX_REDIRECTS:
                raise _refused(
                    "redirect_refused",
                    "The issuer's server redirected too many times, so the key document was "
                    "not fetched.",
                    f"{target.url}: more than {MAX_REDIRECTS} redirects.",
                )
            location = urljoin(current.url, answer.location)
            try:
                following = _parse_url(location)
            except FetchRefused as exc:
                raise _refused(
                    "redirect_refused",
                    "The issuer's server redirected to an address we do not fetch, so the key "
                    "document was not fetched.",
                    f"{current.url} redirects to {location[:200]!r}: {exc.hint}",
                ) from exc
            # Same origin only (RFC 6454 §4: scheme, host, port). The addresses checked for the
            # first request are reused: the name is not resolved again mid-fetch.
            if following.origin != target.origin:
                raise _refused(
                    "redirect_refused",
                    "The issuer's server redirected to another site, so the key document was "
                    "not fetched.",
                    f"{current.url} redirects to {following.url}.",
                )
            logger.debug("following same-origin redirect %s -> %s", current.url, following.url)
            current = following
        raise AssertionError("unreachable")  # pragma: no cover

    def _connect(self, ip: IPAddress, port: int, deadline: _Deadline) -> socket.socket:
        """Open a TCP connection to the already-checked address ``ip`` (never a host name)."""
        family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(deadline.remaining())
            sock.connect((str(ip), port))
        except BaseException:
            sock.close()
            raise
        return sock

    def _open(
        self, target: _Target, addresses: list[IPAddress], deadline: _Deadline
    ) -> socket.socket:
        failure: OSError | None = None
        for ip in addresses:
            try:
                sock = self._connect(ip, target.port, deadline)
                break
            except _OutOfTime:
                raise
            except OSError as exc:
                logger.debug("connecting to %s for %s failed: %s", ip, target.host, exc)
                failure = exc
        else:
            assert failure is not None
            raise failure
        if target.scheme == "http":
            return sock
        try:
            sock.settimeout(deadline.remaining())
            # SNI and certificate verification use the URL's host name, not the IP connected to.
            return self._tls_context().wrap_socket(sock, server_hostname=target.host)
        except BaseException:
            sock.close()
            raise

    def _tls_context(self) -> ssl.SSLContext:
        with self._lock:
            if self._ssl_context is None:
                # CERT_REQUIRED + check_hostname, system trust store, TLS 1.2 or newer.
                self._ssl_context = ssl.create_default_context()
            return self._ssl_context

    def _request(self, target: _Target) -> bytes:
        return (
            f"GET {target.request_path} HTTP/1.1\r\n"
            f"Host: {target.netloc}\r\n"
            f"User-Agent: {self._policy.user_agent}\r\n"
            f"Accept: {_ACCEPT}\r\n"
            "Accept-Encoding: identity\r\n"
            "Connection: close\r\n"
            "\r\n"
        ).encode("ascii")

    def _exchange(
        self, target: _Target, addresses: list[IPAddress], deadline: _Deadline
    ) -> bytes | _Redirect:
        """One GET: returns the body of a 200, or the Location of a redirect."""
        limit = self._policy.max_bytes
        with ExitStack() as stack:
            sock = self._open(target, addresses, deadline)
            stack.callback(sock.close)
            sock.settimeout(deadline.remaining())
            sock.sendall(self._request(target))
            reader = io.BufferedReader(
                _BudgetedReader(sock, deadline, 2 * limit + _FRAMING_ALLOWANCE)
            )
            stack.callback(reader.close)
            response = http.client.HTTPResponse(
                cast(socket.socket, _ReaderAsSocket(reader)), method="GET"
            )
            stack.callback(response.close)
            response.begin()
            status = response.status
            if status in _REDIRECT_STATUSES:
                location = response.getheader("Location")
                if not location:
                    raise _unreachable(
                        "fetch_http_error",
                        "The issuer's server gave an incomplete answer, so the signature could "
                        "not be checked.",
                        f"{target.url}: HTTP {status} without a Location.",
                    )
                return _Redirect(location)
            if status != 200:
                raise _unreachable(
                    "fetch_http_error",
                    "The issuer's server answered with an error, so the signature could not be "
                    "checked.",
                    f"GET {target.url} returned HTTP {status}.",
                )
            self._check_headers(target, response)
            return self._read_body(target, response)
        raise AssertionError("unreachable")  # pragma: no cover

    def _check_headers(self, target: _Target, response: http.client.HTTPResponse) -> None:
        # RFC 9110 §8.4: refuse any content coding but identity; RFC 9112 §6.1: only chunked.
        codings = [
            coding.strip().lower()
            for value in response.headers.get_all("Content-Encoding", [])
            for coding in value.split(",")
            if coding.strip()
        ]
        transfer = (response.getheader("Transfer-Encoding") or "chunked").strip().lower()
        if any(coding != "identity" for coding in codings) or transfer != "chunked":
            raise _refused(
                "fetch_refused_encoding",
                "The issuer's server sent the key document compressed or encoded in a way we "
                "do not read.",
                f"{target.url}: Content-Encoding {codings}, Transfer-Encoding {transfer!r}.",
            )
        # RFC 8259 §11 application/json; RFC 6839 §3.1 "+json" structured syntax suffix
        # (did+json, did+ld+json, ld+json, jwk-set+json, jwk+json, ...).
        media_type = response.headers.get_content_type()
        if not (media_type == "application/json" or media_type.endswith("+json")):
            raise BadDocument(
                "The issuer's server did not send its key document as JSON.",
                hint=f"{target.url}: Content-Type {response.getheader('Content-Type')!r}.",
            )
        declared = response.length
        if declared is not None and declared > self._policy.max_bytes:
            raise _too_large(target.url, f"declares {declared} bytes", self._policy.max_bytes)

    def _read_body(self, target: _Target, response: http.client.HTTPResponse) -> bytes:
        limit = self._policy.max_bytes
        declared = response.length
        chunks: list[bytes] = []
        total = 0
        while True:
            # Never ask for more than one byte past the limit: that byte proves "too large".
            chunk = response.read(min(_READ_CHUNK, limit + 1 - total))
            if not chunk:
                if declared is not None and total < declared:
                    # HTTPResponse.read(amt) returns short at EOF instead of raising.
                    raise http.client.IncompleteRead(b"", declared - total)
                return b"".join(chunks)
            total += len(chunk)
            if total > limit:
                raise _too_large(target.url, "sent more", limit)
            chunks.append(chunk)
