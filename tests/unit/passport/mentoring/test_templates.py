"""Session templates: versions, the rules a version must keep, programs, a cohort made from a
program (dates in its time zone across DST changes), outdated sessions and their update, and
the located errors of a materials import."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import select

from passport.accounts.models import User
from passport.audit import AuditEvent
from passport.cohorts.models import Cohort, MentoringSession
from passport.errors import InvalidRequest, NotFound
from passport.mentoring import materials as m
from passport.mentoring import templates as t
from passport.services import Services
from passport.settings import Settings
from passport.web.context import get_services
from tests.conftest import fresh_app
from tests.functional.signing_in import make_user

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")


def content(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "title": "Triage a page",
        "learning_outcome": "You can triage an incoming page in five minutes.",
        "agenda": "Intro; live triage; debrief",
        "hands_on_task": "Triage the three sample alerts.",
        "pre_reading": [{"title": "SRE book", "url": "https://sre.google/sre-book/"}],
        "criteria": ["triage"],
        "format": "hands_on",
        "minutes": 45,
    }
    base.update(changes)
    return base


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    app: Flask = fresh_app(settings)
    services = get_services(app)
    yield services
    services.engine.dispose()


@pytest.fixture
def admin(services: Services) -> User:
    user_id = make_user(services, "admin@example.org", "Ada Admin", role="admin")
    with services.session() as db:
        user = db.get(User, user_id)
        assert user is not None
        db.expunge(user)
        return user


def _template(services: Services, **changes: Any) -> int:
    with services.session() as db:
        return t.create_template(
            db,
            "admin@example.org",
            skill_id="incident-response",
            level=2,
            content=content(**changes),
            now=NOW,
        ).id


# -- versions ---------------------------------------------------------------------------------


def test_an_edit_writes_version_two_and_version_one_stays_readable(services: Services) -> None:
    template_id = _template(services)
    with services.session() as db:
        version = t.update_template(
            db, template_id, "mentor@example.org", content=content(minutes=60), now=NOW
        )
        assert version is not None and version.version == 2
    with services.session() as db:
        template = t.find_template(db, template_id)
        assert template.current_version == 2
        versions = t.versions_of(db, template_id)
        assert [v.version for v in versions] == [2, 1]
        assert versions[1].minutes == 45 and versions[0].minutes == 60
        diff = t.version_diff(db, template_id, 2)
        assert [(c.field, c.old, c.new) for c in diff] == [("minutes", "45", "60")]
        assert t.version_diff(db, template_id, 1) == []
        actions = db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        assert "template.create" in actions and "template.update" in actions


def test_an_edit_that_changes_nothing_writes_no_version(services: Services) -> None:
    template_id = _template(services)
    with services.session() as db:
        assert (
            t.update_template(db, template_id, "a@example.org", content=content(), now=NOW) is None
        )
        assert t.find_template(db, template_id).current_version == 1


def test_a_retired_template_is_kept_listed_apart_and_not_edited(services: Services) -> None:
    template_id = _template(services)
    with services.session() as db:
        t.retire_template(db, template_id, "admin@example.org", now=NOW)
    with services.session() as db:
        assert t.find_template(db, template_id).retired_at is not None
        assert t.list_templates(db) == []
        assert len(t.list_templates(db, include_retired=True)) == 1
        with pytest.raises(InvalidRequest) as caught:
            t.update_template(db, template_id, "a@example.org", content=content(), now=NOW)
        assert caught.value.code == "retired_template"


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"pre_reading": [{"title": "x", "url": "http://example.org/"}]}, "bad_pre_reading_url"),
        ({"pre_reading": [{"title": "x", "url": "javascript:alert(1)"}]}, "bad_pre_reading_url"),
        ({"pre_reading": [{"title": "x", "url": "https://"}]}, "bad_pre_reading_url"),
        (
            {"pre_reading": [{"title": "x", "url": f"https://e.org/{n}"} for n in range(21)]},
            "too_many_links",
        ),
        ({"criteria": ["triage", "no-such"]}, "unknown_criterion"),
        ({"criteria": ["operate"]}, "unknown_criterion"),  # another skill's criterion
        ({"minutes": 14}, "bad_minutes"),
        ({"minutes": 91}, "bad_minutes"),
        ({"minutes": True}, "bad_minutes"),
        ({"format": "lecture"}, "bad_format"),
        ({"title": " "}, "missing_field"),
        ({"learning_outcome": "x" * 2001}, "field_too_long"),
    ],
)
def test_bad_content_is_refused_with_a_code(
    services: Services, changes: dict[str, Any], code: str
) -> None:
    with services.session() as db, pytest.raises(InvalidRequest) as caught:
        t.create_template(
            db,
            "admin@example.org",
            skill_id="incident-response",
            level=2,
            content=content(**changes),
            now=NOW,
        )
    assert caught.value.code == code


def test_limits_are_inclusive(services: Services) -> None:
    links = [{"title": f"r{n}", "url": f"https://e.org/{n}"} for n in range(20)]
    assert _template(services, minutes=15, pre_reading=links)
    assert _template(services, minutes=90)


def test_unknown_skill_and_bad_level_are_refused(services: Services) -> None:
    with services.session() as db:
        with pytest.raises(InvalidRequest) as caught:
            t.create_template(db, "a@e.org", skill_id="nope", level=2, content=content(), now=NOW)
        assert caught.value.code == "unknown_skill"
        with pytest.raises(InvalidRequest) as caught:
            t.create_template(
                db, "a@e.org", skill_id="incident-response", level=5, content=content(), now=NOW
            )
        assert caught.value.code == "bad_level"
        with pytest.raises(NotFound):
            t.find_template(db, 999)


# -- a cohort from a program ------------------------------------------------------------------


def _program(services: Services, weeks: int = 7, **template: Any) -> tuple[int, list[int]]:
    first = _template(services, **template)
    second = _template(services, title="Run a review", criteria=["review"], minutes=60)
    with services.session() as db:
        items = tuple(
            t.ProgramItemDraft(first if week % 2 else second, week, 1)
            for week in range(1, weeks + 1)
        )
        program = t.create_program(
            db,
            "admin@example.org",
            t.ProgramDraft("SRE foundations, 7 weeks", "Seven weeks.", weeks, "sre", items),
            now=NOW,
        )
        return program.id, [first, second]


def test_a_cohort_from_a_seven_week_program_keeps_local_time_across_dst(
    services: Services, admin: User
) -> None:
    program_id, (first, _second) = _program(services)
    # 2026-03-16 is a Monday; Berlin moves to summer time on 2026-03-29.
    with services.session() as db:
        cohort = t.cohort_from_program(
            db,
            db.get(User, admin.id) or admin,
            program_id=program_id,
            name="Spring SRE",
            starts_on=date(2026, 3, 16),
            at=time(10, 0),
            time_zone="Europe/Berlin",
            now=NOW,
        )
        cohort_id = cohort.id
    with services.session() as db:
        cohort = db.get(Cohort, cohort_id)
        assert cohort is not None
        assert cohort.program_id == program_id
        assert cohort.ends_on == date(2026, 5, 4)  # start + 7 weeks
        sessions = sorted(cohort.sessions, key=lambda s: s.starts_at)
        assert len(sessions) == 7
        days = [s.starts_at.astimezone(BERLIN).date() for s in sessions]
        assert days == [date(2026, 3, 17) + timedelta(weeks=n) for n in range(7)]  # Tuesdays
        assert {s.starts_at.astimezone(BERLIN).time() for s in sessions} == {time(10, 0)}
        utc_hours = [s.starts_at.astimezone(UTC).hour for s in sessions]
        assert utc_hours == [9, 9, 8, 8, 8, 8, 8]  # CET (+1) then CEST (+2)
        one = sessions[0]
        assert (one.template_id, one.template_version, one.time_zone) == (first, 1, "Europe/Berlin")
        assert (one.skill_id, one.level, one.format, one.minutes) == (
            "incident-response",
            2,
            "hands_on",
            45,
        )
        targets = {s.achievement_id for s in cohort.target_skills}
        assert len(targets) == 1  # both templates teach incident response at level 2


def test_dst_end_in_october(services: Services, admin: User) -> None:
    program_id, _ = _program(services, weeks=2)
    with services.session() as db:
        cohort = t.cohort_from_program(
            db,
            db.get(User, admin.id) or admin,
            program_id=program_id,
            name="Autumn",
            starts_on=date(2026, 10, 19),  # Berlin returns to CET on 2026-10-25
            at=time(17, 30),
            time_zone="Europe/Berlin",
            now=NOW,
        )
        starts = sorted(s.starts_at for s in cohort.sessions)
        assert [s.astimezone(UTC).strftime("%m-%d %H:%M") for s in starts] == [
            "10-20 15:30",
            "10-27 16:30",
        ]


def test_session_dates_follow_weeks_and_weekdays() -> None:
    monday = date(2026, 3, 16)
    assert t.session_date(monday, 1, 0) == monday
    assert t.session_date(monday, 3, 4) == date(2026, 4, 3)
    wednesday = date(2026, 3, 18)  # not a Monday: the first such weekday in each week
    assert t.session_date(wednesday, 1, 1) == date(2026, 3, 24)
    assert t.session_date(wednesday, 1, 2) == wednesday


def test_a_bad_zone_or_program_is_refused(services: Services, admin: User) -> None:
    program_id, _ = _program(services, weeks=1)
    with services.session() as db, pytest.raises(InvalidRequest) as caught:
        t.cohort_from_program(
            db,
            db.get(User, admin.id) or admin,
            program_id=program_id,
            name="x",
            starts_on=date(2026, 3, 16),
            at=time(10),
            time_zone="Mars/Olympus",
            now=NOW,
        )
    assert caught.value.code == "bad_time_zone"
    # Far dates overflowed the week arithmetic or the move to UTC (a 500): two years either way.
    for starts_on in (date(9999, 12, 1), date(1, 1, 1), date(2028, 3, 3), date(2024, 2, 29)):
        with services.session() as db, pytest.raises(InvalidRequest) as caught:
            t.cohort_from_program(
                db,
                db.get(User, admin.id) or admin,
                program_id=program_id,
                name="x",
                starts_on=starts_on,
                at=time(10),
                time_zone="Europe/Berlin",
                now=NOW,
            )
        assert caught.value.code == "bad_start_date", starts_on
    with services.session() as db:
        template_id = _template(services)
        for draft, code in [
            (
                t.ProgramDraft("p", "", 13, None, (t.ProgramItemDraft(template_id, 1, 1),)),
                "bad_weeks",
            ),
            (
                t.ProgramDraft("p", "", 2, None, (t.ProgramItemDraft(template_id, 3, 1),)),
                "bad_week",
            ),
            (
                t.ProgramDraft("p", "", 2, None, (t.ProgramItemDraft(template_id, 1, 7),)),
                "bad_weekday",
            ),
            (
                t.ProgramDraft("p", "", 2, None, (t.ProgramItemDraft(999, 1, 1),)),
                "unknown_template",
            ),
            (
                t.ProgramDraft("p", "", 2, "nope", (t.ProgramItemDraft(template_id, 1, 1),)),
                "unknown_job_family",
            ),
            (t.ProgramDraft("p", "", 2, None, ()), "empty_program"),
        ]:
            with pytest.raises(InvalidRequest) as caught:
                t.create_program(db, "a@e.org", draft, now=NOW)
            assert caught.value.code == code


# -- outdated sessions ------------------------------------------------------------------------


def test_sessions_from_an_old_version_are_listed_and_updated_but_past_ones_never(
    services: Services, admin: User
) -> None:
    program_id, (first, _second) = _program(services)
    with services.session() as db:
        # Started 2026-02-16: weeks 1–3 are past at NOW (2026-03-02 09:00 UTC).
        cohort = t.cohort_from_program(
            db,
            db.get(User, admin.id) or admin,
            program_id=program_id,
            name="Running",
            starts_on=date(2026, 2, 16),
            at=time(10, 0),
            time_zone="Europe/Berlin",
            now=NOW,
        )
        cohort_id = cohort.id
        # A cancelled upcoming one stays as it was.
        cancelled = max(
            (s for s in cohort.sessions if s.template_id == first), key=lambda s: s.starts_at
        )
        cancelled.cancelled_at = NOW
        cancelled_id = cancelled.id
    with services.session() as db:
        assert t.outdated_sessions(db, first, now=NOW) == []
        t.update_template(
            db, first, "admin@example.org", content=content(title="Triage a page, v2"), now=NOW
        )
    with services.session() as db:
        outdated = t.outdated_sessions(db, first, now=NOW)
        # first template: weeks 1, 3, 5, 7 → 17 Feb and 3 Mar... week 3 is 3 Mar (upcoming)
        ids = [o.session.id for o in outdated]
        assert all(o.cohort_name == "Running" for o in outdated)
        assert cancelled_id not in ids
        assert len(ids) == 2  # weeks 3 and 5 (week 1 past, week 7 cancelled)
        moved = t.update_sessions_to_current(
            db, first, "admin@example.org", session_ids=None, now=NOW
        )
        assert moved == 2
    with services.session() as db:
        sessions = db.scalars(
            select(MentoringSession)
            .where(MentoringSession.cohort_id == cohort_id, MentoringSession.template_id == first)
            .order_by(MentoringSession.starts_at)
        ).all()
        past, *upcoming, last = sessions
        assert past.starts_at < NOW
        assert (past.title, past.template_version, past.sequence) == ("Triage a page", 1, 0)
        for meeting in upcoming:
            assert (meeting.title, meeting.template_version, meeting.sequence) == (
                "Triage a page, v2",
                2,
                1,
            )
            assert meeting.updated_at == NOW
        assert last.id == cancelled_id and last.template_version == 1 and last.sequence == 0
        assert t.outdated_sessions(db, first, now=NOW) == []


def test_only_ticked_sessions_are_updated(services: Services, admin: User) -> None:
    program_id, (first, _second) = _program(services)
    with services.session() as db:
        t.cohort_from_program(
            db,
            db.get(User, admin.id) or admin,
            program_id=program_id,
            name="Later",
            starts_on=date(2026, 4, 6),
            at=time(9, 0),
            time_zone="UTC",
            now=NOW,
        )
        t.update_template(db, first, "a@e.org", content=content(minutes=30), now=NOW)
    with services.session() as db:
        outdated = t.outdated_sessions(db, first, now=NOW)
        assert len(outdated) == 4
        chosen = outdated[1].session.id
        assert (
            t.update_sessions_to_current(db, first, "a@e.org", session_ids={chosen}, now=NOW) == 1
        )
        left = [o.session.id for o in t.outdated_sessions(db, first, now=NOW)]
        assert chosen not in left and len(left) == 3


# -- import and export ------------------------------------------------------------------------


def _document() -> dict[str, Any]:
    return {
        "templates": [
            {
                "key": "triage",
                "skill": "incident-response",
                "level": 2,
                "title": "Triage a page",
                "learningOutcome": "You can triage a page.",
                "preReading": [{"title": "Book", "url": "https://sre.google/"}],
                "criteria": ["triage"],
                "format": "talk",
                "minutes": 30,
            }
        ],
        "programs": [
            {
                "name": "Short",
                "weeks": 2,
                "jobFamily": "sre",
                "items": [{"template": "triage", "week": 1, "weekday": 0}],
            }
        ],
    }


def test_import_errors_are_located(services: Services) -> None:
    document = _document()
    entry = document["templates"][0]
    entry["preReading"].append({"title": "plain", "url": "http://insecure.example/"})
    entry["criteria"] = ["triage", "made-up"]
    document["templates"].append({**entry, "key": "two", "skill": "nope"})
    document["templates"].append({**_document()["templates"][0], "key": "three", "minutes": 200})
    document["programs"][0]["items"].append({"template": "missing", "week": 3, "weekday": 9})
    with services.session() as db, pytest.raises(m.TemplateImportError) as caught:
        m.import_materials(db, document, "admin@example.org", now=NOW)
    problems = caught.value.problems
    assert caught.value.code == "bad_templates_file"
    assert problems[0].startswith("templates[0].preReading[1].url:")
    assert problems[1].startswith("templates[1].skill:")
    assert problems[2].startswith("templates[2].minutes:")
    assert any(p.startswith("programs[0].items[1].template:") for p in problems)
    assert any(p.startswith("programs[0].items[1].week:") for p in problems)
    assert any(p.startswith("programs[0].items[1].weekday:") for p in problems)
    with services.session() as db:
        assert t.list_templates(db) == []  # all or nothing


def test_unknown_criterion_is_located(services: Services) -> None:
    document = _document()
    document["templates"][0]["criteria"] = ["made-up"]
    with services.session() as db, pytest.raises(m.TemplateImportError) as caught:
        m.import_materials(db, document, "admin@example.org", now=NOW)
    assert caught.value.problems[0].startswith("templates[0].criteria:")


def test_import_then_export_round_trips_and_reimport_versions(services: Services) -> None:
    with services.session() as db:
        summary = m.import_materials(db, _document(), "admin@example.org", now=NOW)
        assert summary == m.TemplateImportSummary(1, 0, 1, 0)
    with services.session() as db:
        exported = m.export_materials(db)
        assert exported["templates"][0]["minutes"] == 30
        assert exported["programs"][0]["items"][0]["template"] == exported["templates"][0]["key"]
        exported["templates"][0]["minutes"] = 40
        summary = m.import_materials(db, exported, "admin@example.org", now=NOW)
        assert summary == m.TemplateImportSummary(0, 1, 0, 1)
    with services.session() as db:
        ((template, version),) = t.list_templates(db)
        assert template.current_version == 2 and version.minutes == 40
        assert len(t.list_programs(db)) == 1
