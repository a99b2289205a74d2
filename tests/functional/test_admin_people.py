"""Admin of people (#16): users (edit, roles, deactivate), cohorts and sessions (edit, delete
with confirmation), the assessment form (known learners only, or an explicit invite), badges
(search, paging, role-gated controls, revoke confirmed) and the audit log's search.

Through the browser path, like test_admin.py: the login form, CSRF tokens scraped from pages.
"""

from __future__ import annotations

import re
from datetime import date

from flask.testing import FlaskClient
from sqlalchemy import func, select

from passport.accounts.models import User
from passport.assessments.models import Assessment
from passport.audit import AuditEvent
from passport.cohorts.models import Attendance, Cohort, MentoringSession, MentorNote
from passport.credentials.models import IssuedCredential
from passport.services import Services
from tests.functional.test_admin import HTML, PASSWORD, csrf, login, make_user


def _user_id(services: Services, email: str) -> int:
    with services.session() as db:
        user = db.scalar(select(User).where(User.email == email))
        assert user is not None
        return user.id


def _log_in(client: FlaskClient, email: str) -> int:
    response = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf(client)}
    )
    return response.status_code


# -- users ------------------------------------------------------------------------------------


def test_admin_edits_a_users_name_email_and_role(client: FlaskClient, services: Services) -> None:
    make_user(services, "lee@example.com", "learner", name="Lee")
    token = login(client, services, "root@example.com", "admin")
    user_id = _user_id(services, "lee@example.com")
    page = client.get(f"/admin/users/{user_id}", headers=HTML).data.decode()
    assert "Edit Lee" in page and 'value="lee@example.com"' in page
    done = client.post(
        f"/admin/users/{user_id}",
        data={"csrf_token": token, "email": "Lee.Q@Example.com", "name": "Lee Q", "role": "mentor"},
    )
    assert done.status_code == 302
    with services.session() as db:
        user = db.get(User, user_id)
        assert user is not None
        assert (user.email, user.name, user.role) == ("lee.q@example.com", "Lee Q", "mentor")
        assert db.scalar(select(AuditEvent).where(AuditEvent.action == "user.update")) is not None
    # a taken e-mail is refused on the page, tied to its field
    make_user(services, "taken@example.com", "learner")
    taken = client.post(
        f"/admin/users/{user_id}",
        data={"csrf_token": token, "email": "taken@example.com", "name": "Lee", "role": "mentor"},
    )
    assert taken.status_code == 400
    body = taken.data.decode()
    assert "already exists" in body
    assert re.search(r'id="email"[^>]*aria-describedby="form-error"', body)


def test_only_admins_manage_users(client: FlaskClient, services: Services) -> None:
    make_user(services, "lee@example.com", "learner")
    user_id = _user_id(services, "lee@example.com")
    token = login(client, services, "mo@example.com", "mentor")
    assert client.get(f"/admin/users/{user_id}", headers=HTML).status_code == 403
    refused = client.post(
        f"/admin/users/{user_id}/active", data={"csrf_token": token, "active": "0"}
    )
    assert refused.status_code == 403
    with services.session() as db:
        assert db.get(User, user_id).deactivated_at is None  # type: ignore[union-attr]


def test_deactivated_user_cannot_log_in_and_their_session_ends(
    app: object, client: FlaskClient, services: Services
) -> None:
    make_user(services, "mo@example.com", "mentor")
    mentor = app.test_client()  # type: ignore[attr-defined]
    assert _log_in(mentor, "mo@example.com") == 302
    assert mentor.get("/admin/", headers=HTML).status_code == 200

    token = login(client, services, "root@example.com", "admin")
    user_id = _user_id(services, "mo@example.com")
    done = client.post(f"/admin/users/{user_id}/active", data={"csrf_token": token, "active": "0"})
    assert done.status_code == 302
    assert (
        "can no longer log in" in client.get(done.headers["Location"], headers=HTML).data.decode()
    )

    # the open session ends on its next request; a new login is refused
    again = mentor.get("/admin/", headers=HTML)
    assert again.status_code == 302 and again.headers["Location"].startswith("/login")
    assert _log_in(mentor, "mo@example.com") == 401
    listing = client.get("/admin/users?status=deactivated", headers=HTML).data.decode()
    assert (
        "1 user found." in listing
        and '<td data-label="E-mail" class="wrap">mo@example.com' in listing
    )

    # reactivated, the old password works again
    client.post(f"/admin/users/{user_id}/active", data={"csrf_token": token, "active": "1"})
    assert _log_in(mentor, "mo@example.com") == 302


