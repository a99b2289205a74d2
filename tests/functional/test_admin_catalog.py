"""The catalog admin (/admin/job-families, /admin/skills, /admin/achievements): create, edit,
retire and bring back, with per-field errors, search and pages, roles — through the browser path
(form posts with the CSRF token) on a real database with the shipped catalog.
"""

from __future__ import annotations

import io
import json
import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from passport.assessments.record import AssessmentInput, record_assessment
from passport.audit import AuditEvent
from passport.catalog.job_families import active_job_families
from passport.catalog.models import AchievementDefinition, JobFamily, Skill
from passport.catalog.skills import assessable_achievements
from passport.catalog.transfer import export_catalog
from passport.credentials.models import IssuedCredential
from passport.services import Services
from tests.functional.test_admin import HTML, csrf, login, make_user

LEVELS = (1, 2, 3, 4)


def rubric(prefix: str = "criteria-0", name: str = "Writes a runbook", **over: str) -> dict:
    data = {f"{prefix}-name": name, f"{prefix}-id": ""}
    data.update({f"{prefix}-level-{n}": f"{name}: what level {n} looks like." for n in LEVELS})
    data.update(over)
    return data


def new_skill(client: FlaskClient, token: str, **fields: str):  # type: ignore[no-untyped-def]
    data = {
        "csrf_token": token,
        "criteria_rows": "2",
        "name": "Technical writing",
        "description": "Writes documentation others can follow.",
        "valid_for_days": "365",
        **rubric(),
        **rubric("criteria-1", "Reviews others' docs"),
        **fields,
    }
    return client.post("/admin/skills/new", data=data)


def audit_actions(services: Services, subject: str) -> list[str]:
    with services.session() as db:
        return list(
            db.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.subject == subject, AuditEvent.actor == "root@example.com")
                .order_by(AuditEvent.id)
            )
        )


# -- roles ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/admin/skills/new",
        "/admin/skills/incident-response/edit",
        "/admin/skills/incident-response/retire",
        "/admin/achievements/new",
        "/admin/achievements/incident-response-l2/edit",
        "/admin/achievements/incident-response-l2/retire",
        "/admin/job-families/new",
        "/admin/job-families/sre/retire",
    ],
)
def test_only_admins_change_the_catalog(client: FlaskClient, services: Services, path: str) -> None:
    token = login(client, services, "mo@example.com", "mentor")
    assert client.get(path, headers=HTML).status_code == 403
    assert client.post(path, data={"csrf_token": token}).status_code == 403


def test_staff_read_the_catalog_without_change_controls(
    client: FlaskClient, services: Services
) -> None:
    login(client, services, "ana@example.com", "assessor")
    for path in (
        "/admin/job-families",
        "/admin/job-families/sre",
        "/admin/skills",
        "/admin/skills/incident-response",
        "/admin/achievements",
    ):
        page = client.get(path, headers=HTML)
        assert page.status_code == 200, path
        text = page.data.decode()
        for control in ("/new", "/edit", "/retire"):
            assert f'{control}"' not in text, (path, control)


def test_learners_do_not_see_the_catalog_admin(client: FlaskClient, services: Services) -> None:
    login(client, services, "ada@example.com", "learner")
    for path in ("/admin/skills", "/admin/achievements", "/admin/job-families/sre"):
        assert client.get(path, headers=HTML).status_code == 403, path


# -- skills -----------------------------------------------------------------------------------


def test_admin_creates_a_skill_with_a_rubric(client: FlaskClient, services: Services) -> None:
    token = login(client, services, "root@example.com", "admin")
    response = new_skill(client, token)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/skills/technical-writing")
    with services.session() as db:
        skill = db.get(Skill, "technical-writing")
        assert skill is not None and skill.valid_for_days == 365
        criteria = json.loads(skill.criteria)
        # one rubric description per criterion per level
        assert [c["id"] for c in criteria] == ["writes-a-runbook", "reviews-others-docs"]
        assert criteria[0]["levels"] == {
            str(n): f"Writes a runbook: what level {n} looks like." for n in LEVELS
        }
        # a new skill certifies nothing until the admin creates achievements for it
        assert (
            db.scalars(
                select(AchievementDefinition).where(AchievementDefinition.skill_id == skill.id)
            ).all()
            == []
        )
    page = client.get("/admin/skills/technical-writing", headers=HTML).data.decode()
    assert "Reviews others&#39; docs: what level 3 looks like." in page
    assert audit_actions(services, "technical-writing") == ["skill.create"]


