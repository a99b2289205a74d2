"""The ``passport`` command: set up an instance, issue, verify, and manage keys and tokens.

One module per domain adds its commands to the one group (:mod:`passport.cli.common`); each
command parses its arguments, calls use cases and prints. No command builds the Flask app but
``serve``, which serves it.
"""

from __future__ import annotations

import sys

import click
from sqlalchemy.exc import DBAPIError

from passport.cli import (
    accounts,
    assessments,
    calendars,
    catalog,
    credentials,
    instance,
    jobs,
    measures,
    mentors,
    outcomes,
    verifying,
)

# Mentor endorsements (passport endorse), on a line of its own so branches merge cleanly.
from passport.cli import mentoring_endorse as mentoring_endorse

# Standard materials (``passport templates``), on a line of its own so branches merge cleanly.
from passport.cli import templates as templates

# Wallet apps (passport wallet offer), on a line of its own so branches merge cleanly.
from passport.cli import wallet as wallet
from passport.cli.common import cli

__all__ = ["database_problem", "main"]

#: The modules whose commands are registered on the group (kept referenced so the imports stay).
COMMANDS = (
    accounts,
    assessments,
    calendars,
    catalog,
    credentials,
    instance,
    jobs,
    measures,
    mentors,
    outcomes,
    verifying,
)


def main() -> None:
    try:
        cli(prog_name="passport")
    except DBAPIError as exc:
        click.echo(f"Error: {database_problem(exc)}", err=True)
        sys.exit(1)


def database_problem(exc: DBAPIError) -> str:
    """One sentence for a database that cannot be used (never the driver's text, which names
    hosts and ports)."""
    text = str(exc.orig).lower()
    if "no such table" in text or type(exc.orig).__name__ == "UndefinedTable":
        return "The database has no tables yet: run `passport init` first."
    return (
        f"The database could not be used ({type(exc.orig).__name__}); check PASSPORT_DATABASE_URL."
    )
