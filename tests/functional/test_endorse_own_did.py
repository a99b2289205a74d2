"""A mentor's own did:key end to end: registering it on the mentor page and with
`passport mentors set-did`, and submitting an endorsement they signed on the endorse page, to
the API and with `passport endorse --signed` (issue #21, item 6)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from issuer import build_endorsement, sign_data_integrity
from keys import SigningKey, did_key_from_public_key, generate_key
from passport.credentials.models import IssuedCredential
from passport.mentoring import endorsements
from passport.services import Services
from tests.functional.signing_in import HTML, csrf, log_in, make_user
from tests.functional.test_endorse import LEARNER, MENTOR, bearer, issue, people, run

__all__ = ["people", "run"]  # fixtures shared with test_endorse.py


def did_of(key: SigningKey) -> str:
    return did_key_from_public_key(key.public)


def wallet_signs(
    services: Services, key: SigningKey, badge: str, comment: str = "Kept the channel calm."
) -> dict[str, Any]:
    """What the mentor's wallet does with a key the service never sees."""
    did = did_of(key)
    now = services.now() - timedelta(minutes=1)
    document = build_endorsement(
        endorsement_id=f"urn:uuid:{did[-8:]}-{badge[-12:]}-{len(comment)}",
        endorser={"id": did, "type": ["Profile"], "name": "Mo Mentor"},
        subject_id=badge,
        name="Endorsement of Incident response by Mo Mentor",
        comment=comment,
        valid_from=now,
    )
    return sign_data_integrity(
        document,
        key,
        verification_method=f"{did}#{did.removeprefix('did:key:')}",
        created=now,
        canonicalizer=services.canonicalizer,
    )


def register(services: Services, key: SigningKey, email: str = MENTOR) -> None:
    with services.session() as db:
        user = endorsements.endorser_named(db, email)
        endorsements.set_mentor_did(
            db, services, user, did_of(key), actor="test", now=services.now()
        )


def test_the_api_takes_a_signed_endorsement_and_refuses_clearly(
    client: FlaskClient, services: Services, people: None
) -> None:
    key = generate_key("EdDSA")
    badge = issue(services)
    headers = bearer(services, "credentials:endorse")
    url = f"/api/v1/credentials/{badge}/endorsements"
    # Not registered yet: no mentor has that did:key.
    refused = client.post(url, json=wallet_signs(services, key, badge), headers=headers)
    assert refused.status_code == 400
    assert refused.get_json()["error"]["code"] == "endorser_mismatch"
    register(services, key)
    tampered = wallet_signs(services, key, badge)
    tampered["credentialSubject"]["endorsementComment"] = "Changed afterwards."
    refused = client.post(url, json=tampered, headers=headers)
    assert (refused.status_code, refused.get_json()["error"]["code"]) == (
        400,
        "endorsement_not_verified",
    )
    signed = wallet_signs(services, key, badge)
    response = client.post(
        url, data=json.dumps(signed), content_type="application/json", headers=headers
    )
    assert response.status_code == 201, response.data
    body = response.get_json()
    assert body["endorser"]["id"] == did_of(key)
    assert body["endorsement"] == signed
    served = client.get(f"/credentials/{badge}", headers={"Accept": "application/vc+ld+json"})
    report = client.post("/api/v1/verify", json=json.loads(served.data)).get_json()
    assert report["verified"] is True
    check = next(c for c in report["checks"] if c["id"] == "endorsements")
    assert (check["status"], check["code"]) == ("passed", "endorsements_verified")


def test_the_cli_registers_the_did_and_submits_a_signed_file(
    services: Services, people: None, run: Any, tmp_path: Path
) -> None:
    key = generate_key("EdDSA")
    badge = issue(services)
    result = run("mentors", "set-did", "--email", MENTOR, "--did", did_of(key))
    assert result.exit_code == 0, result.output
    assert did_of(key) in result.stdout
    bad = run("mentors", "set-did", "--email", MENTOR, "--did", "did:key:nonsense")
    assert bad.exit_code != 0 and "bad_did" in bad.output
    signed_file = tmp_path / "endorsement.json"
    other = generate_key("EdDSA")
    signed_file.write_text(json.dumps(wallet_signs(services, other, badge)))
    refused = run(
        "endorse", "--credential", badge, "--mentor", MENTOR, "--signed", str(signed_file)
    )
    assert refused.exit_code == 2 and "endorser_mismatch" in refused.stderr
    signed_file.write_text(json.dumps(wallet_signs(services, key, badge)))
    services.invalidate_keys()  # another process registered the did:key (else: within 1 s)
    done = run("endorse", "--credential", badge, "--mentor", MENTOR, "--signed", str(signed_file))
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["issuer"]["id"] == did_of(key)
    with services.session() as db:
        record = db.get(IssuedCredential, badge)
        assert record is not None
        assert json.loads(record.content)["endorsement"][0]["issuer"]["id"] == did_of(key)
    cleared = run("mentors", "set-did", "--email", MENTOR, "--clear")
    assert cleared.exit_code == 0 and "no endorser did:key" in cleared.stdout
    both = run("endorse", "--credential", badge, "--mentor", MENTOR)
    assert both.exit_code == 2  # neither --comment nor --signed: a usage error