def test_skill_form_shows_every_problem_and_keeps_the_input(
    client: FlaskClient, services: Services
) -> None:
    token = login(client, services, "root@example.com", "admin")
    response = new_skill(
        client,
        token,
        name="",
        id="Bad Id!",
        valid_for_days="ten",
        **{"criteria-1-level-3": ""},
        description="Kept description",
    )
    assert response.status_code == 400
    page = response.data.decode()
    assert 'class="error-summary" role="alert"' in page
    assert "Please fix 4 problems" in page
    for field in ("name", "id", "valid_for_days", "criteria-1-level-3"):
        assert f'href="#{field}"' in page, field
        assert f'id="{field}-error"' in page, field
        assert re.search(rf'id="{field}"[^>]*aria-describedby="[^"]*{field}-error', page), field
    assert "Kept description" in page
    assert "Reviews others&#39; docs: what level 4 looks like." in page
    assert "Describe Reviews others&#39; docs at level 3." in page
    with services.session() as db:
        assert db.scalar(select(Skill).where(Skill.name == "")) is None


def test_skill_ids_are_unique_and_a_rubric_is_required(
    client: FlaskClient, services: Services
) -> None:
    token = login(client, services, "root@example.com", "admin")
    duplicate = new_skill(client, token, id="incident-response")
    assert duplicate.status_code == 400
    assert "A skill with the id incident-response already exists" in duplicate.data.decode()
    empty = {f"criteria-{i}-{part}": "" for i in (0, 1) for part in ("name", "id")}
    empty |= {f"criteria-{i}-level-{n}": "" for i in (0, 1) for n in LEVELS}
    no_rubric = new_skill(client, token, **empty)
    assert no_rubric.status_code == 400
    assert "at least one rubric criterion" in no_rubric.data.decode()


def test_add_another_criterion_keeps_the_form_and_saves_nothing(
    client: FlaskClient, services: Services
) -> None:
    token = login(client, services, "root@example.com", "admin")
    response = new_skill(client, token, action="more")
    assert response.status_code == 200
    page = response.data.decode()
    assert 'id="criteria-2-name"' in page and 'id="criteria-3-name"' not in page
    assert 'value="Technical writing"' in page
    with services.session() as db:
        assert db.get(Skill, "technical-writing") is None


def test_editing_a_skill_rebuilds_achievements_but_keeps_custom_words(
    client: FlaskClient, services: Services
) -> None:
    token = login(client, services, "root@example.com", "admin")
    # an admin renamed one achievement; the others carry the skill's default words
    custom = client.post(
        "/admin/achievements/incident-response-l3/edit",
        data={
            "csrf_token": token,
            "skill": "incident-response",
            "level": "3",
            "achievement_type": "Certification",
            "name": "Incident commander",
        },
    )
    assert custom.status_code == 302, custom.data.decode()
    form = client.get("/admin/skills/incident-response/edit", headers=HTML).data.decode()
    assert "Blameless post-incident review" in form
    fields = dict(re.findall(r'name="(criteria-\d+-[\w-]+)" value="([^"]*)"', form))
    levels = dict(re.findall(r'name="(criteria-\d+-level-\d)"[^>]*>([^<]*)</textarea>', form))
    data = {
        "csrf_token": token,
        "criteria_rows": re.search(r'name="criteria_rows" value="(\d+)"', form).group(1),  # type: ignore[union-attr]
        "name": "Incident handling",
        "description": "Handles incidents.",
        "valid_for_days": "730",
        **fields,
        **levels,
        "criteria-0-level-2": "Runs the incident call for a routine outage.",
    }
    response = client.post("/admin/skills/incident-response/edit", data=data)
    assert response.status_code == 302, response.data.decode()
    with services.session() as db:
        l2 = db.get(AchievementDefinition, "incident-response-l2")
        l3 = db.get(AchievementDefinition, "incident-response-l3")
        assert l2 is not None and l3 is not None
        assert l2.name.startswith("Incident handling — ")
        assert l3.name == "Incident commander"
        assert l3.document()["achievementType"] == "Certification"
        rubric_levels = l2.document()["resultDescription"][0]["rubricCriterionLevel"]
        assert rubric_levels[1]["description"] == "Runs the incident call for a routine outage."
    assert "skill.update" in audit_actions(services, "incident-response")


