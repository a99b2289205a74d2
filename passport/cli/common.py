"""What every command shares: the ``passport`` group, settings with logging configured, and
the services a use case needs (never the Flask app)."""

from __future__ import annotations

import logging
from datetime import datetime

import click

from passport.credentials.issuing import DEFAULT_FORMAT, PROOF_FORMATS, SHORT_FORMAT_NAMES
from passport.errors import PassportError
from passport.services import Services
from passport.settings import Settings

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_NOT_VERIFIED",
    "EXIT_VERIFIED",
    "cli",
    "load_services",
    "load_settings",
    "parse_time",
    "proof_format_option",
]

EXIT_VERIFIED, EXIT_NOT_VERIFIED, EXIT_BAD_INPUT = 0, 1, 2

_LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"


def load_settings(require_secrets: bool = True) -> Settings:
    """The settings from the environment, with logging configured (redaction included)."""
    from passport.logs import configure_logging

    try:
        settings = Settings.from_env(require_secrets=require_secrets)
    except PassportError as exc:
        raise click.ClickException(exc.message) from exc
    # PASSPORT_LOG_FORMAT=json, and redaction of secrets and tokens either way.
    configure_logging(
        settings.log_format,
        secrets=settings.secret_values,
        level=logging.getLevelName(logging.getLogger().getEffectiveLevel()),
        text_format=_LOG_FORMAT,
    )
    return settings


def load_services(require_secrets: bool = True) -> Services:
    """What the use cases need (never the Flask app), closed when the command ends."""
    settings = load_settings(require_secrets)
    from passport.accounts.sessions import install_store

    try:
        services = Services.from_settings(settings)
    except PassportError as exc:
        raise click.ClickException(exc.message) from exc
    # Ending someone's sessions (deactivate, set-role …) reaches the store the web uses.
    install_store(services.sessions, settings)
    if require_secrets:
        # Work a command records (a badge's e-mail, a bulk job) goes to the queue at commit.
        from passport.jobs.queue import queue_for

        queue_for(services)
    # Close the database connections when the command ends (a PostgreSQL connection left for
    # the garbage collector is a leak, and warned about).
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.call_on_close(services.close)
    return services


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Skill Passport: Open Badges 3.0 skill passports."""
    logging.basicConfig(level=logging.WARNING, format=_LOG_FORMAT)
    # Development stand-ins announce themselves as warnings; show them as one log line.
    logging.captureWarnings(True)


def parse_time(value: str | None) -> datetime | None:
    """An ISO 8601 date-time with a time zone from an option (None when not given)."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise click.BadParameter("use an ISO 8601 date-time with a time zone") from exc
    if parsed.tzinfo is None:
        raise click.BadParameter("the date-time needs a time zone, e.g. 2030-01-01T00:00:00Z")
    return parsed


#: ``--format`` of the commands that issue: the proof format (short names accepted).
proof_format_option = click.option(
    "--format",
    "proof_format",
    type=click.Choice([*PROOF_FORMATS, *SHORT_FORMAT_NAMES]),
    default=DEFAULT_FORMAT,
    show_default=True,
    help="data-integrity (di): JSON with an eddsa-rdfc-2022 proof; vc-jwt (jwt): a VC-JWT "
    "(ES256, or RS256 with --alg where offered).",
)
