"""Staff pages (/admin), learner pages (/my) and the public job-family documents.

Everything goes through the browser path: log in with the form, scrape the CSRF token from a
page, post forms — on a real database with the shipped catalog loaded by ``passport init``.
"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from passport.accounts.users import create_user
from passport.assessments.models import Assessment, StoredFile
from passport.audit import AuditEvent
from passport.cohorts.models import Cohort, MentoringSession, MentorNote
from passport.credentials.models import IssuedCredential
from passport.services import Services

PASSWORD = "correct horse battery"
HTML = {"Accept": "text/html"}


def make_user(services: Services, email: str, role: str, name: str | None = None) -> None:
    with services.session() as db:
        create_user(db, email=email, name=name or email.split("@")[0], role=role, password=PASSWORD)


def csrf(client: FlaskClient, path: str = "/login") -> str:
    page = client.get(path, headers=HTML)
    assert page.status_code == 200, (path, page.status_code)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.data.decode())
    assert match is not None, path
    return match.group(1)


def login(client: FlaskClient, services: Services, email: str, role: str) -> str:
    """Create the user, log in through the form; return a CSRF token of the new session."""
    make_user(services, email, role)
    response = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf(client)}
    )
    assert response.status_code == 302, response.data
    return csrf(client, "/admin/" if role != "learner" else "/my/")


def assess(
    client: FlaskClient,
    token: str,
    *,
    learner: str,
    achievement: str = "incident-response-l2",
    level: int = 2,
    **extra: object,
) -> str:
    """Record an assessment through the two-step form; return the outcome page's URL."""
    step1 = client.get(
        "/admin/assessments/new",
        query_string={"learner": learner, "achievement": achievement},
        headers=HTML,
    )
    assert step1.status_code == 200
    page = step1.data.decode()
    key = re.search(r'name="key" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    criteria = re.findall(r'<select id="level-([\w-]+)"', page)
    assert criteria
    data = {
        "csrf_token": token,
        "achievement": achievement,
        "learner": learner,
        "key": key,
        **{f"level-{c}": str(level) for c in criteria},
        **extra,
    }
    response = client.post("/admin/assessments/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.data.decode()
    return response.headers["Location"]


# -- access control ---------------------------------------------------------------------------


def test_anonymous_admin_redirects_to_login(client: FlaskClient) -> None:
    response = client.get("/admin/", headers=HTML)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert client.get("/admin", headers=HTML).status_code in (301, 308)
    assert client.get("/my/", headers=HTML).headers["Location"].startswith("/login")


def test_anonymous_post_is_refused(client: FlaskClient) -> None:
    token = csrf(client)
    response = client.post("/admin/cohorts/new", data={"csrf_token": token, "name": "x"})
    assert response.status_code == 401


def test_login_lands_staff_on_the_dashboard(client: FlaskClient, services: Services) -> None:
    make_user(services, "ada@example.com", "assessor")
    response = client.post(
        "/login",
        data={"email": "ada@example.com", "password": PASSWORD, "csrf_token": csrf(client)},
    )
    assert response.headers["Location"] == "/admin/"
    page = client.get("/admin/", headers=HTML).data.decode()
    assert "Dashboard" in page and "badges issued" in page
    assert "6</strong> job families" in page
    assert "My account" in client.get("/", headers=HTML).data.decode()


def test_learner_cannot_see_admin_or_record_assessments(
    client: FlaskClient, services: Services
) -> None:
    token = login(client, services, "lee@example.com", "learner")
    assert client.get("/admin/", headers=HTML).status_code == 403
    assert client.get("/admin/assessments", headers=HTML).status_code == 403
    response = client.post(
        "/admin/assessments/new",
        data={
            "csrf_token": token,
            "achievement": "incident-response-l1",
            "learner": "lee@example.com",
            "level-triage": "4",
            "level-communication": "4",
            "level-review": "4",
        },
    )
    assert response.status_code == 403
    with services.session() as db:
        assert db.scalar(select(func.count()).select_from(Assessment)) == 0


def test_post_without_csrf_is_refused(client: FlaskClient, services: Services) -> None:
    login(client, services, "root@example.com", "admin")
    response = client.post(
        "/admin/users",
        data={"email": "x@example.com", "name": "X", "role": "admin", "password": PASSWORD},
    )
    assert response.status_code == 403
    assert b"csrf_failed" in response.data
    with services.session() as db:
        assert (
            db.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "user.create", AuditEvent.subject == "x@example.com")
            )
            == 0
        )