def test_retiring_a_skill_asks_first_and_hides_it_from_new_work(
    client: FlaskClient, services: Services
) -> None:
    token = login(client, services, "root@example.com", "admin")
    confirm = client.get("/admin/skills/incident-response/retire", headers=HTML).data.decode()
    assert "<h1>Retire Incident response?</h1>" in confirm
    assert "Site Reliability Engineering" in confirm  # the families that still require it
    assert "Badges already issued for it stay valid." in confirm
    with services.session() as db:
        assert db.get(Skill, "incident-response").retired_at is None  # type: ignore[union-attr]
    client.post("/admin/skills/incident-response/retire", data={"csrf_token": token})
    with services.session() as db:
        assert "incident-response" not in {s.id for s, _ in assessable_achievements(db)}
    assert "incident-response" not in client.get("/admin/skills", headers=HTML).data.decode()
    retired = client.get("/admin/skills?status=retired", headers=HTML).data.decode()
    assert "incident-response" in retired
    # a retired skill cannot be required by a job family
    refused = client.post(
        "/admin/job-families/platform/edit",
        data={"csrf_token": token, "add_skill": "incident-response", "add_level": "2"},
    )
    assert refused.status_code == 400
    assert "is retired" in refused.data.decode()
    client.post("/admin/skills/incident-response/unretire", data={"csrf_token": token})
    with services.session() as db:
        assert "incident-response" in {s.id for s, _ in assessable_achievements(db)}
    assert audit_actions(services, "incident-response") == ["skill.retire", "skill.unretire"]


# -- achievements -----------------------------------------------------------------------------


def test_admin_creates_an_achievement_for_a_new_skill(
    client: FlaskClient, services: Services
) -> None:
    token = login(client, services, "root@example.com", "admin")
    new_skill(client, token)
    form = client.get("/admin/achievements/new?skill=technical-writing", headers=HTML)
    assert '<option value="technical-writing" selected>' in form.data.decode()
    response = client.post(
        "/admin/achievements/new",
        data={
            "csrf_token": token,
            "skill": "technical-writing",
            "level": "2",
            "achievement_type": "MicroCredential",
            "name": "",
            "description": "",
            "narrative": "Wrote three runbooks the on-call team used.",
            "valid_for_days": "",
        },
    )
    assert response.status_code == 302, response.data.decode()
    with services.session() as db:
        row = db.get(AchievementDefinition, "technical-writing-l2")
        assert row is not None and row.valid_for_days is None
        document = row.document()
        assert document["name"] == "Technical writing — Practitioner"
        assert document["achievementType"] == "MicroCredential"
        assert document["criteria"]["narrative"] == "Wrote three runbooks the on-call team used."
        assert [r["name"] for r in document["resultDescription"]] == [
            "Writes a runbook",
            "Reviews others' docs",
        ]
        assert "technical-writing" in {s.id for s, _ in assessable_achievements(db)}
    again = client.post(
        "/admin/achievements/new",
        data={"csrf_token": token, "skill": "technical-writing", "level": "2"},
    )
    assert again.status_code == 400
    assert "already has an achievement at level 2" in again.data.decode()
    listing = client.get("/admin/achievements?q=technical", headers=HTML).data.decode()
    assert "technical-writing-l2" in listing and "incident-response" not in listing
    assert audit_actions(services, "technical-writing-l2") == ["achievement.create"]


def test_an_issued_achievement_keeps_what_it_certifies(
    client: FlaskClient, services: Services
) -> None:
    make_user(services, "ada@example.com", "learner")
    with services.session() as db:
        outcome = record_assessment(
            db,
            services,
            AssessmentInput(
                learner_email="ada@example.com",
                achievement_id="incident-response-l2",
                levels={"*": 2},
                assessor="ana@example.com",
            ),
            now=services.now(),
        )
        assert outcome.credential_id is not None
        signed = db.get(IssuedCredential, outcome.credential_id).content  # type: ignore[union-attr]
    token = login(client, services, "root@example.com", "admin")
    form = client.get("/admin/achievements/incident-response-l2/edit", headers=HTML).data.decode()
    assert "1 badge was issued for this achievement" in form
    assert "Badges already issued are signed and never change" in form
    moved = client.post(
        "/admin/achievements/incident-response-l2/edit",
        data={
            "csrf_token": token,
            "skill": "incident-response",
            "level": "3",
            "achievement_type": "Competency",
        },
    )
    assert moved.status_code == 400
    assert "what it certifies (skill and level) cannot change" in moved.data.decode()
    renamed = client.post(
        "/admin/achievements/incident-response-l2/edit",
        data={
            "csrf_token": token,
            "skill": "incident-response",
            "level": "2",
            "achievement_type": "Competency",
            "name": "Incident responder",
        },
    )
    assert renamed.status_code == 302
    with services.session() as db:
        assert db.get(AchievementDefinition, "incident-response-l2").name == "Incident responder"  # type: ignore[union-attr]
        assert db.get(IssuedCredential, outcome.credential_id).content == signed  # type: ignore[union-attr]


