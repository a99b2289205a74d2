"""Commands for the instance as a whole: ``init``, ``serve``, ``demo``, ``backup``, ``restore``."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import click

from passport.cli.common import (
    cli,
    load_services,
    load_settings,
)
from passport.errors import PassportError

__all__: list[str] = []


@cli.command()
@click.option("--issuer-name", default="Skill Passport Demo Organisation", show_default=True)
def init(issuer_name: str) -> None:
    """Create or upgrade the database, keys, default issuer and starter catalog (idempotent)."""
    from passport.instance.setup import initialise

    result = initialise(load_services(), issuer_name=issuer_name)
    click.echo(f"issuer {result.issuer_did}" + (" (created)" if result.issuer_created else ""))
    for kid in result.keys_created:
        click.echo(f"created key {kid}")
    if result.achievements_added:
        click.echo(f"added {result.achievements_added} starter achievements")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, help="The port (default: PORT, else 5000).")
@click.option(
    "--no-worker",
    is_flag=True,
    help="Start no job worker beside the server (run `passport worker` yourself; until then "
    "bulk jobs and e-mail wait in the queue).",
)
def serve(host: str, port: int | None, no_worker: bool) -> None:
    """Serve the app with the development server (use gunicorn in production), with one
    `passport worker` beside it that runs the queued jobs and e-mail, stopped with it."""
    from passport.web.app import create_app

    settings = load_settings()
    try:
        app = create_app(settings)
    except PassportError as exc:
        raise click.ClickException(exc.message) from exc
    logging.getLogger().setLevel(logging.INFO)
    worker = None if no_worker else _start_worker()
    # SIGTERM (a process manager, `kill`) and SIGHUP (the terminal closed) end the server the
    # way Ctrl-C does, so the worker is stopped with it instead of being left behind.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    signal.signal(signal.SIGHUP, _exit_on_signal)
    try:
        app.run(host=host, port=port or settings.port, debug=False, use_reloader=False)
    finally:
        if worker is not None:
            _stop_worker(worker)


#: The command ``passport serve`` starts beside the server: ``passport worker``, run by this
#: interpreter (the same installation and environment, whatever the script's name or path).
WORKER_COMMAND = (sys.executable, "-c", "from passport.cli import main; main()", "worker")
#: How long a worker stopped with the server may finish its current task (then it is killed;
#: the reaper hands anything it cut short to the next worker).
WORKER_STOP_SECONDS = 30.0


def _exit_on_signal(signum: int, frame: object) -> None:
    sys.exit(0)


def _start_worker() -> subprocess.Popen[bytes]:
    """``passport worker`` as a child process with this process's environment: the same
    database and queue (the SQLite file in the instance folder unless PASSPORT_REDIS_URL), so
    `make run` runs jobs with no other service, through the code path production uses."""
    # A session of its own: Ctrl-C in the terminal reaches the server only, which then stops
    # the worker with SIGTERM (graceful: the task under way finishes) rather than SIGINT.
    # The command is a constant of ours (this interpreter, our module), not input.
    process = subprocess.Popen(  # noqa: S603
        WORKER_COMMAND, env=os.environ.copy(), start_new_session=True
    )
    click.echo(f"started a job worker (process {process.pid}); --no-worker to start none")
    return process


def _stop_worker(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (the worker finishes its current task and exits), then SIGKILL if it lingers
    or a second Ctrl-C says not to wait."""
    if process.poll() is not None:
        return
    click.echo("stopping the job worker (it finishes the task under way; Ctrl-C: now)")
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=WORKER_STOP_SECONDS)
    except (subprocess.TimeoutExpired, KeyboardInterrupt):
        process.kill()
        process.wait(timeout=10)


@cli.command()
def demo() -> None:
    """Load a realistic demo program: staff, 20 learners, 2 cohorts, assessments, badges,
    and two years of people events."""
    from passport.instance.demo import DEMO_PASSWORD, DOMAIN, load_demo

    try:
        result = load_demo(load_services())
    except PassportError as exc:
        raise click.ClickException(exc.message) from exc
    if not result.created:
        click.echo("The demo program is already loaded.")
        if result.people_events:
            click.echo(f"added {result.people_events} people events for the outcome measures")
        return
    click.echo(
        f"loaded {result.learners} learners, {result.assessments} assessments, "
        f"{result.badges} badges, {result.people_events} people events"
    )
    click.echo(
        f"log in as admin@{DOMAIN} (or ana.assessor@, mo.mentor@, hiring.manager@, "
        f"ada.lovelace@{DOMAIN})"
    )
    click.echo(f"with the demo password: {DEMO_PASSWORD}")


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

    services = load_services()
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

    services = load_services()
    try:
        result = restore_backup(services, archive, force=force)
    except PassportError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(
        f"restored revision {result.revision}: {result.tables} tables, {result.rows} rows, "
        f"{result.keys} keys"
    )
