"""Applications: applying with one's own current badges, withdrawing, the fit report, and
decisions — ``moved`` as exactly one people event that the mobility figures count."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import cast

import pytest
from flask import Flask
from sqlalchemy import delete, func, select

from passport.accounts.models import User
from passport.accounts.users import create_user
from passport.audit import AuditEvent
from passport.credentials.listing import badge_status
from passport.credentials.models import IssuedCredential
from passport.errors import Conflict, InvalidRequest, NotFound
from passport.jobs.models import Notification
from passport.mobility.applications import (
    application_fit,
    applications_for,
    apply,
    decide,
    open_roles_for,
    withdraw,
)
from passport.mobility.models import (
    Application,
    Discoverability,
    DiscoverableFamily,
    ExternalCandidate,
    OpenRole,
)
from passport.mobility.roles import (
    RoleDraft,
    can_manage,
    close_role,
    find_managed_role,
    list_roles,
    open_role,
)
from passport.outcomes.measures import compute_outcomes
from passport.outcomes.models import HRPerson, PeopleEvent
from passport.outcomes.people import org_today
from passport.outcomes.report import MobilityQuarter
from passport.services import Services
from passport.sharing.models import ShareLink, ShareLinkCredential, ShareLinkView
from passport.web.context import get_services
from tests.unit.passport.outcomes.fixtures import add_badge, add_people, emptied, module_app
from tests.unit.passport.outcomes.synthetic import Row

NOW = datetime.now(UTC)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    return module_app(Path(tmp_path_factory.mktemp("applications")))


@pytest.fixture
def services(shared: Flask) -> Iterator[Services]:
    services = get_services(shared)
    yield services
    with services.session() as session:
        for model in (
            Application,
            ExternalCandidate,
            ShareLinkView,
            ShareLinkCredential,
            ShareLink,
            Notification,
            DiscoverableFamily,
            Discoverability,
            OpenRole,
        ):
            session.execute(delete(model))
    for _ in emptied(services):
        pass


def learner(services: Services, email: str, name: str) -> int:
    with services.session() as session:
        user = create_user(session, email=email, name=name, role="learner", password=None)
        session.flush()
        return user.id


def add(services: Services, email: str, skill: str, level: int, **kw: date) -> str:
    """A badge for ``email`` and its id."""
    with services.session() as session:
        before = set(session.scalars(select(IssuedCredential.id)))
        add_badge(session, email, f"{skill}-l{level}", kw.pop("issued", date(2026, 5, 1)), **kw)
        (new,) = set(session.scalars(select(IssuedCredential.id))) - before
        return new


def manager(services: Services) -> int:
    with services.session() as session:
        user = create_user(
            session, email="hm@example.org", name="Hiring Manager", role="admin", password=None
        )
        session.flush()
        return user.id


def sre_role(services: Services, creator: int | None = None, **levels: int) -> int:
    with services.session() as session:
        role = open_role(
            session,
            RoleDraft(title="SRE II", job_family="sre", openings=2, levels=dict(levels)),
            actor="hm@example.org",
            user_id=creator,
            now=NOW,
        )
        return role.id


def applying(
    services: Services, user_id: int, role_id: int, badges: list[str], **kw: object
) -> int:
    with services.session() as session:
        user = session.get(User, user_id)
        assert user is not None
        applied = apply(session, services, user, role_id, badges, now=NOW, **kw)  # type: ignore[arg-type]
        return applied.application.id


# -- applying --------------------------------------------------------------------------------


def test_applying_shares_the_chosen_badges_and_tells_the_role_creator(
    services: Services,
) -> None:
    creator = manager(services)
    uid = learner(services, "ana@example.org", "Ana")
    cid = add(services, "ana@example.org", "linux-administration", 3)
    role_id = sre_role(services, creator)
    app_id = applying(services, uid, role_id, [cid], message="Keen on on-call.")
    with services.session() as session:
        application = session.get(Application, app_id)
        assert application is not None and application.status == "applied"
        link = session.get(ShareLink, application.share_link_id)
        assert link is not None
        assert link.audience == "Application: SRE II\n\nKeen on on-call."
        assert [c.credential_id for c in link.credentials] == [cid]
        assert link.expires_at - NOW == timedelta(days=30)
        mails = session.scalars(select(Notification).where(Notification.kind == "role_application"))
        (mail,) = list(mails)
        assert mail.to == "hm@example.org"
        assert json.loads(mail.context)["application_id"] == app_id
        assert "Keen" not in mail.context  # the message is for the application page only


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("none", "no_badges_chosen"),
        ("someone_elses", "not_current_badge"),
        ("revoked", "not_current_badge"),
        ("expired", "not_current_badge"),
        ("unknown", "not_current_badge"),
        ("long_message", "message_too_long"),
        ("expiry", "invalid_expiry"),
    ],
)
def test_bad_applications_are_refused_and_share_nothing(
    services: Services, case: str, code: str
) -> None:
    uid = learner(services, "ana@example.org", "Ana")
    learner(services, "bo@example.org", "Bo")
    own = add(services, "ana@example.org", "networking", 2)
    theirs = add(services, "bo@example.org", "networking", 2)
    revoked = add(services, "ana@example.org", "observability", 2, revoked=date(2026, 6, 1))
    expired = add(services, "ana@example.org", "ci-cd", 2, valid_until=date(2026, 6, 1))
    role_id = sre_role(services)
    badges, kw = {
        "none": ([], {}),
        "someone_elses": ([own, theirs], {}),
        "revoked": ([revoked], {}),
        "expired": ([expired], {}),
        "unknown": (["urn:uuid:nope"], {}),
        "long_message": ([own], {"message": "x" * 281}),
        "expiry": ([own], {"expires_days": 0}),
    }[case]
    with pytest.raises(InvalidRequest) as caught:
        applying(services, uid, role_id, badges, **kw)
    assert caught.value.code == code
    with services.session() as session:
        assert session.scalar(select(func.count()).select_from(ShareLink)) == 0
        assert session.scalar(select(func.count()).select_from(Application)) == 0


def test_a_closed_role_takes_no_application(services: Services) -> None:
    uid = learner(services, "ana@example.org", "Ana")
    cid = add(services, "ana@example.org", "networking", 2)
    role_id = sre_role(services)
    with services.session() as session:
        close_role(session, role_id, actor="hm", now=NOW)
    with pytest.raises(Conflict) as caught:
        applying(services, uid, role_id, [cid])
    assert caught.value.code == "role_closed"
    with pytest.raises(NotFound):
        applying(services, uid, role_id + 1000, [cid])


def test_applying_twice_is_a_conflict_and_after_withdrawing_it_reopens(
    services: Services,
) -> None:
    uid = learner(services, "ana@example.org", "Ana")
    cid = add(services, "ana@example.org", "networking", 2)
    role_id = sre_role(services)
    first = applying(services, uid, role_id, [cid])
    with pytest.raises(Conflict) as caught:
        applying(services, uid, role_id, [cid])
    assert caught.value.code == "already_applied"
    with services.session() as session:
        user = session.get(User, uid)
        assert user is not None
        withdraw(session, user, first, now=NOW)
        old_link = session.get(Application, first).share_link_id  # type: ignore[union-attr]
    again = applying(services, uid, role_id, [cid])
    assert again == first
    with services.session() as session:
        application = session.get(Application, again)
        assert application is not None
        assert application.status == "applied"
        assert application.share_link_id != old_link
        live = session.get(ShareLink, application.share_link_id)
        assert live is not None and live.revoked_at is None


def test_withdrawing_revokes_the_link_and_only_the_applicant_may(services: Services) -> None:
    uid = learner(services, "ana@example.org", "Ana")
    other = learner(services, "bo@example.org", "Bo")
    cid = add(services, "ana@example.org", "networking", 2)
    app_id = applying(services, uid, sre_role(services), [cid])
    with services.session() as session:
        stranger = session.get(User, other)
        assert stranger is not None
        with pytest.raises(NotFound):
            withdraw(session, stranger, app_id, now=NOW)
    with services.session() as session:
        user = session.get(User, uid)
        assert user is not None
        assert withdraw(session, user, app_id, now=NOW).status == "withdrawn"
    with services.session() as session:
        application = session.get(Application, app_id)
        assert application is not None
        link = session.get(ShareLink, application.share_link_id)
        assert link is not None and link.revoked_at is not None
        assert link.credentials == [] and link.audience is None
        fit = application_fit(services, session, app_id)
    assert fit.link == "revoked"
    assert fit.badges == () and fit.message is None
    assert fit.fit.met == 0


# -- the fit report --------------------------------------------------------------------------


def test_the_fit_report_counts_only_current_shared_badges(services: Services) -> None:
    uid = learner(services, "ana@example.org", "Ana")
    linux = add(services, "ana@example.org", "linux-administration", 3)
    net = add(services, "ana@example.org", "networking", 1)
    obs = add(services, "ana@example.org", "observability", 3)
    add(services, "ana@example.org", "incident-response", 3)  # held, but not shared
    role_id = sre_role(services, networking=2)
    app_id = applying(services, uid, role_id, [linux, net, obs], message="Hello")
    with services.session() as session:
        session.get(IssuedCredential, obs).revoked_at = NOW  # type: ignore[union-attr]
    with services.session() as session:
        fit = application_fit(services, session, app_id)
        statuses = {b.credential_id: b.status for b in fit.badges}
        skills = {s.skill: s.status for s in fit.fit.skills}
    assert fit.link == "active" and fit.message == "Hello"
    assert statuses == {linux: "active", net: "active", obs: "revoked"}
    assert skills["linux-administration"] == "met"
    assert skills["networking"] == "partly"
    assert skills["observability"] == "missing"  # revoked after applying: out at once
    assert skills["incident-response"] == "missing"  # not shared: not seen
    assert ("networking", 2) in fit.closers
    assert fit.skill_names["networking"]
    with services.session() as session:
        rows = applications_for(session, role_id, now=NOW)
    assert [(r.name, r.badges, r.link) for r in rows] == [("Ana", 3, "active")]


def test_an_expired_link_shows_no_badges(services: Services) -> None:
    uid = learner(services, "ana@example.org", "Ana")
    cid = add(services, "ana@example.org", "networking", 2)
    app_id = applying(services, uid, sre_role(services), [cid], expires_days=1)
    with services.session() as session:
        link = session.get(ShareLink, session.get(Application, app_id).share_link_id)  # type: ignore[union-attr]
        assert link is not None
        link.expires_at = NOW - timedelta(minutes=1)
    with services.session() as session:
        fit = application_fit(services, session, app_id)
        rows = applications_for(session, fit.role.id, now=NOW)
    assert fit.link == "expired" and fit.badges == ()
    assert rows[0].link == "expired" and rows[0].badges == 0


def test_the_learner_sees_open_roles_with_their_own_fit(services: Services) -> None:
    uid = learner(services, "ana@example.org", "Ana")
    add(services, "ana@example.org", "linux-administration", 3)
    add(services, "ana@example.org", "networking", 2, revoked=date(2026, 6, 1))
    open_id = sre_role(services)
    closed_id = sre_role(services)
    with services.session() as session:
        close_role(session, closed_id, actor="hm", now=NOW)
        user = session.get(User, uid)
        assert user is not None
        fits = open_roles_for(session, user, now=NOW)
    assert [f.role.id for f in fits] == [open_id]
    assert fits[0].candidate.met == 1
    assert fits[0].application is None


# -- decisions -------------------------------------------------------------------------------


def moved_events(services: Services) -> list[tuple[str, str | None, date]]:
    with services.session() as session:
        return [
            (key, family, day)
            for key, family, day in session.execute(
                select(HRPerson.person_key, PeopleEvent.job_family_id, PeopleEvent.occurred_on)
                .join(PeopleEvent, PeopleEvent.person_id == HRPerson.id)
                .where(PeopleEvent.event == "moved")
            )
        ]


def deciding(services: Services, app_id: int, status: str, note: str | None = None) -> str:
    with services.session() as session:
        return decide(
            session,
            app_id,
            status,
            actor="hm@example.org",
            note=note,
            now=NOW,
            secret_key=services.settings.secret_key,
        ).status


def test_moved_writes_exactly_one_moved_event_and_is_idempotent(services: Services) -> None:
    uid = learner(services, "ana@example.org", "Ana")
    cid = add(services, "ana@example.org", "networking", 2)
    app_id = applying(services, uid, sre_role(services), [cid])
    assert deciding(services, app_id, "shortlisted", "strong on-call") == "shortlisted"
    assert moved_events(services) == []
    assert deciding(services, app_id, "moved") == "moved"
    assert deciding(services, app_id, "moved") == "moved"
    with services.session() as session:
        scim = session.get(User, uid).scim_id  # type: ignore[union-attr]
        today = org_today(session, NOW)
        application = session.get(Application, app_id)
        assert application is not None
        assert application.decided_by == "hm@example.org" and application.decided_at is not None
        person = session.scalar(select(HRPerson).where(HRPerson.email == "ana@example.org"))
        assert person is not None
        audits = session.scalars(
            select(AuditEvent.action).where(AuditEvent.action == "application.decide")
        ).all()
    assert moved_events(services) == [(f"passport-user-{scim}", "sre", today)]
    assert len(audits) == 2  # shortlisted and moved; the repeated "moved" changed nothing
    with pytest.raises(Conflict) as caught:
        deciding(services, app_id, "declined")
    assert caught.value.code == "already_moved"


def test_moved_uses_the_hr_person_with_the_same_email(services: Services) -> None:
    uid = learner(services, "ana@example.org", "Ana")
    cid = add(services, "ana@example.org", "networking", 2)
    with services.session() as session:
        add_people(
            session,
            [Row("HR-77", "hired", date(2024, 1, 8), "data", None)],
            {"HR-77": "ana@example.org"},
        )
    app_id = applying(services, uid, sre_role(services), [cid])
    deciding(services, app_id, "moved")
    assert [key for key, _, _ in moved_events(services)] == ["HR-77"]
    with services.session() as session:
        assert session.scalar(select(func.count()).select_from(HRPerson)) == 1


def test_decisions_on_withdrawn_applications_and_bad_decisions_are_refused(
    services: Services,
) -> None:
    uid = learner(services, "ana@example.org", "Ana")
    cid = add(services, "ana@example.org", "networking", 2)
    app_id = applying(services, uid, sre_role(services), [cid])
    with pytest.raises(InvalidRequest) as bad:
        deciding(services, app_id, "withdrawn")
    assert bad.value.code == "invalid_decision"
    with pytest.raises(InvalidRequest) as long_note:
        deciding(services, app_id, "declined", "x" * 2001)
    assert long_note.value.code == "note_too_long"
    with services.session() as session:
        user = session.get(User, uid)
        assert user is not None
        withdraw(session, user, app_id, now=NOW)
    for status in ("shortlisted", "declined", "moved"):
        with pytest.raises(Conflict) as caught:
            deciding(services, app_id, status)
        assert caught.value.code == "application_withdrawn"
    with pytest.raises(NotFound):
        deciding(services, app_id + 1000, "declined")
    assert moved_events(services) == []


def test_a_moved_decision_counts_as_an_internal_move_in_the_outcomes(services: Services) -> None:
    role_id = sre_role(services)
    with services.session() as session:
        today = org_today(session, NOW)
        # Four moves into SRE already this quarter (imported from HR): under 5, suppressed.
        add_people(session, [Row(f"HR-{i}", "moved", today, "sre", None) for i in range(4)])
        before = compute_outcomes(session, as_of=today).mobility.get("sre", {})
    quarter = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    assert not isinstance(before.get(quarter), MobilityQuarter)
    uid = learner(services, "ana@example.org", "Ana")
    cid = add(services, "ana@example.org", "networking", 2)
    deciding(services, applying(services, uid, role_id, [cid]), "moved")
    with services.session() as session:
        cell = compute_outcomes(session, as_of=today).mobility["sre"][quarter]
    assert isinstance(cell, MobilityQuarter)
    assert (cell.internal, cell.external) == (5, 0)


def test_withdrawing_tells_nobody_and_a_role_without_a_creator_mails_nobody(
    services: Services,
) -> None:
    uid = learner(services, "ana@example.org", "Ana")
    cid = add(services, "ana@example.org", "networking", 2)
    app_id = applying(services, uid, sre_role(services, None), [cid])
    with services.session() as session:
        user = session.get(User, uid)
        assert user is not None
        withdraw(session, user, app_id, now=NOW)
        assert session.scalars(select(Notification)).all() == []


@pytest.mark.parametrize(
    ("role", "deactivated", "mailed"),
    [
        ("hiring_manager", False, True),
        ("admin", False, True),
        ("learner", False, False),  # moved on from hiring: hears nothing of the role
        ("analyst", False, False),
        ("hiring_manager", True, False),
    ],
)
def test_the_role_creator_is_mailed_only_while_they_still_manage_it(
    services: Services, role: str, deactivated: bool, mailed: bool
) -> None:
    creator = manager(services)
    role_id = sre_role(services, creator)
    with services.session() as session:
        user = session.get(User, creator)
        assert user is not None
        user.role = role
        user.deactivated_at = NOW if deactivated else None
    uid = learner(services, "ana@example.org", "Ana")
    applying(services, uid, role_id, [add(services, "ana@example.org", "networking", 2)])
    with services.session() as session:
        mails = session.scalars(select(Notification.to)).all()
    assert mails == (["hm@example.org"] if mailed else [])


# -- who manages a role ----------------------------------------------------------------------


def hiring_manager(services: Services, email: str) -> int:
    with services.session() as session:
        user = create_user(session, email=email, name=email, role="hiring_manager", password=None)
        session.flush()
        return user.id


def test_only_the_opener_and_admins_manage_a_role_and_its_applications(
    services: Services,
) -> None:
    opener = hiring_manager(services, "opener@example.org")
    other = hiring_manager(services, "other@example.org")
    admin = manager(services)
    role_id = sre_role(services, opener)
    api_role = sre_role(services, None)
    uid = learner(services, "ana@example.org", "Ana")
    app_id = applying(services, uid, role_id, [add(services, "ana@example.org", "networking", 2)])
    with services.session() as session:
        users = {u.id: u for u in session.scalars(select(User))}
        role, api = session.get(OpenRole, role_id), session.get(OpenRole, api_role)
        assert role is not None and api is not None
        assert [can_manage(role, users[u]) for u in (opener, other, admin)] == [True, False, True]
        assert [can_manage(api, users[u]) for u in (opener, admin)] == [False, True]
        assert [r.id for r in list_roles(session, managed_by=users[opener])] == [role_id]
        assert list_roles(session, managed_by=users[other]) == []
        assert {r.id for r in list_roles(session, managed_by=users[admin])} == {role_id, api_role}
        assert find_managed_role(session, role_id, users[opener]).id == role_id
        for call in (
            lambda: find_managed_role(session, role_id, users[other]),
            lambda: applications_for(session, role_id, now=NOW, manager=users[other]),
            lambda: close_role(session, role_id, actor="x", now=NOW, manager=users[other]),
        ):
            with pytest.raises(NotFound) as caught:
                call()
            assert caught.value.code == "unknown_role"
        for call in (
            lambda: application_fit(services, session, app_id, manager=users[other]),
            lambda: decide(
                session, app_id, "moved", actor="x", now=NOW, secret_key="k", manager=users[other]
            ),
        ):
            with pytest.raises(NotFound) as caught:
                call()
            assert caught.value.code == "unknown_application"
        fit = application_fit(services, session, app_id, manager=users[opener])
        assert fit.application.id == app_id
    assert moved_events(services) == []


def test_a_closed_roles_application_still_takes_a_decision(services: Services) -> None:
    creator = manager(services)
    role_id = sre_role(services, creator)
    uid = learner(services, "ana@example.org", "Ana")
    app_id = applying(services, uid, role_id, [add(services, "ana@example.org", "networking", 2)])
    with services.session() as session:
        close_role(session, role_id, actor="hm", now=NOW)
    with services.session() as session:
        decided = decide(session, app_id, "moved", actor="hm", now=NOW, secret_key="k")
        assert decided.status == "moved"
    assert len(moved_events(services)) == 1


class _ClockAt:
    """``services`` with its clock stopped at ``at`` (the clock is a seam; everything else is
    the real services)."""

    def __init__(self, services: Services, at: datetime) -> None:
        self._services, self._at = services, at

    def now(self) -> datetime:
        return self._at

    def __getattr__(self, name: str) -> object:
        return getattr(self._services, name)


def test_a_badge_ending_this_instant_reads_as_the_badge_list_reads_it(
    services: Services,
) -> None:
    """The fit report's badge status is the badge list's own rule (one rule, not a copy that
    disagreed at ``valid_until == now``)."""
    uid = learner(services, "ana@example.org", "Ana")
    cid = add(services, "ana@example.org", "networking", 2)
    app_id = applying(services, uid, sre_role(services), [cid])
    at = NOW + timedelta(hours=1)
    with services.session() as session:
        record = session.get(IssuedCredential, cid)
        assert record is not None
        record.valid_until = at
    stopped = cast(Services, _ClockAt(services, at))
    with services.session() as session:
        record = session.get(IssuedCredential, cid)
        assert record is not None
        (shared,) = application_fit(stopped, session, app_id).badges
        assert shared.status == badge_status(record, at) == "active"
