"""Open Badges 2.0 (verifier.ob2): hosted and signed assertions, baked, over real loopback HTTP.

The badge objects follow the 1EdTech OB 2.0 specification and its examples (Assertion,
BadgeClass, Profile, CryptographicKey, RevocationList), with addresses on a loopback server
started per test and read through the production SafeFetcher (loopback http allowed, as in
development). Signed badges use a fresh RSA key each run. Every case asserts the check that
decides it; garbage never raises.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from issuer.baking import png_chunk
from keys import SigningKey, generate_key
from tests.ob2badges import (
    EMAIL,
    OB2,
    SALT,
    Ob2Issuer,
    Ob2Server,
    b64,
    b64json,
    md5_identity,
    pem,
    png_with,
    serving,
    sha256_identity,
    sign,
    svg_with,
)
from verifier import KeyResolver, Verifier
from verifier.baked import PNG_SIGNATURE
from verifier.errors import UnsupportedFormat
from verifier.fetch import FetchPolicy, SafeFetcher
from verifier.inputs import verify_any
from verifier.report import Report

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


# -- fixtures ---------------------------------------------------------------------------------
@pytest.fixture
def server() -> Iterator[Ob2Server]:
    with serving() as running:
        yield running


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return generate_key("RS256", rsa_bits=2048)


@pytest.fixture
def verifier() -> Verifier:
    fetcher = SafeFetcher(FetchPolicy(allow_loopback_http=True, timeout=5.0, cache_ttl=0))
    return Verifier(KeyResolver(fetcher=fetcher))


def check(report: Report, check_id: str) -> tuple[str, str]:
    found = report.check(check_id)
    assert found is not None, report.to_dict()
    return found.status, found.code


def report_of(verifier: Verifier, data: Any, recipient: str | None = None) -> Report:
    outcome = verify_any(verifier, data, now=NOW, recipient=recipient)
    assert not outcome.is_container
    return outcome.credentials[0]


# -- hosted ------------------------------------------------------------------------------------
def test_hosted_assertion_verifies_and_reports_like_ob3(
    server: Ob2Server, key: SigningKey, verifier: Verifier
) -> None:
    issuer = Ob2Issuer(server, key)
    assertion = issuer.host()
    report = report_of(verifier, json.dumps(assertion))
    assert report.verified, report.to_dict()
    assert report.proof_format == "ob2-hosted"
    assert [c.id for c in report.checks] == [
        "format",
        "schema",
        "signature",
        "issuer",
        "validity_window",
        "status",
        "endorsements",
        "conformance",
    ]
    assert check(report, "conformance") == ("could_not_check", "ob2_not_reviewed")
    assert check(report, "signature") == ("passed", "hosted_verified")
    assert "Hosted verification" in report.check("signature").message  # type: ignore[union-attr]
    # Not known to this service: unknown, never shown as good.
    assert check(report, "issuer") == ("could_not_check", "issuer_unknown")
    summary = report.to_dict()["credential"]
    assert summary["name"] == "Awesome Robotics Badge"
    assert summary["issuer"] == {"id": issuer.id, "name": "An Example Badge Issuer"}
    assert summary["achievement"]["id"] == issuer.badge_id
    assert summary["validFrom"].startswith("2026-01-15")
    assert report.to_dict()["format"] == "ob2-hosted"
    assert "/assertions/123" in server.hits and "/issuer" in server.hits


def test_hosted_known_issuer_passes_the_issuer_check(server: Ob2Server, key: SigningKey) -> None:
    issuer = Ob2Issuer(server, key)
    fetcher = SafeFetcher(FetchPolicy(allow_loopback_http=True, cache_ttl=0))
    trusting = Verifier(KeyResolver(fetcher=fetcher), known_issuers=[issuer.id])
    report = report_of(trusting, json.dumps(issuer.host()))
    assert check(report, "issuer") == ("passed", "issuer_known")


def test_hosted_mismatch_fails(server: Ob2Server, key: SigningKey, verifier: Verifier) -> None:
    issuer = Ob2Issuer(server, key)
    hosted = issuer.host()
    handed = {
        **hosted,
        "recipient": {**hosted["recipient"], "identity": sha256_identity("mallory@example.org")},
    }
    report = report_of(verifier, json.dumps(handed))
    assert not report.verified
    assert check(report, "signature") == ("failed", "hosted_mismatch")
    assert "recipient" in (report.check("signature").hint or "")  # type: ignore[union-attr]
    assert report.credential is None  # the altered copy is never shown as the badge


def test_hosted_expiry_removed_from_the_handed_copy_is_a_mismatch(
    server: Ob2Server, key: SigningKey, verifier: Verifier
) -> None:
    issuer = Ob2Issuer(server, key)
    hosted = issuer.host(expires="2026-03-01T00:00:00Z")
    handed = {k: v for k, v in hosted.items() if k != "expires"}
    assert check(report_of(verifier, json.dumps(handed)), "signature") == (
        "failed",
        "hosted_mismatch",
    )


def test_hosted_revoked_by_flag_and_by_410(
    server: Ob2Server, key: SigningKey, verifier: Verifier
) -> None:
    issuer = Ob2Issuer(server, key)
    handed = issuer.assertion()
    server.publish(
        "/assertions/123",
        {
            "@context": OB2,
            "id": handed["id"],
            "revoked": True,
            "revocationReason": "Awarded in error",
        },
    )
    report = report_of(verifier, json.dumps(handed))
    assert not report.verified
    assert check(report, "status") == ("failed", "revoked")
    assert "Awarded in error" in report.check("status").message  # type: ignore[union-attr]
    server.publish("/assertions/123", {"id": handed["id"], "revoked": True}, status=410)
    gone = report_of(verifier, json.dumps(handed))
    assert check(gone, "status") == ("failed", "revoked")
    assert "410" in (gone.check("status").hint or "")  # type: ignore[union-attr]


def test_hosted_on_another_origin_than_the_issuer_fails(
    server: Ob2Server, key: SigningKey, verifier: Verifier
) -> None:
    issuer = Ob2Issuer(server, key)
    with serving() as elsewhere:
        # A copy hosted on another origin that claims the real issuer's badge.
        copy = issuer.assertion()
        copy["id"] = elsewhere.url("/assertions/123")
        elsewhere.publish("/assertions/123", copy)
        report = report_of(verifier, json.dumps(copy))
    assert not report.verified
    assert check(report, "signature") == ("failed", "hosted_wrong_origin")


def test_hosted_within_starts_with_and_allowed_origins(
    server: Ob2Server, key: SigningKey, verifier: Verifier
) -> None:
    issuer = Ob2Issuer(server, key, verification={"startsWith": server.url("/assertions/")})
    assert report_of(verifier, json.dumps(issuer.host())).verified
    outside = issuer.host("/other/9")
    assert check(report_of(verifier, json.dumps(outside)), "signature") == (
        "failed",
        "hosted_wrong_origin",
    )
    issuer.profile["verification"] = {"allowedOrigins": ["badges.example.org"]}
    issuer.publish()
    assert check(report_of(verifier, json.dumps(issuer.host())), "signature") == (
        "failed",
        "hosted_wrong_origin",
    )
    issuer.profile["verification"] = {"allowedOrigins": "127.0.0.1"}
    issuer.publish()
    assert report_of(verifier, json.dumps(issuer.host())).verified


def test_embedded_issuer_profile_is_not_trusted_for_hosting_policy(
    server: Ob2Server, key: SigningKey, verifier: Verifier
) -> None:
    """An embedded Profile claiming a permissive policy is ignored: the hosted one decides."""
    issuer = Ob2Issuer(server, key)
    with serving() as elsewhere:
        badge = {
            **issuer.badge_class,
            "issuer": {
                **issuer.profile,
                "verification": {"allowedOrigins": "127.0.0.1", "startsWith": elsewhere.url("/")},
            },
        }
        copy = issuer.assertion(badge=badge)
        copy["id"] = elsewhere.url("/a/1")
        elsewhere.publish("/a/1", copy)
        report = report_of(verifier, json.dumps(copy))
    assert check(report, "signature") == ("failed", "hosted_wrong_origin")


def test_hosted_expired_and_not_yet_issued(
    server: Ob2Server, key: SigningKey, verifier: Verifier
) -> None:
    issuer = Ob2Issuer(server, key)
    expired = issuer.host(expires="2026-03-01T00:00:00Z")
    report = report_of(verifier, json.dumps(expired))
    assert not report.verified
    assert check(report, "validity_window") == ("failed", "expired")
    assert report.credential is not None  # still shown, marked
    future = issuer.host("/assertions/124", issuedOn="2027-01-01T00:00:00Z")
    assert check(report_of(verifier, json.dumps(future)), "validity_window") == (
        "failed",
        "not_yet_valid",
    )


def test_hosted_unreachable_is_could_not_check(
    server: Ob2Server, key: SigningKey, verifier: Verifier
) -> None:
    issuer = Ob2Issuer(server, key)
    handed = issuer.assertion("/assertions/missing")
    report = report_of(verifier, json.dumps(handed))
    assert not report.verified
    status, code = check(report, "signature")
    assert (status, code) == ("could_not_check", "ob2_document_unreachable")


def test_a_url_alone_is_not_fetched_by_the_verifier(
    server: Ob2Server, key: SigningKey, verifier: Verifier
) -> None:
    """A pasted link is the caller's to follow (fetch_links); a bare string is no badge."""
    issuer = Ob2Issuer(server, key)
    url = issuer.host()["id"]
    report = verifier.report(url, now=NOW)
    assert not report.verified
    assert "/assertions/123" not in server.hits


