"""SafeFetcher against real servers on 127.0.0.1: policy refusals, limits, redirects, cache.

Every server here listens on 127.0.0.1 with an ephemeral port; host names other than that are
mapped by an injected resolver, and connections to non-loopback addresses are intercepted
before any packet leaves (``SafeFetcher._connect`` is replaced by a spy), so nothing reaches a
real network.
"""

from __future__ import annotations

import dataclasses
import gzip
import ipaddress
import json
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from keys import PublishedKey, did_web_document, generate_key
from verifier import KeyResolver
from verifier import fetch as fetch_module
from verifier.errors import (
    FetchError,
    FetchUnreachable,
    KeyNotResolved,
    KeyUnreachable,
    NetworkDisabled,
    VerificationError,
    VerifierError,
)
from verifier.fetch import MAX_REDIRECTS, NEGATIVE_CACHE_TTL, FetchPolicy, SafeFetcher

BUDGET = 0.5
DEV = FetchPolicy(allow_loopback_http=True, timeout=BUDGET)
PROD = FetchPolicy(timeout=BUDGET)
DOC: dict[str, Any] = {"id": "did:web:issuer.example", "assertionMethod": ["#key-1"]}
DOC_BYTES = json.dumps(DOC).encode()
KIB = 1024

# -- local servers --------------------------------------------------------------------------
Route = Callable[["Handler"], None]


class Handler(BaseHTTPRequestHandler):
    server: Server

    def do_GET(self) -> None:
        self.server.record(self.path, {k.lower(): v for k, v in self.headers.items()})
        route = self.server.routes.get(self.path)
        try:
            if route is None:
                self.send_error(404)
            else:
                route(self)
        except OSError:
            pass  # the client hung up mid-answer, as the fetcher should when it has seen enough

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default backlog of 5 drops SYNs under concurrent fetches

    def __init__(self, tls: ssl.SSLContext | None) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True)
        self.scheme = "https" if tls is not None else "http"
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.stop = threading.Event()
        self.streamed = 0
        self.stream_ended = threading.Event()
        self._lock = threading.Lock()

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"

    def record(self, path: str, headers: dict[str, str]) -> None:
        with self._lock:
            self.requests.append((path, headers))

    @property
    def paths(self) -> list[str]:
        with self._lock:
            return [path for path, _ in self.requests]


@contextmanager
def running(tls: ssl.SSLContext | None = None) -> Iterator[Server]:
    server = Server(tls)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02})
    thread.start()
    try:
        yield server
    finally:
        server.stop.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


def send(
    body: bytes = DOC_BYTES,
    *,
    status: int = 200,
    content_type: str | None = "application/json",
    headers: tuple[tuple[str, str], ...] = (),
    length: int | None = -1,
) -> Route:
    """A plain answer; ``length`` -1 sends the true Content-Length, None sends none."""

    def route(h: Handler) -> None:
        h.send_response(status)
        if content_type is not None:
            h.send_header("Content-Type", content_type)
        if length is not None:
            h.send_header("Content-Length", str(len(body) if length == -1 else length))
        for name, value in headers:
            h.send_header(name, value)
        h.end_headers()
        h.wfile.write(body)

    return route


def raw(*parts: bytes, delay: float = 0.0) -> Route:
    """Write bytes as they are, optionally pausing between parts (a slow or broken server)."""

    def route(h: Handler) -> None:
        for part in parts:
            h.wfile.write(part)
            if delay and h.server.stop.wait(delay):
                return

    return route


def stream(chunk: bytes, count: int, *, delay: float = 0.0, head: bytes | None = None) -> Route:
    """A close-delimited body of ``count`` chunks; counts what the client let it send."""

    def route(h: Handler) -> None:
        try:
            h.wfile.write(head or b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n")
            for _ in range(count):
                if h.server.stop.is_set():
                    return
                h.wfile.write(chunk)
                h.server.streamed += len(chunk)
                if delay:
                    h.server.stop.wait(delay)
        finally:
            h.server.stream_ended.set()

    return route


def redirect(location: str, status: int = 302) -> Route:
    return send(b"", status=status, content_type=None, headers=(("Location", location),))


@pytest.fixture
def server() -> Iterator[Server]:
    with running() as srv:
        yield srv


@pytest.fixture
def other_server() -> Iterator[Server]:
    with running() as srv:
        yield srv


# -- a throwaway PKI for https ----------------------------------------------------------------
@dataclass
class Pki:
    ca_pem: str
    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert_file, self.key_file)
        return ctx

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cadata=self.ca_pem)


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "SafeFetcher test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(ca=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(leaf_key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("pki")
    cert_file, key_file = folder / "server.pem", folder / "server.key"
    cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        leaf_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Pki(ca.public_bytes(serialization.Encoding.PEM).decode(), cert_file, key_file)


