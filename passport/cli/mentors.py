"""Commands for mentors: ``passport mentors recognise`` issues the mentoring badges that are due."""

from __future__ import annotations

import click

from passport.cli.common import cli, load_services, parse_time
from passport.errors import PassportError

__all__: list[str] = []


@cli.group()
def mentors() -> None:
    """Mentors: recognition badges for the sessions they held."""


@mentors.command("recognise")
@click.option("--now", "now_text", help="Count as of this time (ISO 8601); default: now.")
def mentors_recognise(now_text: str | None) -> None:
    """Issue every mentoring badge that is due (5, 20, 50 sessions held per skill), once each.

    The daily ``mentor-recognition`` schedule does the same; running both issues nothing twice.
    """
    from passport.mentoring.recognition import recognise_mentors

    services = load_services()
    now = parse_time(now_text) or services.now()
    try:
        with services.session() as session:
            issued = recognise_mentors(session, services, now=now)
    except PassportError as exc:
        raise click.ClickException(exc.message) from exc
    for row in issued:
        click.echo(f"{row.email}\t{row.achievement_name}\t{row.credential_id}")
    click.echo(f"{len(issued)} mentoring badge(s) issued")