# -- signed ------------------------------------------------------------------------------------
def test_signed_assertion_verifies(server: Ob2Server, key: SigningKey, verifier: Verifier) -> None:
    issuer = Ob2Issuer(server, key)
    report = report_of(verifier, issuer.signed())
    assert report.verified, report.to_dict()
    assert report.proof_format == "ob2-signed"
    assert check(report, "signature") == ("passed", "signature_valid")
    assert check(report, "status") == ("passed", "not_revoked")
    assert report.credential is not None and report.credential.issuer.id == issuer.id


def test_signed_with_embedded_badge_class_and_no_creator(
    server: Ob2Server, key: SigningKey, verifier: Verifier
) -> None:
    issuer = Ob2Issuer(server, key)
    document = issuer.assertion(
        id="urn:uuid:3c574c87-b96f-4f06-8eb5-68a29335b60e",
        badge=issuer.badge_class,
        verification={"type": "signed"},
    )
    assert report_of(verifier, sign(document, key)).verified


def test_signed_tampered_payload_fails(
    server: Ob2Server, key: SigningKey, verifier: Verifier
) -> None:
    issuer = Ob2Issuer(server, key)
    head, _, signature = issuer.signed().split(".")
    altered = issuer.assertion(
        id="urn:uuid:a953081a-4bbd-4927-9653-7219bca00e3b",
        verification={"type": "SignedBadge", "creator": issuer.key_id},
        issuedOn="2026-01-16T10:00:00Z",
    )
    report = report_of(verifier, f"{head}.{b64json(altered)}.{signature}")
    assert not report.verified
    assert check(report, "signature") == ("failed", "bad_signature")


