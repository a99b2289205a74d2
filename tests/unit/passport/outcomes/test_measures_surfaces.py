"""The measures through every surface: `passport outcomes` (JSON, CSV), GET /api/v1/outcomes
(scope, parameters, JSON, CSV), and suppression of every group under 5 in each."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from passport.accounts.tokens import create_token
from passport.cli import cli
from passport.outcomes.measures import CSV_COLUMNS, compute_outcomes, outcomes_csv
from passport.outcomes.report import Outcomes
from passport.services import Services
from tests.unit.passport.outcomes.fixtures import add_people, clones, get_services, module_app
from tests.unit.passport.outcomes.synthetic import AS_OF, generate

GROUP_KEYS = {"n", "events", "censored", "medianDays", "ciLow", "ciHigh"}
RETENTION_KEYS = {"n", "at180", "at365"}


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Services, FlaskClient, dict[str, str]]]:
    app = module_app(tmp_path_factory.mktemp("surfaces"))
    services = get_services(app)
    rows, _ = generate()
    tiny = AS_OF - timedelta(200)
    rows += clones(
        3,
        "tiny",
        ("hired", date(2024, 1, 1), "sre", None),
        ("cohort_completed", tiny, None, "Tiny cohort"),
    )
    with services.session() as session:
        add_people(session, rows)
        tokens = {
            "outcomes": create_token(session, "analyst", scopes=("outcomes:read",), actor="test"),
            "other": create_token(session, "reader", scopes=("read",), actor="test"),
        }
    yield services, app.test_client(), tokens
    services.engine.dispose()


@pytest.fixture(scope="module")
def report(world: tuple[Services, FlaskClient, dict[str, str]]) -> Outcomes:
    with world[0].session() as session:
        return compute_outcomes(session, as_of=AS_OF)


def _env(services: Services) -> dict[str, str]:
    settings = services.settings
    return {
        "PASSPORT_ENV": "test",
        "PASSPORT_INSTANCE_PATH": str(settings.instance_path),
        "PASSPORT_DATABASE_URL": settings.database_url,
        "PASSPORT_PUBLIC_URL": settings.public_url,
    }


def _check_shape(body: dict[str, Any]) -> None:
    """The shape issue #19 fixes, with every group either complete or suppressed."""
    assert set(body) == {
        "asOf",
        "rampTime",
        "retention",
        "retentionByCohort",
        "mobility",
        "coverage",
    }

    def group(value: dict[str, Any], keys: set[str]) -> None:
        if value.get("suppressed"):
            assert value == {"suppressed": True}
        else:
            assert set(value) == keys
            assert value["n"] >= 5

    for ramp in body["rampTime"].values():
        assert set(ramp) == {"participants", "others", "reductionPct"}
        group(ramp["participants"], GROUP_KEYS)
        group(ramp["others"], GROUP_KEYS)
        if "suppressed" in ramp["participants"] or "suppressed" in ramp["others"]:
            assert ramp["reductionPct"] is None
    for retention in (*body["retention"].values(), *body["retentionByCohort"].values()):
        assert set(retention) == {"participants", "others", "logrankP"}
        group(retention["participants"], RETENTION_KEYS)
        group(retention["others"], RETENTION_KEYS)
        if "suppressed" in retention["participants"] or "suppressed" in retention["others"]:
            assert retention["logrankP"] is None
    for quarters in body["mobility"].values():
        for quarter, cell in quarters.items():
            assert len(quarter) == 7 and quarter[4:6] == "-Q"
            if cell.get("suppressed"):
                assert cell == {"suppressed": True}
            else:
                assert set(cell) == {"internal", "external", "rate", "badgedMoves"}
                assert cell["internal"] + cell["external"] >= 5
    for coverage in body["coverage"].values():
        assert set(coverage) == {"readyNow", "withinOneCohort"}
        for value in coverage.values():
            assert value == {"suppressed": True} or value >= 5


def test_the_json_has_the_issues_shape_and_suppresses_small_groups(report: Outcomes) -> None:
    body = report.to_json()
    _check_shape(body)
    assert body["asOf"] == "2026-06-30"
    assert body["rampTime"]["platform"]["others"] == {"suppressed": True}
    assert body["retentionByCohort"]["Tiny cohort"]["participants"] == {"suppressed": True}
    assert body["retentionByCohort"]["Tiny cohort"]["logrankP"] is None
    assert body["coverage"]["sre"] == {
        "readyNow": {"suppressed": True},
        "withinOneCohort": {"suppressed": True},
    }
    assert {"suppressed": True} in body["mobility"]["platform"].values()


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_the_csv_has_one_row_per_figure_and_shows_suppressed(report: Outcomes) -> None:
    text = outcomes_csv(report)
    assert text.splitlines()[0] == ",".join(CSV_COLUMNS)
    rows = _csv(text)
    suppressed = [r for r in rows if r["value"] == "suppressed"]
    assert {
        "measure": "rampTime",
        "job_family": "platform",
        "cohort": "",
        "quarter": "",
        "group": "others",
        "statistic": "n",
        "value": "suppressed",
    } in suppressed
    tiny = [r for r in rows if r["cohort"] == "Tiny cohort"]
    assert {r["statistic"]: r["value"] for r in tiny if r["group"] == "participants"} == {
        "n": "suppressed"
    }
    # No figure of a suppressed group leaks: every n shown is at least 5.
    assert all(
        int(r["value"]) >= 5 for r in rows if r["statistic"] == "n" and r["value"] != "suppressed"
    )
    median = next(
        r
        for r in rows
        if r["measure"] == "rampTime"
        and r["job_family"] == "sre"
        and r["group"] == "others"
        and r["statistic"] == "medianDays"
    )
    sre = report.ramp_time["sre"].others
    assert float(median["value"]) == sre.median_days  # type: ignore[union-attr]


