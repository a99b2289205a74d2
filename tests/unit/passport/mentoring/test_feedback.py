"""Session feedback: only from attendees, once (changeable for 14 days), suppressed under 5;
the curriculum triage per template, cross-checked against a second computation."""

from __future__ import annotations

import statistics
from datetime import UTC, date, datetime, timedelta

import pytest

from passport.assessments.models import Assessment
from passport.cohorts.models import Cohort
from passport.errors import Conflict, Forbidden, InvalidRequest
from passport.mentoring import feedback
from passport.mentoring.models import SessionTemplate, TemplateVersion
from passport.services import Services
from tests.unit.passport.mentoring.people import SKILL, attend, led_session, person

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
PAST = NOW - timedelta(days=2)


def _cohort(db) -> Cohort:  # type: ignore[no-untyped-def]
    cohort = Cohort(name="C", starts_on=date(2026, 3, 1), ends_on=date(2026, 4, 15))
    db.add(cohort)
    db.flush()
    return cohort


def test_only_attendees_of_an_ended_session_give_feedback(services: Services) -> None:
    with services.session() as db:
        mentor = person(db, "Mentor")
        came, absent, stranger, waiting = (
            person(db, n, role="learner") for n in ("Came", "Absent", "Stranger", "Waiting")
        )
        cohort_session = led_session(db, mentor, PAST, cohort=_cohort(db))
        attend(db, cohort_session, came)
        attend(db, cohort_session, absent, status="absent")
        event = led_session(db, mentor, PAST)
        attend(db, event, came)
        attend(db, event, waiting, status="waitlisted")
        for meeting in (cohort_session, event):
            feedback.give_feedback(
                db, meeting.id, came, outcome="yes", usefulness=5, comment=None, now=NOW
            )
        for meeting, who in (
            (cohort_session, absent),
            (cohort_session, stranger),
            (event, waiting),
        ):
            with pytest.raises(Forbidden) as refused:
                feedback.give_feedback(
                    db, meeting.id, who, outcome="no", usefulness=1, comment=None, now=NOW
                )
            assert refused.value.code == "not_an_attendee"
        soon = led_session(db, mentor, NOW - timedelta(minutes=30), minutes=60)
        attend(db, soon, came)
        with pytest.raises(Conflict) as early:
            feedback.give_feedback(
                db, soon.id, came, outcome="yes", usefulness=5, comment=None, now=NOW
            )
        assert early.value.code == "session_not_ended"
        cancelled = led_session(db, mentor, PAST, cancelled=True)
        attend(db, cancelled, came)
        with pytest.raises(Conflict):
            feedback.give_feedback(
                db, cancelled.id, came, outcome="yes", usefulness=5, comment=None, now=NOW
            )


@pytest.mark.parametrize(
    ("outcome", "usefulness", "comment", "code"),
    [
        ("maybe", 3, None, "bad_outcome"),
        ("yes", 0, None, "bad_usefulness"),
        ("yes", 6, None, "bad_usefulness"),
        ("yes", 3, "x" * 2001, "field_too_long"),
    ],
)
def test_bad_answers_are_refused(
    services: Services, outcome: str, usefulness: int, comment: str | None, code: str
) -> None:
    with services.session() as db:
        learner = person(db, "Lea", role="learner")
        meeting = led_session(db, person(db, "M"), PAST)
        attend(db, meeting, learner)
        with pytest.raises(InvalidRequest) as bad:
            feedback.give_feedback(
                db,
                meeting.id,
                learner,
                outcome=outcome,
                usefulness=usefulness,
                comment=comment,
                now=NOW,
            )
        assert bad.value.code == code


def test_one_answer_changeable_for_fourteen_days(services: Services) -> None:
    with services.session() as db:
        learner = person(db, "Lea", role="learner")
        meeting = led_session(db, person(db, "M"), PAST)
        attend(db, meeting, learner)
        feedback.give_feedback(
            db, meeting.id, learner, outcome="no", usefulness=2, comment="meh", now=NOW
        )
        feedback.give_feedback(
            db,
            meeting.id,
            learner,
            outcome="partly",
            usefulness=3,
            comment=" ",
            now=NOW + timedelta(days=14),
        )
        row = feedback.feedback_of(db, meeting.id, learner.id)
        assert row is not None
        assert (row.outcome, row.usefulness, row.comment) == ("partly", 3, None)
        with pytest.raises(Conflict) as closed:
            feedback.give_feedback(
                db,
                meeting.id,
                learner,
                outcome="yes",
                usefulness=5,
                comment=None,
                now=NOW + timedelta(days=14, seconds=1),
            )
        assert closed.value.code == "feedback_closed"