def test_signed_by_a_key_the_issuer_does_not_publish(
    server: Ob2Server, key: SigningKey, verifier: Verifier
) -> None:
    issuer = Ob2Issuer(server, key)
    stranger = generate_key("RS256", rsa_bits=2048)
    assert check(report_of(verifier, issuer.signed(stranger)), "signature") == (
        "failed",
        "bad_signature",
    )
    # Naming a key the profile does not list is refused before anything is checked.
    other = issuer.assertion(
        id="urn:uuid:1", verification={"type": "SignedBadge", "creator": server.url("/keys/evil")}
    )
    assert check(report_of(verifier, sign(other, stranger)), "signature") == (
        "failed",
        "issuer_key_mismatch",
    )


def test_signed_key_owned_by_someone_else(
    server: Ob2Server, key: SigningKey, verifier: Verifier
) -> None:
    issuer = Ob2Issuer(server, key)
    server.publish(
        "/keys/1",
        {"id": issuer.key_id, "owner": server.url("/someone"), "publicKeyPem": pem(key)},
    )
    assert check(report_of(verifier, issuer.signed()), "signature") == (
        "failed",
        "issuer_key_mismatch",
    )


def test_signed_revoked_via_revocation_list(
    server: Ob2Server, key: SigningKey, verifier: Verifier
) -> None:
    issuer = Ob2Issuer(server, key)
    issuer.revoked.extend(
        [
            "urn:uuid:3c574c87-b96f-4f06-8eb5-68a29335b60e",
            {
                "id": "urn:uuid:a953081a-4bbd-4927-9653-7219bca00e3b",
                "revocationReason": "Honor code violation",
            },
        ]
    )
    issuer.publish()
    report = report_of(verifier, issuer.signed())
    assert not report.verified
    assert check(report, "signature") == ("passed", "signature_valid")
    assert check(report, "status") == ("failed", "revoked")
    assert "Honor code violation" in report.check("status").message  # type: ignore[union-attr]