def test_an_unused_achievement_may_move_to_another_level(
    client: FlaskClient, services: Services
) -> None:
    token = login(client, services, "root@example.com", "admin")
    new_skill(client, token)
    client.post(
        "/admin/achievements/new",
        data={"csrf_token": token, "skill": "technical-writing", "level": "1"},
    )
    moved = client.post(
        "/admin/achievements/technical-writing-l1/edit",
        data={
            "csrf_token": token,
            "skill": "technical-writing",
            "level": "3",
            "achievement_type": "Competency",
        },
    )
    assert moved.status_code == 302, moved.data.decode()
    with services.session() as db:
        assert db.get(AchievementDefinition, "technical-writing-l1") is None
        row = db.get(AchievementDefinition, "technical-writing-l3")
        assert row is not None and row.name == "Technical writing — Advanced"


def test_retiring_an_achievement_is_confirmed_and_reversible(
    client: FlaskClient, services: Services
) -> None:
    token = login(client, services, "root@example.com", "admin")
    confirm = client.get("/admin/achievements/networking-l2/retire", headers=HTML)
    assert confirm.status_code == 200
    assert "no new badge is issued for it" in confirm.data.decode()
    client.post("/admin/achievements/networking-l2/retire", data={"csrf_token": token})
    with services.session() as db:
        offered = {a.id for _, rows in assessable_achievements(db) for a in rows}
        assert "networking-l2" not in offered and "networking-l3" in offered
    assert (
        "networking-l2"
        in client.get("/admin/achievements?status=retired", headers=HTML).data.decode()
    )
    client.post("/admin/achievements/networking-l2/unretire", data={"csrf_token": token})
    with services.session() as db:
        assert db.get(AchievementDefinition, "networking-l2").retired_at is None  # type: ignore[union-attr]


def test_achievement_list_pages_keep_the_search(client: FlaskClient, services: Services) -> None:
    login(client, services, "root@example.com", "admin")
    first = client.get("/admin/achievements", headers=HTML).data.decode()
    assert "Page 1 of 3" in first  # 14 skills × 4 levels, 20 a page
    assert "56 achievements in use" in first
    third = client.get("/admin/achievements?page=3", headers=HTML).data.decode()
    assert third.count("<tr>") == 1 + 16
    searched = client.get("/admin/achievements?q=l", headers=HTML).data.decode()
    assert "page=2&amp;q=l" in searched or "q=l&amp;page=2" in searched
    past_the_end = client.get("/admin/achievements?page=9", headers=HTML).data.decode()
    assert "Page 3 of 3" in past_the_end and past_the_end.count("<tr>") == 1 + 16
    nothing = client.get("/admin/achievements?q=zzz", headers=HTML).data.decode()
    assert "No achievement matches" in nothing


# -- job families -----------------------------------------------------------------------------


def test_admin_creates_a_job_family(client: FlaskClient, services: Services) -> None:
    token = login(client, services, "root@example.com", "admin")
    response = client.post(
        "/admin/job-families/new",
        data={
            "csrf_token": token,
            "req_rows": "3",
            "name": "Support engineering",
            "description": "Keeps customers running.",
            "occupation": "Computer User Support Specialists",
            "code": "15-1232.00",
            "req-0-skill": "incident-response",
            "req-0-level": "2",
            "req-1-skill": "observability",
            "req-1-level": "1",
            "req-2-skill": "",
        },
    )
    assert response.status_code == 302, response.data.decode()
    document = client.get("/job-families/support-engineering").get_json()
    assert document["occupation"]["framework"] == "O*NET-SOC 2019"
    assert {r["skill"]: r["minLevel"] for r in document["requirements"]} == {
        "incident-response": 2,
        "observability": 1,
    }
    with services.session() as db:
        alignment = db.get(AchievementDefinition, "observability-l1").document()["alignment"]  # type: ignore[union-attr]
        assert "Support engineering" in {a["targetName"] for a in alignment}
    assert audit_actions(services, "support-engineering") == ["job_family.create"]


