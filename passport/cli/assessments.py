"""Commands for assessments: ``bulk`` (CSV results, previewed or issued)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from passport.cli.common import (
    cli,
    load_services,
    proof_format_option,
)
from passport.errors import PassportError

__all__: list[str] = []


@cli.command()
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--assessor", required=True, help="Who assessed (kept with every assessment).")
@click.option("--dry-run", is_flag=True, help="Only check the rows; issue nothing.")
@proof_format_option
def bulk(csv_file: str, assessor: str, dry_run: bool, proof_format: str) -> None:
    """Record assessment results from a CSV file; passing rows earn badges (idempotent)."""
    from passport.assessments.bulk import commit_rows, preview_csv

    services = load_services()
    data = Path(csv_file).read_bytes()
    try:
        with services.session() as session:
            preview = preview_csv(session, data)
    except PassportError as exc:
        raise click.ClickException(exc.message) from exc
    for error in preview.errors:
        click.echo(f"row {error.row}: {error.message} [{error.code}]", err=True)
    click.echo(
        f"{len(preview.rows)} rows ready ({len(preview.already_imported)} already imported), "
        f"{len(preview.errors)} with errors"
    )
    if dry_run or not preview.rows:
        sys.exit(1 if preview.errors else 0)

    def progress(done: int, total: int) -> None:
        if done < total:  # the summary line below reports the end
            click.echo(f"{done} of {total} rows done", err=True)

    result = commit_rows(
        services,
        preview,
        assessor=assessor,
        now=services.now(),
        proof_format=proof_format,
        progress=progress,
    )
    for error in result.errors:
        click.echo(f"row {error.row}: {error.message} [{error.code}]", err=True)
    click.echo(
        f"issued {result.issued}, skipped {result.skipped} already imported, "
        f"{result.failed_assessments} below the required level, {len(result.errors)} failed"
    )
    sys.exit(1 if preview.errors or result.errors else 0)