def test_cli_prints_the_json(
    world: tuple[Services, FlaskClient, dict[str, str]], report: Outcomes
) -> None:
    result = CliRunner().invoke(
        cli, ["outcomes", "--json", "--as-of", "2026-06-30"], env=_env(world[0])
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    _check_shape(body)
    assert body == json.loads(json.dumps(report.to_json()))


def test_cli_prints_the_csv_filtered(world: tuple[Services, FlaskClient, dict[str, str]]) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "outcomes",
            "--csv",
            "--as-of",
            "2026-06-30",
            "--job-family",
            "sre",
            "--cohort",
            "SRE deep dive 2",
        ],
        env=_env(world[0]),
    )
    assert result.exit_code == 0, result.output
    rows = _csv(result.output)
    assert {r["job_family"] for r in rows if r["job_family"]} == {"sre"}
    assert {r["cohort"] for r in rows if r["measure"] == "retentionByCohort"} == {"SRE deep dive 2"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--job-family", "astronauts"], "no job family 'astronauts'"),
        (["--cohort", "Nope"], "no cohort 'Nope'"),
        (["--as-of", "30/06/2026"], "not a date"),
        (["--since", "2026-02-01", "--until", "2026-01-01"], "starts after it ends"),
    ],
)
def test_cli_refuses_bad_filters_with_exit_2(
    world: tuple[Services, FlaskClient, dict[str, str]], args: list[str], message: str
) -> None:
    result = CliRunner().invoke(cli, ["outcomes", "--json", *args], env=_env(world[0]))
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def _get(client: FlaskClient, token: str | None, query: str = "", **headers: str) -> Any:
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return client.get(f"/api/v1/outcomes{query}", headers=headers)


def test_api_needs_the_outcomes_scope(world: tuple[Services, FlaskClient, dict[str, str]]) -> None:
    _, client, tokens = world
    assert _get(client, None).status_code == 401
    refused = _get(client, tokens["other"])
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "insufficient_scope"


def test_api_answers_the_json(
    world: tuple[Services, FlaskClient, dict[str, str]], report: Outcomes
) -> None:
    _, client, tokens = world
    response = _get(client, tokens["outcomes"], "?asOf=2026-06-30")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    _check_shape(body)
    assert body == json.loads(json.dumps(report.to_json()))


@pytest.mark.parametrize(
    ("query", "headers"),
    [("?format=csv&asOf=2026-06-30", {}), ("?asOf=2026-06-30", {"Accept": "text/csv"})],
)
def test_api_answers_the_csv(
    world: tuple[Services, FlaskClient, dict[str, str]],
    report: Outcomes,
    query: str,
    headers: dict[str, str],
) -> None:
    _, client, tokens = world
    response = _get(client, tokens["outcomes"], query, **headers)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.get_data(as_text=True) == outcomes_csv(report)
    assert "suppressed" in response.get_data(as_text=True)


def test_api_reads_are_audited_with_the_token_and_filters(
    world: tuple[Services, FlaskClient, dict[str, str]],
) -> None:
    from sqlalchemy import select

    from passport.audit import AuditEvent

    services, client, tokens = world
    assert _get(client, tokens["outcomes"], "?asOf=2026-06-30&jobFamily=sre").status_code == 200
    with services.session() as session:
        event = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "outcomes.read")
            .order_by(AuditEvent.id.desc())
        ).first()
    assert event is not None and event.actor.startswith("token:")
    assert json.loads(event.detail or "{}") == {
        "asOf": "2026-06-30",
        "jobFamily": "sre",
        "cohort": None,
        "since": None,
        "until": None,
    }


def test_api_filters(world: tuple[Services, FlaskClient, dict[str, str]]) -> None:
    _, client, tokens = world
    body = _get(
        client,
        tokens["outcomes"],
        "?asOf=2026-06-30&jobFamily=platform&since=2026-01-01&until=2026-06-30",
    ).get_json()
    assert set(body["rampTime"]) <= {"platform"}
    assert set(body["mobility"]) <= {"platform"}
    assert all(q.startswith("2026-") for q in body["mobility"].get("platform", {}))


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("?asOf=yesterday", "invalid_date"),
        ("?asOf=2099-01-01", "invalid_date"),  # in the future: follow-up not yet lived
        ("?since=2026-13-01", "invalid_date"),
        ("?jobFamily=astronauts", "unknown_job_family"),
        ("?cohort=Nope", "unknown_cohort"),
        ("?format=pdf", "invalid_format"),
        ("?since=2026-02-01&until=2026-01-01", "invalid_period"),
        ("?family=sre", "unknown_parameter"),
    ],
)
def test_api_refuses_bad_parameters(
    world: tuple[Services, FlaskClient, dict[str, str]], query: str, code: str
) -> None:
    _, client, tokens = world
    response = _get(client, tokens["outcomes"], query)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == code