def test_admin_creates_users_and_sees_form_errors(client: FlaskClient, services: Services) -> None:
    token = login(client, services, "root@example.com", "admin")
    response = client.post(
        "/admin/users",
        data={
            "csrf_token": token,
            "email": "Mo@Example.com",
            "name": "Mo",
            "role": "mentor",
            "password": PASSWORD,
        },
    )
    assert response.status_code == 302
    assert "mo@example.com" in client.get("/admin/users", headers=HTML).data.decode()
    weak = client.post(
        "/admin/users",
        data={"csrf_token": token, "email": "y@example.com", "role": "learner", "password": "x"},
    )
    assert weak.status_code == 400
    assert "at least 12 characters" in weak.data.decode()


@pytest.mark.parametrize("role", ["mentor", "assessor"])
def test_only_admins_edit_job_families(client: FlaskClient, services: Services, role: str) -> None:
    token = login(client, services, f"{role}@example.com", role)
    assert client.get("/admin/job-families/sre", headers=HTML).status_code == 200
    assert client.get("/admin/job-families/sre/edit", headers=HTML).status_code == 403
    response = client.post(
        "/admin/job-families/sre/edit", data={"csrf_token": token, "remove-networking": "1"}
    )
    assert response.status_code == 403
    assert client.get("/admin/catalog/import", headers=HTML).status_code == 403
    assert client.get("/admin/audit", headers=HTML).status_code == 403
    assert client.get("/admin/users", headers=HTML).status_code == 403


# -- cohorts ----------------------------------------------------------------------------------


def test_mentor_runs_a_cohort(client: FlaskClient, services: Services) -> None:
    make_user(services, "lee@example.com", "learner", name="Lee")
    make_user(services, "assessor@example.com", "assessor")
    token = login(client, services, "mo@example.com", "mentor")
    response = client.post(
        "/admin/cohorts/new",
        data={"csrf_token": token, "name": "SRE spring", "starts_on": "2030-03-04", "ends_on": ""},
    )
    assert response.status_code == 302
    cohort_url = response.headers["Location"]
    with services.session() as db:
        cohort = db.scalar(select(Cohort))
        assert cohort is not None
        assert (cohort.ends_on - cohort.starts_on).days == 49  # default: 7 weeks
        assert [(m.user.email, m.role) for m in cohort.members] == [("mo@example.com", "mentor")]
        cohort_id = cohort.id

    # members must be existing users with a fitting role; errors are shown on the page
    response = client.post(
        f"/admin/cohorts/{cohort_id}/members",
        data={"csrf_token": token, "email": "nobody@example.com", "role": "learner"},
    )
    assert response.status_code == 302
    assert (
        "There is no user with e-mail nobody@example.com"
        in client.get(cohort_url, headers=HTML).data.decode()
    )
    client.post(
        f"/admin/cohorts/{cohort_id}/members",
        data={"csrf_token": token, "email": "assessor@example.com", "role": "learner"},
    )
    assert "not a learner" in client.get(cohort_url, headers=HTML).data.decode()
    client.post(
        f"/admin/cohorts/{cohort_id}/members",
        data={"csrf_token": token, "email": "LEE@example.com", "role": "learner"},
    )

    # a session needs a learning outcome
    missing = client.post(
        f"/admin/cohorts/{cohort_id}/sessions",
        data={"csrf_token": token, "title": "SLOs", "starts_at": "2030-03-05T10:00"},
    )
    assert missing.status_code == 302
    assert "The learning outcome is required." in client.get(cohort_url, headers=HTML).data.decode()
    client.post(
        f"/admin/cohorts/{cohort_id}/sessions",
        data={
            "csrf_token": token,
            "title": "SLOs and error budgets",
            "learning_outcome": "Write an SLO for a service you run.",
            "starts_at": "2030-03-05T10:00",
            "minutes": "45",
        },
    )
    client.post(
        f"/admin/cohorts/{cohort_id}/notes",
        data={"csrf_token": token, "text": "Lee is keen on alerting."},
    )
    with services.session() as db:
        meeting = db.scalar(select(MentoringSession))
        assert meeting is not None and meeting.minutes == 45
        assert meeting.starts_at.isoformat() == "2030-03-05T10:00:00+00:00"
        note = db.scalar(select(MentorNote))
        assert note is not None and note.text == "Lee is keen on alerting."
        learner_id = next(m.user_id for m in meeting.cohort.members if m.role == "learner")
        session_id = meeting.id
    client.post(
        f"/admin/cohorts/{cohort_id}/sessions/{session_id}/attendance",
        data={"csrf_token": token, f"present-{learner_id}": "1"},
    )
    page = client.get(cohort_url, headers=HTML).data.decode()
    assert "SLOs and error budgets" in page and "Write an SLO" in page
    assert "Lee is keen on alerting." in page and "mo · " in page
    assert "1 / 1" in page  # attendance
    assert "no mentor" not in page

    # the learner sees the session and its outcome in their schedule
    client.post("/logout", data={"csrf_token": token})
    client.post(
        "/login",
        data={"email": "lee@example.com", "password": PASSWORD, "csrf_token": csrf(client)},
    )
    schedule = client.get("/my/schedule", headers=HTML).data.decode()
    assert "SRE spring" in schedule and "Write an SLO for a service you run." in schedule


