"""Every Data Integrity suite we read, on VC 1.1 and VC 2.0, and each way one can go wrong.

The suite matrix (docs/decisions.md, "Signature suites"): ``eddsa-rdfc-2022`` and
``ecdsa-rdfc-2019`` (P-256, P-384) verify on both VC versions; ``eddsa-2022`` and
``Ed25519Signature2020`` verify on both with a note that the suite is legacy;
``RsaSignature2018`` verifies on VC 1.1 with that note and is refused on VC 2.0.

Proofs are built here from the published algorithms (VC DI EdDSA §3.3, VC DI ECDSA §3.2, the
CCG RSA Signature Suite 2018 with RFC 7797 detached JWS), independently of
:mod:`issuer.dataintegrity`; the interop tests check the same suites against Digital Bazaar's
implementations, and ``test_rsa_2018_vector_from_jsonld_signatures`` against a proof made by
``jsonld-signatures`` 6.0.0.
"""

from __future__ import annotations

import base64
import copy
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from pyld import jsonld

from issuer import CredentialDraft, build_credential, sign_data_integrity, sign_vc_jwt
from keys import (
    PublishedKey,
    SigningKey,
    b58encode,
    did_key_from_public_key,
    did_web_document,
    generate_key,
    verification_method_id,
)
from verifier import KeyResolver, Report, Verifier
from verifier.canonical import Canonicalizer, canonical_nquads, reference_canonical_dataset
from verifier.contexts import pyld_document_loader
from verifier.dataintegrity import SUITES, suite_of
from verifier.suites import hash_data, proof_config

from .conftest import ACHIEVEMENT, ISSUER, NOW

