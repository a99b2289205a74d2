"""People events through the API (dry run, a job run by the queue, scopes) and the admin page
(upload -> preview -> confirm -> the job page; erase with a confirmation; admins only)."""

from __future__ import annotations

import io
import re
import uuid
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from passport.accounts.tokens import create_token
from passport.jobs.queue import JobQueue, queue_for
from passport.outcomes.models import ErasedPerson, HRPerson, PeopleEvent
from passport.services import Services
from tests.functional.test_admin import HTML, PASSWORD, csrf, login, make_user

HEADER = "person_id,email,event,date,job_family,cohort\n"
GOOD = (
    "hr-1,ada@example.com,hired,2025-01-06,sre,\n"
    "hr-1,,cohort_started,2025-01-20,,SRE onboarding 1\n"
    "hr-2,,hired,2025-02-03,platform,\n"
)
BAD = "hr-3,,hired,2025-02-03,astronaut,\nhr-4,,left,2999-01-01,,\n"


@pytest.fixture
def queue(services: Services) -> JobQueue:
    queue = queue_for(services)
    queue.flush()
    return queue


def token_with(services: Services, *scopes: str) -> dict[str, str]:
    with services.session() as db:
        secret = create_token(db, f"hr-{uuid.uuid4().hex[:8]}", scopes=scopes, actor="t")
    return {"Authorization": f"Bearer {secret}"}


def events(services: Services) -> int:
    with services.session() as db:
        return int(db.scalar(select(func.count()).select_from(PeopleEvent)) or 0)


def post(client: FlaskClient, auth: dict[str, str], body: Any, query: str = "") -> Any:
    if isinstance(body, str):
        return client.post(
            f"/api/v1/people-events{query}", data=body, content_type="text/csv", headers=auth
        )
    return client.post(f"/api/v1/people-events{query}", json=body, headers=auth)


def test_the_api_checks_then_imports_through_a_job(
    client: FlaskClient, services: Services, queue: JobQueue
) -> None:
    auth = token_with(services, "people:write")
    dry = post(client, auth, HEADER + GOOD + BAD, "?dryRun=true")
    assert dry.status_code == 200, dry.json
    assert dry.json["total"] == 5 and dry.json["valid"] == 3
    assert [(e["row"], e["code"]) for e in dry.json["errors"]] == [
        (5, "unknown_job_family"),
        (6, "future_date"),
    ]
    assert events(services) == 0
    started = post(client, auth, HEADER + GOOD + BAD)
    assert started.status_code == 202, started.json
    location = started.headers["Location"]
    assert started.json["kind"] == "people_import" and started.json["total"] == 3
    assert queue.run_pending() >= 1
    job = client.get(location, headers=auth).json
    assert (job["status"], job["done"], job["total"]) == ("succeeded", 3, 3)
    assert job["result"] == {"imported": 3, "duplicates": 0}
    assert [e["code"] for e in job["errors"]] == ["unknown_job_family", "future_date"]
    assert events(services) == 3
    # The same file again imports nothing twice.
    again = post(client, auth, HEADER + GOOD)
    queue.run_pending()
    job = client.get(again.headers["Location"], headers=auth).json
    assert job["result"] == {"imported": 0, "duplicates": 3}
    assert events(services) == 3


def test_the_api_takes_json_numbered_by_index(
    client: FlaskClient, services: Services, queue: JobQueue
) -> None:
    auth = token_with(services, "people:write")
    rows = [
        {"person_id": "j-1", "event": "hired", "date": "2025-01-06", "job_family": "sre"},
        {"person_id": "j-1", "event": "promoted", "date": "2025-03-01"},
    ]
    for body in (rows, {"events": rows}):
        dry = post(client, auth, body, "?dryRun=true")
        assert dry.status_code == 200
        assert dry.json["errors"][0]["row"] == 2
        assert dry.json["errors"][0]["code"] == "unknown_event"
    assert post(client, auth, {"rows": rows}).status_code == 400
    started = post(client, auth, rows)
    assert started.status_code == 202
    queue.run_pending()
    assert events(services) == 1


def test_the_api_needs_people_write(client: FlaskClient, services: Services) -> None:
    assert post(client, {}, HEADER + GOOD).status_code == 401
    other = post(client, token_with(services, "read", "credentials:issue"), HEADER + GOOD)
    assert other.status_code == 403
    assert other.json["error"]["code"] == "insufficient_scope"
    auth = token_with(services, "people:write")
    bad_type = client.post("/api/v1/people-events", data="x", headers=auth)
    assert bad_type.status_code == 415
    columns = post(client, auth, "who,what\nx,y\n")
    assert columns.status_code == 400 and columns.json["error"]["code"] == "bad_columns"
    assert events(services) == 0


