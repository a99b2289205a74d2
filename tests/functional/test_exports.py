"""Exports: baked PNG/SVG badges that verify after extraction, QR codes that decode, JSON."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from PIL import Image

from passport.credentials.issuing import IssueRequest, issue_credential
from passport.credentials.models import IssuedCredential
from passport.credentials.status import change_status
from passport.services import Services
from verifier.baked import extract_baked

zxingcpp = pytest.importorskip(
    "zxingcpp", reason="zxing-cpp (a real QR decoder) is a dev dependency"
)


def issue(services: Services, fmt: str = "di", achievement: str = "ci-cd-l2") -> IssuedCredential:
    with services.session() as session:
        return issue_credential(
            session,
            services,
            IssueRequest(achievement, "grace@example.com", fmt),
            now=services.now(),
        )


@pytest.mark.parametrize(
    ("fmt", "kind"), [("di", "png"), ("di", "svg"), ("jwt", "png"), ("jwt", "svg")]
)
def test_baked_badge_verifies_after_extraction(
    client: FlaskClient, services: Services, fmt: str, kind: str
) -> None:
    record = issue(services, fmt)
    response = client.get(f"/credentials/{record.id}/badge.{kind}")
    assert response.status_code == 200
    assert response.mimetype == ("image/png" if kind == "png" else "image/svg+xml")
    extracted = extract_baked(response.data)
    assert extracted.content == record.content.decode().strip()  # exactly as issued
    report = client.post(
        "/api/v1/verify",
        data={"file": (io.BytesIO(response.data), f"badge.{kind}")},
        content_type="multipart/form-data",
    ).get_json()
    assert report["verified"] is True
    assert report["checks"][0]["message"].startswith(f"Read a baked {kind.upper()} badge")
    if kind == "png":
        assert Image.open(io.BytesIO(response.data)).size == (600, 600)


def test_revoked_badge_still_exports_marked(client: FlaskClient, services: Services) -> None:
    record = issue(services)
    with services.session() as session:
        change_status(
            session, services, record.id, "revoke", reason="annulled", actor="t", now=services.now()
        )
    svg = client.get(f"/credentials/{record.id}/badge.svg").data.decode()
    assert "REVOKED" in svg
    report = client.post(
        "/api/v1/verify",
        data={"file": (io.BytesIO(svg.encode()), "badge.svg")},
        content_type="multipart/form-data",
    ).get_json()
    assert report["verified"] is False
    assert next(c for c in report["checks"] if c["id"] == "status")["code"] == "revoked"


def test_qr_code_decodes_to_the_verification_page(client: FlaskClient, services: Services) -> None:
    record = issue(services)
    png = client.get(f"/credentials/{record.id}/qr.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.data)))
    assert [r.text for r in results] == [f"{services.settings.public_url}/credentials/{record.id}"]
    svg = client.get(f"/credentials/{record.id}/qr.svg")
    assert svg.mimetype == "image/svg+xml"
    assert b"<script" not in svg.data and b"<path" in svg.data


def test_unknown_credential_images_are_404(client: FlaskClient) -> None:
    assert client.get("/credentials/urn:uuid:nope/badge.png").status_code == 404
    assert client.get("/credentials/urn:uuid:nope/qr.svg").status_code == 404


def test_cli_exports_json_as_issued_and_baked_images(services: Services, tmp_path: Path) -> None:
    di, jwt = issue(services, "di"), issue(services, "jwt", "observability-l2")
    settings = services.settings
    env = {
        **os.environ,
        "PASSPORT_ENV": "test",
        "PASSPORT_INSTANCE_PATH": str(settings.instance_path),
        "PASSPORT_DATABASE_URL": settings.database_url,
        "PASSPORT_PUBLIC_URL": settings.public_url,
    }
    passport = str(Path(sys.executable).parent / "passport")
    out = subprocess.run(
        [passport, "export", "--holder", "Grace@example.com"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    exported = json.loads(out.stdout)
    assert exported["count"] == 2
    assert exported["credentials"][0] == json.loads(di.content)
    assert exported["credentials"][1] == jwt.content.decode()
    folder = tmp_path / "png"
    subprocess.run(
        [passport, "export", "--holder", "grace@example.com", "--format", "png", "-o", str(folder)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    images = sorted(folder.glob("*.png"))
    assert len(images) == 2
    assert {extract_baked(p.read_bytes()).content for p in images} == {
        di.content.decode().strip(),
        jwt.content.decode().strip(),
    }
    missing = subprocess.run(
        [passport, "export", "--holder", "nobody@example.com"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert missing.returncode == 1 and "No learner" in missing.stderr


def test_a_pasted_baked_svg_verifies(client: FlaskClient, services: Services) -> None:
    record = issue(services)
    svg = client.get(f"/credentials/{record.id}/badge.svg").data.decode()
    with services.session() as session:
        verifier = services.verifier(session)
    assert verifier.report(svg, now=services.now()).verified
