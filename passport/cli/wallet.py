"""``passport wallet``: badges for wallet apps (docs/wallets/).

``passport wallet offer --credential ID [--tx-code]`` prints one line, an OpenID4VCI credential
offer (``openid-credential-offer://?credential_offer_uri=…``, pre-authorized code flow) valid
for ten minutes and once. With ``--tx-code`` the six-digit transaction code is e-mailed to the
badge's holder only, never printed. Exit 2 (with ``Error: … [code]``) for an unknown, revoked,
suspended or expired badge.
"""

from __future__ import annotations

import sys

import click

from passport.cli.common import EXIT_BAD_INPUT, cli, load_services
from passport.errors import PassportError

__all__: list[str] = []


@cli.group()
def wallet() -> None:
    """Badges for wallet apps (OpenID4VCI)."""


@wallet.command("offer")
@click.option("--credential", "credential_id", required=True, help="The badge's id (urn:uuid:…).")
@click.option(
    "--tx-code",
    "tx_code",
    is_flag=True,
    help="Also require a six-digit transaction code, e-mailed to the holder only.",
)
def offer(credential_id: str, tx_code: bool) -> None:
    """Print a one-time OpenID4VCI credential offer URI for a badge (valid ten minutes)."""
    from passport.wallets.oid4vci import create_offer

    services = load_services()
    try:
        with services.session() as session:
            created = create_offer(
                session,
                services,
                credential_id=credential_id,
                actor="cli",
                with_tx_code=tx_code,
                now=services.now(),
            )
    except PassportError as exc:
        click.echo(f"Error: {exc.message} [{exc.code}]", err=True)
        sys.exit(EXIT_BAD_INPUT)
    click.echo(created.deep_link)
