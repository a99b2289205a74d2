"""The outcomes pages (#19): the dashboard, the quarterly report and the CSV download.

Who may see them (administrators and analysts; an analyst sees nothing else of /admin), what
the filter form passes to the measures, and what the pages print: every figure with its
sample size, and "fewer than 5" — never a number — for a suppressed group. The figures here
are a fixed :func:`tests.outcomes_sample.sample_outcomes` handed to the views in place of the
computation (the measures have their own tests); the views' own work is what is tested.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date
from html import unescape
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from passport.catalog.models import JobFamily
from passport.cohorts.models import Cohort
from passport.outcomes import measures
from passport.outcomes.report import SUPPRESSED, Filters, Outcomes, RampTime
from passport.services import Services
from passport.web.admin.outcomes import last_complete_quarter, quarter_bounds, quarters_before
from tests.functional.test_admin import HTML, PASSWORD, csrf, make_user
from tests.outcomes_sample import sample_outcomes

PAGES = ("/admin/outcomes", "/admin/outcomes/report", "/admin/outcomes.csv")


class FakeMeasures:
    """Stands in for compute_outcomes: records the filters it was asked for."""

    def __init__(self) -> None:
        self.calls: list[tuple[date, Filters]] = []

    def __call__(
        self, session: Session, *, as_of: date, filters: Filters, today: date | None = None
    ) -> Outcomes:
        self.calls.append((as_of, filters))
        return sample_outcomes(as_of, filters)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, services: Services) -> FakeMeasures:
    found = FakeMeasures()
    monkeypatch.setattr(measures, "compute_outcomes", found)
    monkeypatch.setattr(measures, "outcomes_csv", lambda o: f"asOf\n{o.as_of.isoformat()}\n")
    with services.session() as db:
        for family_id, name in (("sre", "Site reliability engineer"), ("platform", "Platform")):
            if db.get(JobFamily, family_id) is None:
                db.add(JobFamily(id=family_id, name=name))
        db.add(
            Cohort(
                name="SRE onboarding 2025-09",
                starts_on=date(2025, 7, 1),
                ends_on=date(2025, 9, 1),
            )
        )
    return found


def sign_in(client: FlaskClient, services: Services, email: str, role: str) -> Any:
    make_user(services, email, role)
    return client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf(client)}
    )


def text_of(html: str) -> str:
    """The page's visible text, tags dropped, whitespace collapsed."""
    body = re.sub(r"<script\b.*?</script>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", body)))


# -- who may ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "analyst"])
def test_admins_and_analysts_see_the_outcomes(
    client: FlaskClient, services: Services, fake: FakeMeasures, role: str
) -> None:
    landed = sign_in(client, services, f"{role}@example.com", role)
    if role == "analyst":  # an analyst's home is the outcomes: the only pages they may see
        assert landed.headers["Location"].endswith("/admin/outcomes")
    for path in PAGES:
        assert client.get(path, headers=HTML).status_code == 200, path
    page = client.get("/admin/outcomes", headers=HTML).data.decode()
    assert 'href="/admin/outcomes"' in page  # the nav entry


def test_an_analyst_sees_nothing_else_of_the_admin_area(
    client: FlaskClient, services: Services, fake: FakeMeasures
) -> None:
    sign_in(client, services, "ana.lyst@example.com", "analyst")
    for path in ("/admin/", "/admin/users", "/admin/badges", "/admin/cohorts", "/admin/skills"):
        assert client.get(path, headers=HTML).status_code == 403, path
    nav = client.get("/admin/outcomes", headers=HTML).data.decode()
    for path in ("/admin/badges", "/admin/users", "/admin/job-families", "/admin/cohorts"):
        assert f'href="{path}"' not in nav, path
    assert "Analyst" in nav
    assert client.get("/my/account").headers["Location"].endswith("/admin/outcomes")


