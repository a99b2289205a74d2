"""Page language (``?lang=``, the user's setting, ``Accept-Language``) and the time zone times are
shown in (the user's, else the organisation's, else UTC): /my/preferences and /admin/settings."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from passport.accounts.models import OrgSetting, User
from passport.audit import AuditEvent
from passport.services import Services
from tests.functional.test_admin import HTML, csrf, login

GERMAN = {"Accept": "text/html", "Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}
ENGLISH = {"Accept": "text/html", "Accept-Language": "en-GB,en;q=0.8"}


def html_lang(response: object) -> str:
    match = re.search(r'<html lang="(\w+)">', response.get_data(as_text=True))  # type: ignore[attr-defined]
    assert match is not None
    return match.group(1)


def sample_time(client: FlaskClient, headers: dict[str, str] = HTML) -> str:
    """The sample time on the preferences page ("… look like this: <time>.")."""
    page = client.get("/my/preferences", headers=headers)
    assert page.status_code == 200
    match = re.search(r'id="pref-sample">[^:]+: (.+?)\.</p>', page.get_data(as_text=True))
    assert match is not None
    return match.group(1)


def save_preferences(
    client: FlaskClient, token: str, *, locale: str = "", time_zone: str = ""
) -> object:
    return client.post(
        "/my/preferences",
        data={"csrf_token": token, "locale": locale, "time_zone": time_zone},
        headers=HTML,
    )


def stored(services: Services, email: str) -> tuple[str | None, str | None]:
    with services.sessions() as db:
        user = db.scalar(select(User).where(User.email == email))
        assert user is not None
        return user.locale, user.time_zone


# -- language ---------------------------------------------------------------------------------


def test_accept_language_de_gives_german_pages_and_dates(
    client: FlaskClient, services: Services
) -> None:
    login(client, services, "lea@example.org", "learner")
    response = client.get("/my/preferences", headers=GERMAN)
    body = response.get_data(as_text=True)
    assert html_lang(response) == "de"
    assert response.headers["Content-Language"] == "de"
    assert "Accept-Language" in response.headers["Vary"]
    assert '<h1 class="prefs-title">Ihre Einstellungen</h1>' in body
    assert "Sprache und Zeitzone speichern" in body
    # Babel's German date: "6. Dez. 2026" (day, abbreviated month with a dot, year).
    now = services.now()
    months = ["Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.", "Okt."]
    months += ["Nov.", "Dez."]
    german_date = f"{now.day}. {months[now.month - 1]} {now.year}"
    assert f"so aus: {german_date}, " in body
    english = client.get("/my/preferences", headers=ENGLISH)
    assert html_lang(english) == "en"
    assert f"like this: {now.strftime('%b')} {now.day}, {now.year}, " in english.get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    ("accept", "expected"),
    [("fr-FR, de;q=0.5", "de"), ("fr", "en"), ("", "en"), ("de-AT", "de"), ("en-US", "en")],
)
def test_accept_language_best_match(client: FlaskClient, accept: str, expected: str) -> None:
    response = client.get("/verify", headers={"Accept-Language": accept} if accept else {})
    assert html_lang(response) == expected
    assert response.headers["Content-Language"] == expected


def test_a_language_link_is_remembered_for_the_session(client: FlaskClient) -> None:
    chosen = client.get("/verify?lang=de", headers=ENGLISH)
    assert html_lang(chosen) == "de"
    later = client.get("/verify", headers=ENGLISH)
    assert html_lang(later) == "de" and "Abzeichen prüfen" in later.get_data(as_text=True)
    # Not negotiated, so the answer does not vary by Accept-Language.
    assert "Accept-Language" not in later.headers.get("Vary", "")
    assert html_lang(client.get("/verify?lang=en", headers=GERMAN)) == "en"
    assert html_lang(client.get("/verify", headers=GERMAN)) == "en"
    # An unknown language is ignored.
    assert html_lang(client.get("/verify?lang=xx", headers=GERMAN)) == "en"


def test_the_users_setting_beats_accept_language(client: FlaskClient, services: Services) -> None:
    token = login(client, services, "sam@example.org", "assessor")
    assert html_lang(client.get("/my/preferences", headers=GERMAN)) == "de"
    saved = save_preferences(client, token, locale="en")
    assert saved.status_code == 303  # type: ignore[attr-defined]
    assert stored(services, "sam@example.org") == ("en", None)
    response = client.get("/my/preferences", headers=GERMAN)
    assert html_lang(response) == "en"
    assert "Your language and time zone are saved." in response.get_data(as_text=True)
    assert "Accept-Language" not in response.headers.get("Vary", "")
    # And the other way round: German for a browser that asks for English, on every page.
    save_preferences(client, token, locale="de")
    assert html_lang(client.get("/verify", headers=ENGLISH)) == "de"
    assert html_lang(client.get("/admin/", headers=ENGLISH)) == "de"
    # Empty: the browser decides again.
    save_preferences(client, csrf(client, "/my/preferences"), locale="")
    assert stored(services, "sam@example.org") == (None, None)
    assert html_lang(client.get("/verify", headers=ENGLISH)) == "en"


def test_saving_forgets_a_language_link_of_this_session(
    client: FlaskClient, services: Services
) -> None:
    token = login(client, services, "kim@example.org", "learner")
    client.get("/verify?lang=en")
    save_preferences(client, token, locale="de")
    assert html_lang(client.get("/verify", headers=ENGLISH)) == "de"


# -- time zones -------------------------------------------------------------------------------


def _expected(services: Services, zone: str) -> tuple[str, str]:
    """The hour:minute and abbreviation of now in ``zone`` (24-hour clock, German pages)."""
    local = services.now().astimezone(ZoneInfo(zone))
    return local.strftime("%H:%M"), local.tzname() or ""


def test_org_and_user_time_zones_change_a_shown_time(
    client: FlaskClient, services: Services
) -> None:
    token = login(client, services, "ada@example.org", "admin")
    shown = sample_time(client, GERMAN)
    assert shown.endswith(" UTC")  # nobody chose a zone yet

    settings_page = client.get("/admin/settings", headers=GERMAN)
    assert settings_page.status_code == 200
    assert "Einstellungen der Organisation" in settings_page.get_data(as_text=True)
    saved = client.post(
        "/admin/settings",
        data={"csrf_token": token, "time_zone": "Asia/Kolkata"},
        headers=HTML,
    )
    assert saved.status_code == 303
    hour, zone = _expected(services, "Asia/Kolkata")
    shown = sample_time(client, GERMAN)
    assert hour in shown and shown.endswith(zone), shown
    with services.sessions() as db:
        assert db.get(OrgSetting, "time_zone").value == "Asia/Kolkata"  # type: ignore[union-attr]
        event = db.scalar(select(AuditEvent).where(AuditEvent.action == "org.time_zone"))
        assert event is not None and event.actor == "ada@example.org"

    # The user's own zone beats the organisation's.
    save_preferences(client, csrf(client, "/my/preferences"), time_zone="America/New_York")
    assert stored(services, "ada@example.org") == (None, "America/New_York")
    hour, zone = _expected(services, "America/New_York")
    shown = sample_time(client, GERMAN)
    assert hour in shown and shown.endswith(zone), shown

    # Another person, without a zone of their own, sees the organisation's.
    other = client.application.test_client()
    login(other, services, "bo@example.org", "learner")
    hour, zone = _expected(services, "Asia/Kolkata")
    shown = sample_time(other, GERMAN)
    assert hour in shown and shown.endswith(zone), shown


@pytest.mark.parametrize("zone", ["Mars/Olympus", "europe/berlin", "../../etc/passwd", "x" * 70])
def test_an_unknown_time_zone_is_a_clear_error(
    client: FlaskClient, services: Services, zone: str
) -> None:
    token = login(client, services, "eve@example.org", "learner")
    response = save_preferences(client, token, time_zone=zone)
    body = response.get_data(as_text=True)  # type: ignore[attr-defined]
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "That is not a time zone we know." in body
    assert 'role="alert"' in body and 'href="#pref-time-zone"' in body
    assert 'aria-invalid="true"' in body
    assert re.search(r'aria-describedby="pref-time-zone-hint pref-time-zone-error"', body)
    assert stored(services, "eve@example.org") == (None, None)

    german = client.post(
        "/my/preferences",
        data={"csrf_token": token, "time_zone": zone, "locale": ""},
        headers=GERMAN,
    )
    assert "Diese Zeitzone kennen wir nicht." in german.get_data(as_text=True)


def test_an_unknown_language_is_a_clear_error(client: FlaskClient, services: Services) -> None:
    token = login(client, services, "max@example.org", "mentor")
    response = save_preferences(client, token, locale="fr", time_zone="Europe/Berlin")
    assert response.status_code == 400  # type: ignore[attr-defined]
    body = response.get_data(as_text=True)  # type: ignore[attr-defined]
    assert "Choose English or Deutsch as the language." in body
    assert 'id="pref-locale-error"' in body
    # What was typed stays in the form.
    assert 'value="Europe/Berlin"' in body
    assert stored(services, "max@example.org") == (None, None)


def test_organisation_settings_are_for_administrators(
    client: FlaskClient, services: Services
) -> None:
    token = login(client, services, "ana@example.org", "assessor")
    assert client.get("/admin/settings", headers=HTML).status_code == 403
    refused = client.post("/admin/settings", data={"csrf_token": token, "time_zone": "UTC"})
    assert refused.status_code == 403
    with services.sessions() as db:
        assert db.get(OrgSetting, "time_zone") is None


def test_organisation_time_zone_errors(client: FlaskClient, services: Services) -> None:
    token = login(client, services, "root@example.org", "admin")
    for value in ("", "Nowhere/Town"):
        response = client.post(
            "/admin/settings", data={"csrf_token": token, "time_zone": value}, headers=HTML
        )
        body = response.get_data(as_text=True)
        assert response.status_code == 400
        assert "That is not a time zone we know." in body
        assert 'aria-describedby="time_zone-hint time_zone-error"' in body
    with services.sessions() as db:
        assert db.get(OrgSetting, "time_zone") is None


def test_preferences_need_a_login(client: FlaskClient) -> None:
    response = client.get("/my/preferences", headers=HTML)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_typed_session_time_is_on_the_readers_clock(
    client: FlaskClient, services: Services
) -> None:
    """An admin in Berlin types 10:00: that is 09:00 UTC in March, stored as such, and the
    edit form shows 10:00 again; the label names the zone."""
    from passport.cohorts.models import Cohort, MentoringSession

    with services.session() as db:
        db.add(OrgSetting(key="time_zone", value="Europe/Berlin"))
    token = login(client, services, "tz-mentor@example.com", "mentor")
    created = client.post(
        "/admin/cohorts/new",
        data={"csrf_token": token, "name": "SRE spring", "starts_on": "2030-03-04", "ends_on": ""},
    )
    cohort_url = created.headers["Location"]
    page = client.get(cohort_url, headers=HTML).data.decode()
    assert "Starts (time zone Europe/Berlin)" in page
    with services.session() as db:
        cohort = db.scalar(select(Cohort))
        assert cohort is not None
        cohort_id = cohort.id
    client.post(
        f"/admin/cohorts/{cohort_id}/sessions",
        data={
            "csrf_token": token,
            "title": "SLOs",
            "learning_outcome": "Write an SLO.",
            "starts_at": "2030-03-05T10:00",
            "minutes": "45",
        },
    )
    with services.session() as db:
        meeting = db.scalar(select(MentoringSession))
        assert meeting is not None
        assert meeting.starts_at.isoformat() == "2030-03-05T09:00:00+00:00"
        meeting_id = meeting.id
    edit = client.get(f"/admin/cohorts/{cohort_id}/sessions/{meeting_id}/edit", headers=HTML)
    assert 'value="2030-03-05T10:00"' in edit.data.decode()


def test_catalog_words_made_outside_the_web_are_german_too(
    client: FlaskClient, services: Services
) -> None:
    """Level names come from the catalog's JSON and form problems from passport.catalog; both
    are marked in i18n.SHOWN_TRANSLATED so a German page shows them in German."""
    login(client, services, "de-admin@example.com", "admin")
    german = {**HTML, "Accept-Language": "de"}
    page = client.get("/admin/skills", headers=german).data.decode()
    assert "Grundlagen" in page and "Foundation" not in page
    token = csrf(client, "/admin/skills/new")
    answer = client.post(
        "/admin/skills/new", data={"csrf_token": token, "id": "Not A Slug!"}, headers=german
    )
    assert answer.status_code == 400
    text = answer.data.decode()
    assert "darf nur" in text or "ist erforderlich" in text, text[:2000]
