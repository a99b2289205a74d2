"""Commands for the instance as a whole: ``init``, ``serve``, ``demo``, ``backup``, ``restore``."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from passport.cli.common import (
    cli,
    load_services,
    load_settings,
)
from passport.errors import PassportError

__all__: list[str] = []


@cli.command()
@click.option("--issuer-name", default="Skill Passport Demo Organisation", show_default=True)
def init(issuer_name: str) -> None:
    """Create or upgrade the database, keys, default issuer and starter catalog (idempotent)."""
    from passport.instance.setup import initialise

    result = initialise(load_services(), issuer_name=issuer_name)
    click.echo(f"issuer {result.issuer_did}" + (" (created)" if result.issuer_created else ""))
    for kid in result.keys_created:
        click.echo(f"created key {kid}")
    if result.achievements_added:
        click.echo(f"added {result.achievements_added} starter achievements")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, help="The port (default: PORT, else 5000).")
def serve(host: str, port: int | None) -> None:
    """Serve the app with the development server (use gunicorn in production)."""
    from passport.web.app import create_app

    settings = load_settings()
    try:
        app = create_app(settings)
    except PassportError as exc:
        raise click.ClickException(exc.message) from exc
    logging.getLogger().setLevel(logging.INFO)
    app.run(host=host, port=port or settings.port, debug=False, use_reloader=False)


@cli.command()
def demo() -> None:
    """Load a realistic demo program: staff, 20 learners, 2 cohorts, assessments, badges."""
    from passport.instance.demo import DEMO_PASSWORD, DOMAIN, load_demo

    try:
        result = load_demo(load_services())
    except PassportError as exc:
        raise click.ClickException(exc.message) from exc
    if not result.created:
        click.echo("The demo program is already loaded.")
        return
    click.echo(
        f"loaded {result.learners} learners, {result.assessments} assessments, "
        f"{result.badges} badges"
    )
    click.echo(f"log in as admin@{DOMAIN} (or ana.assessor@, mo.mentor@, ada.lovelace@{DOMAIN})")
    click.echo(f"with the demo password: {DEMO_PASSWORD}")


@cli.command()
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The archive to write (.tar.gz).",
)
def backup(output: Path) -> None:
    """Write the database and the key store (still encrypted) into one archive."""
    from passport.instance.backup import create_backup

    services = load_services()
    try:
        result = create_backup(services, output, now=services.now())
    except PassportError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(
        f"wrote {result.path}: revision {result.revision}, {result.tables} tables, "
        f"{result.rows} rows, {result.keys} keys"
    )


@cli.command()
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that is not empty.")
def restore(archive: Path, force: bool) -> None:
    """Restore an archive from `passport backup` into this (empty) instance."""
    from passport.instance.backup import restore_backup

    services = load_services()
    try:
        result = restore_backup(services, archive, force=force)
    except PassportError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(
        f"restored revision {result.revision}: {result.tables} tables, {result.rows} rows, "
        f"{result.keys} keys"
    )
