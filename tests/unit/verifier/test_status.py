"""Credential status (verifier.status): Bitstring Status List v1.0 and 1EdTech revocation lists.

The official vector (``validator-bitstring-revoked.*``: 131,072 bits, bit 23 set, index 23) must
come out REVOKED. Everything else runs on lists we build and sign here with a did:key issuer (so
keys resolve offline), served through ``documents``, a fetcher double, or a real loopback HTTP
server behind SafeFetcher. Bad inputs are a table; each asserts its code and that it is
inconclusive (``could_not_check``): never a false "valid". Time is a fake clock for the cache
and a fixed ``now`` for validity windows.
"""

from __future__ import annotations

import base64
import gzip
import json
import random
import threading
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from issuer import CredentialDraft, build_credential, sign_data_integrity
from issuer.statuslist import (
    build_status_list_credential,
    encode_bitstring,
    new_bitstring,
    set_bit,
    status_entry,
)
from keys import (
    PublishedKey,
    SigningKey,
    did_key_from_public_key,
    did_web_document,
    generate_key,
    verification_method_id,
)
from tests.loopback import serving
from verifier import KeyResolver, KeyUnreachable, Verifier
from verifier.bitstring import bit_is_set, decode_bitstring, parse_status_index
from verifier.canonical import Canonicalizer
from verifier.errors import (
    DocumentTooLarge,
    FetchTimeout,
    KeyNotResolved,
    Revoked,
    StatusError,
    StatusListInvalid,
    StatusUnavailable,
    Suspended,
    VerificationError,
)
from verifier.fetch import FetchPolicy, SafeFetcher
from verifier.status import DataIntegrityListVerifier, StatusChecker, StatusResult

ASSETS = Path(__file__).parents[2] / "assets" / "ob3"
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
LIST_URL = "https://status.example/lists/1"
SUSPENSION_URL = "https://status.example/lists/2"
CREDENTIAL_ID = "urn:uuid:7b0f8f4e-8d7f-4c55-9d0b-4f3e2a1c0d9e"
CANON = Canonicalizer()


# -- factories ------------------------------------------------------------------------------
class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Issuer:
    def __init__(self) -> None:
        self.key: SigningKey = generate_key("EdDSA")
        self.did = did_key_from_public_key(self.key.public)
        self.vm = f"{self.did}#{self.did.removeprefix('did:key:')}"


@pytest.fixture(scope="module")
def issuer() -> Issuer:
    return Issuer()


@pytest.fixture(scope="module")
def stranger() -> Issuer:
    return Issuer()


def sign(document: dict[str, Any], signer: Issuer) -> dict[str, Any]:
    return sign_data_integrity(
        document,
        signer.key,
        verification_method=signer.vm,
        created=NOW - timedelta(days=1),
        canonicalizer=CANON,
    )


def bits_with(*indexes: int, size: int = 131_072) -> bytearray:
    bits = new_bitstring(size)
    for index in indexes:
        set_bit(bits, index, True)
    return bits


def unsigned_list(
    issuer_id: str,
    *,
    set_bits: tuple[int, ...] = (),
    url: str = LIST_URL,
    purpose: str | list[str] = "revocation",
    valid_until: datetime | None = None,
    valid_from: datetime = NOW - timedelta(days=30),
    ttl_ms: int | None = None,
) -> dict[str, Any]:
    document = build_status_list_credential(
        list_url=url,
        issuer={"id": issuer_id},
        purpose=purpose if isinstance(purpose, str) else purpose[0],
        bits=bits_with(*set_bits),
        valid_from=valid_from,
        valid_until=valid_until,
        ttl_ms=ttl_ms,
    )
    if not isinstance(purpose, str):
        document["credentialSubject"]["statusPurpose"] = purpose
    return document


def signed_list(signer: Issuer, **options: Any) -> dict[str, Any]:
    return sign(unsigned_list(signer.did, **options), signer)


def with_encoded(signer: Issuer, encoded: str, url: str = LIST_URL) -> dict[str, Any]:
    """A correctly signed list whose encodedList is ``encoded`` (the issuer signed it so)."""
    document = unsigned_list(signer.did, url=url)
    document["credentialSubject"]["encodedList"] = encoded
    return sign(document, signer)


def noise() -> bytes:
    """16 KiB that GZIP cannot shrink (a list where about half the credentials are revoked)."""
    return random.Random(7).randbytes(16 * 1024)  # noqa: S311 - test data, not a secret


def u64(data: bytes) -> str:
    return "u" + base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class CountingProofChecker:
    def __init__(self, inner: DataIntegrityListVerifier) -> None:
        self.inner = inner
        self.calls = 0

    def __call__(self, document: Any, *, now: datetime) -> None:
        self.calls += 1
        self.inner(document, now=now)


class Fetcher:
    """A fetcher double: serves ``lists`` by URL, raises KeyUnreachable otherwise, counts."""

    def __init__(self, lists: dict[str, Any] | None = None) -> None:
        self.lists: dict[str, Any] = dict(lists or {})
        self.calls: list[str] = []
        self.down = False
        self._lock = threading.Lock()

    def fetch_json(self, url: str) -> Any:
        with self._lock:
            self.calls.append(url)
        if self.down or url not in self.lists:
            raise KeyUnreachable(code="fetch_connect_error", hint=f"{url}: connection refused")
        return json.loads(json.dumps(self.lists[url]))


def make_checker(
    *,
    documents: dict[str, Any] | None = None,
    fetcher: Any = None,
    clock: FakeClock | None = None,
    resolver_documents: dict[str, Any] | None = None,
    **options: Any,
) -> tuple[StatusChecker, CountingProofChecker]:
    proof = CountingProofChecker(
        DataIntegrityListVerifier(KeyResolver(documents=resolver_documents), CANON)
    )
    checker = StatusChecker(
        proof, fetcher=fetcher, documents=documents, clock=clock or FakeClock(), **options
    )
    return checker, proof


