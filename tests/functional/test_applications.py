"""Applying to open roles and deciding on applications, through the browser path.

The learner sees open roles at ``/my/roles`` with their own fit, applies with badges chosen
on a form (CSRF token scraped from the page), and withdraws; the hiring manager (an admin
until the ``hiring_manager`` role is merged) reads the list and the fit report and records a
decision. A ``moved`` decision is checked in the people events it writes.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from passport.credentials.models import IssuedCredential
from passport.mobility.models import Application, ExternalCandidate, OpenRole
from passport.mobility.roles import RoleDraft, open_role
from passport.outcomes.models import HRPerson, PeopleEvent
from passport.services import Services
from passport.sharing.models import ShareLink
from tests.functional.signing_in import HTML, log_in, make_user
from tests.unit.passport.outcomes.fixtures import add_badge

ANA = "ana@example.com"
BO = "bo@example.com"
HM = "hm@example.com"


def badge(services: Services, email: str, achievement: str, **kw: date) -> str:
    with services.session() as db:
        before = set(db.scalars(select(IssuedCredential.id)))
        add_badge(db, email, achievement, date(2026, 5, 1), **kw)
        (new,) = set(db.scalars(select(IssuedCredential.id))) - before
        return new


@pytest.fixture
def world(services: Services) -> dict[str, object]:
    """A hiring manager's SRE role; Ana with two badges that count and one that does not."""
    hm = make_user(services, HM, "Hilde Manager", "admin")
    make_user(services, ANA, "Ana Applicant")
    make_user(services, BO, "Bo Other")
    counting = [
        badge(services, ANA, "linux-administration-l3"),
        badge(services, ANA, "networking-l1"),
    ]
    other = badge(services, ANA, "sql-data-modeling-l2")
    revoked = badge(services, ANA, "observability-l3", revoked=date(2026, 6, 1))
    with services.session() as db:
        role = open_role(
            db,
            RoleDraft(title="SRE II", job_family="sre", openings=2, team="Platform"),
            actor=HM,
            user_id=hm,
            now=services.now(),
        )
        role_id = role.id
    return {"role": role_id, "counting": counting, "other": other, "revoked": revoked}


def test_a_learner_sees_open_roles_and_applies_with_chosen_badges(
    client: FlaskClient, services: Services, world: dict[str, object]
) -> None:
    role_id = world["role"]
    token = log_in(client, ANA, "/my/roles")
    page = client.get("/my/roles", headers=HTML).data.decode()
    assert "SRE II" in page and "Platform" in page
    assert "1 of 6 skills met" in page  # linux met; networking level 1 of 2 is only partly
    form = client.get(f"/my/roles/{role_id}/apply", headers=HTML).data.decode()
    for cid in world["counting"]:  # type: ignore[attr-defined]
        assert re.search(rf'value="{re.escape(cid)}" checked', form)
    assert not re.search(rf'value="{re.escape(str(world["other"]))}" checked', form)
    assert str(world["revoked"]) not in form  # a revoked badge is not offered
    done = client.post(
        f"/my/roles/{role_id}/apply",
        data={
            "csrf_token": token,
            "credential": world["counting"],
            "message": "Happy to join on-call.",
            "days": "30",
        },
        headers=HTML,
    )
    assert done.status_code == 302
    assert done.headers["Location"].endswith("/my/roles#my-applications")
    listed = client.get("/my/roles", headers=HTML).data.decode()
    assert "Applied. The hiring manager now sees the badges you chose" in listed
    assert "Withdraw" in listed
    again = client.post(
        f"/my/roles/{role_id}/apply",
        data={"csrf_token": token, "credential": world["counting"], "days": "30"},
        headers=HTML,
    )
    assert again.status_code == 409
    assert "You have already applied to this role." in again.data.decode()


@pytest.mark.parametrize(
    ("data", "status", "sentence"),
    [
        ({}, 400, "Choose at least one badge to share."),
        ({"credential": "urn:uuid:not-mine"}, 400, "Only your own current badges"),
        ({"credential": "OTHER", "days": "soon"}, 400, "Choose how many days the link lasts"),
        ({"credential": "OTHER", "message": "x" * 281}, 400, "Keep the message to 280"),
    ],
)
def test_bad_applications_get_a_sentence_not_a_500(
    client: FlaskClient,
    services: Services,
    world: dict[str, object],
    data: dict[str, str],
    status: int,
    sentence: str,
) -> None:
    token = log_in(client, ANA, "/my/roles")
    body = {k: (str(world["other"]) if v == "OTHER" else v) for k, v in data.items()}
    response = client.post(
        f"/my/roles/{world['role']}/apply", data={"csrf_token": token, **body}, headers=HTML
    )
    assert response.status_code == status
    assert sentence in response.data.decode()
    with services.session() as db:
        assert db.scalars(select(Application)).all() == []


