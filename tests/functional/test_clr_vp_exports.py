"""Passport exports of issue #6: a signed CLR 2.0 (JSON, baked PNG/SVG) and Verifiable
Presentations, through the ``passport`` CLI and the export functions, on a real database."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
)
from flask.testing import FlaskClient

from keys import SigningKey, did_key_from_public_key, generate_key
from passport.cli import cli
from passport.credentials.exports import export_clr, export_vp, select_credentials
from passport.credentials.holders import find_holder, read_holder_key, set_holder_did
from passport.credentials.issuing import IssueRequest, get_or_create_holder, issue_credential
from passport.credentials.models import IssuedCredential
from passport.credentials.status import change_status
from passport.errors import PassportError
from passport.services import Services
from verifier.baked import extract_baked
from verifier.model import ClrCredential

GRACE = "grace@example.com"
NOPE = "urn:uuid:00000000-0000-4000-8000-000000000000"


def issue(services: Services, achievement: str, fmt: str = "di", email: str = GRACE) -> str:
    with services.session() as session:
        record = issue_credential(
            session, services, IssueRequest(achievement, email, fmt), now=services.now()
        )
        return record.id


@pytest.fixture
def badges(services: Services) -> list[str]:
    """Grace's badges: CI/CD level 2 (Data Integrity) and observability level 2 (VC-JWT)."""
    return [issue(services, "ci-cd-l2"), issue(services, "observability-l2", "jwt")]


@pytest.fixture
def run(services: Services) -> Any:
    settings = services.settings
    env = {
        "PASSPORT_ENV": "test",
        "PASSPORT_INSTANCE_PATH": str(settings.instance_path),
        "PASSPORT_DATABASE_URL": settings.database_url,
        "PASSPORT_PUBLIC_URL": settings.public_url,
        "PASSPORT_SECRET_KEY": settings.secret_key,
        "PASSPORT_KEY_PASSPHRASE": settings.key_passphrase,
    }

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)

    return invoke


def verify_all(services: Services, clr: dict[str, Any]) -> None:
    """Our verifier accepts the CLR's outer proof and every embedded credential."""
    with services.session() as session:
        verifier = services.verifier(session)
    verified = verifier.verify(clr, now=services.now())
    assert isinstance(verified.credential, ClrCredential)
    assert verified.report.verified
    for item in clr["credentialSubject"]["verifiableCredential"]:
        if item["type"] == "EnvelopedVerifiableCredential":
            item = item["id"].removeprefix("data:application/vc+jwt,")
        assert verifier.report(item, now=services.now(), recipient=GRACE).verified is True


def test_cli_clr_of_every_badge(services: Services, badges: list[str], run: Any) -> None:
    result = run("export", "--holder", "Grace@Example.com", "--format", "clr")
    assert result.exit_code == 0, result.output
    clr = json.loads(result.stdout)
    assert clr["type"] == ["VerifiableCredential", "ClrCredential"]
    assert clr["partial"] is False
    assert clr["issuer"]["id"] == "did:web:127.0.0.1%3A5000"
    subject = clr["credentialSubject"]
    embedded = subject["verifiableCredential"]
    with services.session() as session:
        di = session.get(IssuedCredential, badges[0])
        jwt = session.get(IssuedCredential, badges[1])
        assert di is not None and jwt is not None
        assert embedded[0] == json.loads(di.content)  # exactly as issued
        assert embedded[1]["id"] == "data:application/vc+jwt," + jwt.content.decode()
    ids = {a["id"] for a in subject["achievement"]}
    base = services.settings.public_url
    assert {f"{base}/achievements/ci-cd-l2", f"{base}/achievements/observability-l2"} <= ids
    # ci-cd level 2 counts towards software (min 2) and data (min 1); observability 2 towards
    # platform (min 2): each family is the parent of the skills it is served by.
    links = {(a["sourceId"], a["targetId"]) for a in subject["association"]}
    assert links == {
        (f"{base}/job-families/data", f"{base}/achievements/ci-cd-l2"),
        (f"{base}/job-families/software", f"{base}/achievements/ci-cd-l2"),
        (f"{base}/job-families/platform", f"{base}/achievements/observability-l2"),
    }
    assert all(a["associationType"] == "isParentOf" for a in subject["association"])
    verify_all(services, clr)


