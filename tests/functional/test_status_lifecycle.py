"""Revocation, suspension, expiry and key rotation that never strand a valid badge (issue #5)."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from passport.credentials.issuing import IssueRequest, issue_credential
from passport.credentials.keyring import mark_compromised, rotate_keys
from passport.credentials.models import IssuedCredential, SigningKeyRecord, StatusEntry
from passport.credentials.status import change_status
from passport.errors import InvalidRequest
from passport.services import Services


def issue(  # type: ignore[no-untyped-def]
    services: Services, *, fmt: str = "di", now=None, suspendable: bool = False
) -> IssuedCredential:
    with services.session() as session:
        return issue_credential(
            session,
            services,
            IssueRequest("incident-response-l2", "ada@example.com", fmt, suspendable=suspendable),
            now=now or services.now(),
        )


def signed_document(record: IssuedCredential) -> dict:  # type: ignore[type-arg]
    """The credential as signed: the JSON, or a VC-JWT's payload."""
    if record.proof_format == "vc-jwt":
        import jwt as pyjwt

        return pyjwt.decode(record.content, options={"verify_signature": False})  # type: ignore[no-any-return]
    return json.loads(record.content)  # type: ignore[no-any-return]


def report(services: Services, record: IssuedCredential, now=None):  # type: ignore[no-untyped-def]
    with services.session() as session:
        verifier = services.verifier(session)
    return verifier.report(record.content, now=now or services.now())


def status_of(rep) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    check = rep.check("status")
    return check.status, check.code


def act(
    services: Services, record: IssuedCredential, action: str, reason: str = "audit finding"
) -> None:
    with services.session() as session:
        change_status(
            session, services, record.id, action, reason=reason, actor="test", now=services.now()
        )


def test_issue_revoke_verify_fails(services: Services) -> None:
    record = issue(services)
    assert status_of(report(services, record)) == ("passed", "not_revoked")
    act(services, record, "revoke")
    rep = report(services, record)
    assert status_of(rep) == ("failed", "revoked")
    assert rep.verified is False
    assert rep.credential is not None  # still shown, clearly marked


def test_one_status_object_by_default_and_revocation_works(services: Services) -> None:
    """OB 3.0 credentialStatus [0..1]: one revocation entry, an object, not a list."""
    for fmt in ("di", "jwt"):
        record = issue(services, fmt=fmt)
        status = signed_document(record)["credentialStatus"]
        assert isinstance(status, dict) and status["statusPurpose"] == "revocation"
        assert status["type"] == "BitstringStatusListEntry"
        act(services, record, "revoke")
        assert status_of(report(services, record)) == ("failed", "revoked")


@pytest.mark.parametrize("action", ["suspend", "reinstate"])
def test_a_badge_without_a_suspension_entry_cannot_be_suspended(
    services: Services, action: str
) -> None:
    record = issue(services)
    with pytest.raises(InvalidRequest) as caught:
        act(services, record, action)
    assert caught.value.code == "not_suspendable"
    assert "issued without a suspension status entry" in caught.value.message
    with services.session() as session:  # nothing was changed or recorded
        stored = session.get(IssuedCredential, record.id)
        assert stored is not None and stored.suspended_at is None
    assert report(services, record).verified


def test_suspendable_badge_has_two_entries_and_both_work(services: Services) -> None:
    """The opt-in second entry, and badges issued with two entries before the default
    changed: revocation and suspension both still work on them."""
    record = issue(services, suspendable=True)
    status = json.loads(record.content)["credentialStatus"]
    assert [e["statusPurpose"] for e in status] == ["revocation", "suspension"]
    act(services, record, "suspend")
    assert status_of(report(services, record)) == ("failed", "suspended")
    act(services, record, "revoke")
    assert status_of(report(services, record)) == ("failed", "revoked")


def test_every_badge_suspendable_when_configured(services: Services) -> None:
    """PASSPORT_STATUS_PURPOSES=revocation,suspension: the deployment-wide opt-in."""
    from passport.web import create_app
    from passport.web.context import get_services

    configured = get_services(
        create_app(services.settings.with_overrides(status_purposes=("revocation", "suspension")))
    )
    try:
        record = issue(configured)
        status = json.loads(record.content)["credentialStatus"]
        assert [e["statusPurpose"] for e in status] == ["revocation", "suspension"]
        act(configured, record, "suspend")
        assert status_of(report(configured, record)) == ("failed", "suspended")
    finally:
        configured.engine.dispose()


def test_suspend_then_reinstate_verifies_again(services: Services) -> None:
    record = issue(services, fmt="jwt", suspendable=True)
    act(services, record, "suspend")
    assert status_of(report(services, record)) == ("failed", "suspended")
    act(services, record, "reinstate", "cleared by the program lead")
    rep = report(services, record)
    assert status_of(rep) == ("passed", "not_revoked")
    assert rep.verified


def test_revocation_is_permanent_and_needs_a_reason(services: Services) -> None:
    record = issue(services)
    with pytest.raises(InvalidRequest):
        act(services, record, "revoke", reason=" ")
    act(services, record, "revoke")
    with pytest.raises(InvalidRequest) as caught:
        act(services, record, "reinstate")
    assert caught.value.code == "revoked"