def test_last_active_admin_cannot_be_demoted_or_deactivated(
    client: FlaskClient, services: Services
) -> None:
    token = login(client, services, "root@example.com", "admin")
    root = _user_id(services, "root@example.com")
    demote = client.post(
        f"/admin/users/{root}",
        data={"csrf_token": token, "email": "root@example.com", "name": "Root", "role": "mentor"},
    )
    assert demote.status_code == 400
    assert "last active administrator" in demote.data.decode()
    off = client.post(f"/admin/users/{root}/active", data={"csrf_token": token, "active": "0"})
    assert (
        "last active administrator"
        in client.get(off.headers["Location"], headers=HTML).data.decode()
    )
    with services.session() as db:
        user = db.get(User, root)
        assert user is not None and user.role == "admin" and user.deactivated_at is None
    # with a second admin, the first may step down
    make_user(services, "second@example.com", "admin")
    stepped = client.post(
        f"/admin/users/{root}",
        data={"csrf_token": token, "email": "root@example.com", "name": "Root", "role": "mentor"},
    )
    assert stepped.status_code == 302


def test_users_search_and_pagination(client: FlaskClient, services: Services) -> None:
    with services.session() as db:
        for n in range(55):
            db.add(
                User(email=f"learner{n:02d}@example.com", name=f"Learner {n:02d}", role="learner")
            )
        db.add(User(email="zed@example.org", name="Zed Quill", role="assessor"))
    login(client, services, "root@example.com", "admin")
    first = client.get("/admin/users", headers=HTML).data.decode()
    assert "57 users found." in first and "Page 1 of 2" in first
    assert 'href="/admin/users?page=2"' in first
    found = client.get("/admin/users?q=quill", headers=HTML).data.decode()
    assert "1 user found." in found and "zed@example.org" in found and "learner00" not in found
    learners = client.get("/admin/users?role=learner&page=2", headers=HTML).data.decode()
    assert "55 users found." in learners and "learner54@example.com" in learners
    assert "role=learner" in learners and "page=1" in learners
    none = client.get("/admin/users?q=nobody-like-this", headers=HTML).data.decode()
    assert "0 users found." in none and "No user matches this search." in none
    wild = client.get("/admin/users?q=%25", headers=HTML).data.decode()
    assert "0 users found." in wild  # LIKE wildcards are searched for literally


# -- badges -----------------------------------------------------------------------------------


def _issue(services: Services, achievement: str, email: str, *, suspendable: bool = False) -> str:
    from passport.credentials.issuing import IssueRequest, issue_credential

    with services.session() as db:
        return issue_credential(
            db,
            services,
            IssueRequest(achievement, email, suspendable=suspendable, reason="test award"),
            now=services.now(),
        ).id