def apply_as_ana(client: FlaskClient, world: dict[str, object]) -> tuple[str, int]:
    token = log_in(client, ANA, "/my/roles")
    client.post(
        f"/my/roles/{world['role']}/apply",
        data={"csrf_token": token, "credential": world["counting"], "days": "30"},
        headers=HTML,
    )
    client.post("/logout", data={"csrf_token": token})
    return token, int(str(world["role"]))


def test_the_hiring_manager_reads_the_fit_report_and_records_moved(
    client: FlaskClient, services: Services, world: dict[str, object]
) -> None:
    apply_as_ana(client, world)
    with services.session() as db:
        (application,) = db.scalars(select(Application)).all()
        app_id = application.id
    token = log_in(client, HM, f"/hiring/applications/{app_id}")
    listing = client.get(f"/hiring/roles/{world['role']}/applications", headers=HTML)
    assert listing.status_code == 200
    text = listing.data.decode()
    assert "Ana Applicant" in text and "Bo Other" not in text
    assert f"/hiring/applications/{app_id}" in text
    report = client.get(f"/hiring/applications/{app_id}", headers=HTML).data.decode()
    assert "Linux" in report and "partly" in report and "missing" in report
    assert report.count('class="pill ok">Current') == 2
    refused = client.post(
        f"/hiring/applications/{app_id}/decision", data={"decision": "moved"}, headers=HTML
    )
    assert refused.status_code == 403  # no CSRF token
    bad = client.post(
        f"/hiring/applications/{app_id}/decision",
        data={"csrf_token": token, "decision": "hired"},
        headers=HTML,
    )
    assert bad.status_code == 400
    assert "Choose a decision: shortlist, decline or moved." in bad.data.decode()
    done = client.post(
        f"/hiring/applications/{app_id}/decision",
        data={"csrf_token": token, "decision": "moved", "note": "Starts in January"},
        headers=HTML,
    )
    assert done.status_code == 302
    after = client.get(done.headers["Location"], headers=HTML).data.decode()
    assert "The outcomes count the move." in after
    assert "the decision is final" in after
    with services.session() as db:
        events = db.execute(
            select(HRPerson.email, PeopleEvent.event, PeopleEvent.job_family_id).join(
                PeopleEvent, PeopleEvent.person_id == HRPerson.id
            )
        ).all()
    assert [tuple(e) for e in events] == [(ANA, "moved", "sre")]


def test_withdrawing_revokes_the_link_and_the_report_says_so(
    client: FlaskClient, services: Services, world: dict[str, object]
) -> None:
    apply_as_ana(client, world)
    with services.session() as db:
        (application,) = db.scalars(select(Application)).all()
        app_id, link_id = application.id, application.share_link_id
    token = log_in(client, BO, "/my/roles")
    stranger = client.post(
        f"/my/roles/applications/{app_id}/withdraw", data={"csrf_token": token}, headers=HTML
    )
    assert stranger.status_code == 404
    assert client.get(f"/hiring/applications/{app_id}", headers=HTML).status_code == 403
    client.post("/logout", data={"csrf_token": token})
    token = log_in(client, ANA, "/my/roles")
    done = client.post(
        f"/my/roles/applications/{app_id}/withdraw", data={"csrf_token": token}, headers=HTML
    )
    assert done.status_code == 302
    with services.session() as db:
        link = db.get(ShareLink, link_id)
        assert link is not None and link.revoked_at is not None
    client.post("/logout", data={"csrf_token": token})
    token = log_in(client, HM, f"/hiring/applications/{app_id}")
    report = client.get(f"/hiring/applications/{app_id}", headers=HTML).data.decode()
    assert "share link was revoked" in report
    assert "withdrew this application" in report
    refused = client.post(
        f"/hiring/applications/{app_id}/decision",
        data={"csrf_token": token, "decision": "shortlisted"},
        headers=HTML,
    )
    assert refused.status_code == 409


