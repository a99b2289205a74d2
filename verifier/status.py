"""Credential status: is this credential revoked or suspended? (OB 3.0 §9 step 4)

Two status methods are checked (checklist §3.2, §3.3):

* **W3C Bitstring Status List v1.0** (``BitstringStatusListEntry``, checklist §3.3). The entry
  names a list credential (``statusListCredential``) and a position (``statusListIndex``). We
  follow the spec's §3.2 "Validate Algorithm": dereference the list credential (failure:
  STATUS_RETRIEVAL_ERROR), verify its proof (STATUS_VERIFICATION_ERROR), require the entry's
  ``statusPurpose`` among the list's, expand the bitstring (§3.4 "Bitstring Expansion
  Algorithm": multibase base64url without padding, then GZIP), require at least 131,072 entries
  (STATUS_LIST_LENGTH_ERROR) and read the bit at ``statusListIndex`` (RANGE_ERROR when beyond the
  end); index 0 is the most significant bit of byte 0 (§2.2 ``encodedList``). Our policy adds:
  the list's ``issuer`` must be the credential's issuer (design.md; §2.2 allows them to differ),
  and the list's own ``validFrom``/``validUntil`` must hold.
* **1EdTech Revocation List** (``1EdTechRevocationList``, VCRL 1.0, checklist §3.2): GET the
  entry's ``id``; the credential is revoked when its ``id`` is listed in ``revokedCredential``
  with ``revoked`` true or absent. Such lists are **not signed** in the 1EdTech model, so there
  is no signature to check; the result says so (``EntryStatus.signed`` is False).

The rule throughout: never a false "valid". A set bit with purpose ``revocation`` raises
:class:`Revoked` and ``suspension`` raises :class:`Suspended` (the report's ``failed``). Every
path that cannot *prove* "not revoked / not suspended" raises an inconclusive error
(``could_not_check``): :class:`StatusUnavailable` when no usable list could be had, and
:class:`StatusListInvalid` when the list (or the credential's entry) is unusable. Other purposes
(``refresh``, ``message``, and purposes we do not know) never decide validity: they are checked
and reported in :class:`StatusResult` as information, and their failures do not raise.

Codes (``check`` is ``status`` for all):

==============================  ==================  ==========================================
code                            class               when
==============================  ==================  ==========================================
``revoked``                     Revoked             bit set (revocation) / listed as revoked
``suspended``                   Suspended           bit set (suspension)
``status_unreachable``          StatusUnavailable   the list could not be fetched
``status_stale``                StatusUnavailable   the list's ``validUntil`` has passed
``status_list_not_yet_valid``   StatusUnavailable   the list's ``validFrom`` is in the future
``status_type_unsupported``     StatusUnavailable   a status ``type`` we cannot check
``status_entry_invalid``        StatusListInvalid   the credential's entry is malformed
``status_list_malformed``       StatusListInvalid   not a BitstringStatusListCredential / VCRL
``status_list_unverified``      StatusListInvalid   the list's own proof does not verify
``status_list_wrong_issuer``    StatusListInvalid   the list's issuer is not the credential's
``status_list_id_mismatch``     StatusListInvalid   (opt-in) the list's ``id`` is not its URL
``status_purpose_mismatch``     StatusListInvalid   the list is not for the entry's purpose
``status_list_bad_encoding``    StatusListInvalid   not multibase ``u`` / not base64url
``status_list_not_gzip``        StatusListInvalid   not a single complete GZIP stream
``status_list_too_large``       StatusListInvalid   compressed or inflated size over the caps
``status_list_too_short``       StatusListInvalid   fewer than 131,072 bits
``status_index_out_of_range``   StatusListInvalid   the index is beyond the end of the list
==============================  ==================  ==========================================

Only ``revoked`` and ``suspended`` are not inconclusive. A list signed with a key its issuer
reports compromised is ``status_list_unverified`` whatever its ``created`` date (a thief can
backdate, and a list clearing a bit is what a thief would sign). The list's ``id`` need not be
its URL (§2.2 says MAY; the 1EdTech vector's differs); ``require_list_id=True`` demands it.

**Caching.** :class:`StatusChecker` caches each list *decoded and verified*, per URL, so a check
against a warm cache is a dict lookup and a bit test. A list is served from the cache for its
``ttl`` (§2.2: milliseconds, 300,000 when absent; a verifier MUST NOT use a copy cached for
longer), capped at ``max_ttl``; then it is fetched and verified again. **No grace period**: once
the TTL has passed, a list that cannot be refreshed gives ``could_not_check``, never a stale
"not revoked". The one exception goes the safe way: revocation is irreversible (§2.1), so if the
expired copy already had the credential's revocation bit set, a failed refresh still reports
:class:`Revoked`. Failures to obtain a usable list are remembered for ``failure_ttl`` (10 s) so a
batch of credentials pointing at one broken list costs one fetch, not one per credential. Give
the checker a fetcher without its own cache (``SafeFetcher(FetchPolicy(cache_ttl=0))``), or a
cached copy could outlive the list's TTL; call :meth:`StatusChecker.invalidate` after changing a
list that ``documents`` serves.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Final, NamedTuple, Protocol

from verifier.bitstring import (
    DEFAULT_MAX_BITSTRING_BYTES,
    DEFAULT_MAX_COMPRESSED_BYTES,
    MIN_BITS,
    ParsedEntry,
    bit_is_set,
    decode_bitstring,
    invalid_entry,
    invalid_list,
    list_date,
    list_issuer,
    list_subject,
    list_ttl_seconds,
    parse_entry,
    type_names,
)
from verifier.canonical import Canonicalizer
from verifier.dataintegrity import check_data_integrity
from verifier.errors import (
    BadSignature,
    DocumentTooLarge,
    FetchError,
    Revoked,
    StatusError,
    StatusListInvalid,
    StatusUnavailable,
    Suspended,
    VerificationError,
    VerifierError,
    _NotCacheable,
)
from verifier.resolve import KeyResolver, NoNetwork
from verifier.validity import DEFAULT_LEEWAY

__all__ = [
    "BITSTRING_ENTRY",
    "DEFAULT_TTL",
    "REVOCATION_LIST",
    "DataIntegrityListVerifier",
    "EntryStatus",
    "ListProofChecker",
    "StatusChecker",
    "StatusListSource",
    "StatusResult",
]

logger = logging.getLogger(__name__)

#: §2.2 ``ttl``: "If not present, implementers MUST use a value of 300000" (ms).
DEFAULT_TTL: Final = 300.0
#: Longest we ever keep a list, whatever its ``ttl`` says (seconds).
DEFAULT_MAX_TTL: Final = 3600.0
#: How long a failure to obtain a usable list is remembered (seconds).
DEFAULT_FAILURE_TTL: Final = 10.0

BITSTRING_ENTRY: Final = "BitstringStatusListEntry"
REVOCATION_LIST: Final = "1EdTechRevocationList"
_LIST_CREDENTIAL: Final = "BitstringStatusListCredential"
_LIST_SUBJECT: Final = "BitstringStatusList"
#: Purposes whose set bit makes the credential invalid (§2.1); any other purpose informs only.
_DECISIVE: Final = frozenset({"revocation", "suspension"})


# -- results --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class EntryStatus:
    """The outcome for one ``credentialStatus`` entry.

    ``state`` is ``clear`` (bit 0 / not listed), ``set`` (bit 1 of an informational purpose),
    ``revoked``, ``suspended`` or ``unknown`` (``code`` says why). ``signed`` says whether the
    list carried a proof that we verified (1EdTech lists are unsigned). ``message`` is the
    entry's ``statusMessage`` text for the value found, when it has one.
    """

    type: str
    purpose: str
    list_url: str
    index: int | None
    state: str
    signed: bool
    from_cache: bool = False
    code: str | None = None
    message: str | None = None

    @property
    def decisive(self) -> bool:
        """True for purposes whose state decides validity (revocation, suspension)."""
        return self.purpose in _DECISIVE


@dataclass(frozen=True, slots=True)
class StatusResult:
    """Every status entry of one credential, checked: none revoked, suspended or unknown."""

    entries: tuple[EntryStatus, ...]

    @property
    def purposes(self) -> tuple[str, ...]:
        return tuple(e.purpose for e in self.entries)

    @property
    def list_urls(self) -> tuple[str, ...]:
        return tuple(e.list_url for e in self.entries)

    @property
    def summary(self) -> str:
        """One plain sentence for the report."""
        decisive = [e for e in self.entries if e.decisive]
        if not decisive:
            return "The issuer publishes no revocation or suspension status for this credential."
        purposes = sorted({e.purpose for e in decisive})
        words = " or ".join("revoked" if p == "revocation" else "suspended" for p in purposes)
        unsigned = any(not e.signed for e in decisive)
        tail = " (the issuer's list is not signed)" if unsigned else ""
        return f"The issuer's status list says the credential is not {words}{tail}."


# -- seams ----------------------------------------------------------------------------------
class StatusListSource(Protocol):
    """Fetches a status list by URL (the :class:`~verifier.resolve.DocumentFetcher` shape).

    :class:`~verifier.fetch.SafeFetcher` and :class:`~verifier.resolve.NoNetwork` satisfy it.
    Raise a :class:`~verifier.errors.FetchError` on failure; the checker turns it into
    :class:`~verifier.errors.StatusUnavailable` (``status_list_too_large`` for a
    :class:`~verifier.errors.DocumentTooLarge`). A VerificationError is accepted too.
    """

    def fetch_json(self, url: str) -> Any: ...


class ListProofChecker(Protocol):
    """Verifies a status list credential's own proof; returns normally or raises.

    Raises a :class:`~verifier.errors.VerificationError` when the proof does not verify.
    """

    def __call__(self, document: Mapping[str, Any], *, now: datetime) -> None: ...


class DataIntegrityListVerifier:
    """Verifies a list credential's Data Integrity proof with the verifier's own machinery.

    The list is not an Open Badge, so :class:`~verifier.verify.Verifier` (which loads the OB 3.0
    model) does not apply; the proof rules are the same (:func:`check_data_integrity`: safe-mode
    canonicalization, key controlled by the list's issuer, listed under ``assertionMethod``).
    Share the Verifier's ``resolver`` and ``canonicalizer`` so keys and contexts are cached once.
    """

    def __init__(
        self,
        resolver: KeyResolver,
        canonicalizer: Canonicalizer | None = None,
        *,
        leeway: timedelta = DEFAULT_LEEWAY,
    ) -> None:
        self.resolver = resolver
        self.canonicalizer = canonicalizer or Canonicalizer()
        self.leeway = leeway

    def __call__(self, document: Mapping[str, Any], *, now: datetime) -> None:
        key = check_data_integrity(
            document, self.resolver, self.canonicalizer, now=now, leeway=self.leeway
        ).key
        if self.resolver.revoked_at(key) is not None:
            # The resolver reports compromised keys rather than refusing them. Unlike a badge,
            # a list gets no "signed before the compromise" leniency: a thief can backdate
            # ``created``, and a list that clears a bit is exactly what a thief would sign.
            raise BadSignature(
                "The status list was signed with a key its issuer reported compromised.",
                code="key_compromised",
            )


# -- parsed entries and lists -------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _BitstringList:
    """A list credential whose proof verified, with its bitstring expanded."""

    url: str
    list_id: str | None
    issuer: str
    purposes: frozenset[str]
    bits: bytes
    valid_from: datetime | None
    valid_until: datetime | None
    ttl: float | None  # seconds, from the list's own ``ttl``
    #: Results of cached "clear" reads, reused: a frozen EntryStatus costs µs to build, and a
    #: warm-cache check should cost a lookup and a bit test. Bounded; races only rebuild one.
    clear_results: dict[tuple[str, int, str | None], EntryStatus] = field(
        default_factory=dict, compare=False, repr=False
    )


_MAX_CLEAR_RESULTS: Final = 4096


@dataclass(frozen=True, slots=True)
class _RevocationList:
    """A 1EdTech revocation list: credential id → revoked (unsigned)."""

    url: str
    revoked: Mapping[str, bool]
    reasons: Mapping[str, str]


_Value = _BitstringList | _RevocationList


@dataclass(slots=True)
class _Slot:
    value: _Value | None = None
    expires: float = 0.0
    loaded_at: float = 0.0
    failure: tuple[type[StatusError], str, str, str | None] | None = None
    failure_expires: float = 0.0


class _Loaded(NamedTuple):
    value: _Value
    from_cache: bool


# -- the checker ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Limits:
    min_bits: int
    max_bytes: int
    max_compressed_bytes: int


class StatusChecker:
    """Checks ``credentialStatus`` entries against status lists, with a verified-list cache.

    ``proof_checker`` verifies each list credential's own proof (usually a
    :class:`DataIntegrityListVerifier` sharing the Verifier's resolver and canonicalizer).
    Lists come from ``documents`` (URL → list, consulted first on every cache miss: the app's
    own lists, straight from its database) or else from ``fetcher`` (default
    :class:`~verifier.resolve.NoNetwork`: foreign lists are ``could_not_check``). ``clock`` is
    the cache's monotonic clock (seconds); ``ttl`` is used for lists without their own ``ttl``,
    and ``max_ttl`` caps every list's. At most ``max_entries`` lists are kept (least recently
    used dropped first). A credential with more than ``max_status_entries`` entries is refused
    (``status_entry_invalid``): each entry can cost a fetch. Thread-safe: the cache is guarded
    by a lock; fetching and verifying run outside it.
    """

    def __init__(
        self,
        proof_checker: ListProofChecker,
        *,
        fetcher: StatusListSource | None = None,
        documents: Mapping[str, Any] | None = None,
        clock: Callable[[], float] = time.monotonic,
        ttl: float = DEFAULT_TTL,
        max_ttl: float = DEFAULT_MAX_TTL,
        failure_ttl: float = DEFAULT_FAILURE_TTL,
        max_entries: int = 256,
        leeway: timedelta = DEFAULT_LEEWAY,
        min_bits: int = MIN_BITS,
        max_bitstring_bytes: int = DEFAULT_MAX_BITSTRING_BYTES,
        max_compressed_bytes: int = DEFAULT_MAX_COMPRESSED_BYTES,
        require_list_id: bool = False,
        max_status_entries: int = 8,
    ) -> None:
        for name, value in (("ttl", ttl), ("max_ttl", max_ttl), ("failure_ttl", failure_ttl)):
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be zero or a positive number of seconds")
        if max_entries < 0:
            raise ValueError("max_entries must not be negative")
        self._proof_checker = proof_checker
        self._fetcher: StatusListSource = fetcher if fetcher is not None else NoNetwork()
        self._documents: Mapping[str, Any] = documents if documents is not None else {}
        self._clock = clock
        self._ttl = ttl
        self._max_ttl = max_ttl
        self._failure_ttl = failure_ttl
        self._max_entries = max_entries
        self._leeway = leeway
        self._limits = _Limits(min_bits, max_bitstring_bytes, max_compressed_bytes)
        self._require_list_id = require_list_id
        self._max_status_entries = max_status_entries
        self._cache: OrderedDict[tuple[str, str], _Slot] = OrderedDict()
        self._lock = threading.Lock()

    # -- public ------------------------------------------------------------------------------
    def check(
        self,
        credential_status: Mapping[str, Any] | Sequence[Any],
        *,
        credential_id: str | None,
        issuer_id: str,
        now: datetime,
    ) -> StatusResult:
        """Check every entry of ``credentialStatus`` (one object, or a list: one per purpose).

        Returns the :class:`StatusResult` when no decisive entry is revoked, suspended or
        unknown. Raises :class:`Revoked` if any entry is revoked, else :class:`Suspended` if
        any is suspended, else the first inconclusive error (:class:`StatusUnavailable` or
        :class:`StatusListInvalid`); the error's ``result`` lists every entry's outcome.
        """
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        if type(credential_status) is dict or isinstance(credential_status, Mapping):
            raw_entries: Sequence[Any] = (credential_status,)
        elif isinstance(credential_status, list | tuple):
            raw_entries = credential_status
        else:
            malformed = invalid_entry("credentialStatus is neither an object nor a list.")
            malformed.result = StatusResult(())
            raise malformed
        if len(raw_entries) > self._max_status_entries:
            # Each entry can cost a fetch: a credential must not make us fetch without bound.
            too_many = invalid_entry(
                f"{len(raw_entries)} credentialStatus entries; at most "
                f"{self._max_status_entries} are checked."
            )
            too_many.result = StatusResult(())
            raise too_many
        outcomes: list[EntryStatus] = []
        errors: list[StatusError] = []
        for raw in raw_entries:
            try:
                outcomes.append(self._check_entry(raw, credential_id, issuer_id, now))
            except StatusError as exc:
                if exc.entry is None:
                    exc.entry = _unknown_entry(raw, exc.code)
                outcomes.append(exc.entry)
                errors.append(exc)
        result = StatusResult(tuple(outcomes))
        for kind in (Revoked, Suspended, StatusError):
            for error in errors:
                if isinstance(error, kind):
                    error.result = result
                    raise error
        return result

    def invalidate(self, url: str | None = None) -> None:
        """Forget the cached list at ``url`` (every list when None), e.g. after revoking."""
        with self._lock:
            if url is None:
                self._cache.clear()
            else:
                for key in [k for k in self._cache if k[1] == url]:
                    del self._cache[key]

    # -- one entry ------------------------------------------------------------------------------
    def _check_entry(
        self, raw: object, credential_id: str | None, issuer_id: str, now: datetime
    ) -> EntryStatus:
        if type(raw) is not dict and not isinstance(raw, Mapping):
            raise invalid_entry("A credentialStatus entry is not an object.")
        types = type_names(raw.get("type"))
        if BITSTRING_ENTRY in types:
            return self._check_bitstring(raw, issuer_id, now)
        if REVOCATION_LIST in types:
            return self._check_revocation_list(raw, credential_id)
        raise StatusUnavailable(
            "The credential uses a kind of status list this service cannot check.",
            code="status_type_unsupported",
            hint=f"credentialStatus type {list(types) or raw.get('type')!r}; supported: "
            f"{BITSTRING_ENTRY}, {REVOCATION_LIST}.",
        )

    def _check_bitstring(
        self, raw: Mapping[str, Any], issuer_id: str, now: datetime
    ) -> EntryStatus:
        purpose = raw.get("statusPurpose")
        if not isinstance(purpose, str) or not purpose:
            raise invalid_entry("statusPurpose is missing or not a string.")
        if purpose not in _DECISIVE:
            # refresh, message, or a purpose we do not know: information, never a verdict, so
            # nothing about it (not even a multi-bit entry we cannot read) fails the credential.
            try:
                return self._read_bit(parse_entry(raw), issuer_id, now)
            except StatusError as exc:
                url = raw.get("statusListCredential")
                return EntryStatus(
                    BITSTRING_ENTRY, purpose, url if isinstance(url, str) else "", None,
                    "unknown", signed=False, code=exc.code, message=exc.message,
                )  # fmt: skip
        entry = parse_entry(raw)
        try:
            return self._read_bit(entry, issuer_id, now)
        except StatusError as exc:
            if exc.inconclusive and entry.purpose == "revocation":
                self._revoked_in_stale_copy(entry, issuer_id, exc)
            raise

    def _read_bit(self, entry: ParsedEntry, issuer_id: str, now: datetime) -> EntryStatus:
        loaded = self._load("bitstring", entry.url, issuer_id, now)
        listed = loaded.value
        assert isinstance(listed, _BitstringList)
        self._check_list_use(listed, entry, issuer_id, now)
        if not bit_is_set(listed.bits, entry.position):
            message = entry.messages.get("0x0")
            memo = (entry.purpose, entry.position, message)
            if loaded.from_cache and (hit := listed.clear_results.get(memo)) is not None:
                return hit
            clear = EntryStatus(
                BITSTRING_ENTRY, entry.purpose, entry.url, entry.position, "clear",
                signed=True, from_cache=True, message=message,
            )  # fmt: skip
            if len(listed.clear_results) >= _MAX_CLEAR_RESULTS:
                listed.clear_results.clear()
            listed.clear_results[memo] = clear
            return clear if loaded.from_cache else replace(clear, from_cache=False)
        message = entry.messages.get("0x1")
        if entry.purpose in _DECISIVE:
            error_class = Revoked if entry.purpose == "revocation" else Suspended
            error = error_class(hint=f"Status list {entry.url}, index {entry.position}.")
            error.entry = EntryStatus(
                BITSTRING_ENTRY, entry.purpose, entry.url, entry.position, error_class.code,
                signed=True, from_cache=loaded.from_cache, code=error_class.code, message=message,
            )  # fmt: skip
            raise error
        return EntryStatus(
            BITSTRING_ENTRY, entry.purpose, entry.url, entry.position, "set",
            signed=True, from_cache=loaded.from_cache, message=message,
        )  # fmt: skip

    def _check_list_use(
        self, listed: _BitstringList, entry: ParsedEntry, issuer_id: str, now: datetime
    ) -> None:
        """The per-credential rules, applied to cached lists too (cheap comparisons)."""
        if listed.issuer != issuer_id:
            raise _wrong_issuer(listed.issuer, issuer_id)
        if entry.purpose not in listed.purposes:
            raise invalid_list(
                "status_purpose_mismatch",
                f"The status list the credential points to is not a {entry.purpose} list.",
                f"Entry purpose {entry.purpose!r}; list purposes {sorted(listed.purposes)} "
                "(STATUS_VERIFICATION_ERROR).",
            )
        if listed.valid_until is not None and now - self._leeway > listed.valid_until:
            raise StatusUnavailable(
                "The issuer's status list has expired, so it cannot tell whether the credential "
                "was revoked.",
                code="status_stale",
                hint=f"{entry.url} was valid until {listed.valid_until.isoformat()}.",
            )
        if listed.valid_from is not None and now + self._leeway < listed.valid_from:
            raise StatusUnavailable(
                "The issuer's status list is not valid yet, so it cannot tell whether the "
                "credential was revoked.",
                code="status_list_not_yet_valid",
                hint=f"{entry.url} is valid from {listed.valid_from.isoformat()}.",
            )

    def _revoked_in_stale_copy(
        self, entry: ParsedEntry, issuer_id: str, cause: StatusError
    ) -> None:
        """Revocation is irreversible (§2.1): an expired copy's set bit still means revoked."""
        with self._lock:
            slot = self._cache.get(("bitstring", entry.url))
            stale = slot.value if slot is not None else None
            loaded_at = slot.loaded_at if slot is not None else 0.0
        if (
            not isinstance(stale, _BitstringList)
            or stale.issuer != issuer_id
            or entry.purpose not in stale.purposes
            or not 0 <= entry.position < len(stale.bits) << 3
            or not bit_is_set(stale.bits, entry.position)
        ):
            return
        age = max(0, round(self._clock() - loaded_at))
        error = Revoked(
            hint=f"Status list {entry.url}, index {entry.position}, as verified {age} s ago; the "
            f"list could not be refreshed ({cause.code}), and revocation cannot be undone."
        )
        error.entry = EntryStatus(
            BITSTRING_ENTRY, entry.purpose, entry.url, entry.position, "revoked",
            signed=True, from_cache=True, code="revoked",
        )  # fmt: skip
        raise error from cause

    def _check_revocation_list(
        self, raw: Mapping[str, Any], credential_id: str | None
    ) -> EntryStatus:
        url = raw.get("id")
        if not isinstance(url, str) or not url:
            raise invalid_entry("The 1EdTechRevocationList entry has no id (the list's URL).")
        if not credential_id:
            raise invalid_entry("The credential has no id, so a revocation list cannot name it.")
        loaded = self._load("vcrl", url, None, None)
        listed = loaded.value
        assert isinstance(listed, _RevocationList)
        if listed.revoked.get(credential_id, False):
            reason = listed.reasons.get(credential_id)
            error = Revoked(
                hint=f"Listed as revoked in {url} (an unsigned 1EdTech revocation list)"
                + (f"; reason given: {reason!r}." if reason else ".")
            )
            error.entry = EntryStatus(
                REVOCATION_LIST, "revocation", url, None, "revoked",
                signed=False, from_cache=loaded.from_cache, code="revoked", message=reason,
            )  # fmt: skip
            raise error
        return EntryStatus(
            REVOCATION_LIST, "revocation", url, None, "clear",
            signed=False, from_cache=loaded.from_cache,
        )  # fmt: skip

    # -- the cache --------------------------------------------------------------------------------
    def _load(self, kind: str, url: str, issuer_id: str | None, now: datetime | None) -> _Loaded:
        key = (kind, url)
        moment = self._clock()
        with self._lock:
            slot = self._cache.get(key)
            if slot is not None:
                self._cache.move_to_end(key)
                if slot.value is not None and moment < slot.expires:
                    return _Loaded(slot.value, True)
                if slot.failure is not None and moment < slot.failure_expires:
                    cls, message, code, hint = slot.failure
                    raise cls(message, code=code, hint=hint)
        try:
            if kind == "bitstring":
                assert issuer_id is not None and now is not None
                value: _Value = self._load_bitstring(url, issuer_id, now)
            else:
                value = self._load_revocation_list(url)
        except _NotCacheable as wrapper:
            raise wrapper.error from None
        except StatusError as exc:
            self._remember_failure(key, exc)
            raise
        ttl = self._ttl if not isinstance(value, _BitstringList) or value.ttl is None else value.ttl
        self._remember(key, value, min(ttl, self._max_ttl))
        return _Loaded(value, False)

    def _remember(self, key: tuple[str, str], value: _Value, ttl: float) -> None:
        if self._max_entries == 0:
            return
        moment = self._clock()
        with self._lock:
            slot = self._cache.get(key) or _Slot()
            slot.value, slot.loaded_at, slot.expires = value, moment, moment + ttl
            slot.failure, slot.failure_expires = None, 0.0
            self._cache[key] = slot
            self._cache.move_to_end(key)
            while len(self._cache) > self._max_entries:
                self._cache.popitem(last=False)

    def _remember_failure(self, key: tuple[str, str], error: StatusError) -> None:
        if self._failure_ttl <= 0 or self._max_entries == 0:
            return
        moment = self._clock()
        with self._lock:
            slot = self._cache.get(key) or _Slot()  # keeps an expired value for the grace rule
            slot.failure = (type(error), error.message, error.code, error.hint)
            slot.failure_expires = moment + self._failure_ttl
            self._cache[key] = slot
            self._cache.move_to_end(key)
            while len(self._cache) > self._max_entries:
                self._cache.popitem(last=False)

    # -- obtaining and validating lists -----------------------------------------------------------
    def _document(self, url: str) -> Any:
        local = self._documents.get(url)
        if local is not None:
            return local
        try:
            return self._fetcher.fetch_json(url)
        except DocumentTooLarge as exc:
            raise invalid_list(
                "status_list_too_large",
                "The issuer's status list is too large to read safely.",
                f"{url}: {exc.hint or exc.message}",
            ) from exc
        # Refused or unreachable alike: no usable list, so "could not check" (STATUS_RETRIEVAL_
        # ERROR). A VerificationError is what fetchers raised before FetchError existed.
        except (FetchError, VerificationError) as exc:
            raise _unreachable(url, exc) from exc

    def _load_bitstring(self, url: str, issuer_id: str, now: datetime) -> _BitstringList:
        """§3.2 steps 4-9 for one list: fetch, check shape and issuer, verify, expand."""
        document = self._document(url)
        if not isinstance(document, Mapping):
            raise invalid_list(
                "status_list_malformed",
                StatusListInvalid.default_message,
                f"{url} is not a JSON object (enveloped/JWT lists are not supported).",
            )
        if _LIST_CREDENTIAL not in type_names(document.get("type")):
            raise invalid_list(
                "status_list_malformed",
                StatusListInvalid.default_message,
                f"{url} is not a {_LIST_CREDENTIAL}.",
            )
        signer = list_issuer(document)
        if signer is None:
            raise invalid_list(
                "status_list_malformed", StatusListInvalid.default_message, "No issuer id."
            )
        if signer != issuer_id:
            # Checked before the proof: never fetch a stranger's keys for a list we would refuse.
            # Not remembered as a failure: the same list is fine for credentials of its issuer.
            raise _NotCacheable(_wrong_issuer(signer, issuer_id))
        list_id = document.get("id")
        if self._require_list_id and list_id != url:
            raise invalid_list(
                "status_list_id_mismatch",
                "The status list found at the credential's address describes a different list.",
                f"Fetched {url}; the list's id is {list_id!r}.",
            )
        subject = list_subject(document)
        if _LIST_SUBJECT not in type_names(subject.get("type")):
            raise invalid_list(
                "status_list_malformed",
                StatusListInvalid.default_message,
                f"credentialSubject.type must be {_LIST_SUBJECT}.",
            )
        purposes = subject.get("statusPurpose")
        purpose_set = frozenset(type_names(purposes))
        if not purpose_set or (
            isinstance(purposes, list | tuple) and not all(isinstance(p, str) for p in purposes)
        ):
            raise invalid_list(
                "status_list_malformed",
                StatusListInvalid.default_message,
                "credentialSubject.statusPurpose must be one or more strings.",
            )
        ttl = list_ttl_seconds(subject)
        valid_from = list_date(document, "validFrom", "issuanceDate")
        valid_until = list_date(document, "validUntil", "expirationDate")
        try:
            self._proof_checker(document, now=now)
        except VerificationError as exc:
            raise invalid_list(
                "status_list_unverified",
                "The issuer's status list is not properly signed, so it cannot be trusted.",
                f"{url}: {exc.code}: {exc.message} (STATUS_VERIFICATION_ERROR)",
            ) from exc
        limits = self._limits
        bits = decode_bitstring(
            subject.get("encodedList"),
            min_bits=limits.min_bits,
            max_bytes=limits.max_bytes,
            max_compressed_bytes=limits.max_compressed_bytes,
        )
        logger.info("status list %s verified: %d entries", url, len(bits) * 8)
        return _BitstringList(
            url=url,
            list_id=list_id if isinstance(list_id, str) else None,
            issuer=signer,
            purposes=purpose_set,
            bits=bits,
            valid_from=valid_from,
            valid_until=valid_until,
            ttl=ttl,
        )

    def _load_revocation_list(self, url: str) -> _RevocationList:
        """A 1EdTech revocation list: ``{"revokedCredential": [{"id", "revoked"?}, ...]}``."""
        document = self._document(url)
        items = document.get("revokedCredential") if isinstance(document, Mapping) else None
        if not isinstance(items, list | tuple):
            raise invalid_list(
                "status_list_malformed",
                "The issuer's revocation list is not a valid revocation list, so we could not "
                "check whether the credential was revoked.",
                f"{url} has no revokedCredential array.",
            )
        revoked: dict[str, bool] = {}
        reasons: dict[str, str] = {}
        for item in items:
            item_id = item.get("id") if isinstance(item, Mapping) else None
            flag = item.get("revoked", True) if isinstance(item, Mapping) else None
            if not isinstance(item_id, str) or not isinstance(flag, bool):
                raise invalid_list(
                    "status_list_malformed",
                    "The issuer's revocation list is not a valid revocation list, so we could "
                    "not check whether the credential was revoked.",
                    f"{url}: every revokedCredential needs a string id and a boolean revoked.",
                )
            # Listed twice: revoked if any listing says so (the conservative reading).
            revoked[item_id] = revoked.get(item_id, False) or flag
            reason = item.get("reason") or item.get("revocationReason")
            if flag and isinstance(reason, str):
                reasons[item_id] = reason[:200]
        return _RevocationList(url, revoked, reasons)


def _wrong_issuer(list_issuer: str, issuer_id: str) -> StatusListInvalid:
    return invalid_list(
        "status_list_wrong_issuer",
        "The status list was published by someone other than the credential's issuer.",
        f"List issuer {list_issuer!r}; credential issuer {issuer_id!r}.",
    )


def _unreachable(url: str, cause: VerifierError) -> StatusUnavailable:
    return StatusUnavailable(hint=f"{url}: {cause.code}: {cause.hint or cause.message}")


def _unknown_entry(raw: object, code: str) -> EntryStatus:
    """Best-effort description of an entry that could not be checked (for the report)."""
    fields: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    types = type_names(fields.get("type"))
    kind = types[0] if types else "unknown"
    purpose = fields.get("statusPurpose")
    if kind == REVOCATION_LIST:
        purpose = "revocation"
    url = fields.get("statusListCredential") if kind != REVOCATION_LIST else fields.get("id")
    index = fields.get("statusListIndex")
    return EntryStatus(
        kind,
        purpose if isinstance(purpose, str) else "unknown",
        url if isinstance(url, str) else "",
        index if isinstance(index, int) and not isinstance(index, bool) and index >= 0 else None,
        "unknown",
        signed=False,
        code=code,
    )