def test_badges_search_by_holder_achievement_and_status(
    client: FlaskClient, services: Services
) -> None:
    make_user(services, "ada@example.com", "learner", name="Ada Lovelace")
    ada = _issue(services, "observability-l2", "ada@example.com", suspendable=True)
    bo = _issue(services, "networking-l2", "bo@example.com")
    token = login(client, services, "root@example.com", "admin")

    def found(query: str) -> str:
        return client.get(f"/admin/badges?{query}", headers=HTML).data.decode()

    everything = found("")
    assert "2 badges found." in everything and ada in everything and bo in everything
    by_name = found("q=lovelace")
    assert "1 badge found." in by_name and ada in by_name and bo not in by_name
    by_email = found("q=BO%40example")
    assert bo in by_email and ada not in by_email
    by_achievement = found("q=networking")
    assert bo in by_achievement and ada not in by_achievement
    client.post(
        f"/admin/badges/{ada}/status",
        data={"csrf_token": token, "action": "suspend", "reason": "under review"},
    )
    suspended = found("status=suspended")
    assert "1 badge found." in suspended and ada in suspended
    assert 'value="reinstate"' in suspended and 'value="suspend"' not in suspended
    active = found("status=active")
    assert bo in active and ada not in active
    assert "0 badges found." in found("status=revoked")
    assert "No badge matches this search." in found("q=nothing-like-this")


def test_badges_pagination_keeps_the_search(client: FlaskClient, services: Services) -> None:
    for n in range(51):
        _issue(services, "observability-l2", f"p{n:02d}@example.com")
    _issue(services, "networking-l2", "other@example.com")
    login(client, services, "root@example.com", "admin")
    first = client.get("/admin/badges?q=observability", headers=HTML).data.decode()
    assert "51 badges found." in first and "Page 1 of 2" in first
    assert "q=observability" in first.split('rel="next"')[0].rsplit("<a", 1)[1]
    second = client.get("/admin/badges?q=observability&page=2", headers=HTML).data.decode()
    assert second.count('class="muted small-text id-text"') == 1
    beyond = client.get("/admin/badges?q=observability&page=99", headers=HTML).data.decode()
    assert "Page 2 of 2" in beyond


def test_assessors_and_mentors_see_no_status_controls(
    client: FlaskClient, services: Services
) -> None:
    credential = _issue(services, "observability-l2", "sam@example.com", suspendable=True)
    for role in ("assessor", "mentor"):
        token = login(client, services, f"{role}@example.com", role)
        page = client.get("/admin/badges", headers=HTML).data.decode()
        assert credential in page
        assert "Change status" not in page and "/status" not in page and "/revoke" not in page
        assert client.get(f"/admin/badges/{credential}/revoke", headers=HTML).status_code == 403
        refused = client.post(
            f"/admin/badges/{credential}/status",
            data={"csrf_token": token, "action": "suspend", "reason": "x"},
        )
        assert refused.status_code == 403
        client.post("/logout", data={"csrf_token": token})


def test_revoke_goes_through_its_confirmation_page(client: FlaskClient, services: Services) -> None:
    credential = _issue(services, "observability-l2", "sam@example.com")
    token = login(client, services, "root@example.com", "admin")
    listing = client.get("/admin/badges?q=sam", headers=HTML).data.decode()
    assert 'value="revoke"' not in listing  # no one-click revoke on the list
    assert 'value="suspend"' not in listing  # not suspendable
    confirm = client.get(f"/admin/badges/{credential}/revoke?back_q=sam", headers=HTML)
    page = confirm.data.decode()
    assert confirm.status_code == 200 and "Revoke this badge?" in page
    assert "cannot be undone" in page and 'name="confirm" value="yes"' in page
    assert 'name="back_q" value="sam"' in page
    done = client.post(
        f"/admin/badges/{credential}/status",
        data={
            "csrf_token": token,
            "action": "revoke",
            "confirm": "yes",
            "reason": "issued by mistake",
            "back_q": "sam",
        },
    )
    assert done.status_code == 302 and done.headers["Location"] == "/admin/badges?q=sam"
    with services.session() as db:
        record = db.get(IssuedCredential, credential)
        assert record is not None and record.revoked_at is not None
    again = client.get(f"/admin/badges/{credential}/revoke", headers=HTML).data.decode()
    assert "already revoked" in again
    unknown = client.get("/admin/badges/urn:uuid:nope/revoke", headers=HTML)
    assert unknown.status_code == 404


# -- audit ------------------------------------------------------------------------------------