def entry(index: int | str = 5, purpose: str = "revocation", url: str = LIST_URL) -> dict[str, Any]:
    made = status_entry(url, 0, purpose)
    made["statusListIndex"] = str(index) if isinstance(index, int) else index
    return made


def check(
    checker: StatusChecker,
    status: Any,
    signer: Issuer,
    *,
    now: datetime = NOW,
    credential_id: str | None = CREDENTIAL_ID,
) -> StatusResult:
    return checker.check(status, credential_id=credential_id, issuer_id=signer.did, now=now)


def failure(checker: StatusChecker, status: Any, signer: Issuer, **kwargs: Any) -> StatusError:
    with pytest.raises(StatusError) as caught:
        check(checker, status, signer, **kwargs)
    return caught.value


# -- the official vector --------------------------------------------------------------------
def stand_in_document(vm: str) -> dict[str, Any]:
    """The issuer's controller document as its web site would serve it (a test double)."""
    controller, _, fragment = vm.partition("#")
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": controller,
        "verificationMethod": [
            {"id": vm, "type": "Multikey", "controller": controller, "publicKeyMultibase": fragment}
        ],
        "assertionMethod": [vm],
    }


@pytest.fixture(scope="module")
def vector() -> tuple[dict[str, Any], dict[str, Any]]:
    credential = json.loads((ASSETS / "validator-bitstring-revoked.credential.json").read_text())
    status_list = json.loads((ASSETS / "validator-bitstring-revoked.statuslist.json").read_text())
    return credential, status_list


def vector_checker(vector: tuple[dict[str, Any], dict[str, Any]], **options: Any) -> StatusChecker:
    credential, status_list = vector
    vm = status_list["proof"][0]["verificationMethod"]
    checker, _ = make_checker(
        documents={credential["credentialStatus"]["statusListCredential"]: status_list},
        resolver_documents={vm.split("#")[0]: stand_in_document(vm)},
        **options,
    )
    return checker


