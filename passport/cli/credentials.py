"""Commands for credentials: ``issue``, ``credentials``, ``export``, ``revoke`` / ``suspend`` /
``reinstate``, ``holders set-did`` and the ``keys`` group.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from sqlalchemy import select

from issuer import DEFAULT_JWT_ALG, JWT_ALGS, IssuerError
from keys.errors import KeysError
from passport.cli.common import (
    cli,
    load_services,
    parse_time,
    proof_format_option,
)
from passport.errors import PassportError

__all__: list[str] = []


@cli.command()
@click.option("--achievement", "achievement_id", help="Achievement id (an admin award).")
@click.option("--recipient", help="Recipient e-mail address (an admin award).")
@click.option(
    "--assessment",
    "assessment_id",
    type=int,
    help="Print the badge a passing assessment earned (instead of an admin award).",
)
@proof_format_option
@click.option(
    "--alg",
    type=click.Choice(JWT_ALGS),
    default=None,
    help=f"VC-JWT signing algorithm (--format jwt only; default {DEFAULT_JWT_ALG}).",
)
@click.option(
    "--suspendable",
    is_flag=True,
    help="Give the badge a suspension status entry too (a second credentialStatus entry).",
)
@click.option(
    "--suite",
    type=click.Choice(["eddsa-rdfc-2022", "ecdsa-rdfc-2019"]),
    default="eddsa-rdfc-2022",
    show_default=True,
    help="The Data Integrity suite (--format di): Ed25519, or ECDSA with the issuer's P-256 key.",
)
@click.option(
    "--reason",
    default="issued by an administrator from the command line",
    show_default=True,
    help="Why this award is made without an assessment (kept in the audit log).",
)
def issue(
    achievement_id: str | None,
    recipient: str | None,
    assessment_id: int | None,
    proof_format: str,
    alg: str | None,
    suspendable: bool,
    suite: str,
    reason: str,
) -> None:
    """Issue a badge and print the credential as signed.

    Without --assessment this is an administrator's award: it needs a reason, which the audit
    log keeps. A badge has one credentialStatus entry (revocation) unless --suspendable asks
    for a suspension entry as well.
    """
    from passport.assessments.models import Assessment
    from passport.credentials.issuing import IssueRequest, issue_credential
    from passport.credentials.models import IssuedCredential

    if assessment_id is None and not (achievement_id and recipient):
        raise click.UsageError("give --achievement and --recipient, or --assessment ID")
    if assessment_id is not None and (alg or suspendable or suite != "eddsa-rdfc-2022"):
        raise click.UsageError(
            "--alg, --suite and --suspendable are for a new award, not --assessment"
        )
    services = load_services()
    try:
        with services.session() as session:
            if assessment_id is not None:
                assessment = session.get(Assessment, assessment_id)
                if assessment is None:
                    raise click.ClickException(f"No assessment {assessment_id}.")
                if not assessment.passed or assessment.credential_id is None:
                    raise click.ClickException(
                        f"Assessment {assessment_id} did not pass, so it earned no badge."
                    )
                stored = session.get(IssuedCredential, assessment.credential_id)
                assert stored is not None  # foreign key
                content = stored.content
            else:
                assert achievement_id is not None and recipient is not None
                record = issue_credential(
                    session,
                    services,
                    IssueRequest(
                        achievement_id,
                        recipient,
                        proof_format,
                        reason,
                        actor="cli",
                        alg=alg,
                        suspendable=suspendable,
                        suite=suite,
                    ),
                    now=services.now(),
                )
                content = record.content
    except (PassportError, IssuerError, KeysError) as exc:
        raise click.ClickException(f"{exc.message} [{exc.code}]") from exc
    click.echo(content.decode("utf-8"))


@cli.command()
@click.option("--holder", help="Only this learner's credentials (e-mail).")
@click.option("--json", "as_json", is_flag=True, help="A JSON array of them exactly as issued.")
def credentials(holder: str | None, as_json: bool) -> None:
    """List issued credentials (id, learner, achievement, format, issued)."""
    from passport.credentials.models import Holder, IssuedCredential
    from verifier import normalize_email

    services = load_services(require_secrets=False)
    with services.session() as session:
        query = (
            select(IssuedCredential, Holder.email)
            .join(Holder)
            .order_by(IssuedCredential.issued_at, IssuedCredential.id)
        )
        if holder:
            query = query.where(Holder.email == normalize_email(holder))
        rows = session.execute(query).all()
        if as_json:
            items = [
                c.content.decode("ascii") if c.proof_format == "vc-jwt" else json.loads(c.content)
                for c, _ in rows
            ]
            click.echo(json.dumps(items, ensure_ascii=False, indent=2))
            return
        for c, email in rows:
            click.echo(
                f"{c.id}\t{email}\t{c.achievement_id}\t{c.proof_format}\t{c.issued_at.isoformat()}"
            )


EXPORT_FORMATS = ("json", "png", "svg", "clr", "clr-png", "clr-svg", "vp")
_BINARY_FORMATS = ("png", "svg", "clr-png", "clr-svg")
_UNSIGNED_VP_NOTE = (
    "This presentation is UNSIGNED: the service never holds your private key. To prove it is "
    "yours, sign it with your own did:key (passport export --format vp --holder-key FILE)."
)


@cli.command()
@click.option("--holder", required=True, help="The learner's e-mail.")
@click.option(
    "--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="json", show_default=True
)
@click.option(
    "--credential",
    "credential_ids",
    multiple=True,
    help="Only this badge (credential id); repeat for several. Default: every badge.",
)
@click.option(
    "--holder-key",
    type=click.Path(exists=True, dir_okay=False),
    help="vp: sign as the learner with this Ed25519 key (PKCS#8 PEM or JWK); never stored.",
)
@click.option("--challenge", help="vp: the verifier's challenge (needs --holder-key).")
@click.option("--domain", help="vp: the verifier's domain (needs --holder-key).")
@click.option(
    "-o",
    "--output",
    type=click.Path(),
    help="File (json, clr, vp: default stdout; clr-png, clr-svg) or folder (png, svg).",
)
def export(
    holder: str,
    fmt: str,
    credential_ids: tuple[str, ...],
    holder_key: str | None,
    challenge: str | None,
    domain: str | None,
    output: str | None,
) -> None:
    """Export a learner's passport: the badges as issued (json), one baked image per badge
    (png, svg), a signed CLR 2.0 (clr, or baked into clr-png / clr-svg artwork), or a
    Verifiable Presentation (vp; signed only with the learner's own key)."""
    from passport.credentials.exports import (
        baked_image,
        export_clr,
        export_clr_png,
        export_clr_svg,
        export_json,
        export_vp,
        select_credentials,
    )
    from passport.credentials.holders import find_holder, read_holder_key

    if fmt != "vp" and (holder_key or challenge or domain):
        raise click.UsageError("--holder-key, --challenge and --domain are for --format vp")
    if fmt in _BINARY_FORMATS and not output:
        kind = "a folder" if fmt in ("png", "svg") else "a file"
        raise click.UsageError(f"{fmt} exports need -o with {kind}")
    # Signing a CLR needs the organisation's key store; the other exports only read.
    services = load_services(require_secrets=fmt.startswith("clr"))
    try:
        key = read_holder_key(Path(holder_key).read_bytes()) if holder_key else None
        with services.session() as session:
            learner = find_holder(session, holder)
            records = select_credentials(session, learner, credential_ids or None)
            if fmt in ("png", "svg"):
                folder = Path(output or ".")
                folder.mkdir(parents=True, exist_ok=True)
                for record in records:
                    name = f"{record.achievement_id}-{record.id.rsplit(':', 1)[-1][:8]}.{fmt}"
                    (folder / name).write_bytes(baked_image(session, record, fmt))
                click.echo(f"wrote {len(records)} baked {fmt.upper()} badges to {folder}")
                return
            if fmt == "json":
                data = export_json(records, holder=holder)
            elif fmt == "clr":
                data = export_clr(services, session, learner, records)
            elif fmt == "clr-png":
                data = export_clr_png(services, session, learner, records)
            elif fmt == "clr-svg":
                data = export_clr_svg(services, session, learner, records)
            else:
                data = export_vp(
                    session, learner, records, holder_key=key, challenge=challenge, domain=domain
                )
    except (PassportError, IssuerError) as exc:
        raise click.ClickException(f"{exc.message} [{exc.code}]") from exc
    if fmt == "vp" and key is None:
        click.echo(_UNSIGNED_VP_NOTE, err=True)
    if output:
        Path(output).write_bytes(data)
        click.echo(f"wrote {output} ({len(records)} credentials chosen, {len(data)} bytes)")
    else:
        click.echo(data.decode("utf-8"))


@cli.group()
def holders() -> None:
    """Learners as holders: the did:key a learner registers for their presentations."""


@holders.command("set-did")
@click.option("--email", required=True, help="The learner's e-mail.")
@click.option("--did", help="Their Ed25519 did:key (did:key:z6Mk…).")
@click.option("--clear", is_flag=True, help="Forget the registered did:key.")
def holders_set_did(email: str, did: str | None, clear: bool) -> None:
    """Register (or --clear) the did:key a learner's presentations name as holder."""
    from passport.credentials.holders import set_holder_did

    if clear == (did is not None):
        raise click.UsageError("give either --did DID or --clear")
    services = load_services(require_secrets=False)
    try:
        with services.session() as session:
            learner = set_holder_did(session, email, did, actor="cli", now=services.now())
            registered = learner.did
    except PassportError as exc:
        raise click.ClickException(f"{exc.message} [{exc.code}]") from exc
    if registered:
        click.echo(f"{email}: holder did:key set to {registered}")
    else:
        click.echo(f"{email}: no holder did:key registered")


@cli.group()
def keys() -> None:
    """Signing keys: list them, print the JWKS or the DID document."""


@keys.command("list")
def keys_list() -> None:
    """One line per key: kid, algorithm, status, created."""
    from passport.credentials.models import SigningKeyRecord

    services = load_services()
    with services.session() as session:
        for row in session.scalars(select(SigningKeyRecord).order_by(SigningKeyRecord.created_at)):
            click.echo(f"{row.kid}\t{row.alg}\t{row.status}\t{row.created_at.isoformat()}")


@keys.command("upgrade")
def keys_upgrade() -> None:
    """Re-encrypt key files still in an older, weaker form (scrypt + AES-GCM)."""
    from keys.errors import KeysError
    from passport.credentials.keyring import upgrade_key_files

    services = load_services()
    try:
        rewritten = upgrade_key_files(services)
    except (PassportError, KeysError) as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"re-encrypted {len(rewritten)} key file(s)")
    for kid in rewritten:
        click.echo(kid)


