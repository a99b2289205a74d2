"""``passport calendar-url``: a person's calendar feed URL (:mod:`passport.mentoring.calendar`)."""

from __future__ import annotations

import sys

import click

from passport.cli.common import EXIT_BAD_INPUT, cli, load_services
from passport.errors import PassportError


@cli.command("calendar-url")
@click.option("--email", required=True, help="The person's e-mail address.")
@click.option(
    "--rotate", is_flag=True, help="Make a new link first: the old one stops working (audited)."
)
def calendar_url(email: str, rotate: bool) -> None:
    """Print the URL of EMAIL's calendar feed (one line), for a calendar program."""
    from passport.mentoring.calendar import feed_url_for_email

    services = load_services()
    settings = services.settings
    try:
        with services.session() as db:
            url = feed_url_for_email(
                db,
                settings.secret_key,
                settings.public_url,
                email,
                rotate=rotate,
                now=services.now(),
            )
    except PassportError as exc:
        click.echo(f"Error: {exc.message}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    click.echo(url)