# -- the admin page --------------------------------------------------------------------------


def upload(client: FlaskClient, token: str, data: bytes) -> Any:
    return client.post(
        "/admin/people",
        data={"csrf_token": token, "file": (io.BytesIO(data), "people.csv")},
        content_type="multipart/form-data",
        headers=HTML,
    )


def test_an_admin_previews_confirms_and_follows_an_import(
    client: FlaskClient, services: Services, queue: JobQueue
) -> None:
    token = login(client, services, "boss@example.com", "admin")
    page = client.get("/admin/people", headers=HTML)
    assert page.status_code == 200
    assert 'data-count="people">0<' in page.text
    preview = upload(client, token, (HEADER + GOOD + BAD).encode())
    assert preview.status_code == 200
    text = preview.text
    assert 'data-count="valid">3<' in text and 'data-count="errors">2<' in text
    assert "unknown_job_family" in text and "future_date" in text
    assert events(services) == 0
    digest = re.search(r'name="sha256" value="([0-9a-f]{64})"', text)
    assert digest is not None
    started = client.post(
        "/admin/people/confirm",
        data={"csrf_token": token, "sha256": digest.group(1)},
        headers=HTML,
    )
    assert started.status_code == 302
    job_url = started.headers["Location"]
    assert job_url.startswith("/admin/jobs/")
    queue.run_pending()
    job_page = client.get(job_url, headers=HTML).text
    assert 'data-field="imported">3<' in job_page
    assert events(services) == 3
    assert 'data-count="events">3<' in client.get("/admin/people", headers=HTML).text
    # The upload is used once.
    reused = client.post(
        "/admin/people/confirm",
        data={"csrf_token": token, "sha256": digest.group(1)},
        headers=HTML,
    )
    assert reused.status_code == 400


def test_an_admin_erases_a_person_after_confirming(
    client: FlaskClient, services: Services, queue: JobQueue
) -> None:
    token = login(client, services, "boss@example.com", "admin")
    auth = token_with(services, "people:write")
    post(client, auth, HEADER + GOOD)
    queue.run_pending()
    ask = client.post(
        "/admin/people/erase", data={"csrf_token": token, "person_id": "hr-1"}, headers=HTML
    )
    assert ask.status_code == 200 and 'name="confirm" value="yes"' in ask.text
    assert events(services) == 3
    done = client.post(
        "/admin/people/erase",
        data={"csrf_token": token, "person_id": "hr-1", "confirm": "yes"},
        headers=HTML,
    )
    assert done.status_code == 302
    with services.session() as db:
        assert db.scalar(select(func.count()).where(HRPerson.person_key == "hr-1")) == 0
        assert db.scalar(select(func.count()).select_from(ErasedPerson)) == 1
    assert events(services) == 1
    dry = post(client, auth, HEADER + GOOD, "?dryRun=true")
    assert [e["code"] for e in dry.json["errors"]] == ["erased_person", "erased_person"]


@pytest.mark.parametrize("role", ["analyst", "assessor"])
def test_only_admins_import(client: FlaskClient, services: Services, role: str) -> None:
    make_user(services, f"{role}@example.com", role)
    response = client.post(
        "/login",
        data={"email": f"{role}@example.com", "password": PASSWORD, "csrf_token": csrf(client)},
    )
    assert response.status_code == 302
    token = csrf(client, "/my/preferences")
    assert client.get("/admin/people", headers=HTML).status_code == 403
    refused = upload(client, token, (HEADER + GOOD).encode())
    assert refused.status_code == 403
    assert events(services) == 0


def test_an_account_erased_while_its_import_waits_is_not_brought_back(
    client: FlaskClient, services: Services, queue: JobQueue
) -> None:
    """The HR person exists only in a queued part when the account is erased: the part,
    when it runs, refuses them (the tombstone is written from the queued rows)."""
    from passport.accounts.users import create_user, erase_user, user_by_email
    from passport.outcomes.models import HRPerson

    with services.session() as db:
        create_user(db, email="ada@example.com", name="Ada", role="learner", password=None)
    auth = token_with(services, "people:write")
    assert post(client, auth, HEADER + GOOD).status_code == 202
    with services.session() as db:
        erase_user(
            db,
            user_by_email(db, "ada@example.com"),
            actor="t",
            now=services.now(),
            secret_key=services.settings.secret_key,
        )
    queue.run_pending()
    with services.session() as db:
        keys = set(db.scalars(select(HRPerson.person_key)))
    assert keys == {"hr-2"}
