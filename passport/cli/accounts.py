"""Commands for accounts: ``users create|list|set-role|deactivate|reactivate|delete|set-password|
mfa-off`` and ``tokens create|list|revoke``."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from passport.cli.common import (
    cli,
    load_services,
)
from passport.errors import PassportError
from passport.settings import ROLE_NAMES

__all__: list[str] = []


@cli.group()
def users() -> None:
    """People who log in: admins, assessors, mentors, hiring managers, analysts, learners."""


@users.command("create")
@click.option("--email", required=True)
@click.option("--name", default="")
@click.option("--role", type=click.Choice(ROLE_NAMES), required=True)
@click.option("--password", help="Initial password (asked for when omitted).")
@click.option(
    "--invite",
    is_flag=True,
    help="No password: e-mail the person a link to choose one (valid 72 hours; sent by "
    "`passport worker`).",
)
def users_create(email: str, name: str, role: str, password: str | None, invite: bool) -> None:
    """Create a user."""
    from passport.accounts.invitations import invite_user
    from passport.accounts.users import create_user

    if invite and password is not None:
        raise click.UsageError("Give --password or --invite, not both.")
    if password is None and not invite:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    services = load_services()
    if invite and not services.settings.password_login:
        raise click.UsageError(
            "Password login is off (PASSPORT_PASSWORD_LOGIN): people sign in through single "
            "sign-on, so there is no password to invite them to choose."
        )
    try:
        with services.session() as session:
            user = create_user(
                session, email=email, name=name, role=role, password=password, actor="cli"
            )
            invited = invite and invite_user(
                session, services, user, inviter_name="", now=services.now()
            )
            click.echo(f"created {user.role} {user.email}")
            if invited:
                click.echo(f"invitation to choose a password queued for {user.email}")
    except PassportError as exc:
        raise click.ClickException(exc.message) from exc


def _change_user(email: str, change: str, **options: object) -> str:
    """Run one lifecycle use case on the user with ``email``; returns the user's e-mail."""
    from passport.accounts import users as accounts

    services = load_services()
    try:
        with services.session() as session:
            user = accounts.user_by_email(session, email)
            now = services.now()
            if change == "role":
                accounts.update_user(
                    session,
                    user,
                    email=user.email,
                    name=user.name,
                    role=str(options["role"]),
                    actor="cli",
                    now=now,
                )
            elif change in ("deactivate", "reactivate"):
                accounts.set_user_active(
                    session, user, active=change == "reactivate", actor="cli", now=now
                )
            elif change == "delete":
                accounts.erase_user(
                    session,
                    user,
                    actor="cli",
                    now=now,
                    secret_key=services.settings.secret_key,
                )
            else:
                accounts.change_password(
                    session, user, str(options["password"]), actor="cli", now=now
                )
            return user.email
    except PassportError as exc:
        raise click.ClickException(exc.message) from exc


@users.command("list")
def users_list() -> None:
    """Every user: e-mail, role, status (active, deactivated, erased), name; tab-separated."""
    from passport.accounts.users import count_users, search_users

    services = load_services()
    with services.session() as session:
        rows = search_users(session, limit=count_users(session) or 1, offset=0)
        for user in rows:
            status = (
                "erased" if user.erased_at else "deactivated" if user.deactivated_at else "active"
            )
            click.echo(f"{user.email}\t{user.role}\t{status}\t{user.name}")


@users.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice(ROLE_NAMES))
def users_set_role(email: str, role: str) -> None:
    """Give a user another role (their open sessions end)."""
    click.echo(f"{_change_user(email, 'role', role=role)} is now {role}")


@users.command("deactivate")
@click.argument("email")
def users_deactivate(email: str) -> None:
    """Stop a user from logging in; their open sessions end at once."""
    click.echo(f"deactivated {_change_user(email, 'deactivate')}")


@users.command("reactivate")
@click.argument("email")
def users_reactivate(email: str) -> None:
    """Let a deactivated user log in again."""
    click.echo(f"reactivated {_change_user(email, 'reactivate')}")


@users.command("delete")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Confirm: the personal data is erased for good.")
def users_delete(email: str, yes: bool) -> None:
    """Erase a user's personal data (issued badges stay valid); needs --yes."""
    if not yes:
        raise click.UsageError(
            "Deleting erases the person's name, e-mail, password and sessions for good; "
            "add --yes to confirm."
        )
    pseudonym = _change_user(email, "delete")
    click.echo(f"erased {email.strip()}: the account is now {pseudonym}")


@users.command("set-password")
@click.argument("email")
def users_set_password(email: str) -> None:
    """Set a user's password (asked for twice); their open sessions end."""
    password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    click.echo(f"password changed for {_change_user(email, 'password', password=password)}")


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
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    metavar="SCOPE",
    help="What the token may do (repeat for several): "
    "credentials:issue, credentials:status, credentials:endorse, assessments:write, verify, "
    "scim, people:write, "
    "outcomes:read, roles:write, roles:read, read.",
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