@pytest.fixture
def tls_server(pki: Pki) -> Iterator[Server]:
    with running(pki.server_context()) as srv:
        yield srv


# -- seams: resolver, clock, connection spy ----------------------------------------------------
@dataclass
class FakeResolver:
    table: dict[str, list[str]]
    calls: list[tuple[str, int]] = field(default_factory=list)

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append((host, port))
        if host not in self.table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.table[host]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


_real_connect = SafeFetcher._connect


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Record every TCP connect; only loopback ones go ahead, others are refused unsent."""
    attempts: list[tuple[str, int]] = []

    def spy(self: SafeFetcher, ip: Any, port: int, deadline: Any) -> socket.socket:
        attempts.append((str(ip), port))
        if not ip.is_loopback:
            raise ConnectionRefusedError(111, "Connection refused (test spy)")
        return _real_connect(self, ip, port, deadline)

    monkeypatch.setattr(SafeFetcher, "_connect", spy)
    return attempts


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class FailingFetcher:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def fetch_json(self, url: str) -> Any:
        raise self.error


def as_key_error(err: FetchError) -> KeyNotResolved:
    """What the key resolver makes of a fetch failure: its own (signature) check's error."""
    resolver = KeyResolver(fetcher=FailingFetcher(err))
    with pytest.raises(KeyNotResolved) as info:
        resolver.issuer_keys("https://issuer.example/issuer")
    assert info.value.__cause__ is err
    return info.value


def fails(fetcher: SafeFetcher, url: str, code: str, *, inconclusive: bool) -> FetchError:
    with pytest.raises(FetchError) as info:
        fetcher.fetch_json(url)
    err = info.value
    assert err.code == code, (err.code, err.hint)
    assert err.inconclusive is inconclusive
    assert isinstance(err, FetchUnreachable) is inconclusive
    # The report shows it as the signature check's error, with the same code and message.
    key_error = as_key_error(err)
    assert (key_error.code, key_error.message, key_error.hint) == (code, err.message, err.hint)
    assert key_error.inconclusive is inconclusive
    assert isinstance(key_error, KeyUnreachable) is inconclusive
    assert key_error.check == "signature"
    assert err.message.endswith(".")
    assert "127.0.0.1" not in err.message and "Traceback" not in err.message
    return err


# -- scheme and loopback policy ----------------------------------------------------------------
def test_http_to_loopback_is_allowed_in_development(server: Server) -> None:
    server.routes["/.well-known/did.json"] = send()
    assert SafeFetcher(DEV).fetch_json(server.url("/.well-known/did.json")) == DOC
    [(_, headers)] = server.requests
    assert headers["host"] == f"127.0.0.1:{server.port}"
    assert headers["user-agent"] == "SkillPassport-Verifier/0.1"
    assert headers["accept-encoding"] == "identity"
    assert headers["connection"] == "close"
    assert "application/did+json" in headers["accept"]


def test_http_is_refused_in_production(server: Server) -> None:
    server.routes["/doc"] = send()
    fails(SafeFetcher(PROD), server.url("/doc"), "fetch_refused_scheme", inconclusive=False)
    assert server.requests == []


def test_http_to_a_public_host_is_refused_even_in_development(
    connections: list[tuple[str, int]],
) -> None:
    resolver = FakeResolver({"issuer.example": ["93.184.216.34"]})
    fetcher = SafeFetcher(DEV, resolver=resolver)
    fails(fetcher, "http://issuer.example/doc", "fetch_refused_scheme", inconclusive=False)
    assert connections == []


def test_https_to_loopback_is_allowed_in_development(tls_server: Server, pki: Pki) -> None:
    tls_server.routes["/doc"] = send(content_type="application/did+ld+json")
    fetcher = SafeFetcher(
        DEV, ssl_context=pki.client_context(), resolver=FakeResolver({"localhost": ["127.0.0.1"]})
    )
    assert fetcher.fetch_json(tls_server.url("/doc")) == DOC
    fetcher.clear_cache()
    # By name: the IP is connected to, the name goes in Host, SNI and the certificate check.
    assert fetcher.fetch_json(tls_server.url("/doc", host="localhost")) == DOC
    assert tls_server.requests[-1][1]["host"] == f"localhost:{tls_server.port}"


