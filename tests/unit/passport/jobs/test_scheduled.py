"""The scheduled work of issue #18: expiry and session reminders, status-list republication,
share-link clean-up and the failed-job report — each once per slot, whatever the workers."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from passport.accounts.models import User
from passport.accounts.users import create_user
from passport.cohorts.models import Cohort, CohortMember, MentoringSession
from passport.credentials.issuing import IssueRequest, issue_credential
from passport.credentials.keyring import create_signing_key
from passport.credentials.models import (
    IssuedCredential,
    Issuer,
    SigningKeyRecord,
    StatusList,
    StatusListSnapshot,
)
from passport.credentials.status import LIST_MAX_AGE, change_status, signed_list
from passport.jobs import scheduled
from passport.jobs.models import Job, Notification, ScheduleRun
from passport.jobs.queue import JobQueue, queue_for
from passport.jobs.schedules import run_due
from passport.services import Services
from passport.sharing.links import create_share_link, holder_share_links, record_view
from passport.sharing.models import ShareLink, ShareLinkCredential, ShareLinkView

ADA = "ada@scheduled.example"
#: A Monday noon; every schedule is due (hourly ones from minute 15, daily from 06:00).
T0 = datetime(2027, 3, 1, 12, 30, tzinfo=UTC)


@pytest.fixture
def queue(services: Services) -> JobQueue:
    queue = queue_for(services)
    queue.flush()
    return queue


@pytest.fixture
def ada(services: Services) -> User:
    with services.session() as session:
        user = create_user(session, email=ADA, name="Ada", role="learner", password=None)
        session.expunge(user)
        return user


def _notes(services: Services, kind: str) -> list[tuple[str, str, dict[str, Any]]]:
    with services.session() as session:
        return [
            (n.key, n.to, json.loads(n.context))
            for n in session.scalars(
                select(Notification).where(Notification.kind == kind).order_by(Notification.id)
            )
        ]


def _issue(services: Services, *, valid_until: datetime | None, email: str = ADA) -> str:
    with services.session() as session:
        record = issue_credential(
            session,
            services,
            IssueRequest("incident-response-l2", email, reason="award"),
            now=T0 - timedelta(days=300),
        )
        record.valid_until = valid_until
        return record.id


# -- expiry reminders -----------------------------------------------------------------------


def test_expiry_reminders_at_30_and_7_days_each_once_and_not_before(
    services: Services, queue: JobQueue, ada: User
) -> None:
    expires = T0 + timedelta(days=40)
    credential_id = _issue(services, valid_until=expires)
    run = scheduled.expiry_reminders
    assert run(services, queue, T0) == {"days_30": 0, "days_7": 0}
    assert run(services, queue, expires - timedelta(days=30, minutes=1)) == {
        "days_30": 0,
        "days_7": 0,
    }
    assert _notes(services, "badge_expiring") == []
    at_30 = expires - timedelta(days=30)
    assert run(services, queue, at_30)["days_30"] == 1
    assert run(services, queue, at_30 + timedelta(hours=1))["days_30"] == 0
    assert run(services, queue, expires - timedelta(days=7, minutes=1))["days_7"] == 0
    assert run(services, queue, expires - timedelta(days=7))["days_7"] == 1
    assert run(services, queue, expires - timedelta(days=1)) == {"days_30": 0, "days_7": 0}
    assert run(services, queue, expires + timedelta(hours=1)) == {"days_30": 0, "days_7": 0}
    rows = _notes(services, "badge_expiring")
    assert [key for key, _, _ in rows] == [
        f"badge_expiring:{credential_id}:30",
        f"badge_expiring:{credential_id}:7",
    ]
    for (_, to, context), days in zip(rows, (30, 7), strict=True):
        assert to == ADA
        assert context == {
            "credential_id": credential_id,
            "achievement_id": "incident-response-l2",
            "achievement_name": context["achievement_name"],
            "valid_until": expires.isoformat(),
            "days": days,
            "skill_id": "incident-response",  # the mail links to matching events
            "level": 2,
        }
        assert context["achievement_name"]


def test_a_badge_first_seen_within_7_days_gets_only_the_7_day_reminder(
    services: Services, queue: JobQueue, ada: User
) -> None:
    credential_id = _issue(services, valid_until=T0 + timedelta(days=5))
    assert scheduled.expiry_reminders(services, queue, T0) == {"days_30": 0, "days_7": 1}
    assert [k for k, _, _ in _notes(services, "badge_expiring")] == [
        f"badge_expiring:{credential_id}:7"
    ]


def test_no_reminder_for_revoked_renewed_or_open_ended_badges(
    services: Services, queue: JobQueue, ada: User
) -> None:
    revoked = _issue(services, valid_until=T0 + timedelta(days=20))
    with services.session() as session:
        change_status(session, services, revoked, "revoke", reason="x", actor="a", now=T0)
    _issue(services, valid_until=None, email="grace@scheduled.example")
    old = _issue(services, valid_until=T0 + timedelta(days=20), email="alan@scheduled.example")
    _issue(services, valid_until=T0 + timedelta(days=400), email="alan@scheduled.example")
    assert scheduled.expiry_reminders(services, queue, T0) == {"days_30": 0, "days_7": 0}
    with services.session() as session:  # the renewal revoked: the old badge needs renewing
        session.execute(
            update(IssuedCredential)
            .where(IssuedCredential.id != old, IssuedCredential.valid_until > T0 + timedelta(300))
            .values(revoked_at=T0)
        )
    assert scheduled.expiry_reminders(services, queue, T0)["days_30"] == 1


def test_each_schedule_runs_once_per_slot_when_two_workers_tick(
    services: Services, queue: JobQueue, ada: User
) -> None:
    _issue(services, valid_until=T0 + timedelta(days=20))
    first = run_due(services, queue, now=T0)
    assert {s.name for s in scheduled.SCHEDULES} <= set(first)
    assert run_due(services, queue, now=T0 + timedelta(minutes=5)) == ["reaper"]  # a new minute
    assert run_due(services, queue, now=T0 + timedelta(minutes=5)) == []  # the other worker
    assert len(_notes(services, "badge_expiring")) == 1
    with services.session() as session:
        runs = session.scalars(select(ScheduleRun).where(ScheduleRun.error.is_not(None))).all()
        assert runs == []
    # the next hour's slot runs again and finds nothing new to send
    later = run_due(services, queue, now=T0 + timedelta(hours=1))
    assert "expiry-reminders" in later
    assert len(_notes(services, "badge_expiring")) == 1


def test_two_workers_with_their_own_services_share_each_slot(
    services: Services, queue: JobQueue, ada: User
) -> None:
    _issue(services, valid_until=T0 + timedelta(days=20))
    other = Services.from_settings(services.settings)  # a second worker process's services
    try:
        other_queue = queue_for(other)  # the same broker, as another process would
        ran = [run_due(services, queue, now=T0), run_due(other, other_queue, now=T0)]
        assert ran[1] == [] and "expiry-reminders" in ran[0]
        ran = [run_due(other, other_queue, now=T0 + timedelta(hours=1))]
        ran.append(run_due(services, queue, now=T0 + timedelta(hours=1, minutes=1)))
        assert "expiry-reminders" in ran[0] and "expiry-reminders" not in ran[1]
    finally:
        other.close()
    assert len(_notes(services, "badge_expiring")) == 1
    with services.session() as session:
        slots = session.scalars(
            select(ScheduleRun.slot).where(ScheduleRun.name == "expiry-reminders")
        ).all()
    assert sorted(slots) == ["2027-03-01T12", "2027-03-01T13"]


# -- session reminders ------------------------------------------------------------------------


def _cohort(services: Services, starts: list[datetime]) -> tuple[list[int], dict[str, int]]:
    with services.session() as session:
        mentor = create_user(
            session, email="m@scheduled.example", name="M", role="mentor", password=None
        )
        learner = create_user(session, email=ADA, name="Ada", role="learner", password=None)
        gone = create_user(
            session, email="gone@scheduled.example", name="G", role="learner", password=None
        )
        gone.deactivated_at = T0 - timedelta(days=1)
        cohort = Cohort(name="SRE spring", starts_on=date(2027, 2, 1), ends_on=date(2027, 3, 31))
        session.add(cohort)
        session.flush()
        for user, role in ((mentor, "mentor"), (learner, "learner"), (gone, "learner")):
            session.add(CohortMember(cohort_id=cohort.id, user_id=user.id, role=role))
        meetings = [
            MentoringSession(
                cohort_id=cohort.id,
                title=f"Session {n}",
                learning_outcome="Runs a game day",
                starts_at=start,
                minutes=45,
            )
            for n, start in enumerate(starts)
        ]
        session.add_all(meetings)
        session.flush()
        return [m.id for m in meetings], {"mentor": mentor.id, "learner": learner.id}


def test_session_reminders_only_for_the_next_24_hours_once_each(
    services: Services, queue: JobQueue
) -> None:
    starts = [
        T0 - timedelta(hours=1),  # started
        T0 + timedelta(hours=2),
        T0 + timedelta(hours=24),
        T0 + timedelta(hours=24, minutes=45),  # too far (until 00:45 later)
    ]
    ids, users = _cohort(services, starts)
    assert scheduled.session_reminders(services, queue, T0) == {"reminders": 4}
    assert scheduled.session_reminders(services, queue, T0 + timedelta(minutes=30)) == {
        "reminders": 0
    }
    rows = _notes(services, "session_reminder")
    expected = {
        f"session_reminder:{ids[n]}:{users[who]}:{starts[n].isoformat()}"
        for n in (1, 2)
        for who in ("mentor", "learner")
    }
    assert {key for key, _, _ in rows} == expected
    assert {to for _, to, _ in rows} == {ADA, "m@scheduled.example"}
    context = next(c for k, _, c in rows if k.startswith(f"session_reminder:{ids[1]}:"))
    assert context == {
        "session_id": ids[1],
        "title": "Session 1",
        "outcome": "Runs a game day",
        "cohort_name": "SRE spring",
        "starts_at": starts[1].isoformat(),
        "ends_at": (starts[1] + timedelta(minutes=45)).isoformat(),
        "location": "",
    }
    # an hour later the fourth session is within 24 hours
    assert scheduled.session_reminders(services, queue, T0 + timedelta(hours=1)) == {"reminders": 2}


def test_a_moved_session_is_reminded_again_at_its_new_time(
    services: Services, queue: JobQueue
) -> None:
    ids, _ = _cohort(services, [T0 + timedelta(hours=3)])
    assert scheduled.session_reminders(services, queue, T0)["reminders"] == 2
    with services.session() as session:
        meeting = session.get(MentoringSession, ids[0])
        assert meeting is not None
        meeting.starts_at = T0 + timedelta(hours=5)
    assert scheduled.session_reminders(services, queue, T0)["reminders"] == 2


# -- the failed-job report --------------------------------------------------------------------


def _admins(services: Services) -> list[int]:
    with services.session() as session:
        ids = []
        for n in range(3):
            admin = create_user(
                session, email=f"admin{n}@scheduled.example", name="A", role="admin", password=None
            )
            ids.append(admin.id)
        inactive = session.get(User, ids[2])
        assert inactive is not None
        inactive.deactivated_at = T0 - timedelta(days=3)
        return ids[:2]


def test_no_report_when_nothing_failed(services: Services, queue: JobQueue) -> None:
    _admins(services)
    with services.session() as session:  # failures older than a day are not news
        session.add(
            Job(
                id="old",
                kind="bulk",
                status="failed",
                error="x",
                created_by="a",
                created_at=T0 - timedelta(days=3),
                finished_at=T0 - timedelta(days=2),
            )
        )
        session.add(ScheduleRun(name="status-lists", slot="x", started_at=T0 - timedelta(days=2)))
        session.add(Job(id="fine", kind="bulk", status="succeeded", created_by="a", finished_at=T0))
    assert scheduled.failed_report(services, queue, T0) == {"reports": 0}
    assert _notes(services, "failed_report") == []


def test_the_report_lists_what_failed_to_each_active_admin_once_a_day(
    services: Services, queue: JobQueue
) -> None:
    admins = _admins(services)
    with services.session() as session:
        session.add(
            Job(
                id="j1",
                kind="bulk",
                status="failed",
                error="The file could not be read.",
                created_by="a",
                created_at=T0 - timedelta(hours=5),
                finished_at=T0 - timedelta(hours=4),
            )
        )
        session.add(
            Notification(
                key="badge_issued:x",
                kind="badge_issued",
                to="x@scheduled.example",
                status="failed",
                created_at=T0 - timedelta(hours=3),
                claimed_at=T0 - timedelta(hours=2),
            )
        )
        session.add(
            ScheduleRun(
                name="status-lists",
                slot="2027-03-01T09",
                started_at=T0 - timedelta(hours=3),
                error="InvalidRequest: no key",
            )
        )
    assert scheduled.failed_report(services, queue, T0) == {"reports": 2}
    assert scheduled.failed_report(services, queue, T0 + timedelta(hours=1)) == {"reports": 0}
    rows = _notes(services, "failed_report")
    assert [key for key, _, _ in rows] == [f"failed_report:{a}:2027-03-01" for a in admins]
    assert [to for _, to, _ in rows] == ["admin0@scheduled.example", "admin1@scheduled.example"]
    assert rows[0][2] == {
        "failed_jobs": [{"id": "j1", "kind": "bulk", "error": "The file could not be read."}],
        "failed_mail": 1,
        "failed_schedules": [
            {"name": "status-lists", "slot": "2027-03-01T09", "error": "InvalidRequest: no key"}
        ],
    }


# -- share-link clean-up ----------------------------------------------------------------------


def test_dead_links_are_emptied_after_the_grace_period_and_leave_the_holders_list(
    services: Services, queue: JobQueue, ada: User
) -> None:
    credential_id = _issue(services, valid_until=None)
    links: dict[str, int] = {}
    with services.session() as session:
        for name, days_ago, days in (
            ("long_dead", 60, 20),  # expired 40 days ago
            ("just_dead", 40, 30),  # expired 10 days ago
            ("live", 10, 90),
        ):
            created = create_share_link(
                session,
                holder_id=ada.holder_id,
                credential_ids=[credential_id],
                audience=f"for {name}",
                days=days,
                now=T0 - timedelta(days=days_ago),
            )
            record_view(
                session,
                services,
                created.link,
                user_agent="ua",
                now=T0 - timedelta(days=days_ago - 1),
            )
            links[name] = created.link.id
    result = scheduled.share_link_cleanup(services, queue, T0)
    assert result == {"links": 1, "views": 1, "badges": 1}
    assert scheduled.share_link_cleanup(services, queue, T0) == {
        "links": 0,
        "views": 0,
        "badges": 0,
    }
    with services.session() as session:
        tombstone = session.get(ShareLink, links["long_dead"])
        assert tombstone is not None and tombstone.audience is None  # the URL still says 410
        for name, views in (("long_dead", 0), ("just_dead", 1), ("live", 1)):
            n = len(
                session.scalars(
                    select(ShareLinkView).where(ShareLinkView.share_link_id == links[name])
                ).all()
            )
            badges = session.scalars(
                select(ShareLinkCredential).where(ShareLinkCredential.share_link_id == links[name])
            ).all()
            assert (n, len(badges)) == (views, views)
        listed = {s.link.id for s in holder_share_links(session, ada.holder_id, now=T0)}
    assert listed == {links["just_dead"], links["live"]}


# -- status lists -----------------------------------------------------------------------------


def _snapshots(services: Services) -> dict[str, tuple[int, bytes]]:
    with services.session() as session:
        return {
            s.status_list_id: (s.version, s.content)
            for s in session.scalars(select(StatusListSnapshot))
        }


def test_status_lists_are_republished_when_behind_signed_with_an_old_key_or_old(
    services: Services, queue: JobQueue, ada: User
) -> None:
    _issue(services, valid_until=None)
    with services.session() as session:
        lists = sorted(session.scalars(select(StatusList.id)))
        for status_list in session.scalars(select(StatusList)):
            status_list.updated_at = T0  # signed "now"
    assert lists
    republish = scheduled.republish_status_lists
    assert republish(services, queue, T0) == {}
    # A change recorded without signing (a script, a restore): the copy is behind.
    with services.session() as session:
        session.execute(
            update(StatusList)
            .where(StatusList.id == lists[0])
            .values(version=StatusList.version + 1)
        )
    assert republish(services, queue, T0) == {lists[0]: "behind"}
    with services.session() as session:
        changed = session.get(StatusList, lists[0])
        assert changed is not None
        assert _snapshots(services)[lists[0]][0] == changed.version
    assert republish(services, queue, T0) == {}
    # The Ed25519 key retired without re-signing: every list names the old key.
    before = _snapshots(services)
    with services.session() as session:
        old = session.scalars(
            select(SigningKeyRecord).where(
                SigningKeyRecord.alg == "EdDSA", SigningKeyRecord.status == "active"
            )
        ).all()
        for record in old:
            issuer = session.get(Issuer, record.issuer_id)
            assert issuer is not None
            create_signing_key(session, services, issuer, "EdDSA", now=T0, actor="test")
            record.status = "retired"
            record.retired_at = T0
        new_kids = [
            r.kid
            for r in session.scalars(
                select(SigningKeyRecord).where(
                    SigningKeyRecord.alg == "EdDSA", SigningKeyRecord.status == "active"
                )
            )
        ]
    assert republish(services, queue, T0) == dict.fromkeys(lists, "old_key")
    after = _snapshots(services)
    for list_id in lists:
        assert after[list_id][0] == before[list_id][0] + 1  # a new version: a new ETag
        proof = json.loads(after[list_id][1])["proof"]
        proof = proof[0] if isinstance(proof, list) else proof
        assert any(proof["verificationMethod"].endswith(kid) for kid in new_kids)
    assert republish(services, queue, T0 + LIST_MAX_AGE - timedelta(minutes=1)) == {}
    assert republish(services, queue, T0 + LIST_MAX_AGE) == dict.fromkeys(lists, "old")
    assert republish(services, queue, T0 + LIST_MAX_AGE) == {}
    # what /status/<id> serves is the republished copy, not one signed on the request
    with services.session() as session:
        content, version = signed_list(session, services, lists[0], T0 + LIST_MAX_AGE)
    assert (version, content) == _snapshots(services)[lists[0]]


def test_a_run_that_died_with_its_worker_is_reported(services: Services, queue: JobQueue) -> None:
    _admins(services)
    with services.session() as session:
        # begun two hours ago, never finished: its worker was killed mid-run
        session.add(
            ScheduleRun(name="share-link-cleanup", slot="x", started_at=T0 - timedelta(hours=2))
        )
        # begun a minute ago: still running, not news
        session.add(
            ScheduleRun(name="status-lists", slot="y", started_at=T0 - timedelta(minutes=1))
        )
    assert scheduled.failed_report(services, queue, T0)["reports"] >= 1
    (_, _, context), *_ = _notes(services, "failed_report")
    assert [run["name"] for run in context["failed_schedules"]] == ["share-link-cleanup"]
    assert "never finished" in context["failed_schedules"][0]["error"]