def test_signed_revocation_list_unreachable_is_unknown(
    server: Ob2Server, key: SigningKey, verifier: Verifier
) -> None:
    issuer = Ob2Issuer(server, key)
    del server.routes["/revocations"]
    report = report_of(verifier, issuer.signed())
    assert check(report, "status") == ("could_not_check", "status_unreachable")
    assert report.verified  # status unknown does not flip verified, and is never "passed"


def test_signed_with_an_algorithm_not_allowed(
    server: Ob2Server, key: SigningKey, verifier: Verifier
) -> None:
    issuer = Ob2Issuer(server, key)
    document = issuer.assertion(id="urn:uuid:2", verification={"type": "signed"})
    head = b64json({"alg": "HS256"})
    token = f"{head}.{b64json(document)}.{b64(b'x' * 32)}"
    assert check(report_of(verifier, token), "signature") == ("failed", "alg_not_allowed")


def test_signed_assertion_without_its_signature(
    server: Ob2Server, key: SigningKey, verifier: Verifier
) -> None:
    issuer = Ob2Issuer(server, key)
    document = issuer.assertion(id="urn:uuid:2", verification={"type": "signed"})
    assert check(report_of(verifier, json.dumps(document)), "signature") == ("failed", "no_proof")


# -- baked -------------------------------------------------------------------------------------
def test_baked_png_hosted_and_signed(
    server: Ob2Server, key: SigningKey, verifier: Verifier
) -> None:
    issuer = Ob2Issuer(server, key)
    hosted = png_with(json.dumps(issuer.host()))
    signed = png_with(issuer.signed())
    for image, fmt in ((hosted, "ob2-hosted"), (signed, "ob2-signed")):
        report = report_of(verifier, image)
        assert report.verified, report.to_dict()
        assert report.proof_format == fmt
        assert "baked PNG" in report.check("format").message  # type: ignore[union-attr]


def test_baked_svg_hosted_signed_and_url(
    server: Ob2Server, key: SigningKey, verifier: Verifier
) -> None:
    issuer = Ob2Issuer(server, key)
    hosted = issuer.host()
    images = {
        "hosted JSON": svg_with(hosted["id"], json.dumps(hosted)),
        "signed": svg_with(issuer.signed()),
        "hosted URL": svg_with(hosted["id"]),
    }
    for label, image in images.items():
        report = report_of(verifier, image)
        assert report.verified, (label, report.to_dict())
        assert "baked SVG" in report.check("format").message  # type: ignore[union-attr]