def test_audit_log_search_and_pagination(client: FlaskClient, services: Services) -> None:
    with services.session() as db:
        for n in range(60):
            db.add(AuditEvent(actor="robot@example.com", action="test.bulk", subject=f"s{n}"))
        db.add(AuditEvent(actor="ana@example.com", action="cohort.create", subject="needle"))
    login(client, services, "root@example.com", "admin")
    page = client.get("/admin/audit", headers=HTML).data.decode()
    assert "Page 1 of 2" in page
    found = client.get("/admin/audit?q=needle", headers=HTML).data.decode()
    assert "1 event, newest first." in found and "cohort.create" in found
    assert "test.bulk" not in found
    bulk = client.get("/admin/audit?q=test.bulk&page=2", headers=HTML).data.decode()
    assert "60 events, newest first." in bulk and "q=test.bulk" in bulk
    assert (
        "No event matches this search."
        in client.get("/admin/audit?q=zzzz-none", headers=HTML).data.decode()
    )


# -- the assessment form ----------------------------------------------------------------------


def _rubric(client: FlaskClient, achievement: str = "incident-response-l2") -> dict[str, str]:
    page = client.get(
        f"/admin/assessments/new?achievement={achievement}", headers=HTML
    ).data.decode()
    key = re.search(r'name="key" value="([^"]+)"', page)
    assert key is not None
    criteria = re.findall(r'<select id="level-([\w-]+)"', page)
    assert criteria
    return {"key": key.group(1), **{f"level-{c}": "3" for c in criteria}}


def test_assessment_form_opens_without_an_error(client: FlaskClient, services: Services) -> None:
    make_user(services, "ada@example.com", "learner", name="Ada Lovelace")
    make_user(services, "gone@example.com", "learner", name="Gone Person")
    with services.session() as db:
        gone = db.scalar(select(User).where(User.email == "gone@example.com"))
        assert gone is not None
        gone.deactivated_at = services.now()
    login(client, services, "ana@example.com", "assessor")
    response = client.get("/admin/assessments/new", headers=HTML)
    page = response.data.decode()
    assert response.status_code == 200
    assert "Record an assessment" in page and "error" not in page.split("<main", 1)[1].lower()
    # the typeahead offers known, active learners: name and e-mail
    datalist = page.split('<datalist id="known-learners">', 1)[1].split("</datalist>", 1)[0]
    assert 'value="ada@example.com"' in datalist and "Ada Lovelace" in datalist
    assert "gone@example.com" not in datalist
    assert 'list="known-learners"' in page
    # an unknown skill level answers with the chooser and a plain error, not a 500
    unknown = client.get("/admin/assessments/new?achievement=nope", headers=HTML)
    assert unknown.status_code == 400
    assert "Choose a skill level to assess." in unknown.data.decode()


def test_cohort_members_are_offered_as_learners(client: FlaskClient, services: Services) -> None:
    make_user(services, "kim@example.com", "learner", name="Kim Member")
    with services.session() as db:
        kim = db.scalar(select(User).where(User.email == "kim@example.com"))
        assert kim is not None
        from passport.cohorts.models import CohortMember

        cohort = Cohort(name="Spring", starts_on=date(2030, 3, 4), ends_on=date(2030, 4, 22))
        cohort.members.append(CohortMember(user_id=kim.id, role="learner"))
        db.add(cohort)
    login(client, services, "ana@example.com", "assessor")
    page = client.get("/admin/assessments", headers=HTML).data.decode()
    assert "Kim Member" in page and 'value="kim@example.com"' in page