def test_job_family_form_errors(client: FlaskClient, services: Services) -> None:
    token = login(client, services, "root@example.com", "admin")
    response = client.post(
        "/admin/job-families/new",
        data={
            "csrf_token": token,
            "req_rows": "2",
            "name": "Site Reliability Engineering",
            "id": "sre",
            "url": "javascript:alert(1)",
            "req-0-skill": "",
            "req-1-skill": "",
        },
    )
    assert response.status_code == 400
    page = response.data.decode()
    assert "A job family with the id sre already exists" in page
    assert "must start with https://" in page
    assert "at least one required skill" in page
    assert 'value="Site Reliability Engineering"' in page


def test_admin_edits_a_job_familys_details(client: FlaskClient, services: Services) -> None:
    token = login(client, services, "root@example.com", "admin")
    form = client.get("/admin/job-families/sre/edit", headers=HTML).data.decode()
    assert 'value="Site Reliability Engineering"' in form
    data = {
        "csrf_token": token,
        "name": "Site reliability",
        "description": "Keeps services up.",
        "occupation": "Network and Computer Systems Administrators",
        "framework": "O*NET-SOC 2019",
        "code": "15-1244.00",
        "url": "https://www.onetonline.org/link/summary/15-1244.00",
        "productive_definition": "First solo on-call shift.",
        # the requirement rows as the form shows them (level selects), unchanged
        **{
            f"level-{skill}": level
            for skill, level in re.findall(
                r'<select id="level-([\w-]+)"[^>]*>.*?<option value="(\d)" selected>', form, re.S
            )
        },
    }
    assert len(data) == 8 + 6
    response = client.post("/admin/job-families/sre/edit", data=data)
    assert response.status_code == 302, response.data.decode()
    assert client.get("/job-families/sre").get_json()["name"] == "Site reliability"
    with services.session() as db:
        assert len(db.get(JobFamily, "sre").requirements) == 6  # type: ignore[union-attr]
        exported = {f["id"]: f for f in export_catalog(db)["job_families"]}
    # The definition of productive is kept, shown, and travels with the catalog.
    assert exported["sre"]["productive_definition"] == "First solo on-call shift."
    assert (
        "First solo on-call shift."
        in client.get("/admin/job-families/sre", headers=HTML).data.decode()
    )
    assert "job_family.update" in audit_actions(services, "sre")


def test_retiring_a_job_family_is_confirmed_hidden_and_reversible(
    client: FlaskClient, services: Services
) -> None:
    token = login(client, services, "root@example.com", "admin")
    confirm = client.get("/admin/job-families/sre/retire", headers=HTML).data.decode()
    assert "no longer offered on the verify page or for new cohorts" in confirm
    assert csrf(client, "/admin/job-families/sre/retire")
    response = client.post("/admin/job-families/sre/retire", data={"csrf_token": token})
    assert response.status_code == 302
    with services.session() as db:
        assert "sre" not in {f.id for f in active_job_families(db)}
    listing = client.get("/admin/job-families", headers=HTML).data.decode()
    assert '/admin/job-families/sre"' not in listing
    assert "5 job families in use" in listing
    retired = client.get("/admin/job-families?status=retired", headers=HTML).data.decode()
    assert "Site Reliability Engineering" in retired and "1 retired job family" in retired
    # kept for history: its page and JSON stay
    assert client.get("/job-families/sre").status_code == 200
    assert (
        "Bring this job family back"
        in client.get("/admin/job-families/sre", headers=HTML).data.decode()
    )
    client.post("/admin/job-families/sre/unretire", data={"csrf_token": token})
    with services.session() as db:
        assert "sre" in {f.id for f in active_job_families(db)}
    assert audit_actions(services, "sre") == ["job_family.retire", "job_family.unretire"]


def test_job_family_search(client: FlaskClient, services: Services) -> None:
    login(client, services, "mo@example.com", "mentor")
    page = client.get("/admin/job-families?q=secur", headers=HTML).data.decode()
    assert "1 job family in use" in page
    assert '/admin/job-families/sre"' not in page


# -- import -----------------------------------------------------------------------------------