def test_baked_tampered_copies_fail(server: Ob2Server, key: SigningKey, verifier: Verifier) -> None:
    issuer = Ob2Issuer(server, key)
    hosted = issuer.host()
    altered = {**hosted, "badge": server.url("/badges/other")}
    head, _, signature = issuer.signed().split(".")
    other = issuer.assertion(id="urn:uuid:9", verification={"type": "signed"})
    forged = f"{head}.{b64json(other)}.{signature}"
    cases = {
        "PNG hosted": (png_with(json.dumps(altered)), "hosted_mismatch"),
        "SVG hosted": (svg_with(hosted["id"], json.dumps(altered)), "hosted_mismatch"),
        "PNG signed": (png_with(forged), "bad_signature"),
        "SVG signed": (svg_with(forged), "bad_signature"),
    }
    for label, (image, code) in cases.items():
        report = report_of(verifier, image)
        assert check(report, "signature") == ("failed", code), label


def test_legacy_text_chunk_is_refused_by_name(verifier: Verifier) -> None:
    header = png_chunk(b"IHDR", bytes.fromhex("00000001000000010806000000"))
    legacy = (
        PNG_SIGNATURE
        + header
        + png_chunk(b"tEXt", b"openbadges\0https://example.org/a/1")
        + png_chunk(b"IEND", b"")
    )
    report = report_of(verifier, legacy)
    assert check(report, "format") == ("failed", "baked_legacy")


# -- recipient ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("identity", "given", "expected"),
    [
        (sha256_identity(EMAIL), EMAIL, ("passed", "recipient_match")),
        (sha256_identity(EMAIL), " Alice@Example.org ", ("passed", "recipient_match")),
        (sha256_identity(EMAIL), "bob@example.org", ("failed", "recipient_mismatch")),
        (md5_identity(EMAIL), EMAIL, ("passed", "recipient_match")),
        (md5_identity(EMAIL), "bob@example.org", ("failed", "recipient_mismatch")),
    ],
    ids=["sha256 match", "sha256 normalised", "sha256 mismatch", "md5 match", "md5 mismatch"],
)
def test_recipient_identity_hash(
    server: Ob2Server,
    key: SigningKey,
    verifier: Verifier,
    identity: str,
    given: str,
    expected: tuple[str, str],
) -> None:
    issuer = Ob2Issuer(server, key)
    recipient = {"type": "email", "hashed": True, "salt": SALT, "identity": identity}
    hosted = issuer.host(recipient=recipient)
    assert check(report_of(verifier, json.dumps(hosted), recipient=given), "recipient") == expected
    signed = issuer.signed(recipient=recipient)
    assert check(report_of(verifier, signed, recipient=given), "recipient") == expected


def test_recipient_plain_and_other_identity_types(
    server: Ob2Server, key: SigningKey, verifier: Verifier
) -> None:
    issuer = Ob2Issuer(server, key)
    plain = issuer.host(recipient={"type": "email", "hashed": False, "identity": EMAIL})
    assert check(report_of(verifier, json.dumps(plain), recipient=EMAIL), "recipient") == (
        "passed",
        "recipient_match",
    )
    url = issuer.host(
        "/assertions/7", recipient={"type": "url", "hashed": False, "identity": "https://a.example"}
    )
    assert check(report_of(verifier, json.dumps(url), recipient=EMAIL), "recipient") == (
        "could_not_check",
        "no_email_identifier",
    )


# -- garbage and other shapes ------------------------------------------------------------------
GARBAGE: list[tuple[str, Any, str, str]] = [
    (
        "no verification",
        {"@context": OB2, "type": "Assertion", "id": "urn:x"},
        "signature",
        "ob2_no_verification",
    ),
    (
        "hosted id not a URL",
        {"@context": OB2, "type": "Assertion", "id": "urn:x", "verification": {"type": "hosted"}},
        "signature",
        "hosted_bad_id",
    ),
    (
        "hosted id to a private address",
        {
            "@context": OB2,
            "type": "Assertion",
            "id": "https://10.0.0.1/a",
            "verification": {"type": "hosted"},
        },
        "signature",
        "fetch_refused_address",
    ),
    ("context only", {"@context": OB2}, "signature", "ob2_no_verification"),
    (
        "verification is a list",
        {"@context": [OB2], "verification": [1, 2]},
        "signature",
        "ob2_no_verification",
    ),
    (
        "OB 1.0 shape",
        {
            "recipient": "sha256$abc",
            "badge": "https://example.org/b",
            "verify": {"type": "hosted", "url": "https://example.org/a"},
        },
        "format",
        "ob1_unsupported",
    ),
    (
        "OB 1.1 context",
        {"@context": "https://w3id.org/openbadges/v1", "type": "Assertion"},
        "format",
        "ob1_unsupported",
    ),
]