def test_mentors_manage_only_their_own_cohorts(client: FlaskClient, services: Services) -> None:
    with services.session() as db:
        from datetime import date

        db.add(Cohort(name="Someone else's", starts_on=date(2030, 1, 1), ends_on=date(2030, 2, 19)))
    token = login(client, services, "mo@example.com", "mentor")
    assert client.get("/admin/cohorts/1", headers=HTML).status_code == 403
    response = client.post("/admin/cohorts/1/notes", data={"csrf_token": token, "text": "peeking"})
    assert response.status_code == 403
    assert "Someone else" not in client.get("/admin/cohorts", headers=HTML).data.decode()


def test_cohort_dates_are_checked(client: FlaskClient, services: Services) -> None:
    token = login(client, services, "root@example.com", "admin")
    backwards = client.post(
        "/admin/cohorts/new",
        data={"csrf_token": token, "name": "X", "starts_on": "2030-03-04", "ends_on": "2030-03-01"},
    )
    assert backwards.status_code == 400
    assert "The end date is before the start date." in backwards.data.decode()
    short = client.post(
        "/admin/cohorts/new",
        data={"csrf_token": token, "name": "X", "starts_on": "2030-03-04", "ends_on": "2030-03-18"},
    )
    page = client.get(short.headers["Location"], headers=HTML).data.decode()
    assert "cohorts are planned for 6 to 8 weeks" in page
    assert "This cohort has no mentor yet" in page


# -- assessments and badges -------------------------------------------------------------------


