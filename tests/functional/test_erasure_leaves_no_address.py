"""Erasure leaves the person's address nowhere: every text column of every table is read, so a
column added later that keeps an e-mail fails here until erasure clears it too. What the person
was issued keeps verifying.
"""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import String, select

import passport.models  # noqa: F401  (every table registered on the metadata)
from passport.accounts.tokens import create_token
from passport.accounts.users import erase_user, update_user, user_by_email
from passport.audit import record_event
from passport.db import Base
from passport.jobs.bulk import start_bulk
from passport.services import Services
from tests.functional.test_admin import HTML, PASSWORD, assess, csrf, login, make_user

OLD, NEW = "pat.old@example.org", "pat@example.org"
NAMES = ("Pat Old", "Pat Person")


def _mentions(services: Services, needles: tuple[str, ...]) -> dict[str, set[str]]:
    """``table.column`` -> the needles found in it, in any letter case (compared in Python,
    so no database's idea of case decides)."""
    wanted = [n.lower() for n in needles]
    found: dict[str, set[str]] = {}
    with services.sessions() as db:
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                if not isinstance(column.type, String):  # Text is a String too
                    continue
                for value in db.scalars(select(column).where(column.is_not(None))):
                    hits = {n for n in wanted if n in str(value).lower()}
                    if hits:
                        found.setdefault(f"{table.name}.{column.name}", set()).update(hits)
    return found


def _issue(client: FlaskClient, api_token: str, recipient: str) -> dict[str, object]:
    issued = client.post(
        "/api/v1/credentials",
        json={"achievement": "incident-response-l2", "recipient": recipient},
        headers={"Authorization": f"Bearer {api_token}"},
    )
    assert issued.status_code == 201, issued.get_json()
    body: dict[str, object] = issued.get_json()
    return body


def test_erasure_leaves_no_address_of_the_person_in_any_table(
    app: Flask, client: FlaskClient, services: Services, api_token: str
) -> None:
    admin = app.test_client()
    admin_csrf = login(admin, services, "boss@example.org", "admin")
    # An assessor, who was once given badges under an earlier address (holder records of a
    # staff member, linked to no account), and then changed address and name.
    make_user(services, "Pat.Old@Example.org", "assessor", name=NAMES[0])
    badges = [_issue(client, api_token, "Pat.Old@Example.org")]
    with services.session() as db:
        pat = user_by_email(db, OLD)
        update_user(
            db,
            pat,
            email=NEW,
            name=NAMES[1],
            role="assessor",
            actor="boss@example.org",
            now=services.now(),
        )
        pat_id = pat.id
    badges.append(_issue(client, api_token, "PAT@example.org"))
    # They record an assessment (the learner's badge names them as its actor) ...
    pat_client = app.test_client()
    signed_in = pat_client.post(
        "/login", data={"email": NEW, "password": PASSWORD, "csrf_token": csrf(pat_client)}
    )
    assert signed_in.status_code == 302
    make_user(services, "lee@example.org", "learner")
    assess(pat_client, csrf(pat_client, "/admin/"), learner="lee@example.org")
    # ... an integration names them, in its own spelling, as the assessor of another ...
    named = client.post(
        "/api/v1/assessments",
        json={
            "learner": "kim@example.org",
            "achievement": "incident-response-l2",
            "levels": {"triage": 2, "communication": 2, "review": 2},
            "assessor": "Pat@Example.ORG",
        },
        headers={"Authorization": f"Bearer {api_token}"},
    )
    assert named.status_code in (200, 201), named.get_json()
    with services.session() as db:
        # ... they made an API token, and older rows of the log spell them as typed.
        create_token(db, "pat-sync", scopes=["read"], actor=NEW, now=services.now())
        record_event(
            db,
            "PAT@Example.org",
            "login.failure",
            "Pat.Old@EXAMPLE.org",
            {"typed": "Pat@Example.Org"},
            at=services.now(),
        )
        # ... and they start a bulk job (not run yet) whose preview names their own address.
        start_bulk(
            db,
            services,
            b"email,achievement,level\nPat@Example.org,incident-response-l2,2\n"
            b"lee@example.org,observability-l2,2\n",
            assessor=NEW,
            created_by=NEW,
            proof_format="jwt",
            now=services.now(),
        )
    before = _mentions(services, (OLD, NEW, *NAMES))
    # the scan sees every place the person is kept: it would notice one left behind
    assert {
        "users.email",
        "users.name",
        "holders.email",
        "assessments.assessor",
        "assessments.assessor_named",
        "api_tokens.created_by",
        "audit_events.actor",
        "audit_events.subject",
        "audit_events.detail",
        "notifications.to",
        "jobs.created_by",
        "jobs.payload",
        "jobs.errors",
    } <= set(before), before
    assert {OLD, NEW} <= before["audit_events.subject"] | before["holders.email"]

    erased = admin.post(f"/admin/users/{pat_id}/delete", data={"csrf_token": admin_csrf})
    assert erased.status_code == 302

    assert _mentions(services, (OLD, NEW, *NAMES)) == {}
    listing = admin.get("/admin/users", headers=HTML).data.decode()
    assert "Deleted" in listing
    for badge in badges:
        report = client.post("/api/v1/verify", json=badge["credential"]).get_json()
        assert report["verified"] is True, report


def _rename(services: Services, old: str, new: str) -> None:
    with services.session() as db:
        user = user_by_email(db, old)
        update_user(
            db, user, email=new, name=user.name, role=user.role, actor="boss", now=services.now()
        )


def _erase(services: Services, email: str) -> None:
    with services.session() as db:
        erase_user(
            db,
            user_by_email(db, email),
            actor="boss",
            now=services.now(),
            secret_key=services.settings.secret_key,
        )


def test_addresses_of_other_people_stay_in_the_log(services: Services) -> None:
    """Only the erased account's own addresses go: an earlier address of theirs that another
    account has now names that person, and an address's owner before the erased account
    (someone who moved on to another address) keeps their history."""
    # Ann moves from ann@ to ann.new@; Al then signs up with ann@.
    make_user(services, "ann@example.org", "learner", name="Ann")
    _rename(services, "ann@example.org", "ann.new@example.org")
    make_user(services, "al@example.org", "learner", name="Al")
    _rename(services, "al@example.org", "ann@example.org")
    # Zed had e@ before Eve was created with it, and moved on to zed.new@.
    make_user(services, "zed@example.org", "mentor", name="Zed")
    _rename(services, "zed@example.org", "e@example.org")
    _rename(services, "e@example.org", "zed.new@example.org")
    make_user(services, "e@example.org", "mentor", name="Eve")

    _erase(services, "ann.new@example.org")
    _erase(services, "e@example.org")

    left = _mentions(services, ("ann.new@example.org", "ann@example.org", "zed@example.org"))
    assert "ann.new@example.org" not in set().union(*left.values())
    assert {"ann@example.org"} <= left["users.email"] & left["audit_events.subject"]
    assert {"zed@example.org"} <= left["audit_events.subject"]
    with services.sessions() as db:
        assert user_by_email(db, "ann@example.org").name == "Al"
        assert user_by_email(db, "zed.new@example.org").name == "Zed"