def test_cli_clr_subset_and_revoked_badges_are_partial(
    services: Services, badges: list[str], run: Any, tmp_path: Path
) -> None:
    out = tmp_path / "clr.json"
    result = run("export", "--holder", GRACE, "--format", "clr", "--credential", badges[1])
    clr = json.loads(result.stdout)
    assert clr["partial"] is True
    assert len(clr["credentialSubject"]["verifiableCredential"]) == 1
    verify_all(services, clr)
    with services.session() as session:
        change_status(
            session, services, badges[0], "revoke", reason="annulled", actor="t", now=services.now()
        )
    result = run("export", "--holder", GRACE, "--format", "clr", "-o", str(out))
    assert result.exit_code == 0 and "bytes" in result.stdout
    clr = json.loads(out.read_bytes())
    assert clr["partial"] is True  # the revoked badge is known to us but left out
    (only,) = clr["credentialSubject"]["verifiableCredential"]
    assert only["type"] == "EnvelopedVerifiableCredential"
    verify_all(services, clr)
    # Only the revoked badge chosen: nothing can go in.
    result = run("export", "--holder", GRACE, "--format", "clr", "--credential", badges[0])
    assert result.exit_code == 1
    assert "[nothing_to_export]" in result.output


def test_tampered_clr_is_refused(services: Services, badges: list[str], run: Any) -> None:
    clr = json.loads(run("export", "--holder", GRACE, "--format", "clr").stdout)
    clr["credentialSubject"]["verifiableCredential"].pop()  # drop a badge, keep the proof
    with services.session() as session:
        report = services.verifier(session).report(clr, now=services.now())
    assert report.verified is False
    assert report.check("signature").status == "failed"  # type: ignore[union-attr]


