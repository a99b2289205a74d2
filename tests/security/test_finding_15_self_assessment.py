"""Finding 15: an assessor could award themselves any badge (no separation of duties).

Now an assessment whose learner is the assessor (their e-mail, or their account's holder
record) is refused with the code ``self_assessment`` on the form, in the bulk import
(``passport bulk``) and through the API, unless an administrator allows it on /admin/settings
(the change is audited).
"""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner
from flask.testing import FlaskClient
from sqlalchemy import func, select

from passport.accounts.separation import set_self_assessment_allowed
from passport.assessments.models import Assessment
from passport.audit import AuditEvent
from passport.cli import cli
from passport.services import Services
from passport.settings import Settings
from tests.functional.test_admin import HTML, assess, csrf, login, make_user

ASSESSOR = "sam.assessor@example.com"


def _form(client: FlaskClient, token: str, learner: str) -> tuple[int, str]:
    step1 = client.get(
        "/admin/assessments/new",
        query_string={"learner": learner, "achievement": "incident-response-l2"},
        headers=HTML,
    )
    page = step1.get_data(as_text=True)
    key = re.search(r'name="key" value="([^"]+)"', page)
    criteria = re.findall(r'<select id="level-([\w-]+)"', page)
    assert key is not None and criteria
    answer = client.post(
        "/admin/assessments/new",
        data={
            "csrf_token": token,
            "achievement": "incident-response-l2",
            "learner": learner,
            "key": key[1],
            **{f"level-{c}": "3" for c in criteria},
        },
        content_type="multipart/form-data",
        headers=HTML,
    )
    return answer.status_code, answer.get_data(as_text=True)


def _assessments(services: Services) -> int:
    with services.session() as db:
        return db.scalar(select(func.count()).select_from(Assessment)) or 0


def test_the_form_refuses_an_assessor_assessing_themselves(
    client: FlaskClient, services: Services
) -> None:
    token = login(client, services, ASSESSOR, "assessor")
    for learner in (ASSESSOR, ASSESSOR.upper(), f"  {ASSESSOR} "):
        status, page = _form(client, token, learner)
        assert status == 400
        assert "You cannot assess yourself" in page
        assert 'aria-invalid="true"' in page
    assert _assessments(services) == 0
    make_user(services, "pat.learner@example.com", "learner")
    assess(client, token, learner="pat.learner@example.com")  # someone else: fine
    assert _assessments(services) == 1


def test_the_api_refuses_an_assessor_naming_the_learner(
    client: FlaskClient, api_token: str, services: Services
) -> None:
    body = {
        "learner": ASSESSOR,
        "achievement": "observability-l2",
        "levels": {"instrument": 2, "slo": 3, "alerting": 2},
        "assessor": ASSESSOR,
    }
    answer = client.post(
        "/api/v1/assessments", json=body, headers={"Authorization": f"Bearer {api_token}"}
    )
    assert answer.status_code == 400
    assert answer.get_json()["error"]["code"] == "self_assessment"
    assert _assessments(services) == 0


def test_the_bulk_import_refuses_the_assessors_own_row(
    settings: Settings, services: Services, tmp_path: Path
) -> None:
    # The bulk file names registered learners only; the assessor given to the command is
    # one of them (an e-mail is one person's): their own row is refused, the other issued.
    make_user(services, "kim.learner@example.com", "learner")
    make_user(services, "lee.learner@example.com", "learner")
    rows = tmp_path / "results.csv"
    rows.write_text(
        "email,achievement,level\n"
        "kim.learner@example.com,incident-response-l2,3\n"
        "lee.learner@example.com,incident-response-l2,3\n",
        encoding="utf-8",
    )
    env = {
        "PASSPORT_ENV": "test",
        "PASSPORT_INSTANCE_PATH": str(settings.instance_path),
        "PASSPORT_DATABASE_URL": settings.database_url,
        "PASSPORT_PUBLIC_URL": settings.public_url,
        "PASSPORT_SECRET_KEY": settings.secret_key,
        "PASSPORT_KEY_PASSPHRASE": settings.key_passphrase,
    }
    result = CliRunner().invoke(
        cli, ["bulk", str(rows), "--assessor", "Kim.Learner@example.com"], env=env
    )
    assert result.exit_code == 1
    assert "row 2:" in result.output and "[self_assessment]" in result.output
    assert "issued 1," in result.output  # the other learner's row went through
    assert _assessments(services) == 1


def test_an_admin_can_allow_it_and_the_change_is_audited(
    client: FlaskClient, services: Services
) -> None:
    admin = FlaskClient(client.application, client.response_wrapper)
    token = login(admin, services, "root@example.com", "admin")
    page = admin.get("/admin/settings", headers=HTML).get_data(as_text=True)
    assert 'name="allow_self_assessment"' in page and " checked" not in page
    saved = admin.post(
        "/admin/settings",
        data={"csrf_token": token, "time_zone": "UTC", "allow_self_assessment": "yes"},
    )
    assert saved.status_code == 303
    with services.session() as db:
        event = db.scalar(
            select(AuditEvent).where(AuditEvent.action == "org.allow_self_assessment")
        )
        assert event is not None and event.actor == "root@example.com"
    assessor_token = login(client, services, ASSESSOR, "assessor")
    assess(client, assessor_token, learner=ASSESSOR)
    assert _assessments(services) == 1
    # Turned off again: refused again.
    with services.session() as db:
        set_self_assessment_allowed(db, False, actor="root@example.com", at=services.now())
    status, _page = _form(client, csrf(client, "/admin/"), ASSESSOR)
    assert status == 400