def test_tables_use_the_responsive_pattern(
    client: FlaskClient, services: Services, world: dict[str, object]
) -> None:
    """At 390 px the tables stack: every data cell but the action cell names its column."""
    apply_as_ana(client, world)
    with services.session() as db:
        app_id = db.scalars(select(Application.id)).one()
    log_in(client, HM, f"/hiring/applications/{app_id}")
    for path in (f"/hiring/roles/{world['role']}/applications", f"/hiring/applications/{app_id}"):
        page = client.get(path, headers=HTML).data.decode()
        assert 'class="data stack"' in page
        for row in re.findall(r"<tr>(.*?)</tr>", page, flags=re.S)[1:]:
            cells = re.findall(r"<td([^>]*)>", row)
            labelled = [c for c in cells if "data-label=" in c]
            assert len(labelled) >= len(cells) - 1, (path, row)


def test_learners_cannot_reach_the_hiring_pages(
    client: FlaskClient, services: Services, world: dict[str, object]
) -> None:
    apply_as_ana(client, world)
    with services.session() as db:
        app_id = db.scalars(select(Application.id)).one()
    token = log_in(client, ANA, "/my/roles")
    for path in (f"/hiring/roles/{world['role']}/applications", f"/hiring/applications/{app_id}"):
        assert client.get(path, headers=HTML).status_code == 403
    decided = client.post(
        f"/hiring/applications/{app_id}/decision",
        data={"csrf_token": token, "decision": "moved"},
        headers=HTML,
    )
    assert decided.status_code == 403
    with services.session() as db:
        assert db.scalars(select(Application.status)).one() == "applied"
        assert db.scalars(select(PeopleEvent)).all() == []


def test_an_unknown_application_or_role_is_a_404(
    client: FlaskClient, world: dict[str, object]
) -> None:
    token = log_in(client, HM, "/my/roles")
    assert client.get("/hiring/applications/999", headers=HTML).status_code == 404
    assert client.get("/hiring/roles/999/applications", headers=HTML).status_code == 404
    assert client.get("/my/roles/999/apply", headers=HTML).status_code == 404
    response = client.post(
        "/hiring/applications/999/decision",
        data={"csrf_token": token, "decision": "declined"},
        headers=HTML,
    )
    assert response.status_code == 404


def test_external_candidates_take_no_decision_route(
    client: FlaskClient, services: Services, world: dict[str, object]
) -> None:
    """Externals are ranked and marked on the role page; deciding on them is not a feature."""
    with services.session() as db:
        row = ExternalCandidate(
            role_id=int(str(world["role"])), label="Agency 17", content=b"{}", added_by=HM
        )
        db.add(row)
        db.flush()
        ext_id = row.id
    token = log_in(client, HM, "/my/roles")
    gone = client.post(
        f"/hiring/externals/{ext_id}/decision",
        data={"csrf_token": token, "decision": "shortlisted"},
        headers=HTML,
    )
    assert gone.status_code == 404
    with services.session() as db:
        assert db.get(ExternalCandidate, ext_id).status == "applied"  # type: ignore[union-attr]


def test_another_hiring_manager_cannot_read_or_decide_the_application(
    client: FlaskClient, services: Services, world: dict[str, object]
) -> None:
    apply_as_ana(client, world)
    with services.session() as db:
        app_id = db.scalars(select(Application.id)).one()
    make_user(services, "other@example.com", "Otto Other", "hiring_manager")
    token = log_in(client, "other@example.com", "/hiring/roles")
    assert (
        client.get(f"/hiring/roles/{world['role']}/applications", headers=HTML).status_code == 404
    )
    assert client.get(f"/hiring/applications/{app_id}", headers=HTML).status_code == 404
    decided = client.post(
        f"/hiring/applications/{app_id}/decision",
        data={"csrf_token": token, "decision": "moved"},
        headers=HTML,
    )
    assert decided.status_code == 404
    with services.session() as db:
        assert db.scalars(select(Application.status)).one() == "applied"
        assert db.scalars(select(PeopleEvent)).all() == []


def test_a_closed_roles_application_still_takes_the_moved_decision(
    client: FlaskClient, services: Services, world: dict[str, object]
) -> None:
    """Closing the filled role, then recording who moved, is the usual order."""
    apply_as_ana(client, world)
    with services.session() as db:
        app_id = db.scalars(select(Application.id)).one()
    token = log_in(client, HM, f"/hiring/applications/{app_id}")
    client.post(f"/hiring/roles/{world['role']}/close", data={"csrf_token": token})
    done = client.post(
        f"/hiring/applications/{app_id}/decision",
        data={"csrf_token": token, "decision": "moved"},
        headers=HTML,
    )
    assert done.status_code == 302
    with services.session() as db:
        assert db.scalars(select(Application.status)).one() == "moved"
        assert db.get(OpenRole, world["role"]).status == "closed"  # type: ignore[union-attr]