def test_unknown_email_is_refused_unless_invited(client: FlaskClient, services: Services) -> None:
    token = login(client, services, "ana@example.com", "assessor")
    data = {
        "csrf_token": token,
        "achievement": "incident-response-l2",
        "learner": "nia.typo@example.com",
        **_rubric(client),
    }
    refused = client.post("/admin/assessments/new", data=data)
    assert refused.status_code == 400
    page = refused.data.decode()
    assert "No learner has the e-mail address nia.typo@example.com" in page
    assert re.search(r'id="learner"[^>]*aria-describedby="learner-hint form-error"', page)
    assert 'value="nia.typo@example.com"' in page  # the form keeps its input
    with services.session() as db:
        assert db.scalar(select(func.count()).select_from(IssuedCredential)) == 0
        assert db.scalar(select(func.count()).select_from(Assessment)) == 0
        assert db.scalar(select(User).where(User.email == "nia.typo@example.com")) is None

    invited = client.post(
        "/admin/assessments/new", data={**data, "invite": "yes", "invite_name": "Nia Typo"}
    )
    assert invited.status_code == 302
    outcome = client.get(invited.headers["Location"], headers=HTML).data.decode()
    assert "invited as a new learner" in outcome
    with services.session() as db:
        user = db.scalar(select(User).where(User.email == "nia.typo@example.com"))
        assert user is not None and user.role == "learner" and user.name == "Nia Typo"
        record = db.scalar(select(IssuedCredential))
        assert record is not None and record.holder_id == user.holder_id
        assert db.scalar(select(AuditEvent).where(AuditEvent.action == "learner.invite"))


def test_deactivated_learner_cannot_be_assessed(client: FlaskClient, services: Services) -> None:
    make_user(services, "gone@example.com", "learner")
    with services.session() as db:
        user = db.scalar(select(User).where(User.email == "gone@example.com"))
        assert user is not None
        user.deactivated_at = services.now()
    token = login(client, services, "ana@example.com", "assessor")
    response = client.post(
        "/admin/assessments/new",
        data={
            "csrf_token": token,
            "achievement": "incident-response-l2",
            "learner": "gone@example.com",
            "invite": "yes",
            **_rubric(client),
        },
    )
    assert response.status_code == 400 and "is deactivated" in response.data.decode()


def test_badge_format_is_offered_in_plain_words(client: FlaskClient, services: Services) -> None:
    make_user(services, "ada@example.com", "learner")
    token = login(client, services, "ana@example.com", "assessor")
    page = client.get(
        "/admin/assessments/new?achievement=incident-response-l2", headers=HTML
    ).data.decode()
    assert "Standard (works everywhere)" in page and "JSON with embedded proof" in page
    assert "eddsa-rdfc-2022" in page and "ecdsa-rdfc-2019" in page
    assert 'value="di-eddsa" aria-describedby="proof-di-eddsa-hint" checked' in page
    for choice in ("di-ecdsa", "jwt"):
        response = client.post(
            "/admin/assessments/new",
            data={
                "csrf_token": token,
                "achievement": "incident-response-l2",
                "learner": "ada@example.com",
                "proof": choice,
                **_rubric(client),
            },
        )
        assert response.status_code == 302, response.data.decode()
    with services.session() as db:
        formats = sorted((r.proof_format, r.content) for r in db.scalars(select(IssuedCredential)))
        assert [f for f, _ in formats] == ["data-integrity", "vc-jwt"]
        assert b"ecdsa-rdfc-2019" in formats[0][1]
    bad = client.post(
        "/admin/assessments/new",
        data={
            "csrf_token": token,
            "achievement": "incident-response-l2",
            "learner": "ada@example.com",
            "proof": "rot13",
            **_rubric(client),
        },
    )
    assert (
        bad.status_code == 400 and "Choose one of the badge formats offered." in bad.data.decode()
    )


def test_assessments_list_search(client: FlaskClient, services: Services) -> None:
    make_user(services, "ada@example.com", "learner", name="Ada Lovelace")
    make_user(services, "bo@example.com", "learner", name="Bo")
    token = login(client, services, "ana@example.com", "assessor")
    for email in ("ada@example.com", "bo@example.com"):
        client.post(
            "/admin/assessments/new",
            data={
                "csrf_token": token,
                "achievement": "incident-response-l2",
                "learner": email,
                **_rubric(client),
            },
        )
    page = client.get("/admin/assessments?q=lovelace", headers=HTML).data.decode()
    assert "1 assessment found." in page
    table = page.split("<tbody>", 1)[1]
    assert "ada@example.com" in table and "bo@example.com" not in table
    assert (
        "0 assessments found."
        in client.get("/admin/assessments?result=not-yet", headers=HTML).data.decode()
    )


