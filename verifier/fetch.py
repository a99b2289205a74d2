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
                                                (410 Gone as its subclass FetchGone)
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
from urllib.parse import urljoin

from verifier.addresses import (
    IPAddress,
    Target,
    normalise,
    parse_url,
    refusal,
    refused,
    system_resolver,
)
from verifier.errors import (
    AddressRefused,
    BadDocument,
    DocumentTooLarge,
    FetchError,
    FetchGone,
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

Resolver = Callable[[str, int], list[str]]

#: Redirects followed per fetch (each to the same origin only).
MAX_REDIRECTS: Final = 3
#: Longest time a failed fetch is remembered, in seconds (never longer than ``cache_ttl``).
NEGATIVE_CACHE_TTL: Final = 10.0

_REDIRECT_STATUSES: Final = frozenset({301, 302, 303, 307, 308})
#: Room for the status line, headers and chunk framing on top of the body limit.
_FRAMING_ALLOWANCE: Final = 64 * 1024
_READ_CHUNK: Final = 64 * 1024
_ACCEPT: Final = (
    "application/did+ld+json, application/did+json, application/jwk-set+json, "
    "application/jwk+json, application/ld+json;q=0.9, application/json;q=0.9, "
    "application/*+json;q=0.8"
)
_PRINTABLE_ASCII: Final = re.compile(r"[\x20-\x7e]+")


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
#: All a failure to reach a server tells the person asking (finding 9 of issue 17): the refusal
#: of an address, or that the server could not be reached. Which name resolved to which address,
#: and whether the lookup, the connection or TLS failed, would map the network around us for
#: anyone who can submit a URL; it goes to the log only. The ``code`` stays as it was. (An HTTP
#: status is a public server's own answer and is still named in the hint.)
REFUSED_ADDRESS: Final = "refused: not a public address"
UNREACHABLE: Final = "could not be reached"
_UNREACHABLE_MESSAGE = (
    "The issuer's server could not be reached, so the signature could not be checked."
)


def _unreachable(
    code: str, detail: str, cls: type[FetchUnreachable] = FetchUnreachable
) -> FetchUnreachable:
    """A fetch failure saying only :data:`UNREACHABLE`; ``detail`` is logged, never shown."""
    logger.info("fetch failed (%s): %s", code, detail)
    return cls(_UNREACHABLE_MESSAGE, code=code, hint=f"{UNREACHABLE}.")


def _too_large(url: str, what: str, limit: int) -> DocumentTooLarge:
    return DocumentTooLarge(
        "The issuer's key document is larger than the size limit, so it was not read.",
        hint=f"{url} {what}; the limit is {limit} bytes.",
    )


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
        self._resolver: Resolver = resolver if resolver is not None else system_resolver
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
        target = parse_url(url)
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
    def _parse(self, target: Target, body: bytes) -> Any:
        try:
            return parse_json(body, max_bytes=self._policy.max_bytes, what="key document")
        except FormatError as exc:
            # Fetched but unusable: a wrong answer, not "could not check".
            raise BadDocument(
                "The issuer's published key document is not valid JSON.",
                hint=f"{target.url}: {exc.message}",
            ) from exc

    def _fetch(self, target: Target) -> bytes:
        policy = self._policy
        if target.scheme == "http" and not policy.allow_loopback_http:
            raise refused(
                "fetch_refused_scheme",
                "The issuer's key document is not served over HTTPS, so it was not fetched.",
                f"{target.url}: http is allowed only to loopback in development.",
            )
        deadline = _Deadline(policy.timeout)
        try:
            addresses = self._resolve(target, deadline)
            if target.scheme == "http" and not all(ip.is_loopback for ip in addresses):
                raise refused(
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
            raise _unreachable(
                "fetch_timeout",
                f"{target.url}: no complete answer within {policy.timeout:g} s.",
                FetchTimeout,
            ) from exc
        except ssl.SSLError as exc:  # includes certificate verification failures
            raise _unreachable(
                "fetch_tls_error",
                f"{target.url}: {getattr(exc, 'verify_message', None) or exc.reason or exc}.",
            ) from exc
        except http.client.IncompleteRead as exc:
            raise _unreachable(
                "fetch_connect_error",
                f"{target.url}: the answer ended early.",
            ) from exc
        except http.client.HTTPException as exc:
            raise _unreachable(
                "fetch_http_error",
                f"{target.url}: {type(exc).__name__}.",
            ) from exc
        except OSError as exc:
            raise _unreachable(
                "fetch_connect_error",
                f"{target.url}: {exc.strerror or type(exc).__name__}.",
            ) from exc

    def _resolve(self, target: Target, deadline: _Deadline) -> list[IPAddress]:
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
                    f"{target.host}: {exc}.",
                ) from exc
        if not candidates:
            raise _unreachable(
                "fetch_dns_error",
                f"{target.host} has no addresses.",
            )
        allow_loopback = self._policy.allow_loopback_http
        for ip in candidates:
            reason = refusal(ip, allow_loopback=allow_loopback)
            if reason is not None:
                logger.info("fetch refused: %s resolves to %s (%s)", target.host, ip, reason)
                raise AddressRefused(
                    f"The issuer's key document was not fetched ({REFUSED_ADDRESS}).",
                    hint=f"{REFUSED_ADDRESS}.",
                )
        return list(dict.fromkeys(normalise(ip) for ip in candidates))

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

    def _follow(self, target: Target, addresses: list[IPAddress], deadline: _Deadline) -> bytes:
        current = target
        for hop in range(MAX_REDIRECTS + 1):
            answer = self._exchange(current, addresses, deadline)
            if isinstance(answer, bytes):
                return answer
            if hop == MAX_REDIRECTS:
                raise refused(
                    "redirect_refused",
                    "The issuer's server redirected too many times, so the key document was "
                    "not fetched.",
                    f"{target.url}: more than {MAX_REDIRECTS} redirects.",
                )
            location = urljoin(current.url, answer.location)
            try:
                following = parse_url(location)
            except FetchRefused as exc:
                raise refused(
                    "redirect_refused",
                    "The issuer's server redirected to an address we do not fetch, so the key "
                    "document was not fetched.",
                    f"{current.url} redirects to {location[:200]!r}: {exc.hint}",
                ) from exc
            # Same origin only (RFC 6454 §4: scheme, host, port). The addresses checked for the
            # first request are reused: the name is not resolved again mid-fetch.
            if following.origin != target.origin:
                raise refused(
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
        self, target: Target, addresses: list[IPAddress], deadline: _Deadline
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

    def _request(self, target: Target) -> bytes:
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
        self, target: Target, addresses: list[IPAddress], deadline: _Deadline
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
                    # The public server's own answer (private addresses are never connected
                    # to), so its status may be named.
                    raise FetchUnreachable(
                        "The issuer's server gave an incomplete answer, so the signature could "
                        "not be checked.",
                        code="fetch_http_error",
                        hint=f"{target.url}: HTTP {status} without a Location.",
                    )
                return _Redirect(location)
            if status == 410:
                raise FetchGone(
                    "The issuer's server says the document is gone, so the signature could not "
                    "be checked.",
                    hint=f"GET {target.url} returned HTTP 410.",
                )
            if status != 200:
                raise FetchUnreachable(
                    "The issuer's server answered with an error, so the signature could not be "
                    "checked.",
                    code="fetch_http_error",
                    hint=f"GET {target.url} returned HTTP {status}.",
                )
            self._check_headers(target, response)
            return self._read_body(target, response)
        raise AssertionError("unreachable")  # pragma: no cover

    def _check_headers(self, target: Target, response: http.client.HTTPResponse) -> None:
        # RFC 9110 §8.4: refuse any content coding but identity; RFC 9112 §6.1: only chunked.
        codings = [
            coding.strip().lower()
            for value in response.headers.get_all("Content-Encoding", [])
            for coding in value.split(",")
            if coding.strip()
        ]
        transfer = (response.getheader("Transfer-Encoding") or "chunked").strip().lower()
        if any(coding != "identity" for coding in codings) or transfer != "chunked":
            raise refused(
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

    def _read_body(self, target: Target, response: http.client.HTTPResponse) -> bytes:
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