def _own_documents() -> Any:

    services = load_services()
    try:
        with services.session() as session:
            return services.own_issuer_documents(session)
    except PassportError as exc:
        raise click.ClickException(exc.message) from exc


@keys.command("jwks")
def keys_jwks() -> None:
    """Print the issuer's JWKS."""
    click.echo(json.dumps(_own_documents().jwks, indent=2))


@keys.command("did")
def keys_did() -> None:
    """Print the issuer's did:web DID document."""
    click.echo(json.dumps(_own_documents().did_document, indent=2))


def _status_command(action: str):  # type: ignore[no-untyped-def]
    @click.argument("credential_id")
    @click.option("--reason", required=True, help="Why (kept in the audit log).")
    def command(credential_id: str, reason: str) -> None:
        from passport.credentials.status import change_status

        services = load_services()
        try:
            with services.session() as session:
                change = change_status(
                    session,
                    services,
                    credential_id,
                    action,
                    reason=reason,
                    actor="cli",
                    now=services.now(),
                )
        except (PassportError, IssuerError, KeysError) as exc:
            raise click.ClickException(f"{exc.message} [{exc.code}]") from exc
        done = {"revoke": "revoked", "suspend": "suspended", "reinstate": "reinstated"}[action]
        click.echo(f"{done} {change.credential_id}" + ("" if change.changed else " (no change)"))

    command.__doc__ = {
        "revoke": "Revoke a credential (permanent); its status list is re-signed at once.",
        "suspend": "Suspend a credential until it is reinstated.",
        "reinstate": "Lift a suspension.",
    }[action]
    return command


