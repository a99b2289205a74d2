"""Publishing status lists (issuer.statuslist): bit order, encoding, the list credential, entries.

Every list we build must canonicalize in safe mode with the VC 2.0 context alone (the Bitstring
Status List terms live there), sign, and then verify through verifier.status.
"""

from __future__ import annotations

import base64
import gzip
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from issuer import sign_data_integrity
from issuer.statuslist import (
    MIN_ENTRIES,
    build_status_list_credential,
    encode_bitstring,
    new_bitstring,
    set_bit,
    status_entry,
)
from keys import did_key_from_public_key, generate_key
from verifier import KeyResolver
from verifier.bitstring import bit_is_set, decode_bitstring
from verifier.canonical import Canonicalizer
from verifier.errors import Revoked
from verifier.status import DataIntegrityListVerifier, StatusChecker

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
LIST_URL = "https://badges.example.org/status/3"
ISSUER = {"id": "did:web:badges.example.org", "type": ["Profile"], "name": "Example Org"}


def build(**changes: Any) -> dict[str, Any]:
    options: dict[str, Any] = {
        "list_url": LIST_URL,
        "issuer": ISSUER,
        "purpose": "revocation",
        "bits": new_bitstring(),
        "valid_from": NOW,
        "valid_until": None,
        "ttl_ms": None,
    }
    options.update(changes)
    return build_status_list_credential(**options)


# -- bitstrings ------------------------------------------------------------------------------
def test_new_bitstring_is_16_kib_of_zeros() -> None:
    bits = new_bitstring()
    assert MIN_ENTRIES == 131_072
    assert bits == bytearray(16 * 1024)
    assert len(new_bitstring(MIN_ENTRIES * 2)) == 32 * 1024


@pytest.mark.parametrize("size", [0, 100_000, MIN_ENTRIES + 1])
def test_new_bitstring_refuses_sizes_the_spec_does_not_allow(size: int) -> None:
    with pytest.raises(ValueError, match="multiple of 8"):
        new_bitstring(size)


def test_set_bit_is_most_significant_bit_first() -> None:
    bits = new_bitstring()
    set_bit(bits, 0, True)
    set_bit(bits, 7, True)
    set_bit(bits, 9, True)
    assert bits[:2] == bytearray([0b1000_0001, 0b0100_0000])
    set_bit(bits, 0, False)
    set_bit(bits, 9, False)
    set_bit(bits, 9, False)  # clearing twice is harmless
    assert bits[:2] == bytearray([0b0000_0001, 0])
    assert [i for i in range(16) if bit_is_set(bytes(bits), i)] == [7]


@pytest.mark.parametrize("index", [-1, MIN_ENTRIES])
def test_set_bit_out_of_range(index: int) -> None:
    with pytest.raises(IndexError):
        set_bit(new_bitstring(), index, True)


def test_set_bit_refuses_a_boolean_index() -> None:
    with pytest.raises(TypeError):
        set_bit(new_bitstring(), True, True)


def test_encoding_is_multibase_base64url_of_gzip() -> None:
    bits = new_bitstring()
    set_bit(bits, 23, True)
    encoded = encode_bitstring(bits)
    assert encoded.startswith("u")
    assert not set(encoded[1:]) - set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    )
    raw = base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4))
    assert gzip.decompress(raw) == bytes(bits)
    assert encode_bitstring(bits) == encoded  # no timestamp in the GZIP header
    assert decode_bitstring(encoded) == bytes(bits)


def test_an_all_clear_list_encodes_like_the_specs_example() -> None:
    """Bitstring Status List §2.2's example, but for the GZIP XFL byte (compression level)."""
    ours = base64.urlsafe_b64decode(encode_bitstring(new_bitstring())[1:] + "==")
    spec = base64.urlsafe_b64decode(
        "H4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA" + "=="
    )
    assert ours[:8] + ours[9:] == spec[:8] + spec[9:]


# -- the list credential -----------------------------------------------------------------------
def test_list_credential_shape() -> None:
    credential = build(valid_until=NOW + timedelta(days=7), ttl_ms=60_000, purpose="suspension")
    assert credential == {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": LIST_URL,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": "did:web:badges.example.org",
        "validFrom": "2026-06-01T12:00:00Z",
        "validUntil": "2026-06-08T12:00:00Z",
        "credentialSubject": {
            "id": f"{LIST_URL}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "suspension",
            "encodedList": encode_bitstring(new_bitstring()),
            "ttl": 60_000,
        },
    }
    assert "validUntil" not in build() and "ttl" not in build()["credentialSubject"]


def test_list_credential_canonicalizes_in_safe_mode_with_vc2_alone() -> None:
    """No undefined_term: BitstringStatusList* terms are defined by the VC 2.0 context."""
    nquads = Canonicalizer().canonicalize(build(ttl_ms=1000, valid_until=NOW + timedelta(1)))
    assert "<https://www.w3.org/ns/credentials/status#BitstringStatusList>" in nquads
    assert "status#encodedList" in nquads and "status#ttl" in nquads


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"bits": bytes(12_500)}, "at least 131072"),
        ({"list_url": f"{LIST_URL}#list"}, "fragment"),
        ({"list_url": ""}, "fragment"),
        ({"purpose": ""}, "purpose"),
        ({"ttl_ms": -1}, "ttl_ms"),
        ({"ttl_ms": 1.5}, "ttl_ms"),
        ({"valid_until": NOW - timedelta(seconds=1)}, "before valid_from"),
        ({"issuer": {"name": "No id"}}, "no id"),
    ],
)
def test_list_credential_refuses(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build(**changes)


def test_issuer_may_be_given_as_an_id() -> None:
    assert build(issuer="did:key:z6Mkexample")["issuer"] == "did:key:z6Mkexample"


# -- entries ----------------------------------------------------------------------------------
def test_status_entry_index_is_a_string() -> None:
    assert status_entry(LIST_URL, 94567, "revocation") == {
        "id": f"{LIST_URL}#94567",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "94567",
        "statusListCredential": LIST_URL,
    }


@pytest.mark.parametrize(
    ("index", "purpose", "error"),
    [(-1, "revocation", ValueError), (True, "revocation", TypeError), (1, "", ValueError)],
)
def test_status_entry_refuses(index: Any, purpose: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        status_entry(LIST_URL, index, purpose)


# -- round trip through the verifier ------------------------------------------------------------
def test_signed_list_round_trips_through_the_status_checker() -> None:
    key = generate_key("EdDSA")
    did = did_key_from_public_key(key.public)
    bits = new_bitstring()
    set_bit(bits, 4242, True)
    unsigned = build(issuer={"id": did}, bits=bits)
    signed = sign_data_integrity(
        unsigned,
        key,
        verification_method=f"{did}#{did.removeprefix('did:key:')}",
        created=NOW,
        canonicalizer=Canonicalizer(),
    )
    checker = StatusChecker(DataIntegrityListVerifier(KeyResolver()), documents={LIST_URL: signed})
    clear = checker.check(
        status_entry(LIST_URL, 4241, "revocation"), credential_id=None, issuer_id=did, now=NOW
    )
    assert clear.entries[0].state == "clear"
    with pytest.raises(Revoked):
        checker.check(
            status_entry(LIST_URL, 4242, "revocation"), credential_id=None, issuer_id=did, now=NOW
        )
