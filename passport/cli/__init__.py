"""The ``passport`` command: set up an instance, issue, verify, and manage keys and tokens.

Exit codes of ``passport verify``: 0 every input verified, 1 some input was read but is not
verified, 2 some input could not be read at all (missing file, not a credential) or bad usage.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from sqlalchemy import inspect, select

from issuer import IssuerError
from keys.errors import KeysError
from passport.errors import PassportError
from passport.services import Services
from passport.settings import Settings

__all__ = ["main"]

EXIT_VERIFIED, EXIT_NOT_VERIFIED, EXIT_BAD_INPUT = 0, 1, 2
_MARK = {"passed": "ok  ", "failed": "FAIL", "could_not_check": "??  "}
_LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"


def _settings(require_secrets: bool = True) -> Settings:
    """The settings from the environment, with logging configured (redaction included)."""
    from passport.logs import configure_logging

    try:
        settings = Settings.from_env(require_secrets=require_secrets)
    except PassportError as exc:
        raise click.ClickException(exc.message) from exc
    # PASSPORT_LOG_FORMAT=json, and redaction of secrets and tokens either way.
    configure_logging(
        settings.log_format,
        secrets=(settings.secret_key, settings.key_passphrase),
        level=logging.getLevelName(logging.getLogger().getEffectiveLevel()),
        text_format=_LOG_FORMAT,
    )
    return settings


def _services(require_secrets: bool = True) -> Services:
    """What the use cases need (never the Flask app), closed when the command ends."""
    settings = _settings(require_secrets)
    try:
        services = Services.from_settings(settings)
    except PassportError as exc:
        raise click.ClickException(exc.message) from exc
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


@cli.command()
@click.option("--issuer-name", default="Skill Passport Demo Organisation", show_default=True)
def init(issuer_name: str) -> None:
    """Create or upgrade the database, keys, default issuer and starter catalog (idempotent)."""
    from passport.instance.setup import initialise

    result = initialise(_services(), issuer_name=issuer_name)
    click.echo(f"issuer {result.issuer_did}" + (" (created)" if result.issuer_created else ""))
    for kid in result.keys_created:
        click.echo(f"created key {kid}")
    if result.achievements_added:
        click.echo(f"added {result.achievements_added} starter achievements")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Serve the app with the development server (use gunicorn in production)."""
    from passport.web.app import create_app

    try:
        app = create_app(_settings())
    except PassportError as exc:
        raise click.ClickException(exc.message) from exc
    logging.getLogger().setLevel(logging.INFO)
    app.run(host=host, port=port, debug=False, use_reloader=False)


@cli.command()
@click.option("--achievement", "achievement_id", help="Achievement id (an admin award).")
@click.option("--recipient", help="Recipient e-mail address (an admin award).")
@click.option(
    "--assessment",
    "assessment_id",
    type=int,
    help="Print the badge a passing assessment earned (instead of an admin award).",
)
@click.option(
    "--format",
    "proof_format",
    type=click.Choice(["di", "jwt"]),
    default="di",
    show_default=True,
    help="di: JSON with a Data Integrity eddsa-rdfc-2022 proof; jwt: VC-JWT (ES256).",
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
    reason: str,
) -> None:
    """Issue a badge and print the credential as signed.

    Without --assessment this is an administrator's award: it needs a reason, which the audit
    log keeps.
    """
    from passport.assessments.models import Assessment
    from passport.credentials.issuing import IssueRequest, issue_credential
    from passport.credentials.models import IssuedCredential

    if assessment_id is None and not (achievement_id and recipient):
        raise click.UsageError("give --achievement and --recipient, or --assessment ID")
    services = _services()
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
                    IssueRequest(achievement_id, recipient, proof_format, reason, actor="cli"),
                    now=services.now(),
                )
                content = record.content
    except (PassportError, IssuerError, KeysError) as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(content.decode("utf-8"))


@cli.command()
def demo() -> None:
    """Load a realistic demo program: staff, 20 learners, 2 cohorts, assessments, badges."""
    from passport.instance.demo import DEMO_PASSWORD, DOMAIN, load_demo

    result = load_demo(_services())
    if not result.created:
        click.echo("The demo program is already loaded.")
        return
    click.echo(
        f"loaded {result.learners} learners, {result.assessments} assessments, "
        f"{result.badges} badges"
    )
    click.echo(f"log in as admin@{DOMAIN} (or ana.assessor@, mo.mentor@, ada.lovelace@{DOMAIN})")
    click.echo(f"with the demo password: {DEMO_PASSWORD}")