@pytest.mark.parametrize(
    ("label", "document", "check_id", "code"), GARBAGE, ids=[g[0] for g in GARBAGE]
)
def test_unreadable_ob2_shapes_get_clear_errors(
    verifier: Verifier, label: str, document: Any, check_id: str, code: str
) -> None:
    report = report_of(verifier, json.dumps(document))
    assert not report.verified
    status, found = check(report, check_id)
    assert found == code and status in ("failed", "could_not_check"), label


def test_hosted_shapes_that_break_the_model(
    server: Ob2Server, key: SigningKey, verifier: Verifier
) -> None:
    issuer = Ob2Issuer(server, key)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"recipient": None}, "missing_field"),
        (
            {"recipient": {"type": "email", "hashed": True, "identity": "sha1$abc"}},
            "bad_identity_hash",
        ),
        ({"issuedOn": 1483228799}, "bad_date"),
        ({"issuedOn": "2016-12-31T23:59:59"}, "bad_date"),
        ({"badge": None}, "missing_field"),
        ({"badge": 7}, "missing_field"),
        ({"type": "Endorsement"}, "wrong_type"),
    ]
    for n, (overrides, code) in enumerate(cases):
        hosted = issuer.host(f"/assertions/bad{n}", **overrides)
        report = report_of(verifier, json.dumps(hosted))
        assert check(report, "schema") == ("failed", code), overrides
        assert not report.verified


def test_hosted_badge_class_and_profile_that_break_the_model(
    server: Ob2Server, key: SigningKey, verifier: Verifier
) -> None:
    issuer = Ob2Issuer(server, key)
    hosted = issuer.host()
    server.publish("/badges/robotics", {**issuer.badge_class, "type": "Profile"})
    assert check(report_of(verifier, json.dumps(hosted)), "schema") == ("failed", "wrong_type")
    server.publish("/badges/robotics", [1, 2, 3])
    assert check(report_of(verifier, json.dumps(hosted)), "schema") == ("failed", "bad_badge_class")
    issuer.publish()
    server.publish("/issuer", {**issuer.profile, "id": server.url("/impostor")})
    assert check(report_of(verifier, json.dumps(hosted)), "schema") == ("failed", "bad_issuer")
    # Missing issuer url/email is a note, not a failure (it does not change who issued it).
    server.publish(
        "/issuer", {k: v for k, v in issuer.profile.items() if k not in ("url", "email")}
    )
    report = report_of(verifier, json.dumps(hosted))
    assert report.verified and any("url, email" in n for n in report.notes)


def test_signed_garbage_tokens(server: Ob2Server, key: SigningKey, verifier: Verifier) -> None:
    issuer = Ob2Issuer(server, key)
    document = issuer.assertion(id="urn:uuid:5", verification={"type": "signed"})
    body = b64json(document)
    tokens = {
        "empty signature": (f"{b64json({'alg': 'RS256'})}.{body}.", ("format", "signature")),
        "header not JSON": (f"{b64(b'{nope')}.{body}.{b64(b'x')}", ("format",)),
        "crit header": (sign(document, key, {"alg": "RS256", "crit": ["exp"]}), ("format",)),
        "hosted inside a JWS": (sign(issuer.assertion(id="urn:uuid:6"), key), ("signature",)),
    }
    for label, (token, check_ids) in tokens.items():
        report = report_of(verifier, token)
        assert not report.verified, label
        assert any(
            (c := report.check(i)) is not None and c.status == "failed" for i in check_ids
        ), (label, report.to_dict())


def test_verify_raises_for_ob2_even_when_it_verified(
    server: Ob2Server, key: SigningKey, verifier: Verifier
) -> None:
    issuer = Ob2Issuer(server, key)
    with pytest.raises(UnsupportedFormat) as caught:
        verifier.verify(json.dumps(issuer.host()), now=NOW)
    assert caught.value.code == "ob2_report_only"


