"""``passport verify``: anything someone hands us, as a per-check report or JSON.

Exit codes: 0 every input verified, 1 some input was read but is not verified, 2 some input
could not be read at all (missing file, not a credential) or bad usage.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from sqlalchemy import inspect

from passport.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_NOT_VERIFIED,
    EXIT_VERIFIED,
    cli,
    load_services,
    parse_time,
)
from passport.errors import PassportError
from passport.services import Services
from passport.settings import Settings

__all__: list[str] = []

_MARK = {"passed": "ok  ", "failed": "FAIL", "could_not_check": "??  "}


@cli.command()
@click.argument("files", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--now", "now_text", help="Verify as of this ISO 8601 time (default: now).")
@click.option("--recipient", help="Also check that the badge was issued to this e-mail.")
@click.option(
    "--challenge",
    help="The challenge you gave the holder: a presentation must be signed for it (no replay).",
)
@click.option("--domain", help="Your domain: a presentation must be signed for it.")
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
    challenge: str | None,
    domain: str | None,
    offline: bool,
    bundle_file: str | None,
    job_family: str | None,
    trust_file: str | None,
) -> None:
    """Verify FILES ('-' for standard input): JSON, JWT, baked PNG/SVG, a presentation, a CLR or
    a passport export; each credential in a container is verified on its own.

    Exit 0 when everything verified, 1 when anything did not, 2 for unusable input.
    """
    from verifier.fit import fit
    from verifier.inputs import verify_any

    now = parse_time(now_text)
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
        outcome = verify_any(
            verifier, data, now=when, recipient=recipient, challenge=challenge, domain=domain
        )
        reports = list(outcome.credentials)
        every_report.extend(reports)
        if outcome.verified:
            code = EXIT_VERIFIED
        elif outcome.is_container or any(
            (r.check("format") or r.checks[0]).status == "passed" for r in reports
        ):
            code = EXIT_NOT_VERIFIED
        else:
            code = EXIT_BAD_INPUT
        exit_code = max(exit_code, code)
        if as_json:
            results.append({"source": name, **outcome.to_dict()})
        elif outcome.is_container:
            _print_container(name, outcome)
        else:
            _print_report(name, outcome.credentials[0])
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

        services = load_services(require_secrets=False)
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
    if report.with_notes:
        verdict = "VERIFIED, WITH NOTES"
    title = ""
    if report.credential is not None:
        title = f" — {report.credential.name or report.credential.id}"
    click.echo(f"{name}: {verdict}{title}")
    for check in report.checks:
        click.echo(f"  {_MARK[check.status]} {check.id:<16}{check.message}  [{check.code}]")
        if check.hint:
            click.echo(f"       {'':<16}{check.hint}")
        for deviation in check.deviations:
            click.echo(f"       {'':<16}{deviation.path}: {deviation.message}  [{deviation.code}]")
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