# -- cohorts and sessions ---------------------------------------------------------------------


def _cohort_with_everything(services: Services) -> tuple[int, int]:
    """A cohort with a mentor (mo), a learner (lee), a session Lee attended, a note, a target
    and an assessment recorded in it; returns (cohort id, session id)."""
    from passport.cohorts.models import CohortMember, CohortSkill
    from passport.credentials.models import Holder

    make_user(services, "mo@example.com", "mentor", name="Mo")
    make_user(services, "lee@example.com", "learner", name="Lee")
    with services.session() as db:
        mo = db.scalar(select(User).where(User.email == "mo@example.com"))
        lee = db.scalar(select(User).where(User.email == "lee@example.com"))
        assert mo is not None and lee is not None
        cohort = Cohort(name="SRE spring", starts_on=date(2030, 3, 4), ends_on=date(2030, 4, 22))
        cohort.members.extend(
            [
                CohortMember(user_id=mo.id, role="mentor"),
                CohortMember(user_id=lee.id, role="learner"),
            ]
        )
        cohort.target_skills.append(CohortSkill(achievement_id="observability-l2"))
        meeting = MentoringSession(
            title="SLOs", learning_outcome="Write an SLO.", starts_at=services.now(), minutes=45
        )
        meeting.attendance.append(Attendance(user_id=lee.id, present=True))
        cohort.sessions.append(meeting)
        db.add(cohort)
        db.flush()
        db.add(MentorNote(cohort_id=cohort.id, author_id=mo.id, text="Keen.", at=services.now()))
        holder = db.get(Holder, lee.holder_id)
        assert holder is not None
        db.add(
            Assessment(
                holder_id=holder.id,
                achievement_id="observability-l2",
                assessor="ana@example.com",
                cohort_id=cohort.id,
                levels="{}",
                passed=False,
                assessed_at=services.now(),
            )
        )
        db.flush()
        return cohort.id, meeting.id


def test_cohort_is_edited(client: FlaskClient, services: Services) -> None:
    cohort_id, _session = _cohort_with_everything(services)
    token = login(client, services, "root@example.com", "admin")
    page = client.get(f"/admin/cohorts/{cohort_id}", headers=HTML).data.decode()
    assert (
        f"/admin/cohorts/{cohort_id}/edit" in page and f"/admin/cohorts/{cohort_id}/delete" in page
    )
    form = client.get(f"/admin/cohorts/{cohort_id}/edit", headers=HTML).data.decode()
    assert 'value="SRE spring"' in form and 'value="2030-03-04"' in form
    backwards = client.post(
        f"/admin/cohorts/{cohort_id}/edit",
        data={"csrf_token": token, "name": "X", "starts_on": "2030-03-04", "ends_on": "2030-03-01"},
    )
    assert backwards.status_code == 400
    assert "The end date is before the start date." in backwards.data.decode()
    assert re.search(r'id="ends_on"[^>]*aria-describedby="form-error"', backwards.data.decode())
    done = client.post(
        f"/admin/cohorts/{cohort_id}/edit",
        data={
            "csrf_token": token,
            "name": "SRE summer",
            "description": "Moved.",
            "starts_on": "2030-06-01",
            "ends_on": "2030-07-20",
        },
    )
    assert done.status_code == 302
    with services.session() as db:
        cohort = db.get(Cohort, cohort_id)
        assert cohort is not None and cohort.name == "SRE summer"
        assert cohort.starts_on == date(2030, 6, 1) and cohort.description == "Moved."