def test_ob3_tokens_are_not_taken_for_ob2(verifier: Verifier) -> None:
    """An OB 3.0 VC-JWT whose text mentions "Assertion" still goes the OB 3.0 way."""
    token = (
        f"{b64json({'alg': 'ES256'})}.{b64json({'name': 'Assertion', 'vc': {}})}.{b64(b'x' * 64)}"
    )
    report = verifier.report(token, now=NOW + timedelta(days=1))
    assert report.proof_format == "vc-jwt"
    assert check(report, "format") == ("passed", "vc_jwt")


# -- fit ----------------------------------------------------------------------------------------
CATALOG = "https://passport.example/achievements/"
NICE = "NICE Framework (NIST SP 800-181)"
NICE_URL = "https://niccs.cisa.gov/workforce-development/nice-framework"


def _requirement(skill: str, level: int, code: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {
        "skill": skill,
        "skillName": skill.replace("-", " ").title(),
        "minLevel": level,
        "achievement": f"{CATALOG}{skill}-l{level}",
    }
    if code:
        found["alignment"] = [
            {"targetFramework": NICE, "targetCode": code, "targetUrl": NICE_URL, "targetName": code}
        ]
    return found


def test_ob2_badges_count_in_fit_only_through_alignments_to_our_skills(
    server: Ob2Server, key: SigningKey, verifier: Verifier
) -> None:
    from verifier.fit import fit, parse_job_family

    issuer = Ob2Issuer(server, key)
    aligned = {
        "nice": [
            {
                "targetName": "Incident Responder",
                "targetUrl": NICE_URL,
                "targetFramework": NICE,
                "targetCode": "PR-CIR-001",
            }
        ],
        "catalog": [{"targetName": "Linux", "targetUrl": f"{CATALOG}linux-administration-l4"}],
        "elsewhere": [
            {"targetName": "Robots", "targetUrl": "https://example.org/robots", "targetCode": "R-1"}
        ],
        "by name only": [{"targetName": "Observability", "targetUrl": "https://example.org/o11y"}],
        "other framework": [
            {
                "targetName": "X",
                "targetUrl": NICE_URL,
                "targetFramework": "ESCO",
                "targetCode": "PR-CIR-001",
            }
        ],
    }
    reports = []
    for n, (label, alignment) in enumerate(aligned.items()):
        badge_path = f"/badges/{n}"
        server.publish(
            badge_path,
            {
                **issuer.badge_class,
                "id": server.url(badge_path),
                "name": label,
                "alignment": alignment,
            },
        )
        hosted = issuer.host(f"/assertions/fit{n}", badge=server.url(badge_path))
        report = report_of(verifier, json.dumps(hosted))
        assert report.verified, (label, report.to_dict())
        reports.append(report)
    family = parse_job_family(
        {
            "id": "sre",
            "name": "SRE",
            "requirements": [
                _requirement("incident-response", 2, "PR-CIR-001"),
                _requirement("linux-administration", 3, "OM-ADM-001"),
                _requirement("observability", 1),
            ],
        }
    )
    result = fit(family, reports, now=NOW).to_dict()
    rows = {row["skill"]: row for row in result["coverage"]}
    # A framework code names the skill, not a level: shown, never meeting a minimum.
    assert rows["incident-response"]["status"] == "below"
    assert rows["incident-response"]["shownLevel"] is None
    assert rows["incident-response"]["credentialName"] == "nice"
    # Aligned to our catalog achievement at level 4: meets level 3.
    assert (rows["linux-administration"]["status"], rows["linux-administration"]["shownLevel"]) == (
        "met",
        4,
    )
    # Aligned by name only: not matched.
    assert rows["observability"]["status"] == "missing"
    # Elsewhere, by name only, and the right code in another framework: not counted, said why.
    not_counted = {c["credential"]: c["reason"] for c in result["notCounted"]}
    assert sorted(not_counted) == [server.url(f"/assertions/fit{n}") for n in (2, 3, 4)]
    assert all("alignments" in reason for reason in not_counted.values())