def test_passing_assessment_issues_a_verifiable_badge(
    client: FlaskClient, services: Services
) -> None:
    # #16: an assessment is only for a known learner (or one explicitly invited)
    make_user(services, "ada@example.com", "learner")
    token = login(client, services, "assessor@example.com", "assessor")
    outcome_url = assess(
        client,
        token,
        learner="Ada@Example.com",
        level=3,
        narrative="Led the mitigation of a real outage.",
        url="https://example.org/postmortem/42",
        file=(io.BytesIO(b"runbook contents"), "runbook.md"),
    )
    outcome = client.get(outcome_url, headers=HTML).data.decode()
    assert "Passed" in outcome
    with services.session() as db:
        record = db.scalar(select(IssuedCredential))
        assert record is not None and record.holder.email == "ada@example.com"
        credential_id = record.id
        assert db.scalar(select(func.count()).select_from(StoredFile)) == 1
    assert f"/credentials/{credential_id}" in outcome

    page = client.get(f"/credentials/{credential_id}", headers=HTML)
    assert "Verified" in page.data.decode() and "Not verified" not in page.data.decode()
    credential = json.loads(
        client.get(
            f"/credentials/{credential_id}", headers={"Accept": "application/vc+ld+json"}
        ).data
    )
    results = credential["credentialSubject"]["result"]
    assert len(results) == 3
    assert all(r["achievedLevel"].endswith("-level-3") for r in results)
    evidence = credential["evidence"]
    assert {"https://example.org/postmortem/42"} <= {e.get("id") for e in evidence}
    assert any(e.get("id", "").startswith("ni:///sha-256;") for e in evidence)
    assert any(e.get("narrative") == "Led the mitigation of a real outage." for e in evidence)

    listing = client.get("/admin/badges", headers=HTML).data.decode()
    assert credential_id in listing and "ada@example.com" in listing


def test_failing_assessment_issues_nothing(client: FlaskClient, services: Services) -> None:
    make_user(services, "bo@example.com", "learner")  # #16: known learners only
    token = login(client, services, "assessor@example.com", "assessor")
    outcome_url = assess(
        client, token, learner="bo@example.com", achievement="observability-l3", level=2
    )
    page = client.get(outcome_url, headers=HTML).data.decode()
    assert "Not passed yet" in page and "No badge was issued" in page
    assert "below level 3" in page
    with services.session() as db:
        assert db.scalar(select(func.count()).select_from(IssuedCredential)) == 0
        assessment = db.scalar(select(Assessment))
        assert assessment is not None and assessment.passed is False


def test_assessment_form_shows_problems_and_resubmission_issues_once(
    client: FlaskClient, services: Services
) -> None:
    make_user(services, "ada@example.com", "learner")  # #16: known learners only
    token = login(client, services, "root@example.com", "admin")
    bad = client.post(
        "/admin/assessments/new",
        data={
            "csrf_token": token,
            "achievement": "incident-response-l1",
            "learner": "ada@example.com",
            "level-triage": "2",
        },
    )
    assert bad.status_code == 400
    assert "No level recorded for rubric criterion" in bad.data.decode()
    data = {
        "csrf_token": token,
        "achievement": "incident-response-l1",
        "learner": "ada@example.com",
        "key": "same-form",
        "level-triage": "2",
        "level-communication": "2",
        "level-review": "2",
    }
    first = client.post("/admin/assessments/new", data=data)
    again = client.post("/admin/assessments/new", data=data)
    assert first.headers["Location"] == again.headers["Location"]
    with services.session() as db:
        assert db.scalar(select(func.count()).select_from(IssuedCredential)) == 1


# -- learners ---------------------------------------------------------------------------------


def test_learner_sees_only_their_own_badges(client: FlaskClient, services: Services) -> None:
    make_user(services, "ada@example.com", "learner")
    make_user(services, "bo@example.com", "learner")
    token = login(client, services, "assessor@example.com", "assessor")
    assess(client, token, learner="ada@example.com", achievement="incident-response-l3", level=3)
    assess(client, token, learner="bo@example.com", achievement="networking-l2", level=2)
    with services.session() as db:
        ids = {c.holder.email: c.id for c in db.scalars(select(IssuedCredential)).all()}
    client.post("/logout", data={"csrf_token": token})
    client.post(
        "/login",
        data={"email": "ada@example.com", "password": PASSWORD, "csrf_token": csrf(client)},
    )
    page = client.get("/my/", headers=HTML).data.decode()
    assert ids["ada@example.com"] in page
    assert ids["bo@example.com"] not in page
    # grouped by job family: incident response at level 3 meets SRE's requirement (3)
    sre = page.split("Site Reliability", 1)[1].split("</section>", 1)[0]
    assert "1 of 6 required skills" in sre
    assert client.get("/admin/badges", headers=HTML).status_code == 403


# -- catalog ----------------------------------------------------------------------------------


