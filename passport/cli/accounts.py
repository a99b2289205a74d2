"""Commands for accounts: ``users create``, ``users mfa-off`` and ``tokens create``."""

from __future__ import annotations

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


@users.command("mfa-off")
@click.argument("email")
def users_mfa_off(email: str) -> None:
    """Turn off EMAIL's two-factor sign-in (lost phone and recovery codes), so they can log in
    with their password and enrol again."""
    from sqlalchemy import select

    from passport.accounts.mfa import disable_totp_for, has_totp
    from passport.accounts.models import User
    from verifier import normalize_email

    services = load_services()
    with services.session() as session:
        user = session.scalar(select(User).where(User.email == normalize_email(email)))
        if user is None:
            raise click.ClickException(f"No user has the e-mail {email}.")
        if not has_totp(user):
            click.echo(f"{user.email} has no two-factor sign-in")
            return
        disable_totp_for(session, user, actor="cli", now=services.now())
        click.echo(f"two-factor sign-in turned off for {user.email}")


@cli.group()
def tokens() -> None:
    """API tokens for integrations."""


@tokens.command("create")
@click.argument("name")
def tokens_create(name: str) -> None:
    """Create an API token and print it once."""
    from passport.accounts.tokens import create_token

    services = load_services()
    with services.session() as session:
        token = create_token(session, name, actor="cli")
    click.echo(token)
