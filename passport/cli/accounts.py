"""Commands for accounts: ``users create`` and ``tokens create|list|revoke``."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from passport.cli.common import (
    cli,
    load_services,
)
from passport.errors import PassportError

__all__: list[str] = []


@cli.group()
def users() -> None:
    """People who log in: admins, assessors, mentors, learners."""


@users.command("create")
@click.option("--email", required=True)
@click.option("--name", default="")
@click.option(
    "--role", type=click.Choice(["admin", "assessor", "mentor", "learner"]), required=True
)
@click.option("--password", help="Initial password (asked for when omitted).")
def users_create(email: str, name: str, role: str, password: str | None) -> None:
    """Create a user."""
    from passport.accounts.users import create_user

    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    services = load_services()
    try:
        with services.session() as session:
            user = create_user(
                session, email=email, name=name, role=role, password=password, actor="cli"
            )
            click.echo(f"created {user.role} {user.email}")
    except PassportError as exc:
        raise click.ClickException(exc.message) from exc


@cli.group()
def tokens() -> None:
    """API tokens for integrations."""


@tokens.command("create")
@click.argument("name")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    metavar="SCOPE",
    help="What the token may do (repeat for several): "
    "credentials:issue, credentials:status, assessments:write, verify, scim, read.",
)
@click.option(
    "--expires",
    "expires_days",
    type=int,
    metavar="DAYS",
    help="Days until the token stops working (default: never; revoke it when done).",
)
def tokens_create(name: str, scopes: tuple[str, ...], expires_days: int | None) -> None:
    """Create an API token and print only the token (once: it is stored hashed)."""
    from passport.accounts.tokens import create_token

    services = load_services()
    try:
        with services.session() as session:
            token = create_token(
                session,
                name,
                scopes=scopes,
                expires_days=expires_days,
                actor="cli",
                now=services.now(),
            )
    except PassportError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(token)


def _when(value: datetime | None, empty: str) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if value else empty


@tokens.command("list")
def tokens_list() -> None:
    """List the tokens: name, scopes, created, expires, last used, status (never the token)."""
    from passport.accounts.tokens import list_tokens

    services = load_services()
    with services.session() as session:
        rows = list_tokens(session, now=services.now())
    table = [("NAME", "SCOPES", "CREATED (UTC)", "EXPIRES", "LAST USED", "STATUS")]
    table += [
        (
            row.name,
            ",".join(row.scopes) or "-",
            _when(row.created_at, "-"),
            _when(row.expires_at, "never"),
            _when(row.last_used_at, "never"),
            row.status,
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]) - 1)]
    for line in table:
        cells = [cell.ljust(width) for cell, width in zip(line[:-1], widths, strict=True)]
        click.echo("  ".join([*cells, line[-1]]))


@tokens.command("revoke")
@click.argument("name")
def tokens_revoke(name: str) -> None:
    """Revoke an API token: its next request is refused (401)."""
    from passport.accounts.tokens import revoke_token

    services = load_services()
    try:
        with services.session() as session:
            changed = revoke_token(session, name, actor="cli", now=services.now())
    except PassportError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"revoked {name.strip()}" if changed else f"{name.strip()} was already revoked")
