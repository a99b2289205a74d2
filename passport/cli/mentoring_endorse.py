"""``passport endorse``: a mentor's endorsement of a badge, signed and attached (issue #21),
and ``passport mentors set-did``: the mentor's own did:key.

``endorse --comment`` calls :func:`passport.mentoring.endorsements.endorse_badge` (the service
signs under the mentor's did:web); ``endorse --signed FILE`` calls
:func:`~passport.mentoring.endorsements.submit_signed_endorsement` (the mentor signed it with
their own did:key). Both print the stored EndorsementCredential (JSON, Data Integrity).
Refusals (unknown badge or mentor, not a mentor, the holder endorsing their own badge, a badge
no longer current, a signed endorsement that does not hold) exit 2 with one sentence.
"""

from __future__ import annotations

import sys
from typing import BinaryIO

import click

from issuer import IssuerError
from keys.errors import KeysError
from passport.cli.common import EXIT_BAD_INPUT, cli, load_services
from passport.cli.mentors import mentors
from passport.errors import PassportError

__all__: list[str] = []

#: A signed endorsement read from a file: far more than any endorsement needs.
MAX_SIGNED_BYTES = 256 * 1024


@cli.command("endorse")
@click.option("--credential", "credential_id", required=True, help="The badge's credential id.")
@click.option("--mentor", required=True, help="The endorsing mentor's (or admin's) e-mail.")
@click.option("--comment", help="What the mentor vouches for (1-2,000 chars).")
@click.option(
    "--signed",
    type=click.File("rb"),
    help="An EndorsementCredential the mentor signed with their registered did:key (JSON).",
)
def endorse(credential_id: str, mentor: str, comment: str | None, signed: BinaryIO | None) -> None:
    """Endorse a badge for a mentor: print the signed endorsement and re-issue the badge."""
    from passport.mentoring.endorsements import (
        endorse_badge,
        endorser_named,
        submit_signed_endorsement,
    )

    if (comment is None) == (signed is None):
        raise click.UsageError("give either --comment TEXT or --signed FILE")
    data = signed.read(MAX_SIGNED_BYTES + 1) if signed is not None else b""
    if len(data) > MAX_SIGNED_BYTES:
        click.echo("Error: the signed endorsement file is too large. [too_large]", err=True)
        sys.exit(EXIT_BAD_INPUT)
    services = load_services()
    try:
        with services.session() as session:
            if signed is not None:
                row = submit_signed_endorsement(
                    session,
                    services,
                    credential_id=credential_id,
                    mentor=endorser_named(session, mentor),
                    submitted=data,
                    now=services.now(),
                    actor="cli",
                )
            else:
                assert comment is not None
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


@mentors.command("set-did")
@click.option("--email", required=True, help="The mentor's (or admin's) e-mail.")
@click.option("--did", help="Their own Ed25519 did:key (did:key:z6Mk…).")
@click.option("--clear", is_flag=True, help="Forget the registered did:key.")
def mentors_set_did(email: str, did: str | None, clear: bool) -> None:
    """Register (or --clear) the did:key a mentor signs their own endorsements with."""
    from passport.mentoring.endorsements import endorser_named, set_mentor_did

    if clear == (did is not None):
        raise click.UsageError("give either --did DID or --clear")
    services = load_services(require_secrets=False)
    try:
        with services.session() as session:
            profile = set_mentor_did(
                session,
                services,
                endorser_named(session, email),
                did,
                actor="cli",
                now=services.now(),
            )
            registered = profile.did
    except PassportError as exc:
        raise click.ClickException(f"{exc.message} [{exc.code}]") from exc
    if registered:
        click.echo(f"{email}: endorser did:key set to {registered}")
    else:
        click.echo(f"{email}: no endorser did:key registered")