def test_https_to_loopback_is_refused_in_production(
    tls_server: Server, pki: Pki, connections: list[tuple[str, int]]
) -> None:
    tls_server.routes["/doc"] = send()
    resolver = FakeResolver({"localhost": ["127.0.0.1", "::1"]})
    fetcher = SafeFetcher(PROD, ssl_context=pki.client_context(), resolver=resolver)
    err = fails(fetcher, tls_server.url("/doc"), "fetch_refused_address", inconclusive=False)
    # Says only that it was refused (finding 9 of issue 17), never why or where it resolved.
    assert err.hint == "refused: not a public address."
    fails(
        fetcher,
        tls_server.url("/doc", host="localhost"),
        "fetch_refused_address",
        inconclusive=False,
    )
    fails(fetcher, "https://[::1]/doc", "fetch_refused_address", inconclusive=False)
    assert connections == []
    assert tls_server.requests == []


def test_certificate_is_checked_against_the_url_host_not_the_ip(
    tls_server: Server, pki: Pki
) -> None:
    """DNS says evil.test is 127.0.0.1; the certificate there is for localhost: refused."""
    tls_server.routes["/doc"] = send()
    resolver = FakeResolver({"evil.test": ["127.0.0.1"]})
    fetcher = SafeFetcher(DEV, ssl_context=pki.client_context(), resolver=resolver)
    fails(fetcher, tls_server.url("/doc", host="evil.test"), "fetch_tls_error", inconclusive=True)
    assert tls_server.requests == []


def test_an_untrusted_certificate_is_a_tls_error(tls_server: Server) -> None:
    tls_server.routes["/doc"] = send()
    fails(SafeFetcher(DEV), tls_server.url("/doc"), "fetch_tls_error", inconclusive=True)
    assert tls_server.requests == []


# -- addresses, checked after resolution and before any connection -----------------------------
REFUSED_ADDRESSES = [
    "10.0.0.5",
    "172.16.3.4",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "::ffff:192.168.1.1",  # IPv4-mapped
    "::ffff:169.254.169.254",
    "0.0.0.0",  # noqa: S104 - an address to refuse, not one to bind
    "::",
    "100.64.0.1",  # shared / CGNAT
    "224.0.0.251",
    "ff02::1",
    "240.0.0.1",
    "255.255.255.255",
    "fe80::1",
    "fc00::1",
    "fd12:3456::1",
    "2002:c0a8:0101::1",  # 6to4 around 192.168.1.1
    "2002:7f00:0001::1",  # 6to4 around 127.0.0.1
    "64:ff9b::a00:5",  # NAT64 around 10.0.0.5
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
    "::10.0.0.1",  # IPv4-compatible (deprecated)
    "192.0.2.10",  # documentation
    "2001:db8::1",
]


@pytest.mark.parametrize("address", REFUSED_ADDRESSES)
@pytest.mark.parametrize("policy", [PROD, DEV], ids=["production", "development"])
def test_refused_addresses_are_never_connected_to(
    address: str, policy: FetchPolicy, connections: list[tuple[str, int]]
) -> None:
    resolver = FakeResolver({"issuer.example": [address]})
    # What is under test is the refusal, not the time budget: give the resolver thread room on
    # a loaded machine (with BUDGET's 0.5 s one full-suite run timed out before the refusal).
    fetcher = SafeFetcher(dataclasses.replace(policy, timeout=5.0), resolver=resolver)
    err = fails(fetcher, "https://issuer.example/doc", "fetch_refused_address", inconclusive=False)
    assert address.split("::ffff:")[-1] not in err.message
    # Never the name or the address it resolves to (finding 9 of issue 17).
    assert err.hint == "refused: not a public address."
    assert "resolves to" not in err.message
    assert resolver.calls == [("issuer.example", 443)]
    assert connections == []


@pytest.mark.parametrize(
    ("address", "connected"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("127.1.2.3", "127.1.2.3"),
        ("::1", "::1"),
        ("::ffff:127.0.0.1", "127.0.0.1"),
    ],
)
def test_loopback_is_refused_in_production_and_allowed_in_development(
    address: str, connected: str, connections: list[tuple[str, int]]
) -> None:
    resolver = FakeResolver({"issuer.example": [address]})
    err = fails(
        SafeFetcher(PROD, resolver=resolver),
        "https://issuer.example/doc",
        "fetch_refused_address",
        inconclusive=False,
    )
    assert err.hint == "refused: not a public address."  # not "loopback" (finding 9, issue 17)
    assert connections == []
    port = closed_port()
    fails(
        SafeFetcher(DEV, resolver=resolver),
        f"https://issuer.example:{port}/doc",
        "fetch_connect_error",
        inconclusive=True,
    )
    assert connections == [(connected, port)]