def test_cohort_delete_is_confirmed_and_keeps_badges_and_assessments(
    client: FlaskClient, services: Services
) -> None:
    cohort_id, _session = _cohort_with_everything(services)
    token = login(client, services, "root@example.com", "admin")
    confirm = client.get(f"/admin/cohorts/{cohort_id}/delete", headers=HTML)
    page = confirm.data.decode()
    assert confirm.status_code == 200 and "Delete the cohort SRE spring?" in page
    for consequence in (
        "1 session",
        "1 attendance mark",
        "1 mentor note",
        "2 memberships",
        "1 target skill",
        "badges are never deleted",
        "1 assessment recorded in this cohort stays",
    ):
        assert consequence in page, consequence
    with services.session() as db:
        assert db.get(Cohort, cohort_id) is not None  # the GET deleted nothing
    done = client.post(f"/admin/cohorts/{cohort_id}/delete", data={"csrf_token": token})
    assert done.status_code == 302 and done.headers["Location"] == "/admin/cohorts"
    with services.session() as db:
        assert db.get(Cohort, cohort_id) is None
        assert db.scalar(select(func.count()).select_from(MentoringSession)) == 0
        assert db.scalar(select(func.count()).select_from(Attendance)) == 0
        assert db.scalar(select(func.count()).select_from(MentorNote)) == 0
        assessment = db.scalar(select(Assessment))
        assert assessment is not None and assessment.cohort_id is None
        assert db.scalar(select(User).where(User.email == "lee@example.com")) is not None
        assert db.scalar(select(AuditEvent).where(AuditEvent.action == "cohort.delete"))


def test_session_edit_and_confirmed_delete(client: FlaskClient, services: Services) -> None:
    cohort_id, session_id = _cohort_with_everything(services)
    assert _log_in(client, "mo@example.com") == 302  # mo mentors this cohort
    token = csrf(client, "/admin/")
    base = f"/admin/cohorts/{cohort_id}/sessions/{session_id}"
    form = client.get(f"{base}/edit", headers=HTML).data.decode()
    assert 'value="SLOs"' in form
    bad = client.post(
        f"{base}/edit",
        data={
            "csrf_token": token,
            "title": "SLOs",
            "learning_outcome": "x",
            "starts_at": "2030-03-05T10:00",
            "minutes": "9999",
        },
    )
    assert bad.status_code == 400 and "from 5 to 480" in bad.data.decode()
    done = client.post(
        f"{base}/edit",
        data={
            "csrf_token": token,
            "title": "SLOs and budgets",
            "learning_outcome": "Write an SLO and its budget.",
            "starts_at": "2030-03-05T10:00",
            "minutes": "50",
        },
    )
    assert done.status_code == 302
    with services.session() as db:
        meeting = db.get(MentoringSession, session_id)
        assert meeting is not None and meeting.title == "SLOs and budgets"
        assert meeting.minutes == 50
    confirm = client.get(f"{base}/delete", headers=HTML).data.decode()
    assert "Delete the session SLOs and budgets?" in confirm and "1 attendance mark" in confirm
    client.post(f"{base}/delete", data={"csrf_token": token})
    with services.session() as db:
        assert db.get(MentoringSession, session_id) is None
        assert db.get(Cohort, cohort_id) is not None
    assert client.get(f"{base}/edit", headers=HTML).status_code == 404


def test_mentors_cannot_edit_or_delete_other_cohorts(
    client: FlaskClient, services: Services
) -> None:
    cohort_id, session_id = _cohort_with_everything(services)
    token = login(client, services, "other.mentor@example.com", "mentor")
    for path in (
        f"/admin/cohorts/{cohort_id}/edit",
        f"/admin/cohorts/{cohort_id}/delete",
        f"/admin/cohorts/{cohort_id}/sessions/{session_id}/edit",
        f"/admin/cohorts/{cohort_id}/sessions/{session_id}/delete",
    ):
        assert client.get(path, headers=HTML).status_code == 403, path
        assert client.post(path, data={"csrf_token": token}).status_code == 403, path
    client.post("/logout", data={"csrf_token": token})
    token = login(client, services, "ana@example.com", "assessor")
    assert client.get(f"/admin/cohorts/{cohort_id}/delete", headers=HTML).status_code == 403
    with services.session() as db:
        assert db.get(Cohort, cohort_id) is not None


