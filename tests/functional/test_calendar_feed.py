"""The calendar feed over HTTP: ``/calendar/<secret>.ics`` read by two parsers, its caching
headers and conditional GET, the "Your calendar" section with its new-link button, and
``passport calendar-url``, whose URL is the one that works."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, timedelta

import icalendar
import vobject
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from passport.accounts.models import User
from passport.accounts.users import erase_user
from passport.audit import AuditEvent
from passport.cli.common import cli
from passport.cohorts.models import Cohort, CohortMember, MentoringSession
from passport.mentoring.calendar import feed_secret, session_uid
from passport.mentoring.models import SessionSignup
from passport.services import Services
from passport.settings import Settings
from passport.web import create_app
from passport.web.context import get_services
from tests.functional.signing_in import HTML, log_in, make_user


def _world(services: Services) -> tuple[int, int]:
    """A learner in a cohort with a session in Berlin time, and a waitlisted event."""
    now = datetime.now(UTC).replace(microsecond=0)
    learner = make_user(services, "lea@example.com", "Lea")
    mentor = make_user(services, "mia@example.com", "Mia", "mentor")
    with services.session() as db:
        cohort = Cohort(name="SRE spring", starts_on=date(2026, 1, 1), ends_on=date(2027, 1, 1))
        db.add(cohort)
        db.flush()
        db.add(CohortMember(cohort_id=cohort.id, user_id=learner, role="learner"))
        meeting = MentoringSession(
            cohort_id=cohort.id,
            title="Runbooks that work",
            learning_outcome="Write a runbook a newcomer can follow",
            starts_at=now + timedelta(days=3),
            minutes=45,
            time_zone="Europe/Berlin",
            place="Room 4",
            mentor_id=mentor,
            updated_at=now - timedelta(days=1),
        )
        event = MentoringSession(
            title="Shadow the on-call",
            learning_outcome="Follow a real page",
            starts_at=now + timedelta(days=10),
            format="shadow",
            shadow_slot="Primary on-call",
            meeting_url="https://meet.example/x",
            time_zone="UTC",
            capacity=1,
            seats_taken=1,
            updated_at=now - timedelta(days=2),
        )
        db.add_all([meeting, event])
        db.flush()
        db.add(SessionSignup(session_id=event.id, user_id=learner, status="waitlisted"))
        return learner, meeting.id


def _path(services: Services, user_id: int, generation: int = 1) -> str:
    return f"/calendar/{feed_secret(services.settings.secret_key, user_id, generation)}.ics"


def test_the_feed_parses_with_icalendar_and_vobject(app: Flask, client: FlaskClient) -> None:
    services = get_services(app)
    learner, meeting = _world(services)
    response = client.get(_path(services, learner))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Cache-Control"] == "private, max-age=300"
    assert response.headers["ETag"] and response.headers["Last-Modified"]
    assert "Set-Cookie" not in response.headers  # no session: the secret is the credential

    calendar = icalendar.Calendar.from_ical(response.data)
    assert "METHOD" not in calendar  # a feed publishes no iTIP method
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    cohort_event = events[session_uid(meeting, services.settings.public_url)]
    assert cohort_event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert str(cohort_event["LOCATION"]) == "Room 4"
    assert str(cohort_event["ORGANIZER"]) == "mailto:mia@example.com"
    [waiting] = [e for uid, e in events.items() if e is not cohort_event]
    assert str(waiting["STATUS"]) == "TENTATIVE"
    assert str(waiting["LOCATION"]) == "https://meet.example/x"
    assert [str(z["TZID"]) for z in calendar.walk("VTIMEZONE")] == ["Europe/Berlin"]

    parsed = vobject.readOne(io.StringIO(response.data.decode()))
    by_uid = {e.uid.value: e for e in parsed.vevent_list}
    assert set(by_uid) == set(events)
    second = by_uid[session_uid(meeting, services.settings.public_url)]
    assert second.dtstart.value.astimezone(UTC) == cohort_event.decoded("DTSTART").astimezone(UTC)
    assert second.summary.value == "Runbooks that work"


def test_a_conditional_get_answers_304_until_something_changes(
    app: Flask, client: FlaskClient
) -> None:
    services = get_services(app)
    learner, meeting = _world(services)
    path = _path(services, learner)
    first = client.get(path)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(path, headers={"If-Modified-Since": modified}).status_code == 304
    assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200
    with services.session() as db:
        row = db.get(MentoringSession, meeting)
        assert row is not None
        row.title = "Runbooks that really work"
        row.sequence += 1
        row.updated_at = datetime.now(UTC) + timedelta(seconds=2)
    changed = client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert b"SEQUENCE:1" in changed.data and b"Runbooks that really work" in changed.data


def test_wrong_secrets_all_answer_the_same_404(app: Flask, client: FlaskClient) -> None:
    services = get_services(app)
    learner, _ = _world(services)
    good = _path(services, learner)
    answers = [
        client.get(path)
        for path in (
            good.replace(".ics", "x.ics"),
            _path(services, learner + 1000),  # nobody: the same answer as a bad MAC
            _path(services, learner, 2),
            "/calendar/nonsense.ics",
            # Digits str.isdigit() accepts but int() refuses: a 500 before, without a login.
            "/calendar/%C2%B2-1-x.ics",
            "/calendar/1-%C2%B2-x.ics",
            "/calendar/1234567890123-1-x.ics",
        )
    ]
    assert {answer.status_code for answer in answers} == {404}
    assert len({answer.data for answer in answers}) == 1


def test_the_page_shows_the_address_and_a_new_link_stops_the_old_one(
    app: Flask, client: FlaskClient
) -> None:
    services = get_services(app)
    learner, _ = _world(services)
    token = log_in(client, "lea@example.com", "/my/preferences")
    page = client.get("/my/preferences", headers=HTML).data.decode()
    old = _path(services, learner)
    public = services.settings.public_url
    assert f'value="{public}{old}" readonly' in page
    assert f'href="webcal://{public.split("://")[1]}{old}"' in page
    assert "Make a new link" in page

    without_token = client.post("/my/calendar/rotate", headers=HTML)
    assert without_token.status_code in (400, 403)
    assert client.get(old).status_code == 200

    moved = client.post("/my/calendar/rotate", data={"csrf_token": token}, headers=HTML)
    assert moved.status_code == 303
    after = client.get("/my/preferences", headers=HTML).data.decode()
    assert "The old link no longer works" in after
    new = _path(services, learner, 2)
    assert f'value="{public}{new}" readonly' in after
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    with services.sessions() as db:
        [event] = db.scalars(select(AuditEvent).where(AuditEvent.action == "calendar.rotate"))
    assert event.actor == "lea@example.com"


def test_the_page_in_german(app: Flask, client: FlaskClient) -> None:
    services = get_services(app)
    _world(services)
    log_in(client, "lea@example.com", "/my/preferences")
    page = client.get("/my/preferences", headers={**HTML, "Accept-Language": "de"}).data.decode()
    assert "Dein Kalender" in page or "Ihr Kalender" in page
    assert "Make a new link" not in page


def test_deactivated_and_erased_accounts_have_no_feed(app: Flask, client: FlaskClient) -> None:
    services = get_services(app)
    learner, _ = _world(services)
    mentor = make_user(services, "max@example.com", "Max", "mentor")
    assert client.get(_path(services, mentor)).status_code == 200
    with services.session() as db:
        user = db.get(User, learner)
        assert user is not None
        user.deactivated_at = datetime.now(UTC)
        erased = db.get(User, mentor)
        assert erased is not None
        erase_user(
            db,
            erased,
            actor="admin@example.com",
            now=datetime.now(UTC),
            secret_key=services.settings.secret_key,
        )
    assert client.get(_path(services, learner)).status_code == 404
    assert client.get(_path(services, mentor)).status_code == 404


def _env(settings: Settings) -> dict[str, str]:
    return {
        "PASSPORT_ENV": "test",
        "PASSPORT_INSTANCE_PATH": str(settings.instance_path),
        "PASSPORT_DATABASE_URL": settings.database_url,
        "PASSPORT_PUBLIC_URL": settings.public_url,
        "PASSPORT_SECRET_KEY": settings.secret_key,
        "PASSPORT_KEY_PASSPHRASE": settings.key_passphrase,
    }


def test_calendar_url_prints_the_url_that_works(app: Flask, client: FlaskClient) -> None:
    services = get_services(app)
    learner, _ = _world(services)
    env = _env(services.settings)
    runner = CliRunner()

    result = runner.invoke(cli, ["calendar-url", "--email", "lea@example.com"], env=env)
    assert result.exit_code == 0, result.output
    [line] = result.stdout.splitlines()
    assert re.fullmatch(r"http://127\.0\.0\.1:5000/calendar/[0-9]+-1-[A-Za-z0-9_-]{22}\.ics", line)
    path = line.removeprefix(services.settings.public_url)
    assert path == _path(services, learner)
    assert client.get(path).status_code == 200

    rotated = runner.invoke(
        cli, ["calendar-url", "--email", "lea@example.com", "--rotate"], env=env
    )
    assert rotated.exit_code == 0, rotated.output
    [new_line] = rotated.stdout.splitlines()
    assert new_line != line and "-2-" in new_line
    assert client.get(path).status_code == 404
    assert client.get(new_line.removeprefix(services.settings.public_url)).status_code == 200
    with services.sessions() as db:
        [event] = db.scalars(select(AuditEvent).where(AuditEvent.action == "calendar.rotate"))
    assert event.actor == "cli" and event.subject == "lea@example.com"

    unknown = runner.invoke(cli, ["calendar-url", "--email", "nobody@example.com"], env=env)
    assert unknown.exit_code == 2
    assert unknown.stdout == ""
    assert "No user has the e-mail nobody@example.com." in unknown.stderr


def test_the_feed_is_rate_limited(app: Flask, settings: Settings) -> None:
    services = get_services(app)
    learner, _ = _world(services)
    limited = create_app(settings.with_overrides(rate_limits="api=3/minute"))
    try:
        client = limited.test_client()
        for _ in range(3):
            assert client.get(_path(services, learner)).status_code == 200
        throttled = client.get("/calendar/guessing.ics")
        assert throttled.status_code == 429
        assert int(throttled.headers["Retry-After"]) >= 1
    finally:
        get_services(limited).engine.dispose()