@pytest.mark.parametrize("fmt", ["clr-png", "clr-svg"])
def test_cli_baked_clr_verifies_after_extraction(
    services: Services, badges: list[str], run: Any, tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / f"passport.{fmt.removeprefix('clr-')}"
    result = run("export", "--holder", GRACE, "--format", fmt, "-o", str(out))
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    if fmt == "clr-png":
        # One uncompressed iTXt: keyword, NUL, compression flag 0, method 0, empty tags.
        assert data.count(b"iTXtclrcredential\x00\x00\x00\x00\x00") == 1
        assert b"openbadgecredential" not in data
    else:
        assert b'xmlns:clr="https://purl.imsglobal.org/clr/v2p0"' in data or (
            b"https://purl.imsglobal.org/clr/v2p0" in data
        )
    extracted = extract_baked(data)
    assert extracted.kind == "clr2"
    verify_all(services, json.loads(extracted.content))
    with services.session() as session:  # the whole image, as a verifier receives it
        assert services.verifier(session).report(data, now=services.now()).verified


def key_files(tmp_path: Path, key: SigningKey) -> tuple[Path, Path]:
    """The learner's key as an unencrypted PKCS#8 PEM and as an OKP JWK (with ``x``)."""
    private: Any = key.private_key
    pem = tmp_path / "holder.pem"
    pem.write_bytes(private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    jwk = {
        "kty": "OKP",
        "crv": "Ed25519",
        "d": base64.urlsafe_b64encode(raw).decode().rstrip("="),
        "x": key.public.jwk["x"],
    }
    path = tmp_path / "holder.jwk"
    path.write_text(json.dumps(jwk))
    return pem, path


def test_cli_vp_unsigned_says_why(services: Services, badges: list[str], run: Any) -> None:
    result = run("export", "--holder", GRACE, "--format", "vp")
    assert result.exit_code == 0
    assert "UNSIGNED" in result.stderr and "never holds your private key" in result.stderr
    vp = json.loads(result.stdout)
    assert vp["type"] == ["VerifiablePresentation"]
    assert vp["@context"] == ["https://www.w3.org/ns/credentials/v2"]
    assert "proof" not in vp and "holder" not in vp
    assert len(vp["verifiableCredential"]) == 2
    key = generate_key("EdDSA")
    did = did_key_from_public_key(key.public)
    assert run("holders", "set-did", "--email", GRACE, "--did", did).exit_code == 0
    vp = json.loads(run("export", "--holder", GRACE, "--format", "vp").stdout)
    assert vp["holder"] == did and "proof" not in vp


@pytest.mark.parametrize("form", ["pem", "jwk"])
def test_cli_vp_signed_by_the_holder(
    services: Services, badges: list[str], run: Any, tmp_path: Path, form: str
) -> None:
    key = generate_key("EdDSA")
    did = did_key_from_public_key(key.public)
    pem, jwk = key_files(tmp_path, key)
    run("holders", "set-did", "--email", GRACE, "--did", did)
    result = run(
        "export", "--holder", GRACE, "--format", "vp", "--credential", badges[0],
        "--holder-key", str(pem if form == "pem" else jwk),
        "--challenge", "n-0S6_WzA2Mj", "--domain", "https://hiring.example",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "UNSIGNED" not in result.stderr
    vp = json.loads(result.stdout)
    assert vp["holder"] == did
    (proof,) = vp["proof"]
    assert proof["proofPurpose"] == "authentication"
    assert proof["cryptosuite"] == "eddsa-rdfc-2022"
    assert proof["verificationMethod"].startswith(did + "#")
    assert (proof["challenge"], proof["domain"]) == ("n-0S6_WzA2Mj", "https://hiring.example")
    with services.session() as session:
        record = session.get(IssuedCredential, badges[0])
        assert record is not None
        assert vp["verifiableCredential"] == [json.loads(record.content)]


def test_holder_did_registration(services: Services, badges: list[str], run: Any) -> None:
    did = did_key_from_public_key(generate_key("EdDSA").public)
    result = run("holders", "set-did", "--email", "GRACE@example.com", "--did", did)
    assert result.exit_code == 0 and did in result.stdout
    with services.session() as session:
        assert find_holder(session, GRACE).did == did
    assert run("holders", "set-did", "--email", GRACE, "--clear").exit_code == 0
    with services.session() as session:
        assert find_holder(session, GRACE).did is None
    assert run("holders", "set-did", "--email", GRACE).exit_code == 2  # neither --did nor --clear


P256_DID = did_key_from_public_key(generate_key("ES256").public)
ED_DID = did_key_from_public_key(generate_key("EdDSA").public)

BAD_DIDS = [
    ("not-a-did", "bad_did"),
    ("did:web:example.com", "bad_did"),
    ("did:key:z6MkNOTBASE58!!", "bad_did"),
    ("did:key:z6Mk", "bad_did"),
    (ED_DID + "#" + ED_DID.removeprefix("did:key:"), "bad_did"),  # a DID URL, not the DID
    (P256_DID, "bad_did"),  # not Ed25519
]


@pytest.mark.parametrize(("did", "code"), BAD_DIDS)
def test_malformed_dids_are_refused(
    services: Services, badges: list[str], run: Any, did: str, code: str
) -> None:
    result = run("holders", "set-did", "--email", GRACE, "--did", did)
    assert result.exit_code == 1
    assert f"[{code}]" in result.output and "Traceback" not in result.output


def test_bad_export_requests_are_clear_errors(
    services: Services, badges: list[str], run: Any, tmp_path: Path
) -> None:
    other = issue(services, "ci-cd-l2", email="ada@example.com")
    with services.session() as session:
        get_or_create_holder(session, "nobadges@example.com")
    mine = generate_key("EdDSA")
    pem, _ = key_files(tmp_path, mine)
    garbage = tmp_path / "garbage.key"
    garbage.write_text("hello")
    p256 = tmp_path / "p256.pem"
    p256.write_bytes(
        generate_key("ES256").private_key.private_bytes(  # type: ignore[union-attr]
            Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
        )
    )
    cases = [
        (["--holder", "nobody@example.com", "--format", "clr"], "unknown_holder"),
        (["--holder", "nobadges@example.com", "--format", "clr"], "no_badges"),
        (["--holder", "nobadges@example.com", "--format", "vp"], "no_badges"),
        (["--holder", GRACE, "--format", "clr", "--credential", NOPE], "unknown_credential"),
        (["--holder", GRACE, "--format", "vp", "--credential", other], "unknown_credential"),
        (["--holder", GRACE, "--format", "clr", "--credential", other], "unknown_credential"),
        (["--holder", GRACE, "--format", "vp", "--holder-key", str(pem)], "no_holder_did"),
        (["--holder", GRACE, "--format", "vp", "--holder-key", str(garbage)], "bad_holder_key"),
        (["--holder", GRACE, "--format", "vp", "--holder-key", str(p256)], "bad_holder_key"),
        (["--holder", GRACE, "--format", "vp", "--challenge", "x"], "challenge_needs_key"),
    ]  # fmt: skip
    for args, code in cases:
        result = run("export", *args)
        assert result.exit_code == 1, (args, result.output)
        assert f"[{code}]" in result.output, (args, result.output)
        assert "Traceback" not in result.output
    # A key whose did:key is not the registered one.
    run("holders", "set-did", "--email", GRACE, "--did", ED_DID)
    result = run("export", "--holder", GRACE, "--format", "vp", "--holder-key", str(pem))
    assert result.exit_code == 1 and "[holder_key_mismatch]" in result.output
    # Usage mistakes are exit code 2.
    assert run("export", "--holder", GRACE, "--format", "clr-png").exit_code == 2
    assert run("export", "--holder", GRACE, "--format", "clr", "--challenge", "x").exit_code == 2


def test_empty_subsets_are_refused(services: Services, badges: list[str]) -> None:
    with services.session() as session:
        holder = find_holder(session, GRACE)
        for call in (
            lambda: select_credentials(session, holder, []),
            lambda: export_clr(services, session, holder, []),
            lambda: export_vp(session, holder, []),
        ):
            with pytest.raises(PassportError) as caught:
                call()
            assert caught.value.code == "empty_selection"


def test_read_holder_key_refuses_a_jwk_whose_parts_disagree(tmp_path: Path) -> None:
    _, jwk = key_files(tmp_path, generate_key("EdDSA"))
    data = json.loads(jwk.read_text())
    data["x"] = generate_key("EdDSA").public.jwk["x"]
    with pytest.raises(PassportError) as caught:
        read_holder_key(json.dumps(data).encode())
    assert caught.value.code == "bad_holder_key"


def test_registered_did_is_used_only_with_its_key(services: Services, badges: list[str]) -> None:
    key = generate_key("EdDSA")
    with services.session() as session:
        set_holder_did(
            session, GRACE, did_key_from_public_key(key.public), actor="t", now=services.now()
        )
    with services.session() as session:
        holder = find_holder(session, GRACE)
        records = select_credentials(session, holder)
        vp = json.loads(export_vp(session, holder, records, holder_key=key))
    assert vp["proof"][0]["verificationMethod"].split("#")[0] == vp["holder"]


def test_a_clr_handed_to_the_verify_api_and_page(
    services: Services, badges: list[str], client: FlaskClient
) -> None:
    with services.session() as session:
        holder = find_holder(session, GRACE)
        clr = export_clr(services, session, holder, select_credentials(session, holder))
    report = client.post("/api/v1/verify", data=clr, content_type="application/json").get_json()
    assert report["verified"] is True
    assert report["kind"] == "clr"
    outer = report["container"]["credential"]
    assert outer["verified"] is True
    assert outer["credential"]["type"] == ["VerifiableCredential", "ClrCredential"]
    page = client.get("/verify").data.decode()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    response = client.post("/verify", data={"credential": clr.decode(), "csrf_token": csrf})
    assert response.status_code == 200
    body = response.data.decode()
    assert "Verified" in body
    assert "<h2>Skill passport from " in body  # the CLR's name, not an empty title


def _signed_vp(services: Services, challenge: str, domain: str) -> bytes:
    key = generate_key("EdDSA")
    with services.session() as session:
        set_holder_did(
            session, GRACE, did_key_from_public_key(key.public), actor="t", now=services.now()
        )
    with services.session() as session:
        holder = find_holder(session, GRACE)
        records = select_credentials(session, holder)
        return export_vp(
            session, holder, records, holder_key=key, challenge=challenge, domain=domain
        )


def test_the_verify_api_checks_the_presentations_challenge_and_domain(
    services: Services, badges: list[str], client: FlaskClient
) -> None:
    """A presentation replayed from another request is caught (issue #15, item 5)."""
    vp = _signed_vp(services, "c-1", "https://hiring.example")

    def verify(query: str) -> dict[str, Any]:
        response = client.post(f"/api/v1/verify{query}", data=vp, content_type="application/json")
        assert response.status_code == 200
        body: dict[str, Any] = response.get_json()
        return body

    def signature(body: dict[str, Any]) -> tuple[str, str]:
        check = next(c for c in body["container"]["checks"] if c["id"] == "signature")
        return check["status"], check["code"]

    ours = verify("?challenge=c-1&domain=https://hiring.example")
    assert ours["verified"] is True and signature(ours) == ("passed", "presentation_signed")
    replayed = verify("?challenge=c-2")
    assert replayed["verified"] is False
    assert signature(replayed) == ("failed", "challenge_mismatch")
    elsewhere = verify("?challenge=c-1&domain=https://other.example")
    assert signature(elsewhere) == ("failed", "domain_mismatch")


def test_passport_verify_checks_the_presentations_challenge(
    services: Services, badges: list[str], run: Any, tmp_path: Path
) -> None:
    path = tmp_path / "vp.json"
    path.write_bytes(_signed_vp(services, "c-1", "https://hiring.example"))
    assert run("verify", str(path), "--challenge", "c-1").exit_code == 0
    replayed = run("verify", str(path), "--challenge", "c-2")
    assert replayed.exit_code == 1 and "[challenge_mismatch]" in replayed.output