@cli.command()
@click.option("--holder", help="Only this learner's credentials (e-mail).")
@click.option("--json", "as_json", is_flag=True, help="A JSON array of them exactly as issued.")
def credentials(holder: str | None, as_json: bool) -> None:
    """List issued credentials (id, learner, achievement, format, issued)."""
    from passport.credentials.models import Holder, IssuedCredential
    from verifier import normalize_email

    services = _services(require_secrets=False)
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
    services = _services(require_secrets=fmt.startswith("clr"))
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
    services = _services(require_secrets=False)
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
    services = _services()
    try:
        with services.session() as session:
            user = create_user(
                session, email=email, name=name, role=role, password=password, actor="cli"
            )
            click.echo(f"created {user.role} {user.email}")
    except PassportError as exc:
        raise click.ClickException(exc.message) from exc


@cli.command()
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--assessor", required=True, help="Who assessed (kept with every assessment).")
@click.option("--dry-run", is_flag=True, help="Only check the rows; issue nothing.")
@click.option("--format", "proof_format", type=click.Choice(["di", "jwt"]), default="di")
def bulk(csv_file: str, assessor: str, dry_run: bool, proof_format: str) -> None:
    """Record assessment results from a CSV file; passing rows earn badges (idempotent)."""
    from passport.assessments.bulk import commit_rows, preview_csv

    services = _services()
    data = Path(csv_file).read_bytes()
    try:
        with services.session() as session:
            preview = preview_csv(session, data)
    except PassportError as exc:
        raise click.ClickException(exc.message) from exc
    for error in preview.errors:
        click.echo(f"row {error.row}: {error.message} [{error.code}]", err=True)
    click.echo(
        f"{len(preview.rows)} rows ready ({len(preview.already_imported)} already imported), "
        f"{len(preview.errors)} with errors"
    )
    if dry_run or not preview.rows:
        sys.exit(1 if preview.errors else 0)

    def progress(done: int, total: int) -> None:
        if done < total:  # the summary line below reports the end
            click.echo(f"{done} of {total} rows done", err=True)

    result = commit_rows(
        services,
        preview,
        assessor=assessor,
        now=services.now(),
        proof_format=proof_format,
        progress=progress,
    )
    for error in result.errors:
        click.echo(f"row {error.row}: {error.message} [{error.code}]", err=True)
    click.echo(
        f"issued {result.issued}, skipped {result.skipped} already imported, "
        f"{result.failed_assessments} below the required level, {len(result.errors)} failed"
    )
    sys.exit(1 if preview.errors or result.errors else 0)