def test_every_resolved_address_is_checked(connections: list[tuple[str, int]]) -> None:
    resolver = FakeResolver({"issuer.example": ["93.184.216.34", "10.0.0.5"]})
    fetcher = SafeFetcher(PROD, resolver=resolver)
    fails(fetcher, "https://issuer.example/doc", "fetch_refused_address", inconclusive=False)
    assert connections == []


@pytest.mark.parametrize(
    ("address", "connected"),
    [
        ("93.184.216.34", "93.184.216.34"),
        ("2606:4700:4700::1111", "2606:4700:4700::1111"),
        ("::ffff:93.184.216.34", "93.184.216.34"),
        ("2002:5db8:d822::1", "2002:5db8:d822::1"),  # 6to4 around a public address
        ("64:ff9b::5db8:d822", "64:ff9b::5db8:d822"),  # NAT64 (DNS64) around a public address
    ],
)
def test_public_addresses_are_connected_to_as_checked(
    address: str, connected: str, connections: list[tuple[str, int]]
) -> None:
    resolver = FakeResolver({"issuer.example": [address]})
    fetcher = SafeFetcher(PROD, resolver=resolver)
    fails(fetcher, "https://issuer.example:8443/doc", "fetch_connect_error", inconclusive=True)
    assert connections == [(connected, 8443)]


def test_idna_host_names_are_resolved_as_a_labels(connections: list[tuple[str, int]]) -> None:
    resolver = FakeResolver({"xn--bcher-kva.example": ["93.184.216.34"]})
    fetcher = SafeFetcher(PROD, resolver=resolver)
    fails(fetcher, "https://Bücher.example./doc", "fetch_connect_error", inconclusive=True)
    assert resolver.calls == [("xn--bcher-kva.example", 443)]


def test_the_host_is_resolved_once_per_fetch_even_across_redirects(server: Server) -> None:
    """DNS rebinding: a second lookup would say 10.0.0.5; there is no second lookup."""
    answers = iter([["127.0.0.1"], ["10.0.0.5"], ["10.0.0.5"]])
    calls: list[str] = []

    def rebinding(host: str, port: int) -> list[str]:
        calls.append(host)
        return next(answers)

    server.routes["/a"] = redirect("/b")
    server.routes["/b"] = redirect(f"http://issuer.test:{server.port}/c")
    server.routes["/c"] = send()
    fetcher = SafeFetcher(DEV, resolver=rebinding)
    assert fetcher.fetch_json(f"http://issuer.test:{server.port}/a") == DOC
    assert calls == ["issuer.test"]
    assert server.paths == ["/a", "/b", "/c"]
    assert {h["host"] for _, h in server.requests} == {f"issuer.test:{server.port}"}


def test_dns_failures_are_inconclusive() -> None:
    fetcher = SafeFetcher(PROD, resolver=FakeResolver({"empty.example": []}))
    fails(fetcher, "https://missing.example/doc", "fetch_dns_error", inconclusive=True)
    fails(fetcher, "https://empty.example/doc", "fetch_dns_error", inconclusive=True)


def test_a_hung_resolver_is_cut_off_by_the_budget() -> None:
    release = threading.Event()

    def hung(host: str, port: int) -> list[str]:
        release.wait(5)
        return ["93.184.216.34"]

    started = time.monotonic()
    try:
        fails(
            SafeFetcher(PROD, resolver=hung),
            "https://slow-dns.example/",
            "fetch_timeout",
            inconclusive=True,
        )
    finally:
        release.set()
    assert time.monotonic() - started < BUDGET * 1.5


# -- URLs refused before any I/O ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("https://user:secret@issuer.example/doc", "fetch_refused_url"),
        ("https://user@issuer.example/doc", "fetch_refused_url"),
        ("ftp://issuer.example/doc", "fetch_refused_scheme"),
        ("file:///etc/passwd", "fetch_refused_scheme"),
        ("javascript:alert(1)", "fetch_refused_scheme"),
        ("issuer.example/doc", "fetch_refused_scheme"),
        ("https:///doc", "fetch_refused_url"),
        ("https://issuer example/doc", "fetch_refused_url"),
        ("https://issuer.example/do\r\nX-Injected: 1", "fetch_refused_url"),
        ("https://issuer.example:99999/doc", "fetch_refused_url"),
        ("https://[::1/doc", "fetch_refused_url"),
        ("https://[2606:4700::1%25eth0]/doc", "fetch_refused_url"),
        ("https://a..b/doc", "fetch_refused_url"),
        ("https://issuer%2eexample/doc", "fetch_refused_url"),
        ("https://issuer.example/" + "a" * 3000, "fetch_refused_url"),
        ("", "fetch_refused_url"),
    ],
)
def test_urls_are_refused_before_resolving(
    url: str, code: str, connections: list[tuple[str, int]]
) -> None:
    resolver = FakeResolver({"issuer.example": ["93.184.216.34"]})
    err = fails(SafeFetcher(DEV, resolver=resolver), url, code, inconclusive=False)
    assert "secret" not in (err.hint or "")
    assert resolver.calls == []
    assert connections == []