def test_status_list_is_served_signed_with_etag(client: FlaskClient, services: Services) -> None:
    record = issue(services)
    entry = json.loads(record.content)["credentialStatus"]
    path = entry["statusListCredential"].removeprefix(services.settings.public_url)
    first = client.get(path)
    assert first.status_code == 200 and first.mimetype == "application/vc+ld+json"
    assert first.headers["Cache-Control"] == "public, max-age=300"
    listing = json.loads(first.data)
    assert listing["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert listing["credentialSubject"]["statusPurpose"] == "revocation"
    again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    act(services, record, "revoke")
    changed = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and changed.headers["ETag"] != first.headers["ETag"]


def test_api_revoke_needs_a_token_and_a_reason(
    client: FlaskClient, services: Services, api_token: str
) -> None:
    record = issue(services)
    url = f"/api/v1/credentials/{record.id}/revoke"
    assert client.post(url, json={"reason": "x"}).status_code == 401
    headers = {"Authorization": f"Bearer {api_token}"}
    no_reason = client.post(url, json={}, headers=headers)
    assert no_reason.status_code == 400
    done = client.post(url, json={"reason": "left the program"}, headers=headers)
    assert done.get_json() == {"id": record.id, "action": "revoke", "changed": True}


def test_rotation_keeps_old_badges_valid(services: Services) -> None:
    before = issue(services)
    with services.session() as session:
        rotated = list(rotate_keys(session, services, alg=None, now=services.now()))
    assert len(rotated) == 3  # ES256, EdDSA, RS256
    after = issue(services)
    assert report(services, before).verified
    assert report(services, after).verified
    with services.session() as session:
        documents = services.issuer_documents(session)
    vm_ids = {vm["id"].split("#")[1] for vm in documents[0].did_document["verificationMethod"]}
    assert {old for old, _ in rotated} <= vm_ids
    assert {new for _, new in rotated} <= vm_ids
    assert before.kid != after.kid


def test_compromised_key_fails_what_it_signed_after_and_warns_before(services: Services) -> None:
    t0 = services.now() - timedelta(days=10)
    early = issue(services, now=t0)
    late = issue(services, now=t0 + timedelta(days=5))
    with services.session() as session:
        kid = session.scalars(
            select(SigningKeyRecord.kid).where(
                SigningKeyRecord.alg == "EdDSA", SigningKeyRecord.status == "active"
            )
        ).one()
        mark_compromised(session, services, kid, at=t0 + timedelta(days=2), now=services.now())
    early_report = report(services, early)
    assert early_report.verified
    assert any("reported this key compromised" in note for note in early_report.notes)
    late_report = report(services, late)
    assert late_report.check("signature").code == "key_compromised"  # type: ignore[union-attr]
    assert late_report.verified is False
    assert report(services, issue(services)).verified  # the successor key signs new badges


def test_expired_badge_stays_visible_and_marked(services: Services) -> None:
    record = issue(services)
    rep = report(services, record, now=services.now() + timedelta(days=800))
    assert rep.check("validity_window").code == "expired"  # type: ignore[union-attr]
    assert rep.credential is not None


def test_foreign_status_host_down_is_could_not_check(client: FlaskClient) -> None:
    from issuer import CredentialDraft, build_credential, sign_data_integrity, status_entry
    from keys import did_key_from_public_key, generate_key
    from verifier.canonical import Canonicalizer

    key = generate_key("EdDSA")
    did = did_key_from_public_key(key.public)
    draft = CredentialDraft(
        issuer={"id": did, "type": ["Profile"], "name": "Elsewhere"},
        achievement={
            "id": "https://elsewhere.example/a",
            "type": ["Achievement"],
            "name": "A",
            "description": "A.",
            "criteria": {"narrative": "A."},
        },
        recipient_email="x@example.com",
        valid_from=__import__("datetime").datetime.now(__import__("datetime").UTC),
        credential_status=[status_entry("http://127.0.0.1:9/status/1", 7, "revocation")],
    )
    signed = sign_data_integrity(
        build_credential(draft),
        key,
        verification_method=f"{did}#{did.removeprefix('did:key:')}",
        created=draft.valid_from,
        canonicalizer=Canonicalizer(),
    )
    report_json = client.post("/api/v1/verify", json=signed).get_json()
    status = next(c for c in report_json["checks"] if c["id"] == "status")
    assert status["status"] == "could_not_check"
    assert report_json["checks"][2]["status"] == "passed"


@pytest.mark.slow
def test_concurrent_issuance_gets_distinct_indexes(services: Services) -> None:
    threads, per_thread = 32, 157  # 5,024 credentials
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(per_thread):
                issue(services, fmt="jwt", suspendable=True)
        except BaseException as exc:  # noqa: BLE001 - reported below, the test must see it
            errors.append(exc)

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    assert errors == []
    with services.session() as session:
        stored = session.scalar(select(func.count()).select_from(IssuedCredential))
        per_purpose = session.execute(
            select(
                StatusEntry.purpose, func.count(), func.count(func.distinct(StatusEntry.index))
            ).group_by(StatusEntry.purpose)
        ).all()
    total = threads * per_thread
    assert stored == total
    assert sorted(per_purpose) == [("revocation", total, total), ("suspension", total, total)]


def test_a_list_created_meanwhile_is_joined_not_doubled(services: Services) -> None:
    """Another transaction commits the first suspension list right after ours looked for one.

    Found by the concurrency test above in CI (stop 24): the next list number was counted in a
    second query, which saw the other list and named a second one, so concurrent issuers
    scattered over two lists. Both transactions must end up in the one list.
    """
    from sqlalchemy import event

    from passport.credentials.models import Issuer, StatusList
    from passport.credentials.status import _current_list

    with services.session() as session:
        issuer = session.scalars(select(Issuer)).first()
        assert issuer is not None
        issuer_id = issuer.id
    injected: list[str] = []

    def after_execute(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if injected or "FROM status_lists" not in statement:
            return
        injected.append("other")
        with services.session() as other:
            other_issuer = other.get(Issuer, issuer_id)
            assert other_issuer is not None
            injected.append(_current_list(other, services, other_issuer, "suspension").id)

    event.listen(services.engine, "after_cursor_execute", after_execute)
    try:
        with services.session() as session:
            mine = session.get(Issuer, issuer_id)
            assert mine is not None
            joined = _current_list(session, services, mine, "suspension").id
    finally:
        event.remove(services.engine, "after_cursor_execute", after_execute)
    assert injected == ["other", f"{issuer_id}-suspension-1"]
    assert joined == f"{issuer_id}-suspension-1"
    with services.session() as session:
        lists = session.scalars(
            select(StatusList.id).where(StatusList.purpose == "suspension")
        ).all()
    assert lists == [f"{issuer_id}-suspension-1"]


ISSUE_SCRIPT = """
import sys, threading
from passport.settings import Settings
from passport.web import create_app
from passport.credentials.issuing import IssueRequest, issue_credential
from passport.web.context import get_services
services = get_services(create_app(Settings.from_env()))
def work(n):
    for _ in range(n):
        with services.session() as session:
            issue_credential(session, services,
                IssueRequest("observability-l2", "proc@example.com", "jwt", suspendable=True),
                now=services.now())
threads = [threading.Thread(target=work, args=(int(sys.argv[1]),)) for _ in range(4)]
[t.start() for t in threads]
[t.join() for t in threads]
"""


@pytest.mark.slow
def test_concurrent_processes_get_distinct_indexes(services: Services) -> None:
    import os
    import subprocess
    import sys

    settings = services.settings
    env = {
        **os.environ,
        "PASSPORT_ENV": "test",
        "PASSPORT_INSTANCE_PATH": str(settings.instance_path),
        "PASSPORT_DATABASE_URL": settings.database_url,
        "PASSPORT_PUBLIC_URL": settings.public_url,
        "PASSPORT_SECRET_KEY": settings.secret_key,
        "PASSPORT_KEY_PASSPHRASE": settings.key_passphrase,
    }
    processes, per_thread = 4, 50  # 4 processes x 4 threads x 50 = 800 credentials
    running = [
        subprocess.Popen(
            [sys.executable, "-c", ISSUE_SCRIPT, str(per_thread)],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    for proc in running:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err[-2000:]
    total = processes * 4 * per_thread
    with services.session() as session:
        stored = session.scalar(select(func.count()).select_from(IssuedCredential))
        distinct = session.execute(
            select(
                StatusEntry.purpose, func.count(), func.count(func.distinct(StatusEntry.index))
            ).group_by(StatusEntry.purpose)
        ).all()
    assert stored == total
    assert sorted(distinct) == [("revocation", total, total), ("suspension", total, total)]


def test_an_index_taken_while_signing_is_drawn_again(services: Services) -> None:
    """Issuing draws status indexes, signs, then stores: a collision in between stores nothing
    and the caller draws again (so no write lock is held while signing)."""
    from passport.credentials.models import Issuer, StatusList
    from passport.credentials.status import draw_status, store_status

    with services.session() as session:
        issuer = session.scalars(select(Issuer)).first()
        assert issuer is not None
        claim = draw_status(session, services, issuer, "urn:uuid:first")
        used_before = {sl.id: sl.used for sl in session.scalars(select(StatusList))}
        # Another credential takes the first drawn index before this one is stored.
        list_id, index, purpose = claim.rows[0]
        session.add(
            StatusEntry(
                status_list_id=list_id,
                index=index,
                credential_id="urn:uuid:other",
                purpose=purpose,
                is_set=False,
            )
        )
        session.flush()
        assert store_status(session, claim) is False
        mine = select(func.count()).where(StatusEntry.credential_id == "urn:uuid:first")
        assert session.scalar(mine) == 0  # nothing of the failed claim stays
        assert {sl.id: sl.used for sl in session.scalars(select(StatusList))} == used_before
        again = draw_status(session, services, issuer, "urn:uuid:first")
        assert store_status(session, again) is True
        assert session.scalar(mine) == len(services.settings.status_purposes)
        assert (list_id, index, purpose) not in again.rows