@pytest.mark.parametrize("role", ["assessor", "mentor", "hiring_manager", "learner"])
def test_other_roles_are_refused(
    client: FlaskClient, services: Services, fake: FakeMeasures, role: str
) -> None:
    sign_in(client, services, f"{role}@example.com", role)
    for path in PAGES:
        assert client.get(path, headers=HTML).status_code == 403, path
    assert not fake.calls
    if role in ("assessor", "mentor"):
        nav = client.get("/admin/", headers=HTML).data.decode()
        assert 'href="/admin/outcomes"' not in nav


def test_anonymous_visitors_are_sent_to_log_in(client: FlaskClient, fake: FakeMeasures) -> None:
    for path in PAGES:
        answer = client.get(path, headers=HTML)
        assert answer.status_code == 302 and "/login" in answer.headers["Location"], path
    assert client.get("/admin/outcomes.csv", headers={"Accept": "text/csv"}).status_code == 401


# -- the dashboard ----------------------------------------------------------------------------


def test_the_dashboard_shows_every_measure_with_its_sample_size(
    client: FlaskClient, services: Services, fake: FakeMeasures
) -> None:
    sign_in(client, services, "ana.lyst@example.com", "analyst")
    html = client.get("/admin/outcomes", headers=HTML).data.decode()
    page = text_of(html)
    for heading in (
        "Ramp time",
        "Retention after cohorts",
        "Internal mobility",
        "Skills coverage",
        "Curriculum triage",
    ):
        assert "<h2" in html and heading in page
    # SRE ramp time: both groups with n, events, censored, rounded median and interval
    assert "Site reliability engineer" in page
    assert "57 49 8 41 days 35–48" in page
    assert "62 50 12 70 days 61–not reached" in page
    assert "41% shorter" in page
    # retention: shares at 180/365 days, p to three decimals
    assert "96% 93%" in page and "0.043" in page
    # mobility: counts and rates; coverage: count with share of the population
    assert "2026-Q2 33% 3 of 9 44% 7 of 16 badged: 57%" in page
    assert "40 (77%)" in page
    # triage: the least met criterion first
    assert "Writes a blameless postmortem: 58%" in page
    # every chart is a canvas with a name, its data in the JSON block, a table beside it
    canvases = re.findall(r'<canvas data-chart="([\w-]+)" role="img" aria-label="([^"]+)"', html)
    assert {c for c, _ in canvases} >= {"ramp-0", "ramp-1", "retention-1", "cohort-0", "mobility"}
    charts = json.loads(unescape(html.split('id="outcomes-charts">')[1].split("</script>")[0]))
    assert {c for c, _ in canvases} <= set(charts)
    sre = charts["ramp-1"]["series"]
    assert [s["label"] for s in sre] == ["Joined a cohort within 30 days", "Other hires"]
    assert sre[0]["curve"]["days"][0] == 0 and sre[0]["curve"]["estimate"][0] == 1
    assert len(re.findall(r"<caption>", html)) >= len(canvases)
    assert 'src="/static/vendor/chartjs/chart.umd.min.js"' in html
    assert "/admin/outcomes.csv" in html and "/admin/outcomes/report" in html


def test_every_read_is_audited_with_the_reader_and_filters(
    client: FlaskClient, services: Services, fake: FakeMeasures
) -> None:
    from sqlalchemy import select

    from passport.audit import AuditEvent

    sign_in(client, services, "ana.lyst@example.com", "analyst")
    for page in PAGES:
        assert client.get(f"{page}?job_family=sre", headers=HTML).status_code == 200
    with services.session() as db:
        reads = list(db.scalars(select(AuditEvent).where(AuditEvent.action == "outcomes.read")))
    assert len(reads) == 3
    assert {event.actor for event in reads} == {"ana.lyst@example.com"}
    assert all('"jobFamily": "sre"' in (event.detail or "") for event in reads)