def _answers(db, meeting, answers) -> None:  # type: ignore[no-untyped-def]
    for n, (outcome, score, comment) in enumerate(answers):
        learner = person(db, f"S{meeting.id}L{n}", role="learner")
        attend(db, meeting, learner)
        feedback.give_feedback(
            db, meeting.id, learner, outcome=outcome, usefulness=score, comment=comment, now=NOW
        )


def test_mentor_aggregates_are_suppressed_under_five(services: Services) -> None:
    with services.session() as db:
        mentor = person(db, "Mentor")
        small = led_session(db, mentor, PAST - timedelta(days=1), title="Small")
        big = led_session(db, mentor, PAST, title="Big")
        _answers(db, small, [("yes", 5, "only me")] * 4)
        _answers(
            db,
            big,
            [
                ("yes", 5, "great"),
                ("yes", 4, None),
                ("partly", 3, "ok"),
                ("no", 1, None),
                ("yes", 2, None),
            ],
        )
        (report,) = feedback.mentor_feedback(db, [mentor.id])
        rows = {r.title: r.summary for r in report.sessions}
        assert rows["Small"] == feedback.FeedbackSummary(4)
        assert rows["Small"].suppressed and rows["Small"].comments == ()
        assert rows["Big"].n == 5 and rows["Big"].mean_usefulness == 3.0
        assert (rows["Big"].yes, rows["Big"].partly, rows["Big"].no) == (0.6, 0.2, 0.2)
        assert rows["Big"].comments == ("great", "ok")
        # The overall row covers the shown session only: "Small" never enters a total, so
        # overall minus "Big" reveals nothing; the comments stay under their own session.
        assert (report.overall.n, report.overall_sessions) == (5, 1)
        assert report.overall.mean_usefulness == pytest.approx(statistics.mean([5, 4, 3, 1, 2]))
        assert report.overall.comments == ()


def test_a_hidden_session_cannot_be_recovered_by_subtraction(services: Services) -> None:
    """The reviewer's case: A has 5 responses (shown), B one (hidden). Nothing the report
    gives — overall or per session — depends on B's answer."""
    reports = []
    for b_answer in (("no", 1, "B was awful"), ("yes", 5, "B was great")):
        with services.session() as db:
            mentor = person(db, f"Mentor{b_answer[1]}")
            a = led_session(db, mentor, PAST - timedelta(days=1), title="A")
            b = led_session(db, mentor, PAST, title="B")
            _answers(db, a, [("yes", 4, "fine"), ("partly", 3, None)] + [("yes", 5, None)] * 3)
            _answers(db, b, [b_answer])
            (report,) = feedback.mentor_feedback(db, [mentor.id])
            rows = {r.title: r.summary for r in report.sessions}
            assert rows["B"] == feedback.FeedbackSummary(1)
            assert report.overall == feedback.FeedbackSummary(
                5, yes=0.8, partly=0.2, no=0.0, mean_usefulness=4.4
            )
            assert report.overall_sessions == 1
            assert b_answer[2] not in repr(report)
            reports.append((report.overall, rows))
    assert reports[0] == reports[1]  # B's answer changed; the report did not


def test_the_template_triage_leaks_no_hidden_session(services: Services) -> None:
    """Per template, feedback is totalled over its shown sessions only: the mentors' page
    shows A, so a total over A and B would give B's one answer away."""
    with services.session() as db:
        template = SessionTemplate(skill_id=SKILL, level=1)
        db.add(template)
        db.flush()
        db.add(
            TemplateVersion(
                template_id=template.id, version=1, title="T", learning_outcome="x", created_by="a"
            )
        )
        mentor = person(db, "M")
        a = led_session(db, mentor, PAST - timedelta(days=1), template_id=template.id)
        b = led_session(db, mentor, PAST, template_id=template.id)
        _answers(db, a, [("yes", 4, None)] * 5)
        _answers(db, b, [("no", 1, "mine")])
        (row,) = feedback.template_triage(db, now=NOW)
        assert (row.sessions, row.feedback_sessions) == (2, 1)
        assert (row.feedback.n, row.feedback.yes, row.feedback.mean_usefulness) == (5, 1.0, 4.0)
        assert row.feedback.comments == ()


