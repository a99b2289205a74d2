"""Bulk issuance from the admin pages and the API: preview, confirm, a job, progress, cancel,
retry, and the failed lists — with the queue run in-process the way a worker runs it."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from passport.accounts.tokens import create_token
from passport.audit import AuditEvent
from passport.credentials.models import IssuedCredential
from passport.jobs import bulk as bulk_jobs
from passport.jobs.models import Job, JobPart, Notification
from passport.jobs.queue import JobQueue, queue_for
from passport.jobs.runner import MAX_ATTEMPTS
from passport.services import Services
from tests.functional.test_admin import HTML, csrf, login, make_user

ACHIEVEMENTS = ("incident-response-l2", "observability-l2", "ci-cd-l2")
LEARNERS = 10


@pytest.fixture
def queue(services: Services) -> JobQueue:
    queue = queue_for(services)
    queue.flush()
    return queue


@pytest.fixture
def learners(services: Services) -> int:
    for n in range(LEARNERS):
        make_user(services, f"l{n}@bulk.example", "learner")
    return LEARNERS


def bulk_csv(*, bad: tuple[int, ...] = ()) -> bytes:
    """30 rows (10 learners × 3 achievements); rows whose index is in ``bad`` name nobody.
    Row index n is on line n + 2 (the header is line 1)."""
    lines = ["email,achievement,level\n"]
    for n in range(LEARNERS * len(ACHIEVEMENTS)):
        email = f"nobody{n}@bulk.example" if n in bad else f"l{n % LEARNERS}@bulk.example"
        lines.append(f"{email},{ACHIEVEMENTS[n // LEARNERS]},2\n")
    return "".join(lines).encode()


def issued(services: Services) -> int:
    with services.session() as db:
        return int(db.scalar(select(func.count()).select_from(IssuedCredential)) or 0)


def upload(client: FlaskClient, token: str, data: bytes, **extra: str) -> Any:
    return client.post(
        "/admin/bulk",
        data={"csrf_token": token, "file": (io.BytesIO(data), "results.csv"), **extra},
        content_type="multipart/form-data",
        headers=HTML,
    )


def confirm(client: FlaskClient, token: str, preview: str) -> Any:
    digest = re.search(r'name="sha256" value="([0-9a-f]{64})"', preview)
    assert digest is not None, preview
    proof = re.search(r'name="format" value="([\w-]+)"', preview)
    assert proof is not None
    return client.post(
        "/admin/bulk/confirm",
        data={"csrf_token": token, "sha256": digest.group(1), "format": proof.group(1)},
        headers=HTML,
    )


def count(page: str, name: str) -> int:
    found = re.search(rf'data-count="{name}">(\d+)<', page)
    assert found is not None, name
    return int(found.group(1))


# -- the admin pages ----------------------------------------------------------------------------


def test_an_assessor_previews_confirms_and_follows_a_bulk_issuance(
    client: FlaskClient, services: Services, queue: JobQueue, learners: int
) -> None:
    token = login(client, services, "ana@bulk.example", "assessor")
    form = client.get("/admin/bulk", headers=HTML)
    assert form.status_code == 200
    assert 'enctype="multipart/form-data"' in form.get_data(as_text=True)

    preview = upload(client, token, bulk_csv(bad=(3, 17)), format="vc-jwt")
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert (count(page, "rows"), count(page, "ready")) == (30, 28)
    assert (count(page, "already"), count(page, "errors")) == (0, 2)
    rows = re.findall(r'data-label="Row">(\d+)</td><td data-label="Code"><code>(\w+)</code>', page)
    assert rows == [("5", "unknown_learner"), ("19", "unknown_learner")]
    assert "nobody3@bulk.example" in page
    assert issued(services) == 0  # a preview issues nothing
    assert queue.pending_count() == 0

    started = confirm(client, token, page)
    assert started.status_code == 302
    job_url = started.headers["Location"]
    job_id = job_url.rsplit("/", 1)[-1]
    waiting = client.get(job_url, headers=HTML).get_data(as_text=True)
    assert '<progress id="job-progress" max="28" value="0">' in waiting
    assert 'aria-live="polite"' in waiting
    assert "Cancel the job" in waiting and "Refresh" in waiting
    assert 'src="/static/jobs.js"' in waiting
    # The same job as JSON, the page's source when it polls.
    state = client.get(f"/admin/jobs/{job_id}.json").get_json()
    assert (state["status"], state["done"], state["total"]) == ("queued", 0, 28)
    assert [e["row"] for e in state["errors"]] == [5, 19]

    assert queue.run_pending() >= 1
    assert issued(services) == 28
    state = client.get(f"/admin/jobs/{job_id}.json").get_json()
    assert (state["status"], state["done"], state["result"]["issued"]) == ("succeeded", 28, 28)
    done = client.get(job_url, headers=HTML).get_data(as_text=True)
    assert '<progress id="job-progress" max="28" value="28">' in done
    assert "Cancel the job" not in done
    with services.session() as db:
        credential = db.scalars(select(IssuedCredential)).first()
        assert credential is not None and credential.proof_format == "vc-jwt"
    # The badges are in the badge list.
    badges = client.get("/admin/badges?q=l4%40bulk.example", headers=HTML).get_data(as_text=True)
    assert "3 badges found." in badges

    # The same file again: the preview says it was imported, and the job issues nothing.
    again = upload(client, token, bulk_csv(bad=(3, 17))).get_data(as_text=True)
    assert (count(again, "ready"), count(again, "already")) == (0, 28)
    second = confirm(client, token, again)
    queue.run_pending()
    second_id = second.headers["Location"].rsplit("/", 1)[-1]
    state = client.get(f"/admin/jobs/{second_id}.json").get_json()
    assert state["status"] == "succeeded"
    assert state["result"] == {"issued": 0, "skipped": 28, "belowRequired": 0}
    assert issued(services) == 28
    listed = client.get("/admin/jobs", headers=HTML).get_data(as_text=True)
    assert listed.count("/admin/jobs/") >= 2 and "No job has failed." in listed


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"name,score\nada,3\n", "needs the columns email, achievement and level"),
        (b"email,achievement,level\n\xff\xfe,x,2\n", "is not UTF-8 text"),
        (b"", "The file is empty."),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_on_the_form(
    client: FlaskClient, services: Services, data: bytes, message: str
) -> None:
    token = login(client, services, "ana@bulk.example", "assessor")
    answer = upload(client, token, data)
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    assert message in page.replace("&#39;", "'")
    assert 'role="alert"' in page and 'aria-invalid="true"' in page


def test_no_file_and_an_expired_or_forged_upload_are_refused(
    client: FlaskClient, services: Services, queue: JobQueue
) -> None:
    token = login(client, services, "ana@bulk.example", "assessor")
    none = client.post(
        "/admin/bulk", data={"csrf_token": token}, content_type="multipart/form-data"
    )
    assert none.status_code == 400 and "Choose a CSV file" in none.get_data(as_text=True)
    for digest in ("0" * 64, "../../passport.sqlite3", ""):
        answer = client.post(
            "/admin/bulk/confirm", data={"csrf_token": token, "sha256": digest}, headers=HTML
        )
        assert answer.status_code == 400
        assert "Upload it again" in answer.get_data(as_text=True)
    with services.session() as db:
        assert db.scalar(select(func.count()).select_from(Job)) == 0


def test_the_preview_lists_the_first_200_row_errors_and_counts_the_rest(
    client: FlaskClient, services: Services
) -> None:
    token = login(client, services, "ana@bulk.example", "assessor")
    data = "email,achievement,level\n" + "".join(
        f"nobody{n}@bulk.example,ci-cd-l2,2\n" for n in range(205)
    )
    page = upload(client, token, data.encode()).get_data(as_text=True)
    assert count(page, "errors") == 205
    assert "205 rows have errors" in page
    assert page.count('<td data-label="Row">') == 200
    assert "5 more rows with errors are not listed here." in page
    assert "No row can be issued." in page and "/admin/bulk/confirm" not in page


def test_a_confirmed_file_is_used_once(
    client: FlaskClient, services: Services, queue: JobQueue, learners: int
) -> None:
    token = login(client, services, "ana@bulk.example", "assessor")
    page = upload(client, token, bulk_csv()).get_data(as_text=True)
    assert confirm(client, token, page).status_code == 302
    assert confirm(client, token, page).status_code == 400  # the kept file went with the job


def test_learners_and_mentors_may_not_run_bulk_issuance(
    client: FlaskClient, services: Services
) -> None:
    login(client, services, "mo@bulk.example", "mentor")
    for path in ("/admin/bulk", "/admin/jobs", "/admin/jobs/abc", "/admin/jobs/abc.json"):
        assert client.get(path, headers=HTML).status_code == 403, path
    nav = client.get("/admin/", headers=HTML).get_data(as_text=True)
    assert "/admin/bulk" not in nav


def test_the_nav_links_the_pages_and_an_unknown_job_is_404(
    client: FlaskClient, services: Services
) -> None:
    login(client, services, "ana@bulk.example", "assessor")
    nav = client.get("/admin/", headers=HTML).get_data(as_text=True)
    assert 'href="/admin/bulk"' in nav and 'href="/admin/jobs"' in nav
    assert client.get("/admin/jobs/no-such-job", headers=HTML).status_code == 404
    assert client.get("/admin/jobs/no-such-job.json").status_code == 404


def test_a_job_is_cancelled_from_its_page(
    client: FlaskClient,
    services: Services,
    queue: JobQueue,
    learners: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bulk_jobs, "PART_ROWS", 10)
    token = login(client, services, "ana@bulk.example", "assessor")
    page = upload(client, token, bulk_csv()).get_data(as_text=True)
    job_url = confirm(client, token, page).headers["Location"]
    job_id = job_url.rsplit("/", 1)[-1]
    queue.huey.execute(queue.huey.dequeue())  # one part of three runs
    cancelled = client.post(f"{job_url}/cancel", data={"csrf_token": token}, headers=HTML)
    assert cancelled.status_code == 302
    queue.run_pending()
    state = client.get(f"/admin/jobs/{job_id}.json").get_json()
    assert (state["status"], state["done"]) == ("cancelled", 10)
    assert issued(services) == 10
    page = client.get(job_url, headers=HTML).get_data(as_text=True)
    assert "Cancelled" in page and "Cancel the job" not in page
    again = client.post(f"{job_url}/cancel", data={"csrf_token": token})
    assert again.status_code == 302  # over already: said so, nothing changes


def _fail_a_job(
    services: Services, queue: JobQueue, monkeypatch: pytest.MonkeyPatch, job_id: str
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise OSError("the disk is full")

    monkeypatch.setattr(bulk_jobs, "run_part", broken)
    queue.run_pending()
    for _ in range(MAX_ATTEMPTS - 1):  # each retry falls due now instead of after its backoff
        with services.session() as db:
            db.execute(JobPart.__table__.update().values(next_attempt_at=None))  # type: ignore[attr-defined]
        queue.send("run_part", job_id, 1)
        queue.run_pending()


def test_a_failed_job_is_listed_with_its_error_and_an_admin_retries_it(
    client: FlaskClient,
    services: Services,
    queue: JobQueue,
    learners: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = bulk_jobs.run_part
    token = login(client, services, "root@bulk.example", "admin")
    page = upload(client, token, bulk_csv()).get_data(as_text=True)
    job_url = confirm(client, token, page).headers["Location"]
    job_id = job_url.rsplit("/", 1)[-1]
    _fail_a_job(services, queue, monkeypatch, job_id)
    listed = client.get("/admin/jobs", headers=HTML).get_data(as_text=True)
    failed = listed.split('id="failed-heading"')[1].split('id="mail-heading"')[0]
    assert job_id in failed and "the disk is full" in failed
    assert f'action="/admin/jobs/{job_id}/retry"' in failed
    shown = client.get(job_url, headers=HTML).get_data(as_text=True)
    assert "the disk is full" in shown and "Retry the job" in shown

    monkeypatch.setattr(bulk_jobs, "run_part", real)
    retried = client.post(f"{job_url}/retry", data={"csrf_token": token}, headers=HTML)
    assert retried.status_code == 302
    queue.run_pending()
    assert client.get(f"/admin/jobs/{job_id}.json").get_json()["status"] == "succeeded"
    assert issued(services) == 30
    listed = client.get("/admin/jobs", headers=HTML).get_data(as_text=True)
    assert "No job has failed." in listed


def test_an_assessor_sees_failed_jobs_but_may_not_retry(
    client: FlaskClient,
    services: Services,
    queue: JobQueue,
    learners: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = login(client, services, "ana@bulk.example", "assessor")
    page = upload(client, token, bulk_csv()).get_data(as_text=True)
    job_url = confirm(client, token, page).headers["Location"]
    _fail_a_job(services, queue, monkeypatch, job_url.rsplit("/", 1)[-1])
    listed = client.get("/admin/jobs", headers=HTML).get_data(as_text=True)
    assert "the disk is full" in listed and "/retry" not in listed
    assert client.post(f"{job_url}/retry", data={"csrf_token": token}).status_code == 403


def test_failed_mail_is_listed_and_an_admin_sends_it_again(
    client: FlaskClient, services: Services, queue: JobQueue
) -> None:
    token = login(client, services, "root@bulk.example", "admin")
    with services.session() as db:
        row = Notification(
            key="test:failed-mail",
            kind="badge_issued",
            to="ada@bulk.example",
            status="failed",
            attempts=6,
            last_error="SMTPRecipientsRefused: mailbox unavailable",
        )
        db.add(row)
        db.flush()
        mail_id = row.id
    listed = client.get("/admin/jobs", headers=HTML).get_data(as_text=True)
    mail = listed.split('id="mail-heading"')[1]
    assert "ada@bulk.example" in mail and "mailbox unavailable" in mail
    retried = client.post(
        f"/admin/notifications/{mail_id}/retry", data={"csrf_token": token}, headers=HTML
    )
    assert retried.status_code == 302
    with services.session() as db:
        again = db.get(Notification, mail_id)
        assert again is not None and again.status == "pending" and again.attempts == 0
    assert queue.pending_count() == 1  # its delivery was sent to the queue
    listed = client.get("/admin/jobs", headers=HTML).get_data(as_text=True)
    assert "Every e-mail was sent." in listed


def test_the_pages_speak_german(client: FlaskClient, services: Services) -> None:
    login(client, services, "ana@bulk.example", "assessor")
    page = client.get("/admin/bulk?lang=de", headers=HTML).get_data(as_text=True)
    assert "CSV-Datei" in page
    jobs = client.get("/admin/jobs?lang=de", headers=HTML).get_data(as_text=True)
    assert "Fehlgeschlagene Jobs" in jobs


# -- the API --------------------------------------------------------------------------------------


def _token(services: Services, name: str, *scopes: str) -> str:
    with services.session() as db:
        return create_token(db, name, scopes=scopes, actor="test")


def _post(client: FlaskClient, token: str, data: bytes, query: str = "") -> Any:
    return client.post(
        f"/api/v1/bulk-issuances{query}",
        data=data,
        content_type="text/csv",
        headers={"Authorization": f"Bearer {token}"},
    )


def _get(client: FlaskClient, token: str, path: str) -> Any:
    return client.get(path, headers={"Authorization": f"Bearer {token}"})


def test_the_api_previews_starts_and_reports_a_bulk_issuance(
    client: FlaskClient, services: Services, queue: JobQueue, learners: int
) -> None:
    issuer = _token(services, "lms", "credentials:issue")
    dry = _post(client, issuer, bulk_csv(bad=(0, 29)), "?dryRun=true")
    assert dry.status_code == 200
    body = dry.get_json()
    assert (body["total"], body["valid"]) == (30, 28)
    assert body["errors"] == [
        {"row": 2, "code": "unknown_learner", "message": body["errors"][0]["message"]},
        {"row": 31, "code": "unknown_learner", "message": body["errors"][1]["message"]},
    ]
    assert "nobody0@bulk.example" in body["errors"][0]["message"]
    assert issued(services) == 0 and queue.pending_count() == 0

    started = _post(client, issuer, bulk_csv(bad=(0, 29)), "?format=jwt")
    assert started.status_code == 202
    job_id = started.get_json()["id"]
    assert started.headers["Location"] == f"/api/v1/jobs/{job_id}"
    first = _get(client, issuer, started.headers["Location"]).get_json()
    assert {k: first[k] for k in ("id", "kind", "status", "done", "total")} == {
        "id": job_id,
        "kind": "bulk_issuance",
        "status": "queued",
        "done": 0,
        "total": 28,
    }
    assert [e["row"] for e in first["errors"]] == [2, 31]
    assert set(first["errors"][0]) == {"row", "code", "message"}
    assert first["startedAt"] is None and first["finishedAt"] is None
    queue.run_pending()
    final = _get(client, issuer, f"/api/v1/jobs/{job_id}").get_json()
    assert (final["status"], final["done"], final["total"]) == ("succeeded", 28, 28)
    assert final["startedAt"].endswith("Z") and final["finishedAt"].endswith("Z")
    assert issued(services) == 28
    with services.session() as db:
        job = db.get(Job, job_id)
        assert job is not None and job.token_name == "lms"
        event = db.scalars(select(AuditEvent).where(AuditEvent.subject == job_id)).one()
        assert event.action == "bulk.start" and event.actor.startswith("token:")

    # A reader token sees every job; another issuing token sees none but its own.
    reader = _token(services, "dashboard", "read")
    assert _get(client, reader, f"/api/v1/jobs/{job_id}").status_code == 200
    other = _token(services, "hr", "credentials:issue")
    hidden = _get(client, other, f"/api/v1/jobs/{job_id}")
    assert hidden.status_code == 404 and hidden.get_json()["error"]["code"] == "unknown_job"
    assert _get(client, issuer, "/api/v1/jobs/nope").status_code == 404
    verifier = _token(services, "verifier", "verify")
    refused = _get(client, verifier, f"/api/v1/jobs/{job_id}")
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "insufficient_scope"
    assert "'read'" in refused.get_json()["error"]["message"]
    assert client.get(f"/api/v1/jobs/{job_id}").status_code == 401

    # Uploaded again: a job that issues nothing twice.
    again = _post(client, issuer, bulk_csv(bad=(0, 29)))
    queue.run_pending()
    state = _get(client, issuer, f"/api/v1/jobs/{again.get_json()['id']}").get_json()
    assert state["status"] == "succeeded" and state["done"] == 28
    assert issued(services) == 28


def test_the_api_refuses_what_it_cannot_use(
    client: FlaskClient, services: Services, queue: JobQueue, learners: int
) -> None:
    issuer = _token(services, "lms", "credentials:issue")
    reader = _token(services, "dashboard", "read")
    cases = [
        (_post(client, issuer, b"name,score\nada,1\n"), 400, "bad_columns"),
        (_post(client, issuer, b"email,achievement,level\n\xff,x,1\n"), 400, "bad_encoding"),
        (_post(client, issuer, bulk_csv(), "?dryRun=maybe"), 400, "bad_parameter"),
        (_post(client, issuer, bulk_csv(), "?format=pdf"), 400, "bad_format"),
        (_post(client, reader, bulk_csv()), 403, "insufficient_scope"),
        (
            client.post(
                "/api/v1/bulk-issuances",
                json={"rows": []},
                headers={"Authorization": f"Bearer {issuer}"},
            ),
            415,
            "unsupported_media_type",
        ),
        (client.post("/api/v1/bulk-issuances", data=b"x", content_type="text/csv"), 401, None),
    ]
    for response, status, code in cases:
        assert response.status_code == status, response.get_json()
        if code:
            assert response.get_json()["error"]["code"] == code
    with services.session() as db:
        assert db.scalar(select(func.count()).select_from(Job)) == 0


def test_the_token_that_started_a_job_may_cancel_it(
    client: FlaskClient,
    services: Services,
    queue: JobQueue,
    learners: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bulk_jobs, "PART_ROWS", 10)
    issuer = _token(services, "lms", "credentials:issue")
    other = _token(services, "hr", "credentials:issue")
    job_id = _post(client, issuer, bulk_csv()).get_json()["id"]
    headers = {"Authorization": f"Bearer {other}"}
    assert client.post(f"/api/v1/jobs/{job_id}/cancel", headers=headers).status_code == 404
    cancelled = client.post(
        f"/api/v1/jobs/{job_id}/cancel", headers={"Authorization": f"Bearer {issuer}"}
    )
    assert cancelled.status_code == 200
    assert cancelled.get_json()["status"] == "cancelled"
    queue.run_pending()
    assert issued(services) == 0


def test_a_job_page_for_an_api_job_names_its_token(
    client: FlaskClient, services: Services, queue: JobQueue, learners: int
) -> None:
    issuer = _token(services, "lms", "credentials:issue")
    job_id = _post(client, issuer, bulk_csv()).get_json()["id"]
    login(client, services, "root@bulk.example", "admin")
    page = client.get(f"/admin/jobs/{job_id}", headers=HTML).get_data(as_text=True)
    assert "API token lms" in page
    assert csrf(client, "/admin/jobs")