def _parse_now(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise click.BadParameter("use an ISO 8601 date-time with a time zone") from exc
    if parsed.tzinfo is None:
        raise click.BadParameter("the date-time needs a time zone, e.g. 2030-01-01T00:00:00Z")
    return parsed


@cli.command()
@click.argument("files", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--now", "now_text", help="Verify as of this ISO 8601 time (default: now).")
@click.option("--recipient", help="Also check that the badge was issued to this e-mail.")
@click.option(
    "--offline", is_flag=True, help="Fetch nothing: foreign issuers' keys count as unknown."
)
@click.option(
    "--bundle",
    "bundle_file",
    type=click.Path(exists=True, dir_okay=False),
    help="An issuer's offline bundle (passport keys bundle): its keys and status lists.",
)
@click.option(
    "--job-family",
    "job_family",
    help="Also report fit for this job family: a JSON file, or an id in this instance's catalog.",
)
@click.option(
    "--trust-list",
    "trust_file",
    type=click.Path(dir_okay=False),
    help="A JSON trust list of issuers to trust (docs/trust-list.md); default PASSPORT_TRUST_LIST.",
)
def verify(
    files: tuple[str, ...],
    as_json: bool,
    now_text: str | None,
    recipient: str | None,
    offline: bool,
    bundle_file: str | None,
    job_family: str | None,
    trust_file: str | None,
) -> None:
    """Verify FILES ('-' for standard input): JSON, JWT, baked PNG/SVG, a presentation, a CLR or
    a passport export; each credential in a container is verified on its own.

    Exit 0 when everything verified, 1 when anything did not, 2 for unusable input.
    """
    from verifier.containers import ContainerReport
    from verifier.fit import fit
    from verifier.inputs import credential_reports, verify_any

    now = _parse_now(now_text)
    trust = _trust_list(trust_file)
    if bundle_file is not None:
        from passport.credentials.keyring import bundle_verifier
        from passport.db import utcnow

        try:
            verifier, clock = (
                bundle_verifier(Path(bundle_file).read_bytes(), offline=offline, trust_list=trust),
                utcnow,
            )
        except PassportError as exc:
            click.echo(f"{bundle_file}: {exc.message}", err=True)
            sys.exit(EXIT_BAD_INPUT)
    else:
        verifier, clock = _local_verifier(offline=offline, trust_list=trust)
    when = now or clock()
    family = _job_family(job_family) if job_family else None
    exit_code = EXIT_VERIFIED
    results: list[dict[str, Any]] = []
    every_report: list[Any] = []
    for name in files or ("-",):
        try:
            data = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
        except OSError as exc:
            click.echo(f"{name}: cannot read ({exc.strerror})", err=True)
            exit_code = max(exit_code, EXIT_BAD_INPUT)
            continue
        outcome = verify_any(verifier, data, now=when, recipient=recipient)
        reports = credential_reports(outcome)
        every_report.extend(reports)
        if outcome.verified:
            code = EXIT_VERIFIED
        elif isinstance(outcome, ContainerReport) or any(
            (r.check("format") or r.checks[0]).status == "passed" for r in reports
        ):
            code = EXIT_NOT_VERIFIED
        else:
            code = EXIT_BAD_INPUT
        exit_code = max(exit_code, code)
        if as_json:
            results.append({"source": name, **outcome.to_dict()})
        elif isinstance(outcome, ContainerReport):
            _print_container(name, outcome)
        else:
            _print_report(name, outcome)
    fit_report = fit(family, every_report, now=when) if family is not None else None
    if as_json:
        body: Any = results[0] if len(results) == 1 else results
        if fit_report is not None:
            body = {"results": results, "fit": fit_report.to_dict()}
        click.echo(json.dumps(body, indent=2))
    elif fit_report is not None:
        _print_fit(fit_report)
    sys.exit(exit_code)


def _trust_list(source: str | None) -> Any:
    """The trust list from ``--trust-list`` or ``PASSPORT_TRUST_LIST`` (None: trust only our
    own issuers). A file that is missing or malformed is bad input (exit 2)."""
    from verifier.errors import TrustListError
    from verifier.trust import load_trust_list

    path = source or Settings.from_env(require_secrets=False).trust_list_path
    if path is None:
        return None
    try:
        return load_trust_list(path)
    except TrustListError as exc:
        click.echo(f"{path}: {exc.message}" + (f" ({exc.hint})" if exc.hint else ""), err=True)
        sys.exit(EXIT_BAD_INPUT)


def _job_family(source: str) -> Any:
    """A job family from a JSON file, or by id from this instance's catalog."""
    from verifier.errors import FormatError
    from verifier.fit import parse_job_family
    from verifier.jsonparse import parse_json

    path = Path(source)
    try:
        if path.is_file():
            return parse_job_family(parse_json(path.read_bytes(), what="job family"))
        from passport.catalog.achievements import job_family_document
        from passport.catalog.models import JobFamily

        services = _services(require_secrets=False)
        with services.session() as session:
            row = session.get(JobFamily, source)
            if row is None:
                click.echo(f"{source}: no such job-family file or catalog id", err=True)
                sys.exit(EXIT_BAD_INPUT)
            document = job_family_document(row, public_url=services.settings.public_url)
        return parse_job_family(document)
    except FormatError as exc:
        click.echo(f"{source}: {exc.message}", err=True)
        sys.exit(EXIT_BAD_INPUT)


def _print_container(name: str, outcome: Any) -> None:
    verdict = "ALL VERIFIED" if outcome.verified else "NOT ALL VERIFIED"
    click.echo(f"{name}: {outcome.kind.replace('_', ' ')} — {verdict}")
    for check in outcome.checks:
        click.echo(f"  {_MARK[check.status]} {check.id:<16}{check.message}  [{check.code}]")
    for label, report in zip(outcome.labels, outcome.credentials, strict=True):
        _print_report(f"  {label}", report)


def _print_fit(report: Any) -> None:
    click.echo(f"Fit for {report.job_family.name}: " + ("met" if report.fits else "gaps"))
    for row in report.rows:
        shown = "—" if row.level is None else str(row.level)
        age = f", {row.age_days} days old" if row.age_days is not None else ""
        click.echo(
            f"  {row.status:<8}{row.requirement.skill_name:<32} needs {row.requirement.min_level}"
            f", shown {shown}{age}"
        )
    for credential, why in report.not_counted:
        click.echo(f"  not counted: {credential}: {why}")


def _print_report(name: str, report: Any) -> None:
    verdict = "VERIFIED" if report.verified else "NOT VERIFIED"
    title = ""
    if report.credential is not None:
        title = f" — {report.credential.name or report.credential.id}"
    click.echo(f"{name}: {verdict}{title}")
    for check in report.checks:
        click.echo(f"  {_MARK[check.status]} {check.id:<16}{check.message}  [{check.code}]")
        if check.hint:
            click.echo(f"       {'':<16}{check.hint}")
    for note in report.notes:
        click.echo(f"  note: {note}")


def _local_verifier(*, offline: bool, trust_list: Any = None):  # type: ignore[no-untyped-def]
    """A verifier that knows this instance's issuers, if there is an instance here.

    Needs no secrets: it reads only public keys. Without an instance database, the verifier
    runs from ``keys`` + ``verifier`` alone. ``offline`` swaps the safe fetcher for none;
    ``trust_list`` names the other issuers to trust.
    """
    from passport.db import utcnow
    from verifier import KeyResolver, NoNetwork, Verifier
    from verifier.fetch import FetchPolicy, SafeFetcher

    settings = Settings.from_env(require_secrets=False)
    fetcher = (
        NoNetwork()
        if offline
        else SafeFetcher(FetchPolicy(allow_loopback_http=not settings.is_production))
    )
    db_file = settings.instance_path / "passport.sqlite3"
    uses_default_sqlite = settings.database_url.endswith(str(db_file))
    if uses_default_sqlite and not db_file.exists():
        return Verifier(KeyResolver(fetcher=fetcher), trust_list=trust_list), utcnow
    # The trust list was read already (by the caller, from --trust-list or the environment).
    services = Services.from_settings(
        settings.with_overrides(trust_list_path=None), fetcher=fetcher
    )
    services.trust_list = trust_list
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.call_on_close(services.close)
    if not inspect(services.engine).has_table("issuers"):
        return Verifier(KeyResolver(fetcher=fetcher), trust_list=trust_list), utcnow
    with services.session() as session:
        return services.verifier(session), services.now


@cli.command("achievements")
def achievements() -> None:
    """List achievements: id, a tab, the name."""
    from passport.catalog.models import Achievement

    services = _services()
    with services.session() as session:
        for row in session.scalars(select(Achievement).order_by(Achievement.id)):
            click.echo(f"{row.id}\t{row.name}")


@cli.group()
def keys() -> None:
    """Signing keys: list them, print the JWKS or the DID document."""


@keys.command("list")
def keys_list() -> None:
    """One line per key: kid, algorithm, status, created."""
    from passport.credentials.models import SigningKeyRecord

    services = _services()
    with services.session() as session:
        for row in session.scalars(select(SigningKeyRecord).order_by(SigningKeyRecord.created_at)):
            click.echo(f"{row.kid}\t{row.alg}\t{row.status}\t{row.created_at.isoformat()}")


def _own_documents() -> Any:

    services = _services()
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

        services = _services()
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
            raise click.ClickException(exc.message) from exc
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

    services = _services()
    with services.session() as session:
        for old, new in rotate_keys(session, services, alg=alg, now=services.now()):
            click.echo(f"retired {old} -> active {new}")


@keys.command("compromise")
@click.argument("kid")
@click.option("--at", "at_text", help="When it was compromised (ISO 8601; default: now).")
def keys_compromise(kid: str, at_text: str | None) -> None:
    """Mark a key compromised: what it signed after that time fails; earlier shows a warning."""
    from passport.credentials.keyring import mark_compromised

    services = _services()
    at = _parse_now(at_text) or services.now()
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

    services = _services()
    with services.session() as session:
        bundle = offline_bundle(session, services)
    text = json.dumps(bundle, ensure_ascii=False, indent=2)
    if output:
        Path(output).write_text(text + "\n", encoding="utf-8")
        click.echo(f"wrote {output}")
    else:
        click.echo(text)


@cli.command()
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The archive to write (.tar.gz).",
)
def backup(output: Path) -> None:
    """Write the database and the key store (still encrypted) into one archive."""
    from passport.instance.backup import create_backup

    services = _services()
    try:
        result = create_backup(services, output, now=services.now())
    except PassportError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(
        f"wrote {result.path}: revision {result.revision}, {result.tables} tables, "
        f"{result.rows} rows, {result.keys} keys"
    )


@cli.command()
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that is not empty.")
def restore(archive: Path, force: bool) -> None:
    """Restore an archive from `passport backup` into this (empty) instance."""
    from passport.instance.backup import restore_backup

    services = _services()
    try:
        result = restore_backup(services, archive, force=force)
    except PassportError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(
        f"restored revision {result.revision}: {result.tables} tables, {result.rows} rows, "
        f"{result.keys} keys"
    )


@cli.group()
def tokens() -> None:
    """API tokens for integrations."""


@tokens.command("create")
@click.argument("name")
def tokens_create(name: str) -> None:
    """Create an API token and print it once."""
    from passport.accounts.tokens import create_token

    services = _services()
    with services.session() as session:
        token = create_token(session, name, actor="cli")
    click.echo(token)


def main() -> None:
    cli(prog_name="passport")