def test_official_vector_index_23_is_revoked(
    vector: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    credential, _ = vector
    assert credential["credentialStatus"]["statusListIndex"] == 23  # a JSON number: accepted
    with pytest.raises(Revoked) as caught:
        vector_checker(vector).check(
            credential["credentialStatus"],
            credential_id=credential["id"],
            issuer_id=credential["issuer"]["id"],
            now=NOW,
        )
    error = caught.value
    assert (error.check, error.code, error.inconclusive) == ("status", "revoked", False)
    assert error.result is not None
    (only,) = error.result.entries
    assert (only.index, only.state, only.signed) == (23, "revoked", True)


def test_official_vector_bits_around_23(vector: tuple[dict[str, Any], dict[str, Any]]) -> None:
    _, status_list = vector
    bits = decode_bitstring(status_list["credentialSubject"]["encodedList"])
    assert len(bits) * 8 == 131_072
    assert [bit_is_set(bits, i) for i in (22, 23, 24)] == [False, True, False]
    assert sum(bin(byte).count("1") for byte in bits) == 1


def test_official_vector_neighbouring_index_is_clear(
    vector: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    credential, _ = vector
    for index in (22, "24"):
        status = {**credential["credentialStatus"], "statusListIndex": index}
        result = vector_checker(vector).check(
            status, credential_id=credential["id"], issuer_id=credential["issuer"]["id"], now=NOW
        )
        assert [e.state for e in result.entries] == ["clear"]


def test_official_vector_list_id_differs_from_its_url(
    vector: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    """§2.2 says the list MAY carry an id matching the URL; the vector's does not. Opt-in check."""
    credential, _ = vector
    checker = vector_checker(vector, require_list_id=True)
    with pytest.raises(StatusListInvalid) as caught:
        checker.check(
            credential["credentialStatus"],
            credential_id=credential["id"],
            issuer_id=credential["issuer"]["id"],
            now=NOW,
        )
    assert caught.value.code == "status_list_id_mismatch"


def test_spec_example_encoded_list_is_all_clear() -> None:
    """The encodedList of Bitstring Status List §2.2's example: 16 KiB of zero bits."""
    bits = decode_bitstring("uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA")
    assert bits == bytes(16 * 1024)


# -- pure functions ---------------------------------------------------------------------------
def test_bit_order_is_most_significant_bit_first() -> None:
    bits = bytes([0b1000_0001, 0b0100_0000]) + bytes(16 * 1024 - 2)
    assert [i for i in range(16) if bit_is_set(bits, i)] == [0, 7, 9]


@pytest.mark.parametrize("index", [-1, 131_072, 10**30])
def test_bit_is_set_out_of_range(index: int) -> None:
    with pytest.raises(StatusListInvalid) as caught:
        bit_is_set(bytes(16 * 1024), index)
    assert caught.value.code == "status_index_out_of_range"


@pytest.mark.parametrize(("value", "expected"), [("0", 0), ("94567", 94567), (23, 23), ("007", 7)])
def test_parse_status_index_accepts_strings_and_integers(value: object, expected: int) -> None:
    assert parse_status_index(value) == expected


@pytest.mark.parametrize(
    "value", ["-1", -1, "1.5", 1.5, 23.0, "", " 1", "1e3", "٣", "0x10", True, None, [1]]
)
def test_parse_status_index_refuses(value: object) -> None:
    with pytest.raises(StatusListInvalid) as caught:
        parse_status_index(value)
    assert caught.value.code == "status_entry_invalid"


def test_decode_round_trip_and_cap_arguments() -> None:
    bits = bits_with(0, 131_071)
    assert decode_bitstring(encode_bitstring(bits)) == bytes(bits)
    with pytest.raises(StatusListInvalid, match="too large") as caught:
        decode_bitstring(encode_bitstring(bits), max_bytes=1024)
    assert caught.value.code == "status_list_too_large"
    assert decode_bitstring(encode_bitstring(bytes(10)), min_bits=80) == bytes(10)


# -- the table of bad inputs -----------------------------------------------------------------
def bomb() -> str:
    """32 MiB of zeros in ~32 KiB of GZIP: inflates past the 16 MiB cap."""
    return u64(gzip.compress(bytes(32 * 1024 * 1024), compresslevel=9, mtime=0))


GZIP_CLEAR = gzip.compress(bytes(16 * 1024), mtime=0)

# (name, how the entry is changed, how the list is made, expected code)
ListMaker = Callable[[Issuer, Issuer], Any]
BAD: list[tuple[str, dict[str, Any], ListMaker, str]] = [
    ("index out of range", {"statusListIndex": "131072"}, lambda i, s: signed_list(i),
     "status_index_out_of_range"),
    ("huge index", {"statusListIndex": "9" * 100}, lambda i, s: signed_list(i),
     "status_index_out_of_range"),
    ("negative index string", {"statusListIndex": "-1"}, lambda i, s: signed_list(i),
     "status_entry_invalid"),
    ("negative index number", {"statusListIndex": -1}, lambda i, s: signed_list(i),
     "status_entry_invalid"),
    ("non-numeric index", {"statusListIndex": "five"}, lambda i, s: signed_list(i),
     "status_entry_invalid"),
    ("fractional index", {"statusListIndex": 5.5}, lambda i, s: signed_list(i),
     "status_entry_invalid"),
    ("missing index", {"statusListIndex": None}, lambda i, s: signed_list(i),
     "status_entry_invalid"),
    ("missing list URL", {"statusListCredential": None}, lambda i, s: signed_list(i),
     "status_entry_invalid"),
    ("missing purpose", {"statusPurpose": None}, lambda i, s: signed_list(i),
     "status_entry_invalid"),
    ("statusSize 2", {"statusSize": 2}, lambda i, s: signed_list(i), "status_entry_invalid"),
    ("statusSize 0", {"statusSize": 0}, lambda i, s: signed_list(i), "status_entry_invalid"),
    ("list by another issuer", {}, lambda i, s: signed_list(s), "status_list_wrong_issuer"),
    ("list naming our issuer, signed by another key", {},
     lambda i, s: sign(unsigned_list(i.did), s), "status_list_unverified"),
    ("list tampered after signing", {},
     lambda i, s: {**(d := signed_list(i, set_bits=(5,))), "credentialSubject": {
         **d["credentialSubject"], "encodedList": encode_bitstring(new_bitstring())}},
     "status_list_unverified"),
    ("unsigned list", {},
     lambda i, s: unsigned_list(i.did), "status_list_unverified"),
    ("list with an undefined term", {},
     lambda i, s: sign({**unsigned_list(i.did)}, i) | {"note": "added"},
     "status_list_unverified"),
    ("bitstring too short (100,000 bits)", {},
     lambda i, s: with_encoded(i, encode_bitstring(bytes(12_500))), "status_list_too_short"),
    ("empty bitstring", {},
     lambda i, s: with_encoded(i, encode_bitstring(b"")), "status_list_too_short"),
    ("not GZIP (raw bytes)", {},
     lambda i, s: with_encoded(i, u64(bytes(16 * 1024))), "status_list_not_gzip"),
    ("not GZIP (zlib container)", {},
     lambda i, s: with_encoded(i, u64(zlib.compress(bytes(16 * 1024)))), "status_list_not_gzip"),
    ("GZIP truncated", {},
     lambda i, s: with_encoded(i, u64(GZIP_CLEAR[:-6])), "status_list_not_gzip"),
    ("GZIP with trailing data", {},
     lambda i, s: with_encoded(i, u64(GZIP_CLEAR + b"junk")), "status_list_not_gzip"),
    ("GZIP with a corrupt CRC", {},
     lambda i, s: with_encoded(i, u64(GZIP_CLEAR[:-8] + b"\0\0\0\0" + GZIP_CLEAR[-4:])),
     "status_list_not_gzip"),
    ("decompression bomb", {}, lambda i, s: with_encoded(i, bomb()), "status_list_too_large"),
    ("multibase prefix z", {},
     lambda i, s: with_encoded(i, "z" + encode_bitstring(new_bitstring())[1:]),
     "status_list_bad_encoding"),
    ("multibase prefix missing", {},
     lambda i, s: with_encoded(i, encode_bitstring(new_bitstring())[1:]),
     "status_list_bad_encoding"),
    ("base64 with padding", {},
     lambda i, s: with_encoded(i, "u" + base64.urlsafe_b64encode(GZIP_CLEAR).decode() + "=="),
     "status_list_bad_encoding"),
    ("standard base64 alphabet", {},
     lambda i, s: with_encoded(i, "u" + base64.b64encode(GZIP_CLEAR + b"\xfb\xff").decode()),
     "status_list_bad_encoding"),
    ("invalid base64 characters", {},
     lambda i, s: with_encoded(i, encode_bitstring(new_bitstring()) + "!*"),
     "status_list_bad_encoding"),
    ("impossible base64 length", {},
     lambda i, s: with_encoded(i, encode_bitstring(new_bitstring()) + "A"),
     "status_list_bad_encoding"),
    ("wrong purpose", {}, lambda i, s: signed_list(i, purpose="suspension"),
     "status_purpose_mismatch"),
    ("not a list credential", {},
     lambda i, s: sign(unsigned_list(i.did) | {"type": ["VerifiableCredential"]}, i),
     "status_list_malformed"),
    ("subject not a BitstringStatusList", {},
     lambda i, s: {**(d := signed_list(i)), "credentialSubject": {
         **d["credentialSubject"], "type": "StatusList2021"}},
     "status_list_malformed"),
    ("encodedList missing", {},
     lambda i, s: {**(d := signed_list(i)), "credentialSubject": {
         k: v for k, v in d["credentialSubject"].items() if k != "encodedList"}},
     "status_list_unverified"),
    ("list is not an object", {}, lambda i, s: ["not", "a", "list"], "status_list_malformed"),
    ("list without an issuer", {},
     lambda i, s: {k: v for k, v in signed_list(i).items() if k != "issuer"},
     "status_list_malformed"),
    ("list with two subjects", {},
     lambda i, s: {**(d := signed_list(i)), "credentialSubject": [d["credentialSubject"]] * 2},
     "status_list_malformed"),
    ("list purpose not a string", {},
     lambda i, s: signed_list(i, purpose=["revocation", 7]),
     "status_list_malformed"),
    ("list validUntil not a date", {},
     lambda i, s: sign(unsigned_list(i.did) | {"validUntil": "next tuesday"}, i),
     "status_list_malformed"),
    ("list validFrom without a time zone", {},
     lambda i, s: sign(unsigned_list(i.did) | {"validFrom": "2026-01-01T00:00:00"}, i),
     "status_list_malformed"),
    ("list expired", {},
     lambda i, s: signed_list(i, valid_from=NOW - timedelta(days=60),
                              valid_until=NOW - timedelta(days=1)),
     "status_stale"),
    ("list not yet valid", {},
     lambda i, s: signed_list(i, valid_from=NOW + timedelta(days=1)),
     "status_list_not_yet_valid"),
    ("unsupported status type", {"type": "StatusList2021Entry"}, lambda i, s: signed_list(i),
     "status_type_unsupported"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("change", "make_list", "code"), [case[1:] for case in BAD], ids=[case[0] for case in BAD]
)
def test_bad_inputs_are_inconclusive(
    issuer: Issuer, stranger: Issuer, change: dict[str, Any], make_list: ListMaker, code: str
) -> None:
    status = entry()
    for key, value in change.items():
        if value is None:
            status.pop(key)
        else:
            status[key] = value
    checker, _ = make_checker(documents={LIST_URL: make_list(issuer, stranger)})
    error = failure(checker, status, issuer)
    assert (error.check, error.code) == ("status", code), error.hint
    assert error.inconclusive is True
    assert isinstance(error, StatusUnavailable | StatusListInvalid)
    assert error.result is not None and error.result.entries[0].state == "unknown"


def test_a_list_by_another_issuer_fetches_no_foreign_keys(issuer: Issuer, stranger: Issuer) -> None:
    checker, proof = make_checker(documents={LIST_URL: signed_list(stranger)})
    assert failure(checker, entry(), issuer).code == "status_list_wrong_issuer"
    assert proof.calls == 0


def did_web_list(*, compromised: bool) -> tuple[StatusChecker, str]:
    """A list signed by a did:web issuer whose DID document the resolver is handed."""
    did = "did:web:status.example"
    key = generate_key("EdDSA")
    document = did_web_document(did, [PublishedKey(key.public, "active", NOW - timedelta(30))])
    if compromised:
        # Controlled Identifiers §2.2 ``revoked``: the issuer reports the key compromised.
        document["verificationMethod"][0]["revoked"] = "2026-05-01T00:00:00Z"
    signed = sign_data_integrity(
        unsigned_list(did, set_bits=(9,)),
        key,
        verification_method=verification_method_id(did, key.kid),
        created=NOW - timedelta(days=60),  # "before the compromise": no leniency for lists
        canonicalizer=CANON,
    )
    checker, _ = make_checker(documents={LIST_URL: signed}, resolver_documents={did: document})
    return checker, did


def test_a_did_web_issuers_list(issuer: Issuer) -> None:
    checker, did = did_web_list(compromised=False)
    status = entry(8)
    assert checker.check(status, credential_id=None, issuer_id=did, now=NOW).entries[0].state == (
        "clear"
    )
    with pytest.raises(Revoked):
        checker.check(entry(9), credential_id=None, issuer_id=did, now=NOW)


def test_a_list_signed_with_a_compromised_key_is_refused() -> None:
    checker, did = did_web_list(compromised=True)
    with pytest.raises(StatusListInvalid) as caught:
        checker.check(entry(8), credential_id=None, issuer_id=did, now=NOW)
    assert caught.value.code == "status_list_unverified"
    assert "key_compromised" in (caught.value.hint or "")


def test_compressed_list_over_the_cap(issuer: Issuer) -> None:
    checker, _ = make_checker(
        documents={LIST_URL: with_encoded(issuer, encode_bitstring(noise()))},
        max_compressed_bytes=8 * 1024,
    )
    assert failure(checker, entry(), issuer).code == "status_list_too_large"


def test_credential_status_of_the_wrong_shape(issuer: Issuer) -> None:
    checker, _ = make_checker()
    for status in ("https://status.example/lists/1", 5, [42]):
        assert failure(checker, status, issuer).code == "status_entry_invalid"


def test_too_many_entries_are_refused_before_any_fetch(issuer: Issuer) -> None:
    fetcher = Fetcher()
    checker, _ = make_checker(fetcher=fetcher)
    many = [entry(url=f"https://status.example/lists/{n}") for n in range(9)]
    assert failure(checker, many, issuer).code == "status_entry_invalid"
    assert fetcher.calls == []


def test_empty_status_list_means_nothing_to_check(issuer: Issuer) -> None:
    checker, _ = make_checker()
    assert check(checker, [], issuer).entries == ()


# -- verdicts -----------------------------------------------------------------------------
def test_clear_bit_passes_with_a_result(issuer: Issuer) -> None:
    checker, _ = make_checker(documents={LIST_URL: signed_list(issuer, set_bits=(4, 6))})
    result = check(checker, entry(5), issuer)
    assert result.purposes == ("revocation",)
    assert result.list_urls == (LIST_URL,)
    (only,) = result.entries
    assert (only.index, only.state, only.signed, only.from_cache) == (5, "clear", True, False)
    assert result.summary == "The issuer's status list says the credential is not revoked."


def test_set_revocation_bit_is_revoked(issuer: Issuer) -> None:
    checker, _ = make_checker(documents={LIST_URL: signed_list(issuer, set_bits=(5,))})
    error = failure(checker, entry(5), issuer)
    assert isinstance(error, Revoked)
    assert (error.code, error.inconclusive) == ("revoked", False)
    assert "index 5" in (error.hint or "")


def test_set_suspension_bit_is_suspended(issuer: Issuer) -> None:
    checker, _ = make_checker(
        documents={LIST_URL: signed_list(issuer, set_bits=(5,), purpose="suspension")}
    )
    error = failure(checker, entry(5, "suspension"), issuer)
    assert isinstance(error, Suspended)
    assert (error.code, error.inconclusive) == ("suspended", False)


def test_a_list_with_several_purposes(issuer: Issuer) -> None:
    document = signed_list(issuer, set_bits=(9,), purpose=["revocation", "suspension"])
    checker, _ = make_checker(documents={LIST_URL: document})
    assert check(checker, entry(8, "suspension"), issuer).entries[0].state == "clear"
    assert isinstance(failure(checker, entry(9, "suspension"), issuer), Suspended)


@pytest.fixture
def two_lists(issuer: Issuer) -> Callable[..., StatusChecker]:
    def make(revoked: tuple[int, ...] = (), suspended: tuple[int, ...] = ()) -> StatusChecker:
        documents = {
            LIST_URL: signed_list(issuer, set_bits=revoked),
            SUSPENSION_URL: signed_list(
                issuer, set_bits=suspended, url=SUSPENSION_URL, purpose="suspension"
            ),
        }
        return make_checker(documents=documents)[0]

    return make


def both(index: int = 5) -> list[dict[str, Any]]:
    return [entry(index), entry(index, "suspension", SUSPENSION_URL)]


def test_two_entries_both_clear(issuer: Issuer, two_lists: Callable[..., StatusChecker]) -> None:
    result = check(two_lists(), both(), issuer)
    assert result.purposes == ("revocation", "suspension")
    assert result.list_urls == (LIST_URL, SUSPENSION_URL)
    assert [e.state for e in result.entries] == ["clear", "clear"]
    assert "not revoked or suspended" in result.summary


def test_two_entries_revoked(issuer: Issuer, two_lists: Callable[..., StatusChecker]) -> None:
    assert isinstance(failure(two_lists(revoked=(5,)), both(), issuer), Revoked)


def test_two_entries_suspended(issuer: Issuer, two_lists: Callable[..., StatusChecker]) -> None:
    error = failure(two_lists(suspended=(5,)), both(), issuer)
    assert isinstance(error, Suspended)
    assert error.result is not None
    assert [e.state for e in error.result.entries] == ["clear", "suspended"]


def test_revoked_wins_over_suspended(
    issuer: Issuer, two_lists: Callable[..., StatusChecker]
) -> None:
    error = failure(two_lists(revoked=(5,), suspended=(5,)), both(), issuer)
    assert isinstance(error, Revoked)


def test_revoked_wins_over_an_unreachable_list(issuer: Issuer) -> None:
    checker, _ = make_checker(documents={LIST_URL: signed_list(issuer, set_bits=(5,))})
    error = failure(checker, [entry(5, "suspension", SUSPENSION_URL), entry(5)], issuer)
    assert isinstance(error, Revoked)
    assert error.result is not None
    assert [e.state for e in error.result.entries] == ["unknown", "revoked"]


def test_clear_revocation_but_unreachable_suspension_is_inconclusive(issuer: Issuer) -> None:
    checker, _ = make_checker(documents={LIST_URL: signed_list(issuer)})
    error = failure(checker, both(), issuer)
    assert (error.code, error.inconclusive) == ("status_unreachable", True)


# -- informational purposes -------------------------------------------------------------------
def test_message_purpose_informs_and_never_fails(issuer: Issuer) -> None:
    checker, _ = make_checker(
        documents={LIST_URL: signed_list(issuer, set_bits=(5,), purpose="message")}
    )
    status = entry(5, "message") | {
        "statusMessage": [
            {"status": "0x0", "message": "pending_review"},
            {"status": "0x1", "message": "accepted"},
        ]
    }
    result = check(checker, status, issuer)
    (only,) = result.entries
    assert (only.state, only.message, only.decisive) == ("set", "accepted", False)
    assert "no revocation or suspension" in result.summary


def test_informational_entries_that_cannot_be_read_do_not_fail(issuer: Issuer) -> None:
    checker, _ = make_checker(documents={})
    unreadable = [
        entry(5, "refresh", "https://status.example/unreachable"),
        entry(5, "message") | {"statusSize": 2},
    ]
    result = check(checker, unreadable, issuer)
    assert [(e.state, e.code) for e in result.entries] == [
        ("unknown", "status_unreachable"),
        ("unknown", "status_entry_invalid"),
    ]


# -- fetching --------------------------------------------------------------------------------
def test_unreachable_status_host(issuer: Issuer) -> None:
    checker, _ = make_checker(fetcher=Fetcher())
    error = failure(checker, entry(), issuer)
    assert isinstance(error, StatusUnavailable)
    assert (error.code, error.inconclusive) == ("status_unreachable", True)
    assert "fetch_connect_error" in (error.hint or "")


class RefusingFetcher:
    def fetch_json(self, url: str) -> Any:
        raise KeyNotResolved(
            "refused", code="fetch_refused_address", hint=f"{url}: resolves to 10.0.0.1"
        )


def test_a_url_the_fetcher_refuses_is_inconclusive(issuer: Issuer) -> None:
    checker, _ = make_checker(fetcher=RefusingFetcher())
    error = failure(checker, entry(), issuer)
    assert (error.code, error.inconclusive) == ("status_unreachable", True)
    assert "fetch_refused_address" in (error.hint or "")


def test_no_fetcher_means_no_network(issuer: Issuer) -> None:
    checker, _ = make_checker()
    assert failure(checker, entry(), issuer).code == "status_unreachable"


def test_lists_over_real_http_through_safe_fetcher(issuer: Issuer) -> None:
    fetcher = SafeFetcher(FetchPolicy(allow_loopback_http=True, timeout=5.0, cache_ttl=0))
    with serving("application/vc+ld+json") as server:
        url, broken = server.url("/status/1"), server.url("/status/broken")
        document = signed_list(issuer, url=url, set_bits=(7,))
        server.routes["/status/1"] = (200, json.dumps(document).encode())
        server.routes["/status/broken"] = (500, b'{"error": "boom"}')
        checker, _ = make_checker(fetcher=fetcher)
        assert check(checker, entry(6, url=url), issuer).entries[0].state == "clear"
        assert isinstance(failure(checker, entry(7, url=url), issuer), Revoked)
        assert len(server.hits) == 1  # the second check came from the verified-list cache
        error = failure(checker, entry(6, url=broken), issuer)
        assert (error.code, error.inconclusive) == ("status_unreachable", True)
        assert "fetch_http_error" in (error.hint or "")


def test_a_list_over_the_fetchers_size_cap(issuer: Issuer) -> None:
    fetcher = SafeFetcher(FetchPolicy(allow_loopback_http=True, timeout=5.0, max_bytes=512))
    with serving("application/vc+ld+json") as server:
        url = server.url("/status/big")
        noisy = with_encoded(issuer, encode_bitstring(noise()), url)
        server.routes["/status/big"] = (200, json.dumps(noisy).encode())
        checker, _ = make_checker(fetcher=fetcher)
        assert failure(checker, entry(url=url), issuer).code == "status_list_too_large"


# -- caching, TTL and the grace rule ---------------------------------------------------------------
def test_warm_cache_needs_no_fetch_and_no_proof_check(issuer: Issuer) -> None:
    fetcher = Fetcher({LIST_URL: signed_list(issuer)})
    checker, proof = make_checker(fetcher=fetcher)
    first = check(checker, entry(), issuer)
    for _ in range(50):
        again = check(checker, entry(), issuer)
    assert (len(fetcher.calls), proof.calls) == (1, 1)
    assert (first.entries[0].from_cache, again.entries[0].from_cache) == (False, True)


def test_default_ttl_is_300_seconds(issuer: Issuer) -> None:
    clock = FakeClock()
    fetcher = Fetcher({LIST_URL: signed_list(issuer)})
    checker, _ = make_checker(fetcher=fetcher, clock=clock)
    check(checker, entry(), issuer)
    clock.advance(299)
    check(checker, entry(), issuer)
    assert len(fetcher.calls) == 1
    clock.advance(2)
    check(checker, entry(), issuer)
    assert len(fetcher.calls) == 2


def test_the_lists_own_ttl_is_milliseconds(issuer: Issuer) -> None:
    clock = FakeClock()
    fetcher = Fetcher({LIST_URL: signed_list(issuer, ttl_ms=60_000)})
    checker, _ = make_checker(fetcher=fetcher, clock=clock)
    check(checker, entry(), issuer)
    clock.advance(59)
    check(checker, entry(), issuer)
    assert len(fetcher.calls) == 1
    clock.advance(2)
    check(checker, entry(), issuer)
    assert len(fetcher.calls) == 2


def test_a_long_ttl_is_capped(issuer: Issuer) -> None:
    clock = FakeClock()
    fetcher = Fetcher({LIST_URL: signed_list(issuer, ttl_ms=7 * 24 * 3600 * 1000)})
    checker, _ = make_checker(fetcher=fetcher, clock=clock, max_ttl=600)
    check(checker, entry(), issuer)
    clock.advance(601)
    check(checker, entry(), issuer)
    assert len(fetcher.calls) == 2


def test_ttl_zero_means_no_caching(issuer: Issuer) -> None:
    fetcher = Fetcher({LIST_URL: signed_list(issuer, ttl_ms=0)})
    checker, proof = make_checker(fetcher=fetcher)
    check(checker, entry(), issuer)
    check(checker, entry(), issuer)
    assert (len(fetcher.calls), proof.calls) == (2, 2)


def test_a_malformed_ttl_is_refused(issuer: Issuer) -> None:
    document = unsigned_list(issuer.did)
    document["credentialSubject"]["ttl"] = -5
    checker, _ = make_checker(documents={LIST_URL: sign(document, issuer)})
    assert failure(checker, entry(), issuer).code == "status_list_malformed"


def test_stale_clear_list_is_never_served_when_refresh_fails(issuer: Issuer) -> None:
    clock = FakeClock()
    fetcher = Fetcher({LIST_URL: signed_list(issuer)})
    checker, _ = make_checker(fetcher=fetcher, clock=clock)
    assert check(checker, entry(), issuer).entries[0].state == "clear"
    fetcher.down = True
    clock.advance(301)
    error = failure(checker, entry(), issuer)
    assert (error.code, error.inconclusive) == ("status_unreachable", True)


def test_stale_revoked_bit_stays_revoked_when_refresh_fails(issuer: Issuer) -> None:
    """Revocation is irreversible (§2.1): the one way a stale copy may still be used."""
    clock = FakeClock()
    fetcher = Fetcher({LIST_URL: signed_list(issuer, set_bits=(5,))})
    checker, _ = make_checker(fetcher=fetcher, clock=clock)
    assert isinstance(failure(checker, entry(5), issuer), Revoked)
    fetcher.down = True
    clock.advance(301)
    error = failure(checker, entry(5), issuer)
    assert isinstance(error, Revoked)
    assert "could not be refreshed" in (error.hint or "")
    assert failure(checker, entry(6), issuer).code == "status_unreachable"


def test_stale_suspension_is_not_kept(issuer: Issuer) -> None:
    clock = FakeClock()
    fetcher = Fetcher({LIST_URL: signed_list(issuer, set_bits=(5,), purpose="suspension")})
    checker, _ = make_checker(fetcher=fetcher, clock=clock)
    assert isinstance(failure(checker, entry(5, "suspension"), issuer), Suspended)
    fetcher.down = True
    clock.advance(301)
    assert failure(checker, entry(5, "suspension"), issuer).code == "status_unreachable"


def test_suspension_set_then_cleared(issuer: Issuer) -> None:
    clock = FakeClock()
    documents = {LIST_URL: signed_list(issuer, set_bits=(5,), purpose="suspension")}
    checker, _ = make_checker(documents=documents, clock=clock)
    assert isinstance(failure(checker, entry(5, "suspension"), issuer), Suspended)
    documents[LIST_URL] = signed_list(issuer, purpose="suspension")  # the issuer lifts it
    clock.advance(100)
    assert isinstance(failure(checker, entry(5, "suspension"), issuer), Suspended)  # cached
    clock.advance(201)
    assert check(checker, entry(5, "suspension"), issuer).entries[0].state == "clear"


def test_invalidate_drops_a_cached_list(issuer: Issuer) -> None:
    documents = {LIST_URL: signed_list(issuer)}
    checker, _ = make_checker(documents=documents)
    check(checker, entry(5), issuer)
    documents[LIST_URL] = signed_list(issuer, set_bits=(5,))
    check(checker, entry(5), issuer)  # still the cached copy
    checker.invalidate(LIST_URL)
    assert isinstance(failure(checker, entry(5), issuer), Revoked)
    checker.invalidate()
    assert isinstance(failure(checker, entry(5), issuer), Revoked)


def test_failures_are_remembered_briefly(issuer: Issuer) -> None:
    clock = FakeClock()
    fetcher = Fetcher()
    checker, _ = make_checker(fetcher=fetcher, clock=clock)
    for _ in range(5):
        assert failure(checker, entry(), issuer).code == "status_unreachable"
    assert len(fetcher.calls) == 1
    fetcher.lists[LIST_URL] = signed_list(issuer)
    clock.advance(11)
    assert check(checker, entry(), issuer).entries[0].state == "clear"
    assert len(fetcher.calls) == 2


def test_a_cached_list_still_checks_issuer_and_purpose(issuer: Issuer, stranger: Issuer) -> None:
    checker, proof = make_checker(documents={LIST_URL: signed_list(issuer)})
    check(checker, entry(), issuer)
    assert failure(checker, entry(), stranger).code == "status_list_wrong_issuer"
    assert failure(checker, entry(5, "suspension"), issuer).code == "status_purpose_mismatch"
    assert proof.calls == 1


def test_a_cached_list_expires_by_its_validity_window(issuer: Issuer) -> None:
    document = signed_list(issuer, valid_until=NOW + timedelta(hours=1))
    checker, _ = make_checker(documents={LIST_URL: document})
    check(checker, entry(), issuer)
    later = NOW + timedelta(hours=2)
    assert failure(checker, entry(), issuer, now=later).code == "status_stale"


def test_cache_is_bounded(issuer: Issuer) -> None:
    urls = [f"https://status.example/lists/{n}" for n in range(4)]
    fetcher = Fetcher({url: signed_list(issuer, url=url) for url in urls})
    checker, _ = make_checker(fetcher=fetcher, max_entries=2)
    for url in urls:
        check(checker, entry(url=url), issuer)
    check(checker, entry(url=urls[-1]), issuer)
    check(checker, entry(url=urls[0]), issuer)
    assert fetcher.calls == [*urls, urls[0]]


def test_max_entries_zero_disables_the_cache(issuer: Issuer) -> None:
    fetcher = Fetcher({LIST_URL: signed_list(issuer)})
    checker, _ = make_checker(fetcher=fetcher, max_entries=0)
    check(checker, entry(), issuer)
    check(checker, entry(), issuer)
    assert len(fetcher.calls) == 2


def test_concurrent_checks_agree(issuer: Issuer) -> None:
    fetcher = Fetcher({LIST_URL: signed_list(issuer, set_bits=tuple(range(0, 200, 2)))})
    checker, _ = make_checker(fetcher=fetcher)
    outcomes: list[tuple[int, str]] = []
    lock = threading.Lock()

    def work(offset: int) -> None:
        for index in range(offset, 200, 8):
            try:
                state = check(checker, entry(index), issuer).entries[0].state
            except VerificationError as exc:
                state = exc.code
            with lock:
                outcomes.append((index, state))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == [(i, "revoked" if i % 2 == 0 else "clear") for i in range(200)]


def test_settings_are_checked() -> None:
    proof = DataIntegrityListVerifier(KeyResolver())
    with pytest.raises(ValueError, match="ttl"):
        StatusChecker(proof, ttl=-1)
    with pytest.raises(ValueError, match="max_entries"):
        StatusChecker(proof, max_entries=-1)
    checker = StatusChecker(proof)
    with pytest.raises(ValueError, match="timezone"):
        checker.check({}, credential_id=None, issuer_id="x", now=datetime(2026, 1, 1))


# -- 1EdTech revocation lists (VCRL 1.0, checklist §3.2) -------------------------------------------
VCRL_URL = "https://issuer.example/credentials/3732/revocations"
VCRL_ENTRY = {"id": VCRL_URL, "type": "1EdTechRevocationList"}


def vcrl_checker(document: Any) -> tuple[StatusChecker, Fetcher]:
    fetcher = Fetcher({VCRL_URL: document} if document is not None else {})
    return make_checker(fetcher=fetcher)[0], fetcher


@pytest.mark.parametrize(
    "listing",
    [{"id": CREDENTIAL_ID}, {"id": CREDENTIAL_ID, "revoked": True, "reason": "issued in error"}],
)
def test_vcrl_listed_is_revoked(issuer: Issuer, listing: dict[str, Any]) -> None:
    checker, _ = vcrl_checker({"revokedCredential": [{"id": "urn:uuid:other"}, listing]})
    error = failure(checker, VCRL_ENTRY, issuer)
    assert isinstance(error, Revoked)
    assert "unsigned" in (error.hint or "")
    assert error.result is not None and error.result.entries[0].signed is False


def test_vcrl_listed_with_revoked_false_is_clear(issuer: Issuer) -> None:
    checker, _ = vcrl_checker({"revokedCredential": [{"id": CREDENTIAL_ID, "revoked": False}]})
    result = check(checker, VCRL_ENTRY, issuer)
    (only,) = result.entries
    assert (only.state, only.signed, only.purpose) == ("clear", False, "revocation")
    assert "not signed" in result.summary


def test_vcrl_not_listed_is_clear(issuer: Issuer) -> None:
    checker, fetcher = vcrl_checker({"revokedCredential": [{"id": "urn:uuid:other"}]})
    assert check(checker, VCRL_ENTRY, issuer).entries[0].state == "clear"
    check(checker, VCRL_ENTRY, issuer)
    assert fetcher.calls == [VCRL_URL]


def test_vcrl_fetch_failure_is_inconclusive(issuer: Issuer) -> None:
    checker, _ = vcrl_checker(None)
    error = failure(checker, VCRL_ENTRY, issuer)
    assert (error.code, error.inconclusive) == ("status_unreachable", True)


@pytest.mark.parametrize(
    "document",
    [
        {},
        {"revokedCredential": "everything"},
        {"revokedCredential": [{"revoked": True}]},
        {"revokedCredential": [{"id": CREDENTIAL_ID, "revoked": "yes"}]},
        ["not", "an", "object"],
    ],
)
def test_vcrl_malformed_is_inconclusive(issuer: Issuer, document: Any) -> None:
    checker, _ = vcrl_checker(document)
    error = failure(checker, VCRL_ENTRY, issuer)
    assert (error.code, error.inconclusive) == ("status_list_malformed", True)


def test_vcrl_needs_ids(issuer: Issuer) -> None:
    checker, _ = vcrl_checker({"revokedCredential": []})
    assert failure(checker, VCRL_ENTRY, issuer, credential_id=None).code == "status_entry_invalid"
    no_url = {"type": "1EdTechRevocationList"}
    assert failure(checker, no_url, issuer).code == "status_entry_invalid"


# -- wiring: what Verifier._check_status will do --------------------------------------------------
def test_checking_a_verified_badge_with_the_verifiers_own_resolver(issuer: Issuer) -> None:
    """The recommended wiring: share the Verifier's resolver and canonicalizer, and pass the
    credential's raw ``credentialStatus`` (one object or a list), id and issuer id."""
    credential = build_credential(
        CredentialDraft(
            issuer={"id": issuer.did, "type": ["Profile"], "name": "Example Org"},
            achievement={
                "id": "https://status.example/achievements/a",
                "type": ["Achievement"],
                "name": "A",
                "description": "An achievement.",
                "criteria": {"narrative": "Did it."},
            },
            recipient_email="learner@example.com",
            valid_from=NOW - timedelta(days=1),
        )
    )
    credential["credentialStatus"] = status_entry(LIST_URL, 5, "revocation")
    resolver = KeyResolver()
    verifier = Verifier(resolver, canonicalizer=CANON)
    documents = {LIST_URL: signed_list(issuer)}
    checker = StatusChecker(
        DataIntegrityListVerifier(resolver, verifier.canonicalizer), documents=documents
    )
    verified = verifier.verify(sign(credential, issuer), now=NOW).credential
    status = verified.raw["credentialStatus"]
    result = checker.check(status, credential_id=verified.id, issuer_id=verified.issuer.id, now=NOW)
    assert result.entries[0].state == "clear"
    frozen = MappingProxyType({"credentialStatus": (MappingProxyType(dict(status)),)})
    documents[LIST_URL] = signed_list(issuer, set_bits=(5,))
    checker.invalidate(LIST_URL)
    with pytest.raises(Revoked):
        checker.check(
            frozen["credentialStatus"],
            credential_id=verified.id,
            issuer_id=verified.issuer.id,
            now=NOW,
        )


def test_a_fetch_failure_becomes_the_status_checks_own_error(issuer: Issuer) -> None:
    checker, _ = make_checker(fetcher=FailingFetcher(FetchTimeout(hint="no answer in 5 s")))
    error = failure(checker, entry(), issuer)
    assert isinstance(error, StatusUnavailable)
    assert (error.check, error.code, error.inconclusive) == ("status", "status_unreachable", True)
    assert isinstance(error.__cause__, FetchTimeout)
    assert "fetch_timeout" in (error.hint or "")
    checker, _ = make_checker(fetcher=FailingFetcher(DocumentTooLarge(hint="over 256 KiB")))
    error = failure(checker, entry(), issuer)
    assert (error.check, error.code) == ("status", "status_list_too_large")
    assert isinstance(error.__cause__, DocumentTooLarge)


class FailingFetcher:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def fetch_json(self, url: str) -> Any:
        raise self.error
