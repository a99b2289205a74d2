"""The hiring pages for roles and candidates (/hiring/roles) and the learner's consent to be
found (the "Open to internal moves" section of /passport), through the browser path: log in
with the form, CSRF tokens scraped from the pages, a real database.

What they must keep (issue #20): nobody who has not opted in is ever listed; turning it off on
the passport page takes the learner off the role page at once; candidates are in the ranking
rule's order; an external passport from an untrusted issuer is marked "Not verified" and
listed below every verified candidate.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from keys import generate_key
from passport.audit import AuditEvent
from passport.credentials.issuing import IssueRequest, issue_credential
from passport.mobility.consent import Consent, consent_of, set_consent
from passport.mobility.models import ExternalCandidate, OpenRole
from passport.mobility.roles import RoleDraft, open_role
from passport.services import Services
from tests.functional.elsewhere import badge_from_elsewhere
from tests.functional.signing_in import HTML, PASSWORD, csrf, log_in, make_user
from tests.unit.passport.outcomes.fixtures import add_badge

MANAGER = "manager@example.com"


def learner(
    services: Services,
    email: str,
    name: str,
    badges: dict[str, tuple[int, date]],
    *,
    families: tuple[str, ...] | None = None,
    discoverable: bool = True,
) -> int:
    """A learner holding ``badges`` (skill → (level, issued on)), opted in when asked."""
    user_id = make_user(services, email, name)
    with services.session() as db:
        for skill, (level, issued) in badges.items():
            add_badge(db, email, f"{skill}-l{level}", issued)
        if discoverable:
            set_consent(db, user_id, Consent(True, families), actor=email, now=datetime.now(UTC))
    return user_id


@pytest.fixture
def manager(app: Flask, services: Services) -> tuple[FlaskClient, str]:
    """A signed-in hiring manager."""
    make_user(services, MANAGER, "Hana Hiring", role="hiring_manager")
    client = app.test_client()
    return client, log_in(client, MANAGER, "/hiring/roles")


def open_sre_role(
    client: FlaskClient, token: str, extra: dict[str, str] | None = None, **levels: str
) -> int:
    form = {
        "csrf_token": token,
        "jobFamily": "sre",
        "title": "SRE II",
        "team": "Payments",
        "location": "Berlin",
        "openings": "2",
        **{f"level-{skill.replace('_', '-')}": value for skill, value in levels.items()},
        **(extra or {}),
    }
    response = client.post("/hiring/roles/new", data=form)
    assert response.status_code == 302, response.data.decode()
    match = re.search(r"/hiring/roles/(\d+)$", response.headers["Location"])
    assert match is not None, response.headers["Location"]
    return int(match.group(1))


def names_in_order(html: str, names: list[str]) -> list[str]:
    """``names`` in the order the candidates table shows them (absent ones left out)."""
    table = html.split('id="candidates"', 1)[1]
    found = [
        (table.index(f"<strong>{n}</strong>"), n) for n in names if f"<strong>{n}</strong>" in table
    ]
    return [n for _, n in sorted(found)]


# -- opening a role ---------------------------------------------------------------------------


def test_the_form_prefills_the_family_levels_without_javascript(
    manager: tuple[FlaskClient, str],
) -> None:
    client, _ = manager
    first = client.get("/hiring/roles/new", headers=HTML).data.decode()
    assert 'name="jobFamily"' in first
    assert 'name="title"' not in first  # the family comes first: its levels fill the form
    page = client.get("/hiring/roles/new?jobFamily=sre", headers=HTML).data.decode()
    observability = page.split('id="level-observability"', 1)[1].split("</select>", 1)[0]
    assert re.search(r'<option value="3" selected>', observability)
    networking = page.split('id="level-networking"', 1)[1].split("</select>", 1)[0]
    assert re.search(r'<option value="2" selected>', networking)
    assert '<option value="0">' in networking  # 0 = not required is offered
    unknown = client.get("/hiring/roles/new?jobFamily=cooking", headers=HTML)
    assert unknown.status_code == 400
    assert "Choose one of the job families in the list." in unknown.data.decode()


@pytest.mark.parametrize(
    ("changes", "field", "sentence"),
    [
        ({"title": "  "}, "title", "Give the role a title."),
        ({"openings": "0"}, "openings", "The number of openings must be a whole number"),
        ({"openings": "many"}, "openings", "The number of openings must be a whole number"),
        ({"level-networking": "9"}, "level-networking", "Each level must be a whole number"),
        ({"level-networking": "-1"}, "level-networking", "Each level must be a whole number"),
        ({"extra_skill": "cooking", "extra_level": "2"}, "extra_skill", "Choose one of the skills"),
        ({"jobFamily": "cooking"}, "jobFamily", "Choose one of the job families in the list."),
        ({"team": "x" * 201}, "team", "The team is too long"),
        (
            {
                f"level-{s}": "0"
                for s in (
                    "linux-administration",
                    "incident-response",
                    "observability",
                    "kubernetes-operations",
                    "infrastructure-as-code",
                    "networking",
                )
            },
            "level-networking",
            "A role must require at least one skill",
        ),
    ],
)
def test_a_bad_role_is_shown_on_the_form_with_its_field(
    manager: tuple[FlaskClient, str],
    services: Services,
    changes: dict[str, str],
    field: str,
    sentence: str,
) -> None:
    client, token = manager
    form = {"csrf_token": token, "jobFamily": "sre", "title": "SRE II", "openings": "1"}
    form.update(changes)
    response = client.post("/hiring/roles/new", data=form)
    assert response.status_code == 400
    page = response.data.decode()
    assert 'role="alert"' in page and sentence in page
    tag = re.search(rf'<(?:input|select) id="{re.escape(field)}"[^>]*>', page)
    assert tag is not None, field
    assert 'aria-invalid="true"' in tag.group(0)
    assert "form-error" in tag.group(0)  # aria-describedby points at the summary
    with services.session() as db:
        assert db.scalars(select(OpenRole)).first() is None


def test_opening_a_role_redirects_to_it_and_lists_it(
    manager: tuple[FlaskClient, str], services: Services
) -> None:
    client, token = manager
    role_id = open_sre_role(
        client,
        token,
        {"extra_skill": "ci-cd", "extra_level": "1"},
        networking="0",
        observability="4",
    )
    # an extra skill goes in through its own fields
    client.post(
        "/hiring/roles/new",
        data={
            "csrf_token": token,
            "jobFamily": "platform",
            "title": "Platform engineer",
            "openings": "1",
            "extra_skill": "networking",
            "extra_level": "1",
        },
    )
    with services.session() as db:
        role = db.get(OpenRole, role_id)
        assert role is not None
        levels = {level.skill_id: level.min_level for level in role.levels}
    assert levels["observability"] == 4 and levels["ci-cd"] == 1 and "networking" not in levels
    page = client.get(f"/hiring/roles/{role_id}", headers=HTML).data.decode()
    assert "The role SRE II is open." in page
    assert "Observability: level 4 (Expert)" in page
    listing = client.get("/hiring/roles", headers=HTML).data.decode()
    assert f'href="/hiring/roles/{role_id}">SRE II</a>' in listing
    assert "Platform engineer" in listing and "Payments" in listing and "Berlin" in listing


def test_closing_a_role_asks_first_then_closes_it_once(
    manager: tuple[FlaskClient, str], services: Services
) -> None:
    client, token = manager
    role_id = open_sre_role(client, token)
    confirm = client.get(f"/hiring/roles/{role_id}/close", headers=HTML)
    assert confirm.status_code == 200 and "Close the role SRE II?" in confirm.data.decode()
    with services.session() as db:
        assert db.get(OpenRole, role_id).status == "open"  # type: ignore[union-attr]
    assert client.post(f"/hiring/roles/{role_id}/close", data={}).status_code == 403  # CSRF
    done = client.post(
        f"/hiring/roles/{role_id}/close", data={"csrf_token": token}, follow_redirects=True
    )
    assert "The role SRE II is closed." in done.data.decode()
    again = client.post(
        f"/hiring/roles/{role_id}/close", data={"csrf_token": token}, follow_redirects=True
    )
    assert "The role is already closed." in again.data.decode()
    with services.session() as db:
        assert db.get(OpenRole, role_id).status == "closed"  # type: ignore[union-attr]


@pytest.mark.parametrize("role", ["learner", "assessor", "mentor", "analyst"])
def test_only_hiring_managers_and_admins_see_the_hiring_pages(
    app: Flask, services: Services, role: str
) -> None:
    make_user(services, "someone@example.com", "Someone Else", role=role)
    client = app.test_client()
    signed_in = client.post(
        "/login",
        data={
            "email": "someone@example.com",
            "password": PASSWORD,
            "csrf_token": csrf(client, "/login"),
        },
    )
    assert signed_in.status_code == 302
    for path in ("/hiring/roles", "/hiring/roles/new", "/hiring/roles/1"):
        assert client.get(path, headers=HTML).status_code == 403, (role, path)


def test_an_admin_opens_a_role_too(app: Flask, services: Services) -> None:
    make_user(services, "root@example.com", "Ari Admin", role="admin")
    client = app.test_client()
    token = log_in(client, "root@example.com", "/hiring/roles")
    role_id = open_sre_role(client, token)
    page = client.get(f"/hiring/roles/{role_id}", headers=HTML).data.decode()
    assert "SRE II" in page and "Staff pages" in page


def test_an_unknown_role_is_not_found(manager: tuple[FlaskClient, str]) -> None:
    client, _ = manager
    assert client.get("/hiring/roles/999", headers=HTML).status_code == 404
    assert client.get("/hiring/roles/999/close", headers=HTML).status_code == 404


# -- the candidates ---------------------------------------------------------------------------


def test_the_role_page_ranks_candidates_and_never_shows_who_did_not_opt_in(
    manager: tuple[FlaskClient, str], services: Services
) -> None:
    client, token = manager
    role_id = open_sre_role(client, token)
    early, late = date(2026, 3, 1), date(2026, 6, 1)
    sre = {
        "linux-administration": (3, early),
        "incident-response": (3, early),
        "observability": (3, early),
        "kubernetes-operations": (2, early),
        "infrastructure-as-code": (2, early),
    }
    learner(services, "full@example.com", "Fay Full", {**sre, "networking": (2, early)})
    # five met, one short by one level: fresher does not beat a smaller shortfall
    learner(services, "near@example.com", "Nia Near", {**sre, "networking": (1, late)})
    learner(
        services, "far@example.com", "Fin Far", {**sre, "networking": (1, early)}, families=("sre",)
    )
    learner(services, "other@example.com", "Oli Other", sre, families=("platform",))
    learner(
        services,
        "hidden@example.com",
        "Hal Hidden",
        {**sre, "networking": (3, late)},
        discoverable=False,
    )
    response = client.get(f"/hiring/roles/{role_id}", headers=HTML)
    assert response.status_code == 200
    page = response.data.decode()
    everyone = ["Fay Full", "Nia Near", "Fin Far", "Oli Other", "Hal Hidden"]
    assert names_in_order(page, everyone) == ["Fay Full", "Nia Near", "Fin Far"]
    for absent in ("Hal Hidden", "hidden@example.com", "Oli Other", "other@example.com"):
        assert absent not in page
    rows = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0].split("<tr>")[1:]
    first, second = rows[0], rows[1]
    assert "full@example.com" in first and "6 of 6" in first and "none" in first
    assert "near@example.com" in second and "5 of 6" in second
    assert "partly" in second and "(level 1 of 2)" in second  # text, not colour only
    assert "Networking at level 2:" in second and "the badge Networking" in second
    assert 'data-label="Gaps and what would close them"' in second
    assert "only people who chose to be found" in page.lower()
    with services.session() as db:
        seen = db.scalars(select(AuditEvent).where(AuditEvent.action == "role.candidates")).all()
    assert [(e.actor, e.subject) for e in seen] == [(MANAGER, str(role_id))]


def test_the_ranked_list_exports_as_csv_with_only_who_opted_in(
    manager: tuple[FlaskClient, str], services: Services
) -> None:
    client, token = manager
    role_id = open_sre_role(client, token)
    held = {"linux-administration": (3, date(2026, 3, 1)), "networking": (1, date(2026, 4, 1))}
    learner(services, "open@example.com", "=Ola Open", held)
    learner(services, "quiet@example.com", "Quin Quiet", held, discoverable=False)
    withdrawn = learner(services, "gone@example.com", "Gus Gone", held)
    with services.session() as db:
        set_consent(db, withdrawn, Consent(False), actor="gone@example.com", now=datetime.now(UTC))
    response = client.get(f"/hiring/roles/{role_id}/candidates.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.headers["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(response.data.decode())))
    assert rows[0][:4] == ["rank", "name", "email", "external"]
    assert len(rows) == 2  # the header and the one person who opted in
    rank, name, email, _, verified, met, required, shortfall, newest, gaps, _ = rows[1]
    assert (rank, email, verified, met, required) == ("1", "open@example.com", "yes", "1", "6")
    assert name == "'=Ola Open"  # neutralised: a spreadsheet never runs it as a formula
    assert shortfall == str(3 + 3 + 2 + 2 + 1) and newest == "2026-04-01"
    assert "networking 1/2" in gaps
    body = response.data.decode()
    assert "quiet@example.com" not in body and "gone@example.com" not in body
    with services.session() as db:
        seen = db.scalars(select(AuditEvent).where(AuditEvent.action == "role.candidates")).all()
    assert [(e.actor, e.subject) for e in seen] == [(MANAGER, str(role_id))]
    assert client.get(f"/hiring/roles/{role_id + 99}/candidates.csv").status_code == 404


def test_a_revoked_badge_is_out_of_the_next_page(
    manager: tuple[FlaskClient, str], services: Services
) -> None:
    from passport.credentials.models import IssuedCredential

    client, token = manager
    role_id = open_sre_role(client, token, networking="0")
    learner(services, "ria@example.com", "Ria Revoked", {"observability": (3, date(2026, 1, 5))})
    assert "Ria Revoked" in client.get(f"/hiring/roles/{role_id}", headers=HTML).data.decode()
    with services.session() as db:
        for record in db.scalars(select(IssuedCredential)):
            record.revoked_at = datetime.now(UTC) - timedelta(minutes=1)
    assert "Ria Revoked" not in client.get(f"/hiring/roles/{role_id}", headers=HTML).data.decode()


def test_withdrawing_on_the_passport_page_takes_the_learner_off_the_role_page_at_once(
    app: Flask, manager: tuple[FlaskClient, str], services: Services
) -> None:
    hiring, token = manager
    role_id = open_sre_role(hiring, token)
    user_id = make_user(services, "wil@example.com", "Wil Withdraws")
    with services.session() as db:  # a real badge: the passport page reads it
        issue_credential(
            db,
            services,
            IssueRequest("observability-l3", "wil@example.com", "di"),
            now=services.now(),
        )
    me = app.test_client()
    mine = log_in(me, "wil@example.com", "/passport")
    page = me.get("/passport", headers=HTML).data.decode()
    assert "Open to internal moves" in page and "Off: no hiring manager can find you." in page
    assert "Your manager is not told." in page
    assert re.search(r'id="moves-off" name="discoverable" value="off" checked', page)
    assert "Wil Withdraws" not in hiring.get(f"/hiring/roles/{role_id}", headers=HTML).data.decode()

    # on, for one family: listed for an SRE role
    saved = me.post(
        "/passport/discoverability",
        data={"csrf_token": mine, "discoverable": "chosen", "family": ["sre"]},
    )
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/passport#moves")
    with services.session() as db:
        assert consent_of(db, user_id).job_families == ("sre",)
    assert "Wil Withdraws" in hiring.get(f"/hiring/roles/{role_id}", headers=HTML).data.decode()
    page = me.get("/passport", headers=HTML).data.decode()
    assert "On, for the job families you chose." in page
    assert re.search(r'name="family" value="sre" checked', page)

    # withdrawn: gone from the very next list
    gone = me.post("/passport/discoverability/withdraw", data={"csrf_token": mine})
    assert gone.status_code == 302
    assert "Wil Withdraws" not in hiring.get(f"/hiring/roles/{role_id}", headers=HTML).data.decode()
    with services.session() as db:
        assert consent_of(db, user_id).discoverable is False

    # on for all, then off through the same form
    me.post("/passport/discoverability", data={"csrf_token": mine, "discoverable": "all"})
    assert "Wil Withdraws" in hiring.get(f"/hiring/roles/{role_id}", headers=HTML).data.decode()
    me.post("/passport/discoverability", data={"csrf_token": mine, "discoverable": "off"})
    assert "Wil Withdraws" not in hiring.get(f"/hiring/roles/{role_id}", headers=HTML).data.decode()


@pytest.mark.parametrize(
    ("form", "sentence"),
    [
        ({"discoverable": "chosen"}, "Tick at least one job family"),
        ({"discoverable": "chosen", "family": ["cooking"]}, "Choose job families from the list."),
        ({"discoverable": "maybe"}, "Choose whether hiring managers may find you."),
        ({}, "Choose whether hiring managers may find you."),
    ],
)
def test_a_bad_consent_is_shown_on_the_passport_page(
    app: Flask, services: Services, form: dict[str, object], sentence: str
) -> None:
    user_id = make_user(services, "cal@example.com", "Cal Consent")
    client = app.test_client()
    token = log_in(client, "cal@example.com", "/passport")
    response = client.post("/passport/discoverability", data={"csrf_token": token, **form})
    assert response.status_code == 400
    page = response.data.decode()
    assert sentence in page and 'id="moves-error"' in page
    with services.session() as db:
        assert consent_of(db, user_id).discoverable is False


# -- external candidates ----------------------------------------------------------------------


def foreign_badge() -> bytes:
    """A badge signed by an issuer elsewhere that no trust list names."""
    return json.dumps(
        badge_from_elsewhere(generate_key("EdDSA"), recipient="ext@example.com")
    ).encode()


def test_an_untrusted_external_passport_is_marked_and_ranked_below_verified_ones(
    manager: tuple[FlaskClient, str], services: Services
) -> None:
    client, token = manager
    role_id = open_sre_role(client, token)
    learner(services, "ida@example.com", "Ida Internal", {"networking": (1, date(2026, 4, 4))})
    added = client.post(
        f"/hiring/roles/{role_id}/external",
        data={
            "csrf_token": token,
            "label": "Zed External",
            "passport": (io.BytesIO(foreign_badge()), "zed.json"),
        },
        content_type="multipart/form-data",
    )
    assert added.status_code == 302
    page = client.get(added.headers["Location"], headers=HTML).data.decode()
    assert "The passport of Zed External was added to the role." in page
    assert names_in_order(page, ["Zed External", "Ida Internal"]) == [
        "Ida Internal",
        "Zed External",
    ]
    row = page.split("<strong>Zed External</strong>", 1)[1].split("</tr>", 1)[0]
    assert "External" in row and "Not verified" in row
    assert "0 of 6" in row


@pytest.mark.parametrize(
    ("label", "file", "field", "sentence"),
    [
        ("", (b"{}", "a.json"), "label", "Name the candidate"),
        ("Someone", None, "passport", "Choose the passport file to upload."),
        ("Someone", (b"", "empty.json"), "passport", "Choose the passport file to upload."),
    ],
)
def test_a_bad_upload_is_shown_on_the_role_page(
    manager: tuple[FlaskClient, str],
    label: str,
    file: tuple[bytes, str] | None,
    field: str,
    sentence: str,
) -> None:
    client, token = manager
    role_id = open_sre_role(client, token)
    data: dict[str, object] = {"csrf_token": token, "label": label}
    if file is not None:
        data["passport"] = (io.BytesIO(file[0]), file[1])
    response = client.post(
        f"/hiring/roles/{role_id}/external", data=data, content_type="multipart/form-data"
    )
    assert response.status_code == 400
    page = response.data.decode()
    assert sentence in page
    tag = re.search(rf'<input id="{field}"[^>]*>', page)
    assert tag is not None and 'aria-invalid="true"' in tag.group(0)


def test_a_file_over_the_upload_limit_gets_the_pages_own_error_not_a_413(
    manager: tuple[FlaskClient, str], services: Services
) -> None:
    client, token = manager
    role_id = open_sre_role(client, token)
    big = b"{" + b" " * (1536 * 1024) + b"}"  # 1.5 MB: over the limit, under the app's 2 MB
    # The body is encoded here: the test client spools a large one to a temporary file it
    # never closes (a ResourceWarning, an error under filterwarnings).
    boundary = "passport-test-boundary"
    body = b"".join(
        [
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
            f"{token}\r\n".encode(),
            f'--{boundary}\r\nContent-Disposition: form-data; name="label"\r\n\r\n'
            "Big File\r\n".encode(),
            f'--{boundary}\r\nContent-Disposition: form-data; name="passport"; '
            'filename="a.json"\r\nContent-Type: application/json\r\n\r\n'.encode(),
            big,
            f"\r\n--{boundary}--\r\n".encode(),
        ]
    )
    response = client.post(
        f"/hiring/roles/{role_id}/external",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 400
    page = response.data.decode()
    assert "The file is too large: at most 1 MB." in page
    assert "At most 1 MB." in page  # the hint follows the same limit
    with services.session() as db:
        assert (
            db.scalar(select(ExternalCandidate).where(ExternalCandidate.role_id == role_id)) is None
        )


def test_a_closed_role_takes_no_new_external_candidate(
    manager: tuple[FlaskClient, str], services: Services
) -> None:
    client, token = manager
    role_id = open_sre_role(client, token)
    client.post(f"/hiring/roles/{role_id}/close", data={"csrf_token": token})
    response = client.post(
        f"/hiring/roles/{role_id}/external",
        data={"csrf_token": token, "label": "Late", "passport": (io.BytesIO(b"{}"), "a.json")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "This role is closed: it takes no new candidates." in response.data.decode()
    with services.session() as db:
        assert (
            db.scalar(select(ExternalCandidate).where(ExternalCandidate.role_id == role_id)) is None
        )


# -- who manages a role -----------------------------------------------------------------------


def test_a_hiring_manager_sees_and_acts_on_only_the_roles_they_opened(
    app: Flask, manager: tuple[FlaskClient, str], services: Services
) -> None:
    client, token = manager
    role_id = open_sre_role(client, token)
    make_user(services, "other@example.com", "Otto Other", role="hiring_manager")
    other = app.test_client()
    other_token = log_in(other, "other@example.com", "/hiring/roles")
    assert "SRE II" not in other.get("/hiring/roles", headers=HTML).data.decode()
    for path in (
        f"/hiring/roles/{role_id}",
        f"/hiring/roles/{role_id}/candidates.csv",
        f"/hiring/roles/{role_id}/close",
        f"/hiring/roles/{role_id}/applications",
    ):
        assert other.get(path, headers=HTML).status_code == 404, path
    closing = other.post(f"/hiring/roles/{role_id}/close", data={"csrf_token": other_token})
    assert closing.status_code == 404
    upload = other.post(
        f"/hiring/roles/{role_id}/external",
        data={"csrf_token": other_token, "label": "X", "passport": (io.BytesIO(b"{}"), "a.json")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 404
    with services.session() as db:
        assert db.get(OpenRole, role_id).status == "open"  # type: ignore[union-attr]
        assert (
            db.scalar(select(ExternalCandidate).where(ExternalCandidate.role_id == role_id)) is None
        )
    # its opener and an admin still see it
    assert "SRE II" in client.get("/hiring/roles", headers=HTML).data.decode()
    make_user(services, "root@example.com", "Ari Admin", role="admin")
    admin = app.test_client()
    log_in(admin, "root@example.com", "/hiring/roles")
    assert "SRE II" in admin.get("/hiring/roles", headers=HTML).data.decode()
    assert admin.get(f"/hiring/roles/{role_id}", headers=HTML).status_code == 200


def test_a_role_opened_through_the_api_is_managed_by_admins_only(
    app: Flask, manager: tuple[FlaskClient, str], services: Services
) -> None:
    client, _ = manager
    with services.session() as db:
        role = open_role(
            db,
            RoleDraft(title="API Role", job_family="sre"),
            actor="token:ci",
            user_id=None,
            now=datetime.now(UTC),
        )
        db.flush()
        role_id = role.id
    assert "API Role" not in client.get("/hiring/roles", headers=HTML).data.decode()
    assert client.get(f"/hiring/roles/{role_id}", headers=HTML).status_code == 404
    make_user(services, "root@example.com", "Ari Admin", role="admin")
    admin = app.test_client()
    log_in(admin, "root@example.com", "/hiring/roles")
    assert "API Role" in admin.get("/hiring/roles", headers=HTML).data.decode()
    assert admin.get(f"/hiring/roles/{role_id}", headers=HTML).status_code == 200
