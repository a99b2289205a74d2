"""Event pages and the events API through HTTP: a mentor creates, edits and cancels an event;
learners browse, choose a target family, sign up, wait, cancel; the JSON API does the same
with the session and its CSRF header, or reads with a ``read`` token."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from passport.accounts.tokens import create_token
from passport.audit import AuditEvent
from passport.catalog.models import Skill
from passport.cohorts.models import MentoringSession
from passport.mentoring.models import MentorException, SessionFeedback
from passport.services import Services
from passport.web.context import get_services
from tests.functional.signing_in import HTML, csrf, log_in, make_user


def _start(services: Services) -> tuple[str, str]:
    later = services.now() + timedelta(days=5)
    return later.date().isoformat(), "10:00"


def _form(services: Services, token: str, **changes: str) -> dict[str, str]:
    day, clock = _start(services)
    form = {
        "csrf_token": token,
        "title": "Incident review <basics>",
        "learning_outcome": "Write a blameless timeline.",
        "skill_id": "incident-response",
        "level": "2",
        "format": "talk",
        "shadow_slot": "",
        "capacity": "1",
        "place": "Room 3",
        "meeting_url": "https://meet.example.com/ir",
        "start_date": day,
        "start_time": clock,
        "minutes": "45",
        "time_zone": "Europe/Berlin",
    }
    form.update(changes)
    return form


def _eligible_mentor(services: Services, email: str, name: str) -> int:
    """A mentor who may run events on every skill at every level (an exception per skill: an
    event's mentor must be eligible)."""
    user_id = make_user(services, email, name, "mentor")
    with services.session() as db:
        for skill_id in db.scalars(select(Skill.id)):
            db.add(
                MentorException(
                    user_id=user_id,
                    skill_id=skill_id,
                    max_level=4,
                    reason="Runs the guild of this skill.",
                    granted_by="admin@example.com",
                    granted_at=services.now(),
                )
            )
    return user_id


def _create(app: Flask, services: Services) -> tuple[FlaskClient, int]:
    _eligible_mentor(services, "mo@example.com", "Mo Mentor")
    mentor = app.test_client()
    log_in(mentor, "mo@example.com", "/admin/events")
    token = csrf(mentor, "/admin/events/new")
    response = mentor.post("/admin/events/new", data=_form(services, token))
    assert response.status_code == 302, response.data
    event_id = int(response.headers["Location"].rsplit("/", 1)[1])
    return mentor, event_id


def _learner(app: Flask, services: Services, email: str) -> tuple[FlaskClient, str]:
    make_user(services, email, email.split("@")[0].title())
    client = app.test_client()
    return client, log_in(client, email, "/events")


def test_a_mentor_creates_an_event_and_learners_sign_up_and_wait(app: Flask) -> None:
    services = get_services(app)
    mentor, event_id = _create(app, services)
    page = mentor.get("/admin/events", headers=HTML).data.decode()
    assert "Incident review &lt;basics&gt;" in page

    ada, ada_token = _learner(app, services, "ada@example.com")
    listing = ada.get("/events", headers=HTML).data.decode()
    assert f"/events/{event_id}" in listing and "1 seat left" in listing
    assert "(Europe/Berlin)" in listing
    ada.post(f"/events/{event_id}/signup", data={"csrf_token": ada_token})
    assert "You are signed up." in ada.get(f"/events/{event_id}", headers=HTML).data.decode()

    bea, bea_token = _learner(app, services, "bea@example.com")
    bea.post(f"/events/{event_id}/signup", data={"csrf_token": bea_token})
    shown = bea.get(f"/events/{event_id}", headers=HTML).data.decode()
    assert "You are 1st on the waitlist." in shown

    roster = mentor.get(f"/events/{event_id}", headers=HTML).data.decode()
    assert roster.index("ada@example.com") < roster.index("bea@example.com")
    assert "Cancel this event" in roster
    assert "ada@example.com" not in shown  # learners do not see who else comes

    ada.post(f"/events/{event_id}/cancel", data={"csrf_token": ada_token})
    assert "You are signed up." in bea.get(f"/events/{event_id}", headers=HTML).data.decode()
    schedule = bea.get("/my/schedule", headers=HTML).data.decode()
    assert "My events" in schedule and f"/events/{event_id}" in schedule


def test_the_mentor_cannot_sign_up_and_a_form_error_is_shown(app: Flask) -> None:
    services = get_services(app)
    mentor, event_id = _create(app, services)
    token = csrf(mentor, "/admin/events/new")
    mentor.post(f"/events/{event_id}/signup", data={"csrf_token": token})
    page = mentor.get(f"/events/{event_id}", headers=HTML).data.decode()
    assert "You run this event; you cannot sign up to it." in page
    for changes, sentence in (
        ({"minutes": "14"}, "An event lasts from 15 to 90 minutes."),
        ({"time_zone": "Mars/Olympus"}, "That is not a time zone we know"),
        ({"format": "shadow"}, "A shadow rotation needs its on-call or incident shadow slot."),
        ({"meeting_url": "http://x.example"}, "The meeting link must be an https://"),
        # Beyond two years, or overflowing the move to UTC: a 500 before.
        ({"start_date": "9999-12-31"}, "at most two years from now."),
        (
            {"start_date": "0001-01-01", "start_time": "00:00", "time_zone": "Asia/Tokyo"},
            "at most two years from now.",
        ),
        # A number beyond a PostgreSQL integer, and a digit int() refuses.
        ({"level": "9" * 12}, "The level must be from 1 to 4."),
        ({"capacity": "²"}, "The capacity must be from 1 to 500 seats"),
    ):
        response = mentor.post("/admin/events/new", data=_form(services, token, **changes))
        assert response.status_code == 400
        assert sentence in response.data.decode()
        assert 'aria-invalid="true"' in response.data.decode()


def test_an_ineligible_mentor_is_told_why_in_their_language(app: Flask) -> None:
    services = get_services(app)
    make_user(services, "nia@example.com", "Nia", "mentor")  # no badge, no exception
    client = app.test_client()
    log_in(client, "nia@example.com", "/admin/events")
    token = csrf(client, "/admin/events/new")
    response = client.post("/admin/events/new", data=_form(services, token))
    assert response.status_code == 400
    assert "holds no current badge one level above this skill" in response.data.decode()
    german = client.post(
        "/admin/events/new",
        data=_form(services, token),
        headers={**HTML, "Accept-Language": "de"},
    )
    assert "kein gültiges Abzeichen eine Stufe über" in german.data.decode()
    with services.session() as db:
        assert db.scalar(select(MentoringSession.id)) is None


def test_edit_and_cancel_raise_the_sequence_and_are_audited(app: Flask) -> None:
    services = get_services(app)
    mentor, event_id = _create(app, services)
    token = csrf(mentor, f"/admin/events/{event_id}/edit")
    moved = mentor.post(
        f"/admin/events/{event_id}/edit", data=_form(services, token, start_time="11:00")
    )
    assert moved.status_code == 302
    assert (
        "Cancel the event"
        in mentor.get(f"/admin/events/{event_id}/cancel", headers=HTML).data.decode()
    )
    assert (
        mentor.post(f"/admin/events/{event_id}/cancel", data={"csrf_token": token}).status_code
        == 302
    )
    with services.session() as db:
        event = db.get(MentoringSession, event_id)
        assert event is not None and event.sequence == 2 and event.cancelled_at is not None
        actions = set(db.scalars(select(AuditEvent.action)))
        assert {"event.create", "event.update", "event.cancel"} <= actions
    assert f'/events/{event_id}"' not in mentor.get("/events", headers=HTML).data.decode()


def test_another_mentor_cannot_edit_an_event(app: Flask) -> None:
    services = get_services(app)
    _, event_id = _create(app, services)
    make_user(services, "max@example.com", "Max", "mentor")
    other = app.test_client()
    log_in(other, "max@example.com", "/admin/events")
    assert other.get(f"/admin/events/{event_id}/edit", headers=HTML).status_code == 403


def test_the_target_family_section(app: Flask) -> None:
    services = get_services(app)
    _, event_id = _create(app, services)  # incident-response level 2: sre needs 3
    ada, token = _learner(app, services, "ada@example.com")
    ada.post("/events/target", data={"csrf_token": token, "job_family": "sre"})
    page = ada.get("/events", headers=HTML).data.decode()
    section = page.split("For your target: Site Reliability Engineering", 1)[1]
    section = section.split("<h2>", 1)[0]
    assert f"/events/{event_id}" in section
    bad = ada.post("/events/target", data={"csrf_token": token, "job_family": "nope"})
    assert bad.status_code == 302


def test_the_api_signs_up_with_the_session_and_its_csrf_header(app: Flask) -> None:
    services = get_services(app)
    _, event_id = _create(app, services)
    ada, _ = _learner(app, services, "ada@example.com")
    bea, _ = _learner(app, services, "bea@example.com")
    listing = ada.get("/api/v1/events")
    assert listing.status_code == 200 and listing.json is not None
    assert listing.json["total"] == 1
    assert listing.json["items"][0]["seatsLeft"] == 1
    header = listing.headers["X-CSRF-Token"]
    refused = ada.post(f"/api/v1/events/{event_id}/signup")
    assert refused.status_code == 403 and b"csrf_failed" in refused.data
    seat = ada.post(f"/api/v1/events/{event_id}/signup", headers={"X-CSRF-Token": header})
    assert seat.status_code == 201 and seat.json["status"] == "confirmed"  # type: ignore[index]
    again = ada.post(f"/api/v1/events/{event_id}/signup", headers={"X-CSRF-Token": header})
    assert again.status_code == 200
    bea_header = bea.get(f"/api/v1/events/{event_id}").headers["X-CSRF-Token"]
    wait = bea.post(f"/api/v1/events/{event_id}/signup", headers={"X-CSRF-Token": bea_header})
    assert wait.status_code == 201
    assert wait.json == {"event": event_id, "status": "waitlisted", "position": 1}
    gone = ada.delete(f"/api/v1/events/{event_id}/signup", headers={"X-CSRF-Token": header})
    assert gone.json == {"event": event_id, "status": "cancelled", "promoted": True}
    mine = bea.get(f"/api/v1/events/{event_id}").json
    assert mine is not None and mine["myStatus"] == "confirmed"
    assert app.test_client().get("/api/v1/events").status_code == 401
    missing = ada.post("/api/v1/events/999999/signup", headers={"X-CSRF-Token": header})
    assert missing.status_code == 404 and b"unknown_event" in missing.data


def test_the_api_reads_with_a_read_token_and_filters(app: Flask) -> None:
    services = get_services(app)
    _, event_id = _create(app, services)
    with services.session() as db:
        secret = create_token(
            db, "reader", scopes=("read",), actor="admin@example.com", now=services.now()
        )
    headers = {"Authorization": f"Bearer {secret}"}
    client = app.test_client()
    body = client.get("/api/v1/events?skill=incident-response&level=2", headers=headers).json
    assert body is not None and [e["id"] for e in body["items"]] == [event_id]
    assert "myStatus" not in body["items"][0]
    body = client.get("/api/v1/events?level=3", headers=headers).json
    assert body is not None and body["total"] == 0
    bad = client.get("/api/v1/events?format=lecture", headers=headers)
    assert bad.status_code == 400 and b"bad_format" in bad.data
    assert re.match(
        r"^\d{4}-", client.get(f"/api/v1/events/{event_id}", headers=headers).json["localStart"]
    )  # type: ignore[index]


def test_the_demo_has_events_a_waitlist_a_shadow_rotation_and_a_target(app: Flask) -> None:
    from passport.instance.demo import load_events
    from passport.mentoring.models import LearnerTarget, SessionSignup

    services = get_services(app)
    make_user(services, "admin@demo.example", "Ada Admin", "admin")  # grants Mo's exceptions
    make_user(services, "mo.mentor@demo.example", "Mo Mentor", "mentor")
    for n in range(8):
        make_user(services, f"learner{n}@demo.example", f"Learner {n}")
    assert load_events(services) == 4
    assert load_events(services) == 0  # idempotent
    with services.session() as db:
        events = db.scalars(select(MentoringSession).order_by(MentoringSession.id)).all()
        assert [e.format for e in events].count("shadow") == 1
        statuses = db.scalars(
            select(SessionSignup.status).where(SessionSignup.session_id == events[0].id)
        ).all()
        assert statuses.count("confirmed") == events[0].capacity
        assert statuses.count("waitlisted") == 2
        assert db.scalar(select(LearnerTarget.job_family_id)) == "sre"


def test_a_hiring_manager_sees_events_in_the_hiring_frame(app: Flask) -> None:
    services = get_services(app)
    make_user(services, "hm@example.com", "Hana", "hiring_manager")
    client = app.test_client()
    log_in(client, "hm@example.com", "/events")
    page = client.get("/events", headers=HTML).data.decode()
    assert "Hiring pages" in page and "/admin/dashboard" not in page


def test_after_the_event_a_confirmed_person_is_asked_for_feedback(app: Flask) -> None:
    services = get_services(app)
    _, event_id = _create(app, services)
    ada, ada_token = _learner(app, services, "ada@example.com")
    ada.post(f"/events/{event_id}/signup", data={"csrf_token": ada_token})
    bea, bea_token = _learner(app, services, "bea@example.com")
    bea.post(f"/events/{event_id}/signup", data={"csrf_token": bea_token})  # waitlisted
    feedback = f"/sessions/{event_id}/feedback"
    assert feedback not in ada.get(f"/events/{event_id}", headers=HTML).data.decode()
    with services.session() as db:  # the event took place yesterday
        event = db.get(MentoringSession, event_id)
        assert event is not None
        event.starts_at = services.now() - timedelta(days=1)
    assert feedback in ada.get(f"/events/{event_id}", headers=HTML).data.decode()
    assert feedback not in bea.get(f"/events/{event_id}", headers=HTML).data.decode()
    answer = ada.post(
        feedback,
        data={"csrf_token": ada_token, "outcome": "partly", "usefulness": "4", "comment": ""},
    )
    assert answer.status_code in (200, 302), answer.data
    with services.session() as db:
        stored = db.scalars(select(SessionFeedback)).all()
        assert [(f.session_id, f.outcome, f.usefulness) for f in stored] == [
            (event_id, "partly", 4)
        ]
    assert bea.get(feedback, headers=HTML).status_code in (403, 404)