def test_retired_skill_levels_are_not_offered(client: FlaskClient, services: Services) -> None:
    from passport.catalog.models import AchievementDefinition

    with services.session() as db:
        retired = db.get(AchievementDefinition, "networking-l2")
        assert retired is not None
        retired.retired_at = services.now()
        db.add(Cohort(name="Fresh", starts_on=date(2030, 3, 4), ends_on=date(2030, 4, 22)))
    login(client, services, "root@example.com", "admin")
    cohort_page = client.get("/admin/cohorts/1", headers=HTML).data.decode()
    assert 'value="networking-l1"' in cohort_page
    assert 'value="networking-l2"' not in cohort_page
    form = client.get("/admin/assessments/new", headers=HTML).data.decode()
    assert 'value="networking-l1"' in form and 'value="networking-l2"' not in form


def test_cohorts_search_and_pagination(client: FlaskClient, services: Services) -> None:
    with services.session() as db:
        for n in range(52):
            db.add(
                Cohort(
                    name=f"Cohort {n:02d}", starts_on=date(2030, 1, 1), ends_on=date(2030, 2, 19)
                )
            )
        db.add(Cohort(name="Needle cohort", starts_on=date(2031, 1, 1), ends_on=date(2031, 2, 19)))
    login(client, services, "root@example.com", "admin")
    first = client.get("/admin/cohorts", headers=HTML).data.decode()
    assert "53 cohorts found." in first and "Page 1 of 2" in first
    found = client.get("/admin/cohorts?q=needle", headers=HTML).data.decode()
    assert "1 cohort found." in found and "Needle cohort" in found and "Cohort 01" not in found
    assert (
        "No cohort matches this search."
        in client.get("/admin/cohorts?q=zzz", headers=HTML).data.decode()
    )


def test_admin_sets_an_invited_learners_password(client: FlaskClient, services: Services) -> None:
    with services.session() as db:
        from passport.accounts.users import create_user

        create_user(db, email="new@example.com", name="New", role="learner", password=None)
    token = login(client, services, "root@example.com", "admin")
    user_id = _user_id(services, "new@example.com")
    assert (
        "has no password yet" in client.get(f"/admin/users/{user_id}", headers=HTML).data.decode()
    )
    data = {"csrf_token": token, "email": "new@example.com", "name": "New", "role": "learner"}
    weak = client.post(f"/admin/users/{user_id}", data={**data, "password": "short"})
    assert weak.status_code == 400 and "at least 12 characters" in weak.data.decode()
    common = client.post(f"/admin/users/{user_id}", data={**data, "password": "password1234"})
    assert common.status_code == 400 and "common and breached" in common.data.decode()
    client.post(f"/admin/users/{user_id}", data={**data, "password": PASSWORD})
    other = client.application.test_client()
    assert _log_in(other, "new@example.com") == 302


# -- dashboard --------------------------------------------------------------------------------


def test_dashboard_shows_each_role_only_what_it_may_use(
    client: FlaskClient, services: Services
) -> None:
    expected = {
        "assessor": (
            {"/admin/assessments/new"},
            {"/admin/cohorts", "/admin/users", "/admin/audit"},
        ),
        "mentor": ({"/admin/cohorts/new"}, {"/admin/assessments", "/admin/users", "/admin/audit"}),
        "admin": ({"/admin/assessments/new", "/admin/cohorts/new", "/admin/users"}, set()),
    }
    for role, (shown, hidden) in expected.items():
        token = login(client, services, f"{role}@example.com", role)
        page = client.get("/admin/", headers=HTML).data.decode()
        links = set(re.findall(r'href="([^"?#]+)', page))
        assert shown <= links, (role, shown - links)
        assert not hidden & links, (role, hidden & links)
        for link in links:
            if link.startswith("/admin"):
                assert client.get(link, headers=HTML).status_code == 200, (role, link)
        assert "1 job families" not in page and "6</strong> job families" in page
        client.post("/logout", data={"csrf_token": token})