def test_public_job_family_json(client: FlaskClient) -> None:
    response = client.get("/job-families/sre")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "public, max-age=300"
    document = response.get_json()
    assert document["id"].endswith("/job-families/sre")
    requirements = {r["skill"]: r for r in document["requirements"]}
    assert requirements["incident-response"]["minLevel"] == 3
    assert requirements["incident-response"]["achievement"].endswith(
        "/achievements/incident-response-l3"
    )
    # The skill's framework entries: what another issuer's (OB 2.0) badge is matched by.
    nice = requirements["incident-response"]["alignment"]
    assert [(a["targetFramework"], a["targetCode"]) for a in nice] == [
        ("NICE Framework (NIST SP 800-181)", "PR-CIR-001")
    ]
    assert "alignment" not in requirements["observability"]
    listing = client.get("/job-families").get_json()
    assert len(listing["jobFamilies"]) == 6
    assert (
        client.get("/job-families/nope", headers={"Accept": "application/json"}).status_code == 404
    )


def _family_names(client: FlaskClient, achievement: str) -> set[str]:
    document = client.get(f"/achievements/{achievement}").get_json()
    return {
        a["targetName"] for a in document.get("alignment", []) if a["targetType"] == "ext:JobFamily"
    }


def test_admin_edits_a_job_family_and_achievements_are_rebuilt(
    client: FlaskClient, services: Services
) -> None:
    sre = client.get("/job-families/sre").get_json()["name"]
    assert sre in _family_names(client, "networking-l2")
    assert sre not in _family_names(client, "ci-cd-l2")
    token = login(client, services, "root@example.com", "admin")
    response = client.post(
        "/admin/job-families/sre/edit",
        data={
            "csrf_token": token,
            "level-incident-response": "4",
            "level-infrastructure-as-code": "2",
            "level-kubernetes-operations": "2",
            "level-linux-administration": "3",
            "level-observability": "3",
            "remove-networking": "1",
            "add_skill": "ci-cd",
            "add_level": "2",
        },
    )
    assert response.status_code == 302
    requirements = {
        r["skill"]: r["minLevel"]
        for r in client.get("/job-families/sre").get_json()["requirements"]
    }
    assert requirements["incident-response"] == 4
    assert requirements["ci-cd"] == 2
    assert "networking" not in requirements
    assert sre not in _family_names(client, "networking-l2")
    assert sre in _family_names(client, "ci-cd-l2")
    with services.session() as db:
        event = db.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "job_family.update", AuditEvent.actor == "root@example.com"
            )
        )
        assert event is not None and event.subject == "sre"
        assert json.loads(event.detail or "{}")["removed"] == ["networking"]