def test_template_triage_matches_a_second_computation(services: Services) -> None:
    with services.session() as db:
        mentor = person(db, "Mentor")
        template = SessionTemplate(skill_id=SKILL, level=2, current_version=2)
        db.add(template)
        db.flush()
        for version, title in ((1, "Old title"), (2, "Triage basics")):
            db.add(
                TemplateVersion(
                    template_id=template.id,
                    version=version,
                    title=title,
                    learning_outcome="x",
                    created_by="a@example.org",
                )
            )
        cohort = _cohort(db)
        first = led_session(
            db, mentor, PAST - timedelta(days=7), cohort=cohort, template_id=template.id
        )
        second = led_session(db, mentor, PAST, template_id=template.id)
        led_session(db, mentor, NOW + timedelta(days=3), template_id=template.id)  # not yet
        answers = [("yes", 5), ("yes", 4), ("partly", 4), ("no", 2), ("yes", 3), ("no", 1)]
        # pass (True), fail (False) or not assessed (None), per learner, plus one assessed
        # before the session (does not count) for the last.
        results = [True, True, False, True, None, False]
        learners = []
        for n, ((outcome, score), result) in enumerate(zip(answers, results, strict=True)):
            learner = person(db, f"T{n}", role="learner")
            learners.append(learner)
            meeting = first if n % 2 else second
            attend(db, meeting, learner)
            feedback.give_feedback(
                db, meeting.id, learner, outcome=outcome, usefulness=score, comment=None, now=NOW
            )
            if result is not None:
                assert learner.holder_id is not None
                db.add(
                    Assessment(
                        holder_id=learner.holder_id,
                        achievement_id=f"{SKILL}-l2",
                        assessor="x@example.org",
                        levels="{}",
                        passed=result,
                        assessed_at=NOW,
                    )
                )
        extra = [("partly", 2), ("yes", 5)]  # not assessed: only the feedback changes
        for n, (outcome, score) in enumerate(extra):
            learner = person(db, f"X{n}", role="learner")
            attend(db, second, learner)
            feedback.give_feedback(
                db, second.id, learner, outcome=outcome, usefulness=score, comment=None, now=NOW
            )
        old = person(db, "Before", role="learner")
        attend(db, second, old)
        assert old.holder_id is not None
        db.add(
            Assessment(
                holder_id=old.holder_id,
                achievement_id=f"{SKILL}-l2",
                assessor="x@example.org",
                levels="{}",
                passed=True,
                assessed_at=PAST - timedelta(days=30),
            )
        )
        db.flush()
        (row,) = feedback.template_triage(db, now=NOW)
        assert (row.title, row.level, row.sessions) == ("Triage basics", 2, 2)
        # The second computation: straight from the lists above with the statistics module,
        # over the one session with 5 or more responses (second: its 3 and the 2 extra).
        shown = answers[0::2] + extra
        assert (row.feedback.n, row.feedback_sessions) == (len(shown), 1)
        assert row.feedback.yes == pytest.approx(
            statistics.mean(1 if o == "yes" else 0 for o, _ in shown)
        )
        assert row.feedback.mean_usefulness == pytest.approx(statistics.mean(s for _, s in shown))
        counted = [r for r in results if r is not None]
        assert row.assessed == len(counted) == 5
        assert row.pass_rate == pytest.approx(statistics.mean(counted))


def test_template_triage_suppresses_small_groups(services: Services) -> None:
    with services.session() as db:
        template = SessionTemplate(skill_id=SKILL, level=1)
        db.add(template)
        db.flush()
        db.add(
            TemplateVersion(
                template_id=template.id,
                version=1,
                title="T",
                learning_outcome="x",
                created_by="a",
            )
        )
        meeting = led_session(db, person(db, "M"), PAST, template_id=template.id)
        _answers(db, meeting, [("yes", 5, None)] * 3)
        (row,) = feedback.template_triage(db, now=NOW)
        assert row.feedback.suppressed and row.feedback.mean_usefulness is None
        assert row.assessed == 0 and row.pass_rate is None
