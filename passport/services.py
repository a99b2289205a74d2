"""What every use case needs, built once from the settings: engine, sessions, key store, the
SSRF-safe fetcher, the trust list and a verifier that knows our own issuers.

:meth:`Services.from_settings` builds it; the web app keeps one in ``app.extensions`` (reached
through :func:`passport.web.context.get_services`) and the CLI makes its own, so the command
line never builds the Flask app. It holds configuration-derived objects only; per-request state
lives in the database session.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

import passport.models  # noqa: F401  (registers every domain's tables)
from keys import KeyStore, PublicKey, PublishedKey, did_web_document, did_web_from_url, jwks
from keys.store import DEFAULT_SCRYPT, ScryptParameters
from keys.strength import MIN_PASSPHRASE_BITS
from passport.credentials.models import Issuer, SigningKeyRecord, StatusList
from passport.db import make_engine, utcnow
from passport.errors import ConfigError, NotFound
from passport.files import private_umask, secure_instance
from passport.mentoring.models import MentorProfile
from passport.settings import Settings
from verifier import DocumentFetcher, KeyResolver, Verifier
from verifier.canonical import Canonicalizer
from verifier.errors import TrustListError
from verifier.fetch import FetchPolicy, SafeFetcher
from verifier.status import DataIntegrityListVerifier, StatusChecker
from verifier.trust import TrustList, load_trust_list
from verifier.validity import DEFAULT_LEEWAY

__all__ = [
    "LOOPBACK_HOSTS",
    "IssuerDocuments",
    "Services",
    "configured_trust_list",
]

logger = logging.getLogger(__name__)

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
_KEYS_RECHECK_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class IssuerDocuments:
    """What one of our issuers publishes: its DID document and JWKS."""

    did: str
    did_document: dict[str, Any]
    jwks: dict[str, Any]


#: The key store's scrypt cost in the test environment only (PASSPORT_ENV=test): 1 MiB, the
#: least a file may name; about 3 ms a key against 48 ms at 2**14, which cost the suite minutes
#: (every test app makes and loads its keys).
TEST_SCRYPT = ScryptParameters(n=2**10)


@dataclass(slots=True)
class Services:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    #: None when no passphrase is configured (read-only commands such as ``verify``).
    key_store_or_none: KeyStore | None
    #: The one network path for foreign issuers' keys and status lists (SSRF-safe).
    fetcher: DocumentFetcher = field(default_factory=SafeFetcher)
    #: Shared by signing and verifying, so a self-check reuses the signer's canonical forms.
    canonicalizer: Canonicalizer = field(default_factory=Canonicalizer)
    #: Other issuers the verifier trusts (``PASSPORT_TRUST_LIST``); our own always are.
    trust_list: TrustList | None = None
    #: Objects other packages attach to these services (the job queue: ``jobs.queue``), so
    #: shared ground need not import them.
    extensions: dict[str, Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _verifier_cache: tuple[tuple[tuple[str, ...], ...], Verifier] | None = None
    _verifier_checked: float = 0.0

    @classmethod
    def from_settings(
        cls, settings: Settings, *, fetcher: DocumentFetcher | None = None
    ) -> Services:
        """Everything ``settings`` configures: a new engine (dispose it with :meth:`close`).

        ``fetcher`` replaces the SSRF-safe fetcher (``passport verify --offline``: none).
        The process umask becomes 077 and the instance folder is made private first
        (:mod:`passport.files`), so the database and everything after it is created 0600.
        """
        private_umask()
        secure_instance(settings.instance_path, settings.database_url)
        engine = make_engine(settings.database_url)
        return cls(
            settings=settings,
            engine=engine,
            sessions=sessionmaker(engine, expire_on_commit=False),
            fetcher=fetcher
            or SafeFetcher(FetchPolicy(allow_loopback_http=not settings.is_production)),
            key_store_or_none=(
                KeyStore(
                    settings.key_store_path,
                    settings.key_passphrase.encode("utf-8"),
                    # The test suite makes keys for every test: a cheaper scrypt there only
                    # (each file records its own cost; production rewrites cheaper ones).
                    kdf=TEST_SCRYPT if settings.env == "test" else DEFAULT_SCRYPT,
                    min_passphrase_bits=MIN_PASSPHRASE_BITS if settings.is_production else 0,
                )
                if settings.key_passphrase
                else None
            ),
            trust_list=configured_trust_list(settings),
        )

    def close(self) -> None:
        """Close every pooled database connection (the CLI, at the end of a command)."""
        self.engine.dispose()

    @property
    def key_store(self) -> KeyStore:
        """The key store; raises ConfigError when no passphrase was configured."""
        if self.key_store_or_none is None:
            raise ConfigError("No key-store passphrase is configured (PASSPORT_KEY_PASSPHRASE).")
        return self.key_store_or_none

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on error."""
        with self.sessions() as session, session.begin():
            yield session

    # -- publishing our keys ---------------------------------------------------------------
    def issuer_documents(self, session: Session) -> list[IssuerDocuments]:
        """DID document and JWKS of every issuer we host (all keys: active and retired).

        Mentors' endorser identities (:meth:`is_endorser_did`) are among them: the verifier
        resolves their keys locally too, but knows them as endorsers only.
        """
        return [
            self.documents_of(issuer)
            for issuer in session.scalars(select(Issuer).order_by(Issuer.id))
        ]

    def documents_of(self, issuer: Issuer) -> IssuerDocuments:
        """The DID document and JWKS of one issuer we host (every key it has had)."""
        published = [
            PublishedKey(
                public=PublicKey.from_jwk(json.loads(record.public_jwk), alg=record.alg),
                status=record.status,
                created=record.created_at,
                retired=record.retired_at,
                compromised_at=record.compromised_at,
            )
            for record in sorted(issuer.keys, key=lambda r: (r.created_at, r.kid))
        ]
        return IssuerDocuments(
            did=issuer.did,
            did_document=did_web_document(issuer.did, published),
            jwks=jwks(p.public for p in published if p.status in ("active", "retired")),
        )

    @property
    def endorser_did_prefix(self) -> str:
        """What every mentor's endorser DID starts with: ``did:web:<our host>:mentors:``.

        A mentor's endorsements are signed under such a DID (key held by us); it is never
        "our issuer": not a known issuer of badges, not rotated with our keys, no status lists.
        """
        return did_web_from_url(self.settings.public_url) + ":mentors:"

    def is_endorser_did(self, did: str) -> bool:
        """Whether ``did`` is a mentor endorser DID we host: a did:web with a ``mentors``
        segment (:attr:`endorser_did_prefix` today).

        Judged by the DID's shape, not by the current public URL alone: after a move to a new
        domain the identities made under the old one (``did:web:<old host>:mentors:…``) must
        stay endorsers, never become known issuers of badges or be rotated with our keys.
        """
        return did.startswith(self.endorser_did_prefix) or (
            did.startswith("did:web:") and ":mentors:" in did
        )

    def mentor_own_dids(self, session: Session) -> tuple[str, ...]:
        """The did:keys mentors registered as their own (keys they hold, not us), sorted.

        Known to our verifiers as endorsers only, like mentors' did:web identities.
        """
        dids = session.scalars(
            select(MentorProfile.did)
            .where(MentorProfile.did.is_not(None))
            .order_by(MentorProfile.did)
        )
        return tuple(did for did in dids if did)

    def own_issuer_documents(self, session: Session) -> IssuerDocuments:
        """The documents of the issuer this deployment's public URL names.

        Raises :class:`~passport.errors.NotFound` before ``passport init`` has created it.
        """
        did = did_web_from_url(self.settings.public_url)
        for docs in self.issuer_documents(session):
            if docs.did == did:
                return docs
        raise NotFound("This deployment has no issuer yet; run `passport init`.", code="no_issuer")

    def verifier(self, session: Session) -> Verifier:
        """A verifier that knows our issuers' documents locally (no HTTP call to ourselves).

        Cached until the set of keys (or their status) changes, so the key cache inside the
        resolver stays warm between requests. The key set is re-read at most once a second
        (key changes made in this process take effect at once: :meth:`invalidate_keys`).
        """
        with self._lock:
            cached = self._verifier_cache
            fresh = time.monotonic() - self._verifier_checked < _KEYS_RECHECK_SECONDS
        if cached is not None and fresh:
            return cached[1]
        rows = session.execute(
            select(
                SigningKeyRecord.kid, SigningKeyRecord.status, SigningKeyRecord.compromised_at
            ).order_by(SigningKeyRecord.kid)
        )
        fingerprint: tuple[tuple[str, ...], ...] = tuple(
            (row.kid, row.status, str(row.compromised_at)) for row in rows
        )
        # Mentors' own did:keys (registered by them, keys they hold) are endorsers too.
        own_dids = self.mentor_own_dids(session)
        fingerprint = (*fingerprint, own_dids)
        with self._lock:
            cached = self._verifier_cache
            if cached is not None and cached[0] == fingerprint:
                self._verifier_checked = time.monotonic()
                return cached[1]
        documents: dict[str, dict[str, Any]] = {}
        for docs in self.issuer_documents(session):
            documents[docs.did] = docs.did_document
        known = [did for did in documents if not self.is_endorser_did(did)]
        endorsers = [did for did in documents if self.is_endorser_did(did)]
        endorsers += own_dids  # a did:key resolves offline: it needs no document
        resolver = KeyResolver(
            documents=documents,
            fetcher=self.fetcher,
            allow_http_hosts=() if self.settings.is_production else LOOPBACK_HOSTS,
        )
        leeway = DEFAULT_LEEWAY
        checker = StatusChecker(
            DataIntegrityListVerifier(resolver, self.canonicalizer, leeway=leeway),
            fetcher=self.fetcher,
            documents=_OwnStatusLists(self),
            leeway=leeway,
        )
        verifier = Verifier(
            resolver,
            known_issuers=known,
            known_endorsers=endorsers,
            trust_list=self.trust_list,
            canonicalizer=self.canonicalizer,
            status_checker=checker,
            leeway=leeway,
        )
        with self._lock:
            self._verifier_cache = (fingerprint, verifier)
            self._verifier_checked = time.monotonic()
        return verifier

    def invalidate_keys(self) -> None:
        """Forget the cached verifier: our keys changed (rotation, compromise)."""
        with self._lock:
            self._verifier_cache = None

    def invalidate_status(self, url: str) -> None:
        """Forget a cached status list after we changed it (other processes: its ttl)."""
        with self._lock:
            cached = self._verifier_cache
        if cached is not None:
            cached[1].status_checker.invalidate(url)

    def now(self) -> datetime:
        """The service clock (a seam: tests may construct Services with another)."""
        return utcnow()


class _OwnStatusLists(Mapping[str, Any]):
    """Our own status lists, read from the database as signed (no HTTP call to ourselves)."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self._prefix = services.settings.public_url + "/status/"

    def __getitem__(self, url: str) -> Any:
        if not url.startswith(self._prefix):
            raise KeyError(url)
        with self._services.sessions() as session:
            row = session.get(StatusList, url[len(self._prefix) :])
            snapshot = row.snapshot if row is not None else None
            if row is None or snapshot is None or snapshot.version != row.version:
                raise KeyError(url)
            return orjson.loads(snapshot.content)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def configured_trust_list(settings: Settings) -> TrustList | None:
    """The trust list ``PASSPORT_TRUST_LIST`` names, or None when none is configured.

    Raises :class:`~passport.errors.ConfigError` for a file that is missing or malformed, so a
    broken list stops start-up instead of quietly making every foreign issuer unknown.
    """
    if settings.trust_list_path is None:
        return None
    try:
        return load_trust_list(settings.trust_list_path)
    except TrustListError as exc:
        raise ConfigError(f"PASSPORT_TRUST_LIST: {exc.message}", code=exc.code) from exc
