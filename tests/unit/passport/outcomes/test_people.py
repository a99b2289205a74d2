"""People events: parsing with located errors, idempotent fast import, erasure and its
tombstone, and the ``passport people`` commands (exit 1 when a row is refused)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from passport.audit import AuditEvent
from passport.cli import outcomes as cli_outcomes
from passport.cli.common import cli
from passport.errors import InvalidRequest
from passport.outcomes.models import ErasedPerson, HRPerson, PeopleEvent
from passport.outcomes.people import (
    erase_person,
    forget_emails,
    import_events,
    parse_csv,
    parse_json,
    refuse_erased,
    tombstone,
)
from passport.services import Services
from passport.settings import Settings
from passport.web.context import get_services
from tests.conftest import PUBLIC_URL, _database_url, fresh_app

TODAY = date(2026, 6, 30)
NOW = datetime(2026, 6, 30, 12, tzinfo=UTC)
FAMILIES = frozenset({"sre", "platform"})
SECRET = "test-secret-key-not-for-production"
HEADER = "person_id,email,event,date,job_family,cohort\n"


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    """One migrated database for the module: each test uses its own person ids."""
    tmp = tmp_path_factory.mktemp("people")
    settings = Settings(
        env="test",
        instance_path=tmp / "instance",
        database_url=_database_url(tmp),
        public_url=PUBLIC_URL,
        secret_key=SECRET,
        key_passphrase="test key-store passphrase",
        rate_limits="off",
    )
    services = get_services(fresh_app(settings))
    yield services
    services.engine.dispose()


def csv_of(*rows: str) -> bytes:
    return (HEADER + "".join(f"{r}\n" for r in rows)).encode()


def parse(data: bytes) -> object:
    return parse_csv(data, today=TODAY, job_families=FAMILIES)


def events_of(services: Services, person_key: str) -> list[tuple[str, date, str | None]]:
    with services.session() as db:
        return [
            (e.event, e.occurred_on, e.job_family_id or e.cohort)
            for e in db.scalars(
                select(PeopleEvent)
                .join(HRPerson)
                .where(HRPerson.person_key == person_key)
                .order_by(PeopleEvent.occurred_on, PeopleEvent.event)
            )
        ]


# -- parsing -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "code"),
    [
        (",a@x.org,hired,2026-01-05,sre,", "missing_person_id"),
        ("p1,,promoted,2026-01-05,sre,", "unknown_event"),
        ("p1,,hired,05/01/2026,sre,", "invalid_date"),
        ("p1,,hired,2026-02-30,sre,", "invalid_date"),
        ("p1,,hired,2026-07-01,sre,", "future_date"),
        ("p1,,productive,0202-01-05,,", "invalid_date"),
        ("p1,,hired,1899-12-31,sre,", "invalid_date"),
        ("p1,,hired,2026-01-05,astronaut,", "unknown_job_family"),
        ("p1,,moved,2026-01-05,,", "missing_job_family"),
        ("p1,,productive,2026-01-05,nope,", "unknown_job_family"),
        ("p1,,cohort_started,2026-01-05,,", "missing_cohort"),
        ("p1,not-an-address,left,2026-01-05,,", "invalid_email"),
        ("p1,,left,2026-01-05,,,extra", "bad_row"),
    ],
)
def test_a_bad_row_is_refused_with_its_line_and_code(line: str, code: str) -> None:
    parsed = parse_csv(
        csv_of("ok1,,hired,2026-01-05,sre,", line), today=TODAY, job_families=FAMILIES
    )
    assert [r.row for r in parsed.rows] == [2]
    assert [(e.row, e.code) for e in parsed.errors] == [(3, code)]
    assert parsed.errors[0].message.endswith(".")
    assert parsed.preview() == {
        "total": 2,
        "valid": 1,
        "errors": [{"row": 3, "code": code, "message": parsed.errors[0].message}],
    }


def test_rows_are_normalised_and_keyed() -> None:
    parsed = parse_csv(
        ("\ufeff" + HEADER.upper() + " p1 , A@X.Org ,HIRED,2026-01-05,sre,\n").encode(),
        today=TODAY,
        job_families=FAMILIES,
    )
    [row] = parsed.rows
    assert (row.person_key, row.email, row.event, row.job_family, row.cohort) == (
        "p1",
        "a@x.org",
        "hired",
        "sre",
        None,
    )
    again = parse_csv(csv_of("p1,,hired,2026-01-05,sre,"), today=TODAY, job_families=FAMILIES)
    assert again.rows[0].row_key == row.row_key  # the e-mail is not part of the event


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"person_id,event,date\np1,hired,2026-01-01\n", "bad_columns"),
        (HEADER.replace("\n", ",salary\n").encode(), "bad_columns"),
        (HEADER.encode() + b"p1,\xff,left,2026-01-01,,\n", "bad_encoding"),
        (HEADER.encode() + b"p1,\x00,left,2026-01-01,,\n", "bad_encoding"),
        # A field over the csv module's limit (128 KiB): one clear error, not a traceback.
        (HEADER.encode() + b'p1,,left,2026-01-01,,"' + b"x" * 200_000 + b'"\n', "bad_csv"),
    ],
)
def test_a_file_that_cannot_be_read_is_one_clear_error(data: bytes, code: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        parse_csv(data, today=TODAY, job_families=FAMILIES)
    assert caught.value.code == code


def test_json_rows_are_numbered_by_their_index_from_one() -> None:
    good = {"person_id": "j1", "event": "hired", "date": "2026-01-05", "job_family": "sre"}
    for body in ([good, {"person_id": "j1"}, "x", {**good, "salary": 1}], {"events": [good]}):
        parsed = parse_json(body, today=TODAY, job_families=FAMILIES)
        assert [r.row for r in parsed.rows] == [1]
    parsed = parse_json(
        [good, {"person_id": "j1"}, "x", {**good, "salary": 1}, {**good, "date": 20260105}],
        today=TODAY,
        job_families=FAMILIES,
    )
    assert [(e.row, e.code) for e in parsed.errors] == [
        (2, "unknown_event"),
        (3, "bad_row"),
        (4, "bad_row"),
        (5, "invalid_date"),
    ]
    with pytest.raises(InvalidRequest):
        parse_json({"rows": []}, today=TODAY, job_families=FAMILIES)


# -- import ------------------------------------------------------------------------------------


def test_import_is_idempotent_and_counts(services: Services) -> None:
    data = csv_of(
        "i1,i1@x.org,hired,2025-01-06,sre,",
        "i1,,cohort_started,2025-01-20,,SRE onboarding 1",
        "i1,,productive,2025-03-03,,",
        "i1,,productive,2025-03-03,,",  # the same row twice in one file: one event
        "i2,,hired,2025-02-01,platform,",
    )
    rows = parse_csv(data, today=TODAY, job_families=FAMILIES).rows
    with services.session() as db:
        first = import_events(db, rows, secret_key=SECRET, now=NOW, actor="t", batch_size=2)
    assert (first.total, first.imported, first.duplicates, first.errors) == (5, 4, 1, [])
    with services.session() as db:
        again = import_events(db, rows, secret_key=SECRET, now=NOW, actor="t")
    assert (again.imported, again.duplicates) == (0, 5)
    assert events_of(services, "i1") == [
        ("hired", date(2025, 1, 6), "sre"),
        ("cohort_started", date(2025, 1, 20), "SRE onboarding 1"),
        ("productive", date(2025, 3, 3), None),
    ]
    with services.session() as db:
        audits = db.scalars(select(AuditEvent).where(AuditEvent.action == "people.import")).all()
        assert len(audits) >= 2
        assert all("i1" not in (a.detail or "") + (a.subject or "") for a in audits)


def test_a_later_import_sets_the_email(services: Services) -> None:
    for line in ("e1,,hired,2025-01-06,sre,", "e1,E1@X.org,left,2025-06-01,,"):
        rows = parse_csv(csv_of(line), today=TODAY, job_families=FAMILIES).rows
        with services.session() as db:
            import_events(db, rows, secret_key=SECRET, now=NOW, actor="t")
    with services.session() as db:
        assert db.scalar(select(HRPerson.email).where(HRPerson.person_key == "e1")) == "e1@x.org"


# -- erasure -----------------------------------------------------------------------------------


def test_erasure_deletes_and_refuses_later_imports(services: Services) -> None:
    rows = parse_csv(
        csv_of("x1,x1@x.org,hired,2025-01-06,sre,", "x2,,hired,2025-01-06,sre,"),
        today=TODAY,
        job_families=FAMILIES,
    ).rows
    with services.session() as db:
        import_events(db, rows, secret_key=SECRET, now=NOW, actor="t")
    with services.session() as db:
        assert erase_person(db, "x1", secret_key=SECRET, actor="t", now=NOW) is True
    assert events_of(services, "x1") == []
    with services.session() as db:
        assert db.get(ErasedPerson, tombstone(SECRET, "x1")) is not None
        assert db.scalar(select(func.count()).where(HRPerson.person_key == "x1")) == 0
        parsed = refuse_erased(
            db,
            parse_csv(
                csv_of("x1,,left,2025-06-01,,", "x2,,left,2025-06-01,,"),
                today=TODAY,
                job_families=FAMILIES,
            ),
            secret_key=SECRET,
        )
        assert [(e.row, e.code) for e in parsed.errors] == [(2, "erased_person")]
        result = import_events(db, rows, secret_key=SECRET, now=NOW, actor="t")
    assert [(e.row, e.code) for e in result.errors] == [(2, "erased_person")]
    assert (result.imported, result.duplicates) == (0, 1)
    assert events_of(services, "x1") == []


def test_forgetting_an_address_deletes_its_person(services: Services) -> None:
    rows = parse_csv(
        csv_of("f1,F1@x.org,hired,2025-01-06,sre,"), today=TODAY, job_families=FAMILIES
    ).rows
    with services.session() as db:
        import_events(db, rows, secret_key=SECRET, now=NOW, actor="t")
        assert forget_emails(db, ["f1@x.org"], secret_key=SECRET, now=NOW) == 1
    assert events_of(services, "f1") == []


def test_erasing_an_account_erases_its_hr_person(services: Services) -> None:
    from passport.accounts.users import create_user, erase_user

    rows = parse_csv(
        csv_of("u1,Learner.U1@x.org,hired,2025-01-06,sre,"), today=TODAY, job_families=FAMILIES
    ).rows
    with services.session() as db:
        import_events(db, rows, secret_key=SECRET, now=NOW, actor="t")
        user = create_user(
            db, email="learner.u1@x.org", name="U One", role="learner", password=None
        )
    with services.session() as db:
        erase_user(db, db.merge(user), actor="t", now=NOW, secret_key=SECRET)
    assert events_of(services, "u1") == []
    # The HR export still lists them: the next import refuses them instead of re-identifying.
    with services.session() as db:
        result = import_events(db, rows, secret_key=SECRET, now=NOW, actor="t")
    assert result.imported == 0
    assert [error.code for error in result.errors] == ["erased_person"]
    assert events_of(services, "u1") == []


# -- the commands ------------------------------------------------------------------------------


@pytest.fixture
def runner(services: Services, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setattr(cli_outcomes, "load_services", lambda: services)
    return CliRunner()


def test_people_import_reports_lines_and_exits_1(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes(
        csv_of(
            "c1,,hired,2025-01-06,sre,",
            "c1,,hired,2025-01-06,astronaut,",
            "c1,,left,2999-01-01,,",
        )
    )
    dry = runner.invoke(cli, ["people", "import", str(path), "--dry-run"])
    assert dry.exit_code == 1
    assert "line 3: unknown_job_family: Unknown job family 'astronaut'." in dry.output
    assert "line 4: future_date:" in dry.output
    assert "3 rows: 1 valid, 2 with errors" in dry.output
    first = runner.invoke(cli, ["people", "import", str(path)])
    assert first.exit_code == 1
    assert "1 imported, 0 already imported, 2 with errors" in first.output
    path.write_bytes(csv_of("c1,,hired,2025-01-06,sre,"))
    again = runner.invoke(cli, ["people", "import", str(path)])
    assert again.exit_code == 0, again.output
    assert "0 imported, 1 already imported, 0 with errors" in again.output


def test_people_erase_asks_first(runner: CliRunner, services: Services, tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes(csv_of("d1,,hired,2025-01-06,sre,"))
    assert runner.invoke(cli, ["people", "import", str(path)]).exit_code == 0
    refused = runner.invoke(cli, ["people", "erase", "d1"], input="n\n")
    assert refused.exit_code == 1
    assert events_of(services, "d1") != []
    done = runner.invoke(cli, ["people", "erase", "d1"], input="y\n")
    assert done.exit_code == 0, done.output
    assert "erased" in done.output
    assert events_of(services, "d1") == []
    later = runner.invoke(cli, ["people", "import", str(path)])
    assert later.exit_code == 1
    assert "line 2: erased_person:" in later.output
