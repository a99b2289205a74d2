"""Commands for people events from the HR system: ``people import`` and ``people erase``.

``passport outcomes`` (the measures) lives in :mod:`passport.cli.measures`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from passport.cli.common import cli, load_services
from passport.errors import PassportError

__all__: list[str] = []


@cli.group()
def people() -> None:
    """People events from the HR system (hired, productive, moved, left, cohorts)."""


@people.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Only check the rows; store nothing.")
def people_import(csv_file: str, dry_run: bool) -> None:
    """Import people events from a CSV file (person_id,email,event,date,job_family,cohort).

    Idempotent: a row imported before is not stored twice. Rows with errors are reported
    (line N: code: message) and not imported; the others are. Exits 1 when any row had an
    error.
    """
    from passport.outcomes.people import (
        import_events,
        job_family_ids,
        org_today,
        parse_csv,
        refuse_erased,
    )

    services = load_services()
    secret = services.settings.secret_key
    data = Path(csv_file).read_bytes()
    now = services.now()
    try:
        with services.session() as session:
            parsed = parse_csv(
                data, today=org_today(session, now), job_families=job_family_ids(session)
            )
            parsed = refuse_erased(session, parsed, secret_key=secret)
            if not dry_run and parsed.rows:
                result = import_events(
                    session, parsed.rows, secret_key=secret, now=now, actor="cli"
                )
            else:
                result = None
    except PassportError as exc:
        raise click.ClickException(exc.message) from exc
    errors = sorted(parsed.errors + (result.errors if result else []), key=lambda e: e.row)
    for error in errors:
        click.echo(f"line {error.row}: {error.code}: {error.message}", err=True)
    if result is None:
        click.echo(f"{parsed.total} rows: {len(parsed.rows)} valid, {len(errors)} with errors")
    else:
        click.echo(
            f"{parsed.total} rows: {result.imported} imported, {result.duplicates} already "
            f"imported, {len(errors)} with errors"
        )
    sys.exit(1 if errors else 0)


@people.command("erase")
@click.argument("person_id")
@click.option("--yes", is_flag=True, help="Confirm without asking.")
def people_erase(person_id: str, yes: bool) -> None:
    """Erase a person (by HR id): their events go, and a later import of that id is refused."""
    from passport.outcomes.people import erase_person

    if not yes:
        click.confirm(
            "This deletes the person and all their events for good, and refuses their id in "
            "later imports. Go on?",
            abort=True,
        )
    services = load_services()
    try:
        with services.session() as session:
            held = erase_person(
                session,
                person_id,
                secret_key=services.settings.secret_key,
                actor="cli",
                now=services.now(),
            )
    except PassportError as exc:
        raise click.ClickException(exc.message) from exc
    if held:
        click.echo("erased: the person and their events are deleted")
    else:
        click.echo("no such person was held; their id will be refused in later imports")