CANON = Canonicalizer()
VC11 = "https://www.w3.org/2018/credentials/v1"
ED25519_2020_CONTEXT = "https://w3id.org/security/suites/ed25519-2020/v1"
DATA_INTEGRITY_CONTEXT = "https://w3id.org/security/data-integrity/v2"
SECURITY_V2 = "https://w3id.org/security/v2"
ASSETS = Path(__file__).parents[2] / "assets"
CREATED = (NOW - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
LEGACY_NOTE = "an older signature suite that is still accepted"


# -- keys and the issuer's document ------------------------------------------------------------


@pytest.fixture(scope="module")
def keyring() -> dict[str, SigningKey]:
    return {
        "ed": generate_key("EdDSA"),
        "p256": generate_key("ES256"),
        "p384": generate_key("ES384"),
        "rsa": generate_key("RS256", rsa_bits=2048),
    }


@pytest.fixture(scope="module")
def verifier(keyring: dict[str, SigningKey]) -> Verifier:
    published = [
        PublishedKey(k.public, "active", NOW - timedelta(days=9)) for k in keyring.values()
    ]
    document = did_web_document(ISSUER, published)
    return Verifier(
        KeyResolver(documents={ISSUER: document}), known_issuers=[ISSUER], canonicalizer=CANON
    )


def vm(key: SigningKey) -> str:
    return verification_method_id(ISSUER, key.kid)


# -- credentials ---------------------------------------------------------------------------------


def credential(
    version: str, issuer: str = ISSUER, *, extra_context: str | None = None
) -> dict[str, Any]:
    built = build_credential(
        CredentialDraft(
            issuer={"id": issuer, "type": ["Profile"], "name": "Example Org"},
            achievement=ACHIEVEMENT,
            recipient_email="learner@example.com",
            valid_from=NOW - timedelta(days=1),
        )
    )
    if version == "1.1":
        built["@context"] = [VC11, *built["@context"][1:]]
        built["issuanceDate"] = built.pop("validFrom")
        if extra_context is None:
            # The VC 1.1 context predates DataIntegrityProof; its own context defines it.
            extra_context = DATA_INTEGRITY_CONTEXT
    if extra_context is not None:
        built["@context"] = [*built["@context"], extra_context]
    return built


def sign_suite(
    document: dict[str, Any],
    key: SigningKey,
    *,
    proof_type: str = "DataIntegrityProof",
    cryptosuite: str | None,
    method: str,
    algorithm: str = "sha256",
) -> dict[str, Any]:
    """A Data Integrity proof by the published algorithm: key.sign(H(config) ‖ H(document))."""
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    options: dict[str, Any] = {"type": proof_type}
    if cryptosuite is not None:
        options["cryptosuite"] = cryptosuite
    options |= {"created": CREATED, "verificationMethod": method, "proofPurpose": "assertionMethod"}
    data = hash_data(CANON, unsecured, proof_config(unsecured, options), algorithm)
    return {**unsecured, "proof": [{**options, "proofValue": "z" + b58encode(key.sign(data))}]}


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def sign_rsa_2018(
    document: dict[str, Any],
    key: SigningKey,
    *,
    method: str,
    alg: str = "RS256",
    header: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """RsaSignature2018 by the CCG suite: a detached b64=false JWS (RFC 7797 §3) over
    SHA-256(canonical proof options) ‖ SHA-256(canonical document)."""
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    options = {
        "type": "RsaSignature2018",
        "created": CREATED,
        "verificationMethod": method,
        "proofPurpose": "assertionMethod",
    }
    # Proof options in the Security v2 context, as Linked Data Signatures canonicalize them.
    verify_data = hash_data(CANON, unsecured, {**options, "@context": SECURITY_V2})
    encoded = b64u(
        json.dumps(header or {"alg": alg, "b64": False, "crit": ["b64"]}).encode("utf-8")
    )
    signing_input = encoded.encode("ascii") + b"." + verify_data
    private = key.private_key
    assert isinstance(private, rsa.RSAPrivateKey)
    if alg == "PS256":
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
        signature = private.sign(signing_input, pss, hashes.SHA256())
    else:
        signature = private.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return {**unsecured, "proof": [{**options, "jws": f"{encoded}..{b64u(signature)}"}]}


def signature_check(report: Report) -> tuple[str, str]:
    check = report.check("signature")
    assert check is not None
    return check.status, check.code


# -- the matrix ----------------------------------------------------------------------------------

# (suite label, key, proof type, cryptosuite, hash, extra context, legacy)
DI_SUITES = [
    ("eddsa-rdfc-2022", "ed", "DataIntegrityProof", "eddsa-rdfc-2022", "sha256", None, False),
    (
        "ecdsa-rdfc-2019 P-256",
        "p256",
        "DataIntegrityProof",
        "ecdsa-rdfc-2019",
        "sha256",
        None,
        False,
    ),
    (
        "ecdsa-rdfc-2019 P-384",
        "p384",
        "DataIntegrityProof",
        "ecdsa-rdfc-2019",
        "sha384",
        None,
        False,
    ),
    ("eddsa-2022", "ed", "DataIntegrityProof", "eddsa-2022", "sha256", None, True),
    (
        "Ed25519Signature2020",
        "ed",
        "Ed25519Signature2020",
        None,
        "sha256",
        ED25519_2020_CONTEXT,
        True,
    ),
]


@pytest.mark.parametrize("version", ["1.1", "2.0"])
@pytest.mark.parametrize(
    ("label", "key_name", "proof_type", "cryptosuite", "algorithm", "context", "legacy"),
    DI_SUITES,
    ids=[row[0] for row in DI_SUITES],
)
def test_suite_verifies_on_both_vc_versions(
    keyring: dict[str, SigningKey],
    verifier: Verifier,
    version: str,
    label: str,
    key_name: str,
    proof_type: str,
    cryptosuite: str | None,
    algorithm: str,
    context: str | None,
    legacy: bool,
) -> None:
    key = keyring[key_name]
    signed = sign_suite(
        credential(version, extra_context=context),
        key,
        proof_type=proof_type,
        cryptosuite=cryptosuite,
        method=vm(key),
        algorithm=algorithm,
    )
    report = verifier.report(signed, now=NOW)
    assert report.verified, report.to_dict()
    assert signature_check(report) == ("passed", "signature_valid")
    legacy_notes = [n for n in report.notes if LEGACY_NOTE in n]
    assert len(legacy_notes) == (1 if legacy else 0), report.notes
    # One changed value fails it.
    tampered = copy.deepcopy(signed)
    tampered["credentialSubject"]["achievement"]["name"] = "Kubernetes Operations — Expert"
    assert signature_check(verifier.report(tampered, now=NOW)) == ("failed", "bad_signature")


@pytest.mark.parametrize("alg", ["RS256", "PS256"])
def test_rsa_signature_2018_verifies_on_vc11_with_a_note(
    keyring: dict[str, SigningKey], verifier: Verifier, alg: str
) -> None:
    signed = sign_rsa_2018(credential("1.1"), keyring["rsa"], method=vm(keyring["rsa"]), alg=alg)
    report = verifier.report(signed, now=NOW)
    assert report.verified, report.to_dict()
    assert any("RsaSignature2018" in n and LEGACY_NOTE in n for n in report.notes)
    tampered = copy.deepcopy(signed)
    tampered["issuanceDate"] = "2020-01-01T00:00:00Z"
    assert signature_check(verifier.report(tampered, now=NOW)) == ("failed", "bad_signature")


def test_rsa_2018_vector_from_jsonld_signatures() -> None:
    # A proof made by Digital Bazaar's jsonld-signatures 6.0.0 (PS256), tests/assets/rsa2018.
    vector = json.loads((ASSETS / "rsa2018" / "jsonld-signatures-6.0.0-vc11.json").read_text())
    credential, pem = vector["credential"], vector["publicKeyPem"]
    method_id = f"{ISSUER}#rsa-2018"
    document = {
        "@context": ["https://www.w3.org/ns/did/v1", SECURITY_V2],
        "id": ISSUER,
        "verificationMethod": [
            {
                "id": method_id,
                "type": "RsaVerificationKey2018",
                "controller": ISSUER,
                "publicKeyPem": pem,
            }
        ],
        "assertionMethod": [method_id],
    }
    verifier = Verifier(KeyResolver(documents={ISSUER: document}), canonicalizer=CANON)
    report = verifier.report(credential, now=NOW)
    assert report.verified, report.to_dict()
    assert (
        json.loads(base64.urlsafe_b64decode(credential["proof"]["jws"].split(".")[0] + "=="))["alg"]
        == "PS256"
    )
    tampered = copy.deepcopy(credential)
    tampered["name"] = "changed"
    assert signature_check(verifier.report(tampered, now=NOW)) == ("failed", "bad_signature")


def test_rsa_signature_2018_is_refused_on_vc2(
    keyring: dict[str, SigningKey], verifier: Verifier
) -> None:
    # The VC 2.0 context does not define RsaSignature2018's terms, so such a proof cannot even
    # be made over a VC 2.0 credential; move a VC 1.1 one's proof over and see it refused by name.
    signed = sign_rsa_2018(credential("1.1"), keyring["rsa"], method=vm(keyring["rsa"]))
    vc2 = {**credential("2.0"), "proof": signed["proof"]}
    assert signature_check(verifier.report(vc2, now=NOW)) == ("failed", "legacy_suite_on_vc2")


@pytest.mark.parametrize("name", ["p256", "p384"])
def test_ecdsa_with_the_issuers_own_did_key(keyring: dict[str, SigningKey], name: str) -> None:
    key = keyring[name]
    did = did_key_from_public_key(key.public)
    assert did.startswith("did:key:zDn" if name == "p256" else "did:key:z82")
    method = f"{did}#{did.removeprefix('did:key:')}"
    signed = sign_suite(
        credential("2.0", issuer=did),
        key,
        cryptosuite="ecdsa-rdfc-2019",
        method=method,
        algorithm="sha256" if name == "p256" else "sha384",
    )
    report = Verifier(KeyResolver(), canonicalizer=CANON).report(signed, now=NOW)
    assert signature_check(report) == ("passed", "signature_valid"), report.to_dict()


@pytest.mark.parametrize("name", ["p256", "p384"])
def test_our_ecdsa_signer_agrees_with_the_published_algorithm(
    keyring: dict[str, SigningKey], verifier: Verifier, name: str
) -> None:
    key = keyring[name]
    signed = sign_data_integrity(
        credential("2.0"),
        key,
        verification_method=vm(key),
        created=NOW - timedelta(hours=1),
        canonicalizer=CANON,
        cryptosuite="ecdsa-rdfc-2019",
    )
    assert signed["proof"][0]["cryptosuite"] == "ecdsa-rdfc-2019"
    report = verifier.report(signed, now=NOW)
    assert report.verified, report.to_dict()
    assert report.notes == ()


def test_issuer_refuses_a_key_the_suite_does_not_sign_with(keyring: dict[str, SigningKey]) -> None:
    for key, suite in [(keyring["ed"], "ecdsa-rdfc-2019"), (keyring["p256"], "eddsa-rdfc-2022")]:
        with pytest.raises(ValueError, match="cannot sign"):
            sign_data_integrity(
                credential("2.0"),
                key,
                verification_method=vm(key),
                created=NOW,
                canonicalizer=CANON,
                cryptosuite=suite,
            )
    with pytest.raises(ValueError, match="unknown cryptosuite"):
        sign_data_integrity(
            credential("2.0"),
            keyring["ed"],
            verification_method=vm(keyring["ed"]),
            created=NOW,
            canonicalizer=CANON,
            cryptosuite="ecdsa-sd-2023",
        )


# -- failure modes -------------------------------------------------------------------------------


def test_p384_key_with_a_p256_sized_signature(
    keyring: dict[str, SigningKey], verifier: Verifier
) -> None:
    # The proof names the P-384 key but carries a P-256 signature (64 bytes, not 96).
    p256_signed = sign_suite(
        credential("2.0"),
        keyring["p256"],
        cryptosuite="ecdsa-rdfc-2019",
        method=vm(keyring["p256"]),
    )
    p256_signed["proof"][0]["verificationMethod"] = vm(keyring["p384"])
    assert signature_check(verifier.report(p256_signed, now=NOW)) == ("failed", "bad_proof_value")


def test_p256_key_with_a_p384_sized_signature(
    keyring: dict[str, SigningKey], verifier: Verifier
) -> None:
    signed = sign_suite(
        credential("2.0"),
        keyring["p384"],
        cryptosuite="ecdsa-rdfc-2019",
        method=vm(keyring["p256"]),
        algorithm="sha384",
    )
    assert signature_check(verifier.report(signed, now=NOW)) == ("failed", "bad_proof_value")


@pytest.mark.parametrize(("name", "wrong_hash"), [("p384", "sha256"), ("p256", "sha384")])
def test_ecdsa_hash_of_the_wrong_length(
    keyring: dict[str, SigningKey], verifier: Verifier, name: str, wrong_hash: str
) -> None:
    # Right key, right signature size, but hashData made with the other curve's hash (64 bytes
    # for a P-384 key, 96 for a P-256 key): the signature does not hold.
    key = keyring[name]
    signed = sign_suite(
        credential("2.0"), key, cryptosuite="ecdsa-rdfc-2019", method=vm(key), algorithm=wrong_hash
    )
    assert signature_check(verifier.report(signed, now=NOW)) == ("failed", "bad_signature")


@pytest.mark.parametrize(
    ("key_name", "proof_type", "cryptosuite"),
    [
        ("ed", "DataIntegrityProof", "ecdsa-rdfc-2019"),
        ("rsa", "DataIntegrityProof", "ecdsa-rdfc-2019"),
        ("p256", "DataIntegrityProof", "eddsa-rdfc-2022"),
        ("p384", "DataIntegrityProof", "eddsa-2022"),
        ("p256", "Ed25519Signature2020", None),
        ("p256", "RsaSignature2018", None),
        ("ed", "RsaSignature2018", None),
    ],
)
def test_wrong_key_type_for_suite(
    keyring: dict[str, SigningKey],
    verifier: Verifier,
    key_name: str,
    proof_type: str,
    cryptosuite: str | None,
) -> None:
    key = keyring[key_name]
    context = ED25519_2020_CONTEXT if proof_type == "Ed25519Signature2020" else None
    signed = sign_suite(
        credential("1.1", extra_context=context),
        key,
        proof_type=proof_type,
        cryptosuite=cryptosuite,
        method=vm(key),
    )
    assert signature_check(verifier.report(signed, now=NOW)) == ("failed", "wrong_key_type")


def test_ecdsa_signature_by_another_key(keyring: dict[str, SigningKey], verifier: Verifier) -> None:
    stranger = generate_key("ES256")
    signed = sign_suite(
        credential("2.0"), stranger, cryptosuite="ecdsa-rdfc-2019", method=vm(keyring["p256"])
    )
    assert signature_check(verifier.report(signed, now=NOW)) == ("failed", "bad_signature")


@pytest.mark.parametrize(
    "value",
    [
        "",
        "z",
        "u" + "A" * 86,
        "z0OIl",
        "z" + b58encode(b"\x01" * 63),
        "z" + b58encode(b"\x01" * 200),
    ],
)
def test_ecdsa_proof_value_that_is_not_a_signature(
    keyring: dict[str, SigningKey], verifier: Verifier, value: str
) -> None:
    signed = sign_suite(
        credential("2.0"),
        keyring["p256"],
        cryptosuite="ecdsa-rdfc-2019",
        method=vm(keyring["p256"]),
    )
    signed["proof"][0]["proofValue"] = value
    assert signature_check(verifier.report(signed, now=NOW)) == ("failed", "bad_proof_value")


@pytest.mark.parametrize(
    "header",
    [
        {"alg": "none", "b64": False, "crit": ["b64"]},
        {"alg": "HS256", "b64": False, "crit": ["b64"]},
        {"alg": "RS512", "b64": False, "crit": ["b64"]},
        {"alg": "RS256", "b64": True, "crit": ["b64"]},
        {"alg": "RS256", "b64": False},
        {"alg": "RS256", "b64": False, "crit": ["b64"], "kid": "x"},
    ],
)
def test_rsa_2018_header_other_than_the_suites(
    keyring: dict[str, SigningKey], verifier: Verifier, header: dict[str, Any]
) -> None:
    signed = sign_rsa_2018(
        credential("1.1"), keyring["rsa"], method=vm(keyring["rsa"]), header=header
    )
    assert signature_check(verifier.report(signed, now=NOW)) == ("failed", "bad_proof_value")


@pytest.mark.parametrize(
    "mangle",
    [
        lambda jws: jws.replace("..", ".e30."),  # payload attached
        lambda jws: jws.split(".")[0],  # no signature
        lambda jws: jws + ".x",  # four parts
        lambda jws: "!!" + jws,  # not base64url
        lambda jws: jws.split(".")[0] + "..",  # empty signature
    ],
)
def test_rsa_2018_jws_that_is_not_detached(
    keyring: dict[str, SigningKey], verifier: Verifier, mangle: Any
) -> None:
    signed = sign_rsa_2018(credential("1.1"), keyring["rsa"], method=vm(keyring["rsa"]))
    signed["proof"][0]["jws"] = mangle(signed["proof"][0]["jws"])
    assert signature_check(verifier.report(signed, now=NOW)) == ("failed", "bad_proof_value")


def test_rsa_2018_header_alg_swapped(keyring: dict[str, SigningKey], verifier: Verifier) -> None:
    # Signed RS256, header rewritten to say PS256: the header is signed, and the padding differs.
    signed = sign_rsa_2018(credential("1.1"), keyring["rsa"], method=vm(keyring["rsa"]))
    jws = signed["proof"][0]["jws"]
    ps_header = b64u(json.dumps({"alg": "PS256", "b64": False, "crit": ["b64"]}).encode())
    signed["proof"][0]["jws"] = ps_header + ".." + jws.split("..")[1]
    assert signature_check(verifier.report(signed, now=NOW)) == ("failed", "bad_signature")


def test_rsa_2018_key_from_publickeypem(keyring: dict[str, SigningKey]) -> None:
    key = keyring["rsa"]
    pem = key.private_key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    method_id = f"{ISSUER}#key-1"
    document = {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/v2"],
        "id": ISSUER,
        "verificationMethod": [
            {
                "id": method_id,
                "type": "RsaVerificationKey2018",
                "controller": ISSUER,
                "publicKeyPem": pem.decode("ascii"),
            }
        ],
        "assertionMethod": [method_id],
    }
    verifier = Verifier(KeyResolver(documents={ISSUER: document}), canonicalizer=CANON)
    signed = sign_rsa_2018(credential("1.1"), key, method=method_id)
    assert signature_check(verifier.report(signed, now=NOW)) == ("passed", "signature_valid")
    # A weak key in the same place is refused when the key is read.
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505
    weak_pem = weak.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    document["verificationMethod"][0]["publicKeyPem"] = weak_pem.decode("ascii")
    verifier = Verifier(KeyResolver(documents={ISSUER: document}), canonicalizer=CANON)
    assert signature_check(verifier.report(signed, now=NOW)) == (
        "failed",
        "unknown_verification_method",
    )


def test_suite_table_rows_are_what_the_docs_say() -> None:
    rows = {
        name: (suite.on_vc2, suite.legacy, sorted(suite.key_algs))
        for name, suite in ((s.name, s) for s in SUITES.values())
    }
    assert rows == {
        "eddsa-rdfc-2022": (True, False, ["EdDSA"]),
        "ecdsa-rdfc-2019": (True, False, ["ES256", "ES384"]),
        "ecdsa-sd-2023": (True, False, ["ES256"]),
        "eddsa-2022": (True, True, ["EdDSA"]),
        "Ed25519Signature2020": (True, True, ["EdDSA"]),
        "RsaSignature2018": (False, True, ["RS256"]),
    }
    # Only DataIntegrityProof names a cryptosuite; the older types ignore the member.
    assert (
        suite_of({"type": "Ed25519Signature2020", "cryptosuite": "x"})
        is SUITES[("Ed25519Signature2020", None)]
    )
    assert suite_of({"type": "DataIntegrityProof"}) is None
    assert suite_of({"type": ["DataIntegrityProof"], "cryptosuite": "eddsa-rdfc-2022"}) is None


# -- RDFC-1.0 with SHA-384 -------------------------------------------------------------------


def test_rdfc_sha384_labels_blank_nodes_with_sha384() -> None:
    document = credential("2.0")
    sha256 = CANON.canonicalize(document)
    sha384 = CANON.canonicalize(document, rdfc_hash="sha384")
    assert sha256.count("_:c14n") >= 3
    # The same statements; only the blank-node labels may differ.
    assert _unlabelled(sha256) == _unlabelled(sha384)

    # Oxigraph (the fast path) and PyLD's URDNA2015 with SHA-384 (the path for embedded
    # proofs) label alike.
    def dataset() -> Any:  # PyLD's URDNA2015 relabels the dataset it is given: one per use
        return jsonld.to_rdf(
            json.loads(json.dumps(document)), {"documentLoader": pyld_document_loader}
        )

    nquads = jsonld.JsonLdProcessor.to_nquads(dataset())
    assert canonical_nquads(list(ox.parse(nquads, format=ox.RdfFormat.N_QUADS)), "sha384") == sha384
    assert reference_canonical_dataset(dataset(), "sha384") == sha384
    assert reference_canonical_dataset(dataset(), "sha256") == sha256
    with pytest.raises(ValueError, match="md5"):
        CANON.canonicalize(document, rdfc_hash="md5")


def _unlabelled(nquads: str) -> list[str]:
    return sorted(
        " ".join("_:b" if term.startswith("_:") else term for term in line.split(" "))
        for line in nquads.splitlines()
    )


# -- ES384 for VC-JWT too (RFC 7518 §3.4) ------------------------------------------------------


def test_es384_vc_jwt_verifies_and_cannot_pose_as_es256(
    keyring: dict[str, SigningKey], verifier: Verifier
) -> None:
    key = keyring["p384"]
    token = sign_vc_jwt(credential("2.0"), key, kid=vm(key))
    assert json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))["alg"] == "ES384"
    report = verifier.report(token, now=NOW)
    assert report.verified, report.to_dict()
    # The same P-384 signature under a header that says ES256: the key is not an ES256 key.
    _, payload, signature = token.split(".")
    header = b64u(json.dumps({"alg": "ES256", "kid": vm(key), "typ": "JWT"}).encode())
    forged = f"{header}.{payload}.{signature}"
    assert verifier.report(forged, now=NOW).verified is False