def test_a_mentor_registers_the_did_and_pastes_a_signed_endorsement(
    app: Any, services: Services, people: None
) -> None:
    key = generate_key("EdDSA")
    badge = issue(services)
    mentor = app.test_client()
    token = log_in(mentor, MENTOR, "/mentor/load")
    page = mentor.get("/mentor/load", headers=HTML).data.decode()
    assert 'id="own-did"' in page and "No did:key registered." in page
    endorse_page = mentor.get(f"/admin/badges/{badge}/endorse", headers=HTML).data.decode()
    assert "register your own did:key on your mentor page" in endorse_page
    user_id = _user_id(services, MENTOR)
    bad = mentor.post(f"/mentors/{user_id}/did", data={"csrf_token": token, "did": "did:key:x"})
    assert bad.status_code == 302
    assert (
        "not a well-formed Ed25519 did:key"
        in mentor.get("/mentor/load", headers=HTML).data.decode()
    )
    saved = mentor.post(
        f"/mentors/{user_id}/did", data={"csrf_token": token, "did": did_of(key), "action": "set"}
    )
    assert saved.status_code == 302
    assert did_of(key) in mentor.get("/mentor/load", headers=HTML).data.decode()
    # Another mentor cannot change it.
    make_user(services, "max@example.com", "Max Mentor", "mentor")
    other = app.test_client()
    other_token = log_in(other, "max@example.com", "/mentor/load")
    forbidden = other.post(
        f"/mentors/{user_id}/did", data={"csrf_token": other_token, "action": "clear"}
    )
    assert forbidden.status_code == 403
    # Submit on the endorse page: a wrong subject is refused, the right one embedded.
    token = csrf(mentor, f"/admin/badges/{badge}/endorse")
    wrong = json.dumps(wallet_signs(services, key, issue(services)))
    refused = mentor.post(
        f"/admin/badges/{badge}/endorse/signed", data={"csrf_token": token, "signed": wrong}
    )
    assert refused.status_code == 400
    assert "not about this badge" in refused.data.decode()
    signed = json.dumps(wallet_signs(services, key, badge, "Signed in my own wallet."))
    done = mentor.post(
        f"/admin/badges/{badge}/endorse/signed", data={"csrf_token": token, "signed": signed}
    )
    assert done.status_code == 302
    public = mentor.get(f"/credentials/{badge}", headers=HTML).data.decode()
    assert "Signed in my own wallet." in public
    assert "endorsement verified" in public
    # A learner has no such form.
    learner = app.test_client()
    learner_token = log_in(learner, LEARNER, "/passport")
    assert (
        learner.post(
            f"/mentors/{user_id}/did", data={"csrf_token": learner_token, "action": "clear"}
        ).status_code
        == 403
    )


def _user_id(services: Services, email: str) -> int:
    with services.session() as db:
        return endorsements.endorser_named(db, email).id


@pytest.mark.slow
def test_the_demo_mentor_has_a_did_key_so_the_form_is_shown(tmp_path: Path) -> None:
    from passport.instance.demo import DEMO_MENTOR_DID, DOMAIN, load_demo
    from passport.web.context import get_services
    from tests.conftest import fresh_app, settings_for

    demo = get_services(fresh_app(settings_for(tmp_path)))
    try:
        load_demo(demo)
        with demo.session() as db:
            mo = endorsements.endorser_named(db, f"mo.mentor@{DOMAIN}")
            assert endorsements.mentor_own_did(db, mo) == DEMO_MENTOR_DID
            assert DEMO_MENTOR_DID in demo.verifier(db).known_endorsers
    finally:
        demo.engine.dispose()


def test_an_admin_registers_a_mentors_did_on_the_mentor_page(
    app: Any, services: Services, people: None
) -> None:
    key = generate_key("EdDSA")
    make_user(services, "ada@example.com", "Ada Admin", "admin")
    admin = app.test_client()
    token = log_in(admin, "ada@example.com", "/admin/")
    user_id = _user_id(services, MENTOR)
    assert "No did:key registered." in admin.get(f"/mentors/{user_id}", headers=HTML).data.decode()
    saved = admin.post(
        f"/mentors/{user_id}/did", data={"csrf_token": token, "did": did_of(key), "action": "set"}
    )
    assert saved.status_code == 302 and saved.location.endswith(f"/mentors/{user_id}#own-did")
    assert did_of(key) in admin.get(f"/mentors/{user_id}", headers=HTML).data.decode()
    cleared = admin.post(f"/mentors/{user_id}/did", data={"csrf_token": token, "action": "clear"})
    assert cleared.status_code == 302
    with services.session() as db:
        from passport.audit import AuditEvent

        audit = db.scalars(
            select(AuditEvent).where(AuditEvent.action.like("mentor.did.%")).order_by(AuditEvent.id)
        ).all()
        assert [(a.action, a.actor) for a in audit] == [
            ("mentor.did.set", "ada@example.com"),
            ("mentor.did.clear", "ada@example.com"),
        ]
        mo = endorsements.endorser_named(db, MENTOR)
        assert endorsements.mentor_own_did(db, mo) is None