def test_the_fragment_is_not_sent_and_the_path_is_escaped(server: Server) -> None:
    server.routes["/keys/j%C3%A9?x=1%202"] = send()
    fetcher = SafeFetcher(DEV)
    assert fetcher.fetch_json(server.url("/keys/jé?x=1%202#key-1")) == DOC
    assert server.paths == ["/keys/j%C3%A9?x=1%202"]


def test_a_refused_connection_is_inconclusive() -> None:
    fails(
        SafeFetcher(DEV),
        f"http://127.0.0.1:{closed_port()}/doc",
        "fetch_connect_error",
        inconclusive=True,
    )


# -- HTTP answers -----------------------------------------------------------------------------
@pytest.mark.parametrize("status", [404, 410, 500, 503])
def test_error_statuses_are_inconclusive(server: Server, status: int) -> None:
    server.routes["/doc"] = send(b"{}", status=status)
    err = fails(SafeFetcher(DEV), server.url("/doc"), "fetch_http_error", inconclusive=True)
    assert str(status) in (err.hint or "")


def test_a_missing_document_is_inconclusive(server: Server) -> None:
    err = fails(SafeFetcher(DEV), server.url("/nothing"), "fetch_http_error", inconclusive=True)
    assert "404" in (err.hint or "")


def test_a_garbled_answer_is_inconclusive(server: Server) -> None:
    server.routes["/doc"] = raw(b"SPDY/9 banana\r\n\r\n")
    fails(SafeFetcher(DEV), server.url("/doc"), "fetch_http_error", inconclusive=True)


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "application/did+json",
        "application/did+ld+json",
        "application/ld+json",
        "application/jwk-set+json",
        "application/jwk+json",
        "Application/JSON",
    ],
)
def test_json_media_types_are_read(server: Server, content_type: str) -> None:
    server.routes["/doc"] = send(content_type=content_type)
    assert SafeFetcher(DEV).fetch_json(server.url("/doc")) == DOC


@pytest.mark.parametrize("content_type", ["text/html", "text/plain", "application/xml", None])
def test_other_media_types_are_refused(server: Server, content_type: str | None) -> None:
    server.routes["/doc"] = send(content_type=content_type)
    fails(SafeFetcher(DEV), server.url("/doc"), "bad_key_document", inconclusive=False)


@pytest.mark.parametrize(
    "body", [b"{not json", b'{"x": NaN}', b"\xff\xfe{}", b"[" * 100 + b"]" * 100, b""]
)
def test_a_fetched_document_that_is_not_json_is_not_inconclusive(
    server: Server, body: bytes
) -> None:
    server.routes["/doc"] = send(body)
    fails(SafeFetcher(DEV), server.url("/doc"), "bad_key_document", inconclusive=False)


def test_compressed_answers_are_refused(server: Server) -> None:
    server.routes["/gzip"] = send(gzip.compress(DOC_BYTES), headers=(("Content-Encoding", "gzip"),))
    server.routes["/te"] = raw(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"
    )
    fetcher = SafeFetcher(DEV)
    fails(fetcher, server.url("/gzip"), "fetch_refused_encoding", inconclusive=False)
    fails(fetcher, server.url("/te"), "fetch_refused_encoding", inconclusive=False)


def test_identity_encoding_and_chunked_transfer_are_read(server: Server) -> None:
    half = len(DOC_BYTES) // 2
    chunks = [DOC_BYTES[:half], DOC_BYTES[half:]]
    server.routes["/doc"] = raw(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: identity\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
        + b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks)
        + b"0\r\n\r\n"
    )
    assert SafeFetcher(DEV).fetch_json(server.url("/doc")) == DOC


# -- size -------------------------------------------------------------------------------------
def big_json(size: int) -> bytes:
    return b'{"pad": "' + b"x" * (size - 11) + b'"}'


def test_the_size_limit_is_exactly_max_bytes(server: Server) -> None:
    policy = FetchPolicy(allow_loopback_http=True, timeout=BUDGET, max_bytes=1000)
    server.routes["/fits"] = send(big_json(1000))
    server.routes["/over"] = send(big_json(1001), length=None)
    fetcher = SafeFetcher(policy)
    assert len(fetcher.fetch_json(server.url("/fits"))["pad"]) == 989
    fails(fetcher, server.url("/over"), "document_too_large", inconclusive=False)


