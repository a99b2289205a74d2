"""Commands for standard materials: ``templates import FILE`` and ``templates export``."""

from __future__ import annotations

import json
import sys

import click

from passport.cli.common import cli, load_services
from passport.errors import PassportError

__all__: list[str] = []


@cli.group("templates")
def templates() -> None:
    """Session templates and template programs (JSON)."""


@templates.command("import")
@click.argument("file", type=click.File("rb"))
def import_(file: click.utils.LazyFile) -> None:
    """Import templates and programs from FILE (``-`` for standard input), all or nothing.

    Each problem is printed with its place in the file; the exit status is then 2.
    """
    from passport.mentoring.materials import TemplateImportError, import_materials

    raw = file.read()
    try:
        document = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        click.echo("Error: the file is not UTF-8 text.", err=True)
        sys.exit(2)
    except json.JSONDecodeError as exc:
        click.echo(f"Error: the file is not valid JSON (line {exc.lineno}): {exc.msg}.", err=True)
        sys.exit(2)
    services = load_services()
    try:
        with services.session() as session:
            summary = import_materials(session, document, "cli", now=services.now())
    except TemplateImportError as exc:
        click.echo(f"Error: the file has {len(exc.problems)} problem(s):", err=True)
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(2)
    except PassportError as exc:
        click.echo(f"Error: {exc.message}", err=True)
        sys.exit(2)
    click.echo(
        f"templates: {summary.templates_created} created, {summary.templates_updated} "
        f"updated; programs: {summary.programs_created} created, "
        f"{summary.programs_updated} updated"
    )


@templates.command("export")
def export() -> None:
    """Print every live template (current version) and program as JSON (importable again)."""
    from passport.mentoring.materials import export_materials

    services = load_services()
    with services.session() as session:
        document = export_materials(session)
    click.echo(json.dumps(document, indent=2, ensure_ascii=False))
