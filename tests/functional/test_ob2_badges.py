"""Open Badges 2.0 end to end: POST /api/v1/verify and `passport verify FILE` on OB 2.0 badges
published by an issuer on a loopback server (fresh RSA key each run)."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from keys import generate_key
from tests.ob2badges import EMAIL, Ob2Issuer, png_with, serving, svg_with
from verifier import CHECK_IDS

PASSPORT = str(Path(sys.executable).parent / "passport")


@pytest.fixture
def issuer() -> Iterator[Ob2Issuer]:
    with serving() as server:
        yield Ob2Issuer(server, generate_key("RS256", rsa_bits=2048))


def test_api_verifies_a_hosted_ob2_assertion(client: FlaskClient, issuer: Ob2Issuer) -> None:
    hosted = issuer.host()
    response = client.post(
        f"/api/v1/verify?recipient={EMAIL}",
        data=json.dumps(hosted),
        content_type="application/json",
    )
    assert response.status_code == 200, response.data
    body = response.get_json()
    assert body["verified"] is True
    assert body["format"] == "ob2-hosted"
    # The same ids, in the same order, as an OB 3.0 report (recipient asked: all of them).
    assert [c["id"] for c in body["checks"]] == list(CHECK_IDS)
    signature = next(c for c in body["checks"] if c["id"] == "signature")
    assert signature["code"] == "hosted_verified" and "Hosted verification" in signature["message"]
    assert body["credential"]["name"] == "Awesome Robotics Badge"
    assert body["credential"]["issuer"]["name"] == "An Example Badge Issuer"


def test_api_refuses_an_altered_baked_ob2_badge(client: FlaskClient, issuer: Ob2Issuer) -> None:
    hosted = issuer.host()
    altered = {**hosted, "issuedOn": "2026-01-01T00:00:00Z"}
    response = client.post(
        "/api/v1/verify",
        data={"file": (io.BytesIO(png_with(json.dumps(altered))), "badge.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.data
    body = response.get_json()
    assert body["verified"] is False
    signature = next(c for c in body["checks"] if c["id"] == "signature")
    assert (signature["status"], signature["code"]) == ("failed", "hosted_mismatch")


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PASSPORT_ENV": "development",  # loopback http allowed, as for `passport serve`
        "PASSPORT_INSTANCE_PATH": str(tmp_path / "none"),
    }
    env.pop("PASSPORT_DATABASE_URL", None)
    return subprocess.run([PASSPORT, *args], env=env, capture_output=True, text=True, timeout=120)


def test_cli_verifies_a_baked_signed_ob2_svg(tmp_path: Path, issuer: Ob2Issuer) -> None:
    badge = tmp_path / "badge.svg"
    badge.write_bytes(svg_with(issuer.signed()))
    result = _run(tmp_path, "verify", "--json", "--recipient", EMAIL, str(badge))
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["verified"] is True and report["format"] == "ob2-signed"
    recipient = next(c for c in report["checks"] if c["id"] == "recipient")
    assert recipient["code"] == "recipient_match"
    human = _run(tmp_path, "verify", str(badge))
    assert "VERIFIED — Awesome Robotics Badge" in human.stdout


def test_cli_says_revoked_for_a_revoked_signed_ob2_badge(tmp_path: Path, issuer: Ob2Issuer) -> None:
    issuer.revoked.append("urn:uuid:a953081a-4bbd-4927-9653-7219bca00e3b")
    issuer.publish()
    badge = tmp_path / "badge.jwt"
    badge.write_text(issuer.signed())
    result = _run(tmp_path, "verify", "--json", str(badge))
    assert result.returncode == 1
    status = next(c for c in json.loads(result.stdout)["checks"] if c["id"] == "status")
    assert (status["status"], status["code"]) == ("failed", "revoked")


def test_verify_page_shows_an_ob2_badge(client: FlaskClient, issuer: Ob2Issuer) -> None:
    page = client.get("/verify").data.decode()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    hosted = json.dumps(issuer.host())
    response = client.post("/verify", data={"credential": hosted, "csrf_token": csrf})
    assert response.status_code == 200
    html = response.data.decode()
    assert "Verified" in html and "Awesome Robotics Badge" in html
    assert "An Example Badge Issuer" in html and "PR-CIR-001" in html  # issuer, alignment
    assert "Hosted verification" in html