for _action in ("revoke", "suspend", "reinstate"):
    cli.command(_action)(_status_command(_action))


@keys.command("rotate")
@click.option(
    "--alg",
    type=click.Choice(["EdDSA", "ES256", "RS256"]),
    default=None,
    help="Rotate only this algorithm's key (default: every active key).",
)
def keys_rotate(alg: str | None) -> None:
    """Make new active keys; the old ones stay published (retired) so old badges verify."""
    from passport.credentials.keyring import rotate_keys

    services = load_services()
    with services.session() as session:
        for old, new in rotate_keys(session, services, alg=alg, now=services.now()):
            click.echo(f"retired {old} -> active {new}")


@keys.command("compromise")
@click.argument("kid")
@click.option("--at", "at_text", help="When it was compromised (ISO 8601; default: now).")
def keys_compromise(kid: str, at_text: str | None) -> None:
    """Mark a key compromised: what it signed after that time fails; earlier shows a warning."""
    from passport.credentials.keyring import mark_compromised

    services = load_services()
    at = parse_time(at_text) or services.now()
    try:
        with services.session() as session:
            replacement = mark_compromised(session, services, kid, at=at, now=services.now())
    except PassportError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(
        f"compromised {kid} at {at.isoformat()}"
        + (f"; new key {replacement}" if replacement else "")
    )


@keys.command("bundle")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="File (default: stdout).")
def keys_bundle(output: str | None) -> None:
    """Export DID documents, JWKS and signed status lists for offline verification."""
    from passport.credentials.keyring import offline_bundle

    services = load_services()
    with services.session() as session:
        bundle = offline_bundle(session, services)
    text = json.dumps(bundle, ensure_ascii=False, indent=2)
    if output:
        Path(output).write_text(text + "\n", encoding="utf-8")
        click.echo(f"wrote {output}")
    else:
        click.echo(text)
