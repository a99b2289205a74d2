"""The ``outcomes`` command: every outcome measure as JSON (the shape of issue #19) or CSV."""

from __future__ import annotations

import json
import sys
from datetime import date

import click

from passport.cli.common import EXIT_BAD_INPUT, cli, load_services
from passport.errors import PassportError

__all__: list[str] = []


def _date(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-03-31.") from None


@cli.command("outcomes")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (the default).")
@click.option("--csv", "as_csv", is_flag=True, help="Print a tidy CSV, one row per figure.")
@click.option(
    "--as-of", callback=_date, metavar="DATE", help="Count events up to this date (today)."
)
@click.option("--job-family", metavar="ID", help="Only this job family.")
@click.option("--cohort", metavar="NAME", help="Only this cohort.")
@click.option("--since", callback=_date, metavar="DATE", help="Hires, completions, quarters from.")
@click.option("--until", callback=_date, metavar="DATE", help="... up to this date, inclusive.")
def outcomes(
    as_json: bool,
    as_csv: bool,
    as_of: date | None,
    job_family: str | None,
    cohort: str | None,
    since: date | None,
    until: date | None,
) -> None:
    """Ramp time, retention after cohorts, mobility and coverage (groups under 5 suppressed;
    definitions in docs/outcomes.md)."""
    from passport.outcomes.measures import compute_outcomes, default_as_of, outcomes_csv
    from passport.outcomes.report import Filters

    if as_json and as_csv:
        raise click.UsageError("Choose --json or --csv, not both.")
    services = load_services(require_secrets=False)
    filters = Filters(job_family=job_family, cohort=cohort, since=since, until=until)
    try:
        with services.session() as session:
            today = default_as_of(session, services.now())
            report = compute_outcomes(session, as_of=as_of or today, filters=filters, today=today)
    except PassportError as exc:
        click.echo(f"Error: {exc.message}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    if as_csv:
        click.echo(outcomes_csv(report), nl=False)
    else:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False))