def test_import_templates_download_and_import(client: FlaskClient, services: Services) -> None:
    token = login(client, services, "root@example.com", "admin")
    page = client.get("/admin/catalog/import", headers=HTML).data.decode()
    assert "/admin/catalog/template.json" in page and "/admin/catalog/template.csv" in page
    template = client.get("/admin/catalog/template.json")
    assert template.headers["Content-Disposition"].startswith("attachment")
    document = json.loads(template.data)
    assert document["skills"][0]["criteria"][0]["levels"]["4"]
    response = client.post(
        "/admin/catalog/import",
        data={"csrf_token": token, "file": (io.BytesIO(template.data), "catalog.json")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.data.decode()
    with services.session() as db:
        skill = db.get(Skill, "customer-support")
        assert skill is not None
        row = db.get(AchievementDefinition, "customer-support-l2")
        assert row is not None
        described = row.document()["resultDescription"][0]["rubricCriterionLevel"][0]
        assert described["description"] == "Follows the troubleshooting guide with help."
    csv_template = client.get("/admin/catalog/template.csv")
    assert csv_template.data.decode().startswith("job_family,name,")
    response = client.post(
        "/admin/catalog/import",
        data={"csrf_token": token, "file": (io.BytesIO(csv_template.data), "jf.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert client.get("/admin/catalog/template.xml").status_code == 404


def test_import_refuses_a_bad_rubric(client: FlaskClient, services: Services) -> None:
    token = login(client, services, "root@example.com", "admin")
    document = json.loads(client.get("/admin/catalog/template.json").data)
    document["skills"][0]["criteria"][0]["levels"] = ["not", "a", "map"]
    response = client.post(
        "/admin/catalog/import",
        data={"csrf_token": token, "file": (io.BytesIO(json.dumps(document).encode()), "c.json")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "levels must map level numbers" in response.data.decode()


def test_a_retired_job_family_is_not_offered_on_the_verify_page(
    client: FlaskClient, services: Services
) -> None:
    token = login(client, services, "root@example.com", "admin")
    assert 'value="sre"' in client.get("/verify", headers=HTML).data.decode()
    client.post("/admin/job-families/sre/retire", data={"csrf_token": token})
    assert 'value="sre"' not in client.get("/verify", headers=HTML).data.decode()
    assert 'value="platform"' in client.get("/verify", headers=HTML).data.decode()


def test_emptying_a_criterion_row_removes_that_criterion(
    client: FlaskClient, services: Services
) -> None:
    token = login(client, services, "root@example.com", "admin")
    new_skill(client, token)
    form = client.get("/admin/skills/technical-writing/edit", headers=HTML).data.decode()
    # existing criteria keep their id (a hidden field), new rows offer an id field
    assert '<input type="hidden" name="criteria-1-id" value="reviews-others-docs">' in form
    assert 'id="criteria-2-id"' in form
    data = {
        "csrf_token": token,
        "criteria_rows": "2",
        "name": "Technical writing",
        "description": "Writes documentation others can follow.",
        "valid_for_days": "365",
        **rubric(**{"criteria-0-id": "writes-a-runbook"}),
        "criteria-1-id": "reviews-others-docs",
        "criteria-1-name": "",
        **{f"criteria-1-level-{n}": "" for n in LEVELS},
    }
    response = client.post("/admin/skills/technical-writing/edit", data=data)
    assert response.status_code == 302, response.data.decode()
    with services.session() as db:
        criteria = json.loads(db.get(Skill, "technical-writing").criteria)  # type: ignore[union-attr]
        assert [c["id"] for c in criteria] == ["writes-a-runbook"]


def test_job_family_form_grows_a_row_without_saving(
    client: FlaskClient, services: Services
) -> None:
    token = login(client, services, "root@example.com", "admin")
    page = client.post(
        "/admin/job-families/new",
        data={"csrf_token": token, "req_rows": "4", "name": "Quantum gardening", "action": "more"},
    )
    assert page.status_code == 200
    text = page.data.decode()
    assert 'id="req-4-skill"' in text and 'value="Quantum gardening"' in text
    with services.session() as db:
        assert db.get(JobFamily, "quantum-gardening") is None


def test_an_achievement_outside_the_catalog_is_not_edited_here(
    client: FlaskClient, services: Services
) -> None:
    with services.session() as db:
        template = db.get(AchievementDefinition, "networking-l2")
        assert template is not None
        db.add(
            AchievementDefinition(
                id="conference-talk",
                issuer_id=template.issuer_id,
                skill_id=None,
                level=None,
                name="Conference talk",
                achievement_type="Award",
                definition=json.dumps({"name": "Conference talk"}),
            )
        )
    login(client, services, "root@example.com", "admin")
    listing = client.get("/admin/achievements?q=conference", headers=HTML).data.decode()
    assert "Conference talk" in listing
    assert "/admin/achievements/conference-talk/edit" not in listing
    response = client.get("/admin/achievements/conference-talk/edit", headers=HTML)
    assert response.status_code == 400
    assert "not part of the skills catalog" in response.data.decode()