def test_a_suppressed_group_reads_fewer_than_5_and_never_a_number(
    client: FlaskClient, services: Services, fake: FakeMeasures, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Platform's participants are suppressed: their row, their chart and the chart's label say
    "fewer than 5"; a number that only the suppressed group could give never appears."""
    tiny = sample_outcomes()
    marked = replace(
        tiny,
        ramp_time={
            **tiny.ramp_time,
            "platform": RampTime(participants=SUPPRESSED, others=SUPPRESSED, reduction_pct=None),
        },
    )
    monkeypatch.setattr(
        measures, "compute_outcomes", lambda db, *, as_of, filters, today=None: marked
    )
    sign_in(client, services, "ana.lyst@example.com", "analyst")
    html = client.get("/admin/outcomes", headers=HTML).data.decode()
    platform = text_of(html.split("<h3>Platform engineer</h3>")[1].split("<h3>")[0])
    assert platform.count("fewer than 5") >= 2
    scrubbed = platform.replace("fewer than 5", "").replace("95%", "").replace("30 days", "")
    assert not re.search(r"\d", scrubbed), platform
    charts = json.loads(unescape(html.split('id="outcomes-charts">')[1].split("</script>")[0]))
    assert charts["ramp-0"]["series"] == []  # nothing to draw for suppressed groups
    # the suppressed quarter, coverage cell and cohort group
    page = text_of(html)
    assert "2026-Q1 fewer than 5 31% 5 of 16 badged: 40%" in page
    coverage = text_of(html.split('id="coverage"')[1])
    assert (
        "Badge holders (organisation) 34 52 Ready now fewer than 5 9 Within one cohort 7 14"
        in coverage
    )
    assert "SUPPRESSED" not in html and "suppressed" not in page.lower().replace("fewer than 5", "")


def test_the_filters_reach_the_measures(
    client: FlaskClient, services: Services, fake: FakeMeasures
) -> None:
    sign_in(client, services, "ana.lyst@example.com", "analyst")
    query = {
        "job_family": "sre",
        "cohort": "SRE onboarding 2025-09",
        "since": "2025-01-01",
        "until": "2025-12-31",
        "as_of": "2026-06-30",
    }
    page = client.get("/admin/outcomes", query_string=query, headers=HTML)
    assert page.status_code == 200
    assert fake.calls[-1] == (
        date(2026, 6, 30),
        Filters("sre", "SRE onboarding 2025-09", date(2025, 1, 1), date(2025, 12, 31)),
    )
    html = page.data.decode()
    assert '<option value="sre" selected>' in html
    assert 'value="2026-06-30"' in html
    # the CSV link carries the same filters
    assert "/admin/outcomes.csv?job_family=sre" in html and "as_of=2026-06-30" in html
    # a quarter stands for its first and last day
    client.get("/admin/outcomes", query_string={"quarter": "2026-Q2"}, headers=HTML)
    assert fake.calls[-1][1] == Filters(since=date(2026, 4, 1), until=date(2026, 6, 30))


@pytest.mark.parametrize(
    ("query", "code_words"),
    [
        ({"as_of": "yesterday"}, "must be a date"),
        ({"since": "2026-13-01"}, "must be a date"),
        ({"since": "2026-05-01", "until": "2026-04-01"}, "end date is before"),
        ({"job_family": "astronaut"}, "job family from the list"),
        ({"cohort": "No such cohort"}, "cohort from the list"),
        ({"quarter": "2026-Q5"}, "quarter from the list"),
        ({"quarter": "0000-Q1"}, "quarter from the list"),  # no year 0: not a 500
        ({"quarter": "9999-Q4"}, "quarter from the list"),  # ends in year 10000
        ({"as_of": "2999-01-01"}, "cannot be in the future"),
    ],
)
def test_bad_filters_get_a_plain_sentence(
    client: FlaskClient,
    services: Services,
    fake: FakeMeasures,
    query: dict[str, str],
    code_words: str,
) -> None:
    sign_in(client, services, "ana.lyst@example.com", "analyst")
    answer = client.get("/admin/outcomes", query_string=query, headers=HTML)
    assert answer.status_code == 400
    assert code_words in answer.data.decode()
    assert not fake.calls
    assert client.get("/admin/outcomes.csv", query_string=query).status_code == 400


def test_cohort_runs_sharing_a_name_are_offered_as_the_measures_name_them(
    client: FlaskClient, services: Services, fake: FakeMeasures
) -> None:
    with services.session() as db:
        db.add(
            Cohort(
                name="SRE onboarding 2025-09",
                starts_on=date(2025, 10, 6),
                ends_on=date(2025, 12, 1),
            )
        )
    sign_in(client, services, "ana.lyst@example.com", "analyst")
    page = client.get("/admin/outcomes", headers=HTML).data.decode()
    assert "SRE onboarding 2025-09 (2025-07-01)" in page
    assert "SRE onboarding 2025-09 (2025-10-06)" in page
    chosen = client.get(
        "/admin/outcomes",
        query_string={"cohort": "SRE onboarding 2025-09 (2025-10-06)"},
        headers=HTML,
    )
    assert chosen.status_code == 200
    assert fake.calls[-1][1].cohort == "SRE onboarding 2025-09 (2025-10-06)"


def test_the_csv_download_has_the_dashboards_filters(
    client: FlaskClient, services: Services, fake: FakeMeasures
) -> None:
    sign_in(client, services, "ana.lyst@example.com", "analyst")
    answer = client.get(
        "/admin/outcomes.csv", query_string={"as_of": "2026-03-31", "job_family": "sre"}
    )
    assert answer.status_code == 200
    assert answer.mimetype == "text/csv"
    assert answer.headers["Content-Disposition"] == 'attachment; filename="outcomes-2026-03-31.csv"'
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.data.decode() == "asOf\n2026-03-31\n"
    assert fake.calls[-1] == (date(2026, 3, 31), Filters(job_family="sre"))


def test_the_dashboard_in_german(
    client: FlaskClient, services: Services, fake: FakeMeasures
) -> None:
    sign_in(client, services, "ana.lyst@example.com", "analyst")
    html = client.get("/admin/outcomes?lang=de", headers=HTML).data.decode()
    assert '<html lang="de">' in html
    assert "41\N{NO-BREAK SPACE}%" in html  # German: a space before the percent sign
    assert "0,043" in html


# -- the quarterly report ---------------------------------------------------------------------


def test_quarters() -> None:
    assert quarter_bounds("2026-Q1") == (date(2026, 1, 1), date(2026, 3, 31))
    assert quarter_bounds("2025-Q4") == (date(2025, 10, 1), date(2025, 12, 31))
    assert last_complete_quarter(date(2026, 1, 1)) == "2025-Q4"
    assert last_complete_quarter(date(2026, 12, 6)) == "2026-Q3"
    assert quarters_before(date(2026, 2, 1), 3) == ["2026-Q1", "2025-Q4", "2025-Q3"]


def test_the_quarterly_report_states_each_measure_in_a_sentence(
    client: FlaskClient, services: Services, fake: FakeMeasures
) -> None:
    sign_in(client, services, "ana.lyst@example.com", "analyst")
    html = client.get("/admin/outcomes/report?quarter=2026-Q3", headers=HTML).data.decode()
    page = text_of(html)
    assert "Quarterly outcomes report: 2026-Q3" in page
    # as of the quarter's last day, over the four quarters up to it
    assert fake.calls[-1] == (
        date(2026, 9, 30),
        Filters(since=date(2025, 10, 1), until=date(2026, 9, 30)),
    )
    assert (
        "Median ramp time for new Site reliability engineer hires who joined a cohort within "
        "30 days: 41 days (95% CI 35–48; 57 hires, 49 reached productive), against 70 days "
        "(95% CI 61–not reached; 62 hires, 50 reached productive) for the other hires. "
        "Change: 41% shorter."
    ) in page
    assert "Platform engineer hires who joined a cohort within 30 days: fewer than 5 hires" in page
    assert (
        "Site reliability engineer — still employed: cohort learners 96% after 180 days and "
        "93% after 365 days (44 people, 3 left); comparison group 90% after 180 days and 83% "
        "after 365 days (88 people, 14 left). Log-rank test: p = 0.043."
    ) in page
    # a share nobody was followed long enough for is not guessed
    assert "92% after 180 days, not yet followed for 365 days (12 people, 1 left)" in page
    assert (
        "Platform pilot 2026-01 — still employed: cohort learners fewer than 5 people; "
        "comparison group not yet followed for 180 days (29 people, 2 left)."
    ) in page
    assert (
        "Platform engineer: 60% of arrivals were internal moves (6 moves, 4 outside hires)" in page
    )
    assert (
        "of the organisation's 52 badge holders, 9 are ready now and 14 are within one cohort"
        in page
    )
    assert "of the organisation's 34 badge holders, fewer than 5 are ready now" in page
    assert "Least often met: Writes a blameless postmortem (58% at the required level)" in page
    assert page.count("Definition:") == 5
    assert "@page" not in html  # the print rules live in the style sheet
    assert "/static/outcomes.css" in html


def test_the_report_defaults_to_the_last_complete_quarter(
    client: FlaskClient, services: Services, fake: FakeMeasures
) -> None:
    sign_in(client, services, "ana.lyst@example.com", "analyst")
    client.get("/admin/outcomes/report", headers=HTML)
    today = services.now().date()
    assert fake.calls[-1][0] == quarter_bounds(last_complete_quarter(today))[1]
    future = quarters_before(today, 1)[0]  # the quarter running now has not ended
    answer = client.get(f"/admin/outcomes/report?quarter={future}", headers=HTML)
    assert answer.status_code == 400 and "has ended" in answer.data.decode()
    assert client.get("/admin/outcomes/report?quarter=soon", headers=HTML).status_code == 400


# -- over the real computation ----------------------------------------------------------------


def _people(services: Services) -> None:
    """Twelve SRE hires of January 2026, six of them in a cohort 10 days later and productive
    after 30-35 days, the others after 60-65 days; three platform hires (a suppressed group).
    Imported the way ``passport people import`` does."""
    from passport.outcomes.people import import_events, job_family_ids, parse_csv

    lines = ["person_id,email,event,date,job_family,cohort"]
    for n in range(12):
        hired = date(2026, 1, 5 + n).toordinal()
        lines.append(f"sre-{n},,hired,{date.fromordinal(hired)},sre,")
        if n < 6:
            lines.append(f"sre-{n},,cohort_started,{date.fromordinal(hired + 10)},,SRE boot camp")
        ramp = 30 + n if n < 6 else 60 + n - 6
        lines.append(f"sre-{n},,productive,{date.fromordinal(hired + ramp)},,")
    lines += [f"platform-{n},,hired,2026-02-0{2 + n},platform," for n in range(3)]
    now = services.now()
    with services.session() as db:
        parsed = parse_csv(
            "\n".join(lines).encode(), today=now.date(), job_families=job_family_ids(db)
        )
        assert not parsed.errors, parsed.errors
        import_events(
            db, parsed.rows, secret_key=services.settings.secret_key, now=now, actor="test"
        )


def test_the_pages_show_the_computed_figures(client: FlaskClient, services: Services) -> None:
    _people(services)
    sign_in(client, services, "ana.lyst@example.com", "analyst")
    html = client.get("/admin/outcomes?as_of=2026-10-01", headers=HTML).data.decode()
    page = text_of(html)
    assert "Site Reliability Engineering" in page
    assert "Joined a cohort within 30 days 6 6 0 32 days" in page
    assert "Other hires 6 6 0 62 days" in page
    assert "48% shorter" in page
    platform = text_of(html.split("<h3>Platform Engineering</h3>")[1].split("</article>")[0])
    assert platform.count("fewer than 5") == 2
    assert '<option value="SRE boot camp"' in html  # an imported cohort is offered
    csv_text = client.get("/admin/outcomes.csv?as_of=2026-10-01").data.decode()
    assert "sre" in csv_text
    report = text_of(
        client.get("/admin/outcomes/report?quarter=2026-Q3", headers=HTML).data.decode()
    )
    assert (
        "Site Reliability Engineering hires who joined a cohort within 30 days: 32 days" in report
    )
