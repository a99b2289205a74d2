"""Finding 14: out-of-range integers in paths or ``page=`` gave 500.

Reproduced: ``/admin/users/99999999999999999999`` and ``?page=10**30`` overflowed the database
(SQLite ``OverflowError``; PostgreSQL raises on int8 and int4 overflow). Now ``<int:…>`` is
bounded on the app (1 to 2**31-1: any other number names nothing, 404) and one page-number
parser clamps ``page=`` to the list.
"""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from passport.services import Services
from tests.functional.test_admin import HTML, login

HUGE = "9" * 20
OUT_OF_RANGE = [HUGE, str(2**31), str(2**63), "-1", "0", "1e9", "٣"]


@pytest.mark.parametrize("number", OUT_OF_RANGE)
def test_out_of_range_ids_in_paths_are_404(
    client: FlaskClient, services: Services, number: str
) -> None:
    token = login(client, services, "bounds-admin@example.com", "admin")
    for path in (
        f"/admin/users/{number}",
        f"/admin/cohorts/{number}",
        f"/admin/cohorts/{number}/edit",
        f"/admin/assessments/{number}",
        f"/admin/cohorts/1/sessions/{number}/edit",
        f"/issuers/{number}/image.png",
        f"/passport/shares/{number}",
    ):
        assert client.get(path, headers=HTML).status_code == 404, path
    for path in (f"/admin/users/{number}/active", f"/admin/cohorts/{number}/notes"):
        answer = client.post(path, data={"csrf_token": token}, headers=HTML)
        assert answer.status_code == 404, path


@pytest.mark.parametrize("page", [str(10**30), HUGE, "-5", "0", "x", "1.5", str(2**63)])
def test_page_numbers_out_of_range_never_500(
    client: FlaskClient, services: Services, page: str
) -> None:
    login(client, services, "pages-admin@example.com", "admin")
    for path in (
        "/admin/users",
        "/admin/badges",
        "/admin/audit",
        "/admin/assessments",
        "/admin/cohorts",
        "/admin/skills",
        "/admin/job-families",
        "/admin/achievements",
    ):
        answer = client.get(f"{path}?page={page}", headers=HTML)
        assert answer.status_code == 200, (path, answer.status_code)


def test_an_id_in_range_still_routes(client: FlaskClient, services: Services) -> None:
    login(client, services, "range-admin@example.com", "admin")
    assert client.get("/admin/users/1", headers=HTML).status_code == 200
    assert client.get(f"/admin/users/{2**31 - 1}", headers=HTML).status_code == 404