def test_300_kib_is_too_large_with_or_without_content_length(server: Server) -> None:
    body = big_json(300 * KIB)
    server.routes["/declared"] = send(body)
    server.routes["/undeclared"] = send(body, length=None)
    server.routes["/chunked"] = raw(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in [body[:100_000], body[100_000:]])
        + b"0\r\n\r\n"
    )
    fetcher = SafeFetcher(DEV)
    for path in ("/declared", "/undeclared", "/chunked"):
        err = fails(fetcher, server.url(path), "document_too_large", inconclusive=False)
        assert str(256 * KIB) in (err.hint or "")


def test_a_content_length_that_understates_is_all_that_is_read(server: Server) -> None:
    """Content-Length says 8 bytes; 300 KiB follow. Only the 8 declared bytes are read."""
    server.routes["/doc"] = send(b'{"a": 1}' + b" " * 300 * KIB, length=8)
    assert SafeFetcher(DEV).fetch_json(server.url("/doc")) == {"a": 1}


def test_a_content_length_that_overstates_is_a_broken_answer(server: Server) -> None:
    server.routes["/doc"] = send(DOC_BYTES, length=len(DOC_BYTES) + 100)
    fails(SafeFetcher(DEV), server.url("/doc"), "fetch_connect_error", inconclusive=True)


def test_a_10_mb_controller_document_is_refused_from_its_content_length(server: Server) -> None:
    """The body is never sent; a fetcher that tried to read it would wait out the budget."""
    server.routes["/controller"] = raw(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 10485760\r\n\r\n",
        b"{",
        delay=10.0,
    )
    fetcher = SafeFetcher(FetchPolicy(allow_loopback_http=True, timeout=5.0))
    started = time.monotonic()
    err = fails(fetcher, server.url("/controller"), "document_too_large", inconclusive=False)
    assert time.monotonic() - started < 1.0
    assert "10485760" in (err.hint or "")