def test_catalog_export_and_import(client: FlaskClient, services: Services) -> None:
    token = login(client, services, "root@example.com", "admin")
    exported = client.get("/admin/catalog.json")
    assert exported.headers["Content-Disposition"].startswith("attachment")
    catalog = json.loads(exported.data)
    catalog["job_families"][0]["name"] = "Renamed family"
    response = client.post(
        "/admin/catalog/import",
        data={"csrf_token": token, "file": (io.BytesIO(json.dumps(catalog).encode()), "c.json")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert "Renamed family" in client.get("/admin/job-families", headers=HTML).data.decode()

    csv_text = client.get("/admin/job-families.csv").data.decode()
    assert csv_text.startswith("job_family,name,")
    broken = csv_text + "sre,SRE,O*NET-SOC 2019,15-1244.00,x,no-such-skill,2\n"
    response = client.post(
        "/admin/catalog/import",
        data={"csrf_token": token, "file": (io.BytesIO(broken.encode()), "jf.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "unknown skill" in response.data.decode()
    first_row = csv_text.splitlines()[1]
    duplicate = client.post(
        "/admin/catalog/import",
        data={
            "csrf_token": token,
            "file": (io.BytesIO(f"{csv_text}{first_row}\n".encode()), "jf.csv"),
        },
        content_type="multipart/form-data",
    )
    assert duplicate.status_code == 400
    assert "lists the same skill twice" in duplicate.data.decode()
    not_json = client.post(
        "/admin/catalog/import",
        data={"csrf_token": token, "file": (io.BytesIO(b"{nope"), "c.json")},
        content_type="multipart/form-data",
    )
    assert not_json.status_code == 400 and "not valid JSON" in not_json.data.decode()


def test_skills_page_lists_criteria_and_alignments(client: FlaskClient, services: Services) -> None:
    login(client, services, "mo@example.com", "mentor")
    page = client.get("/admin/skills", headers=HTML).data.decode()
    assert "Blameless post-incident review" in page
    assert "NICE" in page


# -- audit ------------------------------------------------------------------------------------


def test_audit_csv_neutralises_formulas(client: FlaskClient, services: Services) -> None:
    attack = "=cmd|' /C calc'!A0"
    with services.session() as db:
        db.add(AuditEvent(actor="@evil", action="test", subject=attack, detail="+1"))
    login(client, services, "root@example.com", "admin")
    page = client.get("/admin/audit", headers=HTML).data.decode()
    assert "calc" in page
    response = client.get("/admin/audit.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.data.decode())))
    assert rows[0] == ["at", "actor", "action", "subject", "detail"]
    row = next(r for r in rows if r[2] == "test")
    assert row[1] == "'@evil"
    assert row[3] == "'" + attack
    assert row[4] == "'+1"
    assert not any(cell and cell[0] in "=+-@" for r in rows[1:] for cell in r)


def test_admin_revokes_a_badge_from_the_badges_page(
    client: FlaskClient, services: Services
) -> None:
    from passport.credentials.issuing import IssueRequest, issue_credential
    from passport.credentials.models import IssuedCredential

    with services.session() as session:
        record = issue_credential(
            session,
            services,
            IssueRequest("observability-l2", "lin@example.com"),
            now=services.now(),
        )
        credential_id = record.id
    token = login(client, services, "boss@example.com", "admin")
    url = f"/admin/badges/{credential_id}/status"
    # revoking (irreversible) is done from its confirmation page: a bare POST only leads there
    unconfirmed = client.post(
        url, data={"csrf_token": token, "action": "revoke", "reason": "assessment annulled"}
    )
    assert unconfirmed.status_code == 302
    assert "/revoke" in unconfirmed.headers["Location"]
    confirm_page = client.get(unconfirmed.headers["Location"], headers=HTML).data.decode()
    assert "Revoking cannot be undone." in confirm_page
    assert "Active" in confirm_page
    confirmed = {"csrf_token": token, "action": "revoke", "confirm": "yes"}
    no_reason = client.post(url, data=confirmed, headers=HTML)
    assert no_reason.status_code == 400
    assert "A reason is required" in no_reason.data.decode()
    done = client.post(url, data={**confirmed, "reason": "assessment annulled"})
    assert done.status_code == 302
    assert "Revoked" in client.get("/admin/badges", headers=HTML).data.decode()
    with services.session() as session:
        content = session.get(IssuedCredential, credential_id).content  # type: ignore[union-attr]
        report = services.verifier(session).report(content, now=services.now())
    assert report.check("status").code == "revoked"  # type: ignore[union-attr]


def test_badges_page_offers_suspend_only_for_suspendable_badges(
    client: FlaskClient, services: Services
) -> None:
    from passport.credentials.issuing import IssueRequest, issue_credential

    ids = {}
    with services.session() as session:
        for suspendable in (False, True):
            ids[suspendable] = issue_credential(
                session,
                services,
                IssueRequest("observability-l2", "sam@example.com", suspendable=suspendable),
                now=services.now(),
            ).id
    login(client, services, "boss@example.com", "admin")
    page = client.get("/admin/badges", headers=HTML).data.decode()
    # each row's controls: a suspend form only for a suspendable badge; revoke (confirmed on
    # its own page, #16) for both
    cells = {
        cid: page.split(f'href="/credentials/{cid}"', 1)[1].split("</tr>", 1)[0]
        for cid in ids.values()
    }
    assert 'value="suspend"' in cells[ids[True]] and "/revoke" in cells[ids[True]]
    assert 'value="suspend"' not in cells[ids[False]] and "/revoke" in cells[ids[False]]
