"""``passport endorse``: a mentor's endorsement of a badge, signed and attached (issue #21).

Parses, calls :func:`passport.mentoring.endorsements.endorse_badge`, prints the signed
EndorsementCredential (JSON, Data Integrity). Refusals (unknown badge or mentor, not a mentor,
the holder endorsing their own badge, a badge no longer current) exit 2 with one sentence.
"""

from __future__ import annotations

import sys

import click

from issuer import IssuerError
from keys.errors import KeysError
from passport.cli.common import EXIT_BAD_INPUT, cli, load_services
from passport.errors import PassportError

__all__: list[str] = []


@cli.command("endorse")
@click.option("--credential", "credential_id", required=True, help="The badge's credential id.")
@click.option("--mentor", required=True, help="The endorsing mentor's (or admin's) e-mail.")
@click.option("--comment", required=True, help="What the mentor vouches for (1-2,000 chars).")
def endorse(credential_id: str, mentor: str, comment: str) -> None:
    """Endorse a badge for a mentor: print the signed endorsement and re-issue the badge."""
    from passport.mentoring.endorsements import endorse_badge, endorser_named

    services = load_services()
    try:
        with services.session() as session:
            row = endorse_badge(
                session,
                services,
                credential_id=credential_id,
                mentor=endorser_named(session, mentor),
                comment=comment,
                now=services.now(),
                actor="cli",
            )
            content = row.content
    except (PassportError, IssuerError, KeysError) as exc:
        click.echo(f"Error: {exc.message} [{exc.code}]", err=True)
        sys.exit(EXIT_BAD_INPUT)
    click.echo(content.decode("utf-8"))