def test_a_10_mb_undeclared_controller_document_is_cut_off(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    received: list[int] = []
    original = fetch_module._BudgetedReader.readinto

    def counting(self: Any, buffer: Any) -> int:
        received.append(original(self, buffer))
        return received[-1]

    monkeypatch.setattr(fetch_module._BudgetedReader, "readinto", counting)
    server.routes["/controller"] = stream(b" " * (64 * KIB), count=160)  # 10 MiB, no length
    fetcher = SafeFetcher(FetchPolicy(allow_loopback_http=True, timeout=5.0))
    started = time.monotonic()
    fails(fetcher, server.url("/controller"), "document_too_large", inconclusive=False)
    assert time.monotonic() - started < 2.0
    # What came off the socket: the limit, one more byte, headers and one read-ahead buffer.
    assert sum(received) <= 256 * KIB + 1 + 16 * KIB
    assert server.stream_ended.wait(5)  # the server's writes failed once the fetcher hung up


def test_a_flood_of_headers_is_cut_off(server: Server) -> None:
    policy = FetchPolicy(allow_loopback_http=True, timeout=BUDGET, max_bytes=1000)
    header = b"X-Filler: " + b"y" * 8000 + b"\r\n"
    server.routes["/doc"] = raw(b"HTTP/1.1 200 OK\r\n" + header * 90 + b"\r\n")
    fails(SafeFetcher(policy), server.url("/doc"), "document_too_large", inconclusive=False)


# -- time -------------------------------------------------------------------------------------
def test_a_slow_drip_body_is_cut_off_at_the_budget(server: Server) -> None:
    server.routes["/doc"] = stream(
        b" ",
        count=10_000,
        delay=0.02,
        head=b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{",
    )
    started = time.monotonic()
    fails(SafeFetcher(DEV), server.url("/doc"), "fetch_timeout", inconclusive=True)
    elapsed = time.monotonic() - started
    assert BUDGET * 0.9 < elapsed < BUDGET * 1.5


def test_slow_drip_headers_are_cut_off_at_the_budget(server: Server) -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + b"X-Slow: 1\r\n" * 1000
    server.routes["/doc"] = raw(*(head[i : i + 2] for i in range(0, len(head), 2)), delay=0.01)
    started = time.monotonic()
    fails(SafeFetcher(DEV), server.url("/doc"), "fetch_timeout", inconclusive=True)
    assert time.monotonic() - started < BUDGET * 1.5


def test_a_silent_server_is_cut_off_at_the_budget(server: Server) -> None:
    server.routes["/doc"] = raw(b"", delay=10.0)
    started = time.monotonic()
    fails(SafeFetcher(DEV), server.url("/doc"), "fetch_timeout", inconclusive=True)
    assert time.monotonic() - started < BUDGET * 1.5


def test_the_budget_covers_all_redirect_hops(server: Server) -> None:
    """Each hop is quick enough alone; together they overrun the one budget."""
    server.routes["/a"] = raw(b"HTTP/1.0 302 Found\r\n", b"Location: /b\r\n\r\n", delay=0.3)
    server.routes["/b"] = raw(b"HTTP/1.0 302 Found\r\n", b"Location: /c\r\n\r\n", delay=0.3)
    server.routes["/c"] = send()
    started = time.monotonic()
    fails(SafeFetcher(DEV), server.url("/a"), "fetch_timeout", inconclusive=True)
    assert time.monotonic() - started < BUDGET * 1.5


# -- redirects --------------------------------------------------------------------------------
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_same_origin_redirects_are_followed(server: Server, status: int) -> None:
    server.routes["/old"] = redirect("/new", status)
    server.routes["/new"] = redirect(server.url("/newest"), status)
    server.routes["/newest"] = send()
    assert SafeFetcher(DEV).fetch_json(server.url("/old")) == DOC
    assert server.paths == ["/old", "/new", "/newest"]


def test_at_most_three_redirects_are_followed(server: Server) -> None:
    for hop in range(MAX_REDIRECTS + 1):
        server.routes[f"/{hop}"] = redirect(f"/{hop + 1}")
    server.routes[f"/{MAX_REDIRECTS}"] = send()
    fetcher = SafeFetcher(DEV)
    assert fetcher.fetch_json(server.url("/0")) == DOC
    server.routes[f"/{MAX_REDIRECTS}"] = redirect(f"/{MAX_REDIRECTS + 1}")
    server.routes[f"/{MAX_REDIRECTS + 1}"] = send()
    fetcher.clear_cache()
    fails(fetcher, server.url("/0"), "redirect_refused", inconclusive=False)


def test_a_redirect_to_another_port_is_refused(server: Server, other_server: Server) -> None:
    other_server.routes["/doc"] = send()
    server.routes["/doc"] = redirect(other_server.url("/doc"))
    fails(SafeFetcher(DEV), server.url("/doc"), "redirect_refused", inconclusive=False)
    assert other_server.requests == []


@pytest.mark.parametrize(
    "location",
    [
        "http://localhost:{port}/doc",  # another host name, even one for the same address
        "https://127.0.0.1:{port}/doc",  # another scheme
        "http://169.254.169.254/latest/meta-data/",
        "http://user:pw@127.0.0.1:{port}/doc",
        "file:///etc/passwd",
    ],
)
def test_a_redirect_to_another_origin_is_refused(
    server: Server, location: str, connections: list[tuple[str, int]]
) -> None:
    server.routes["/doc"] = redirect(location.format(port=server.port))
    fetcher = SafeFetcher(DEV, resolver=FakeResolver({"localhost": ["127.0.0.1"]}))
    fails(fetcher, server.url("/doc"), "redirect_refused", inconclusive=False)
    assert server.paths == ["/doc"]
    assert connections == [("127.0.0.1", server.port)]


def test_a_redirect_without_location_is_inconclusive(server: Server) -> None:
    server.routes["/doc"] = send(b"", status=302, content_type=None)
    fails(SafeFetcher(DEV), server.url("/doc"), "fetch_http_error", inconclusive=True)


# -- cache ------------------------------------------------------------------------------------
def test_documents_are_cached_for_the_ttl(server: Server) -> None:
    server.routes["/doc"] = send()
    clock = FakeClock()
    fetcher = SafeFetcher(DEV, clock=clock)
    url = server.url("/doc")
    first = fetcher.fetch_json(url)
    first["id"] = "tampered"  # a caller's change must not reach the next caller
    clock.now += DEV.cache_ttl - 1
    assert fetcher.fetch_json(url + "#key-1") == DOC
    assert server.paths == ["/doc"]
    clock.now += 2
    assert fetcher.fetch_json(url) == DOC
    assert server.paths == ["/doc", "/doc"]


def test_failures_are_remembered_briefly(server: Server) -> None:
    clock = FakeClock()
    fetcher = SafeFetcher(DEV, clock=clock)
    url = server.url("/missing")
    first = fails(fetcher, url, "fetch_http_error", inconclusive=True)
    second = fails(fetcher, url, "fetch_http_error", inconclusive=True)
    assert second is not first and second.hint == first.hint
    assert server.paths == ["/missing"]
    clock.now += NEGATIVE_CACHE_TTL
    server.routes["/missing"] = send()
    assert fetcher.fetch_json(url) == DOC
    assert server.paths == ["/missing", "/missing"]


def test_the_cache_is_a_bounded_lru(server: Server) -> None:
    for name in "abc":
        server.routes[f"/{name}"] = send()
    fetcher = SafeFetcher(
        FetchPolicy(allow_loopback_http=True, timeout=BUDGET, cache_entries=2), clock=FakeClock()
    )
    for name in "abac":  # "b" is least recently used when "c" arrives
        fetcher.fetch_json(server.url(f"/{name}"))
    assert server.paths == ["/a", "/b", "/c"]
    fetcher.fetch_json(server.url("/a"))
    fetcher.fetch_json(server.url("/b"))
    assert server.paths == ["/a", "/b", "/c", "/b"]


def test_a_zero_ttl_disables_the_cache(server: Server) -> None:
    server.routes["/doc"] = send()
    fetcher = SafeFetcher(FetchPolicy(allow_loopback_http=True, timeout=BUDGET, cache_ttl=0))
    fetcher.fetch_json(server.url("/doc"))
    fetcher.fetch_json(server.url("/doc"))
    assert server.paths == ["/doc", "/doc"]


def test_concurrent_fetches_are_safe(server: Server) -> None:
    for n in range(8):
        server.routes[f"/{n}"] = send(json.dumps({"n": n}).encode())
    fetcher = SafeFetcher(FetchPolicy(allow_loopback_http=True, timeout=5.0))
    results: dict[int, Any] = {}
    errors: list[Exception] = []

    def work(n: int) -> None:
        try:
            for _ in range(5):
                results[n] = fetcher.fetch_json(server.url(f"/{n % 8}"))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert errors == []
    assert results == {n: {"n": n % 8} for n in range(16)}
    assert sorted(set(server.paths)) == [f"/{n}" for n in range(8)]


# -- the rest ---------------------------------------------------------------------------------
def test_document_bodies_are_never_logged(server: Server, caplog: pytest.LogCaptureFixture) -> None:
    server.routes["/doc"] = send(b'{"secret": "do-not-log-me"}')
    server.routes["/bad"] = send(b"{do-not-log-me-either")
    caplog.set_level(logging.DEBUG, logger="verifier.fetch")
    fetcher = SafeFetcher(DEV)
    fetcher.fetch_json(server.url("/doc"))
    fetcher.fetch_json(server.url("/doc"))
    fails(fetcher, server.url("/bad"), "bad_key_document", inconclusive=False)
    assert "fetched key document" in caplog.text
    assert "do-not-log-me" not in caplog.text


def test_the_default_policy_is_the_production_policy() -> None:
    policy = SafeFetcher().policy
    assert policy == FetchPolicy()
    assert not policy.allow_loopback_http
    assert (policy.max_bytes, policy.timeout, policy.cache_ttl) == (256 * KIB, 5.0, 300.0)


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"max_bytes": 0}, "max_bytes"),
        ({"timeout": 0}, "timeout"),
        ({"timeout": float("inf")}, "timeout"),
        ({"cache_ttl": -1}, "cache_ttl"),
        ({"cache_entries": -1}, "cache_entries"),
        ({"user_agent": "x\r\nX-Injected: 1"}, "user_agent"),
    ],
)
def test_nonsense_policies_are_refused(changes: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        FetchPolicy(**changes)


def test_key_resolver_reads_a_did_web_document_through_the_fetcher(server: Server) -> None:
    did = f"did:web:127.0.0.1%3A{server.port}"
    key = generate_key("ES256")
    published = [PublishedKey(public=key.public, status="active", created=datetime.now(UTC))]
    document = json.dumps(did_web_document(did, published)).encode()
    server.routes["/.well-known/did.json"] = send(document, content_type="application/did+json")
    resolver = KeyResolver(fetcher=SafeFetcher(DEV), allow_http_hosts={"127.0.0.1"})
    assert [k.kid for k in resolver.issuer_keys(did)] == [key.kid]
    assert server.paths == ["/.well-known/did.json"]


def test_without_a_network_the_resolver_says_key_unreachable() -> None:
    with pytest.raises(KeyUnreachable) as caught:
        KeyResolver().issuer_keys("did:web:issuer.example")
    error = caught.value
    assert (error.check, error.code, error.inconclusive) == ("signature", "key_unreachable", True)
    assert error.message == (
        "The issuer's published keys are not available offline, so the signature could not be "
        "checked."
    )
    assert isinstance(error.__cause__, NetworkDisabled)
    assert "https://issuer.example/.well-known/did.json" in (error.hint or "")


def test_a_fetch_error_is_not_a_verification_error() -> None:
    # Only the check that needed the document can say what its failure means.
    assert not issubclass(FetchError, VerificationError)
    assert issubclass(FetchError, VerifierError)
