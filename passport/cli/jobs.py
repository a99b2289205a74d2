"""Commands for work outside requests: ``worker`` (runs queued jobs, e-mail and schedules) and
``jobs`` (list, show, retry, cancel)."""

from __future__ import annotations

import json
import logging
import sys

import click

from passport.cli.common import cli, load_services

__all__: list[str] = []


@cli.command()
@click.option(
    "--threads",
    type=click.IntRange(1, 32),
    default=1,
    show_default=True,
    help="Tasks run at once in this process (e-mail waits on the network; issuing needs a "
    "core: start one worker process per core for bulk issuance).",
)
@click.option(
    "--no-scheduler",
    is_flag=True,
    help="Run no minute tick here (the schedules run once per slot whatever the number of "
    "workers; this only saves the tick).",
)
@click.option("--once", is_flag=True, help="Run what is due now, then exit (cron, tests).")
def worker(threads: int, no_scheduler: bool, once: bool) -> None:
    """Run queued jobs, e-mail and schedules until stopped: SIGTERM lets the tasks under way
    finish (a process manager's stop), SIGINT (Ctrl-C) stops at once — a part cut short is
    run again by the next worker after its lease, and issues no row twice."""
    from passport.jobs.queue import queue_for
    from passport.jobs.runner import tick

    services = load_services()
    queue = queue_for(services)
    logging.getLogger().setLevel(logging.INFO)
    if once:
        tick(services, queue)
        ran = queue.run_pending()
        click.echo(f"ran {ran} tasks")
        return
    broker = "Redis" if services.settings.redis_url else "the SQLite queue in the instance folder"
    click.echo(f"worker: {threads} thread(s), queue {services.settings.queue_name!r} on {broker}")
    consumer = queue.huey.create_consumer(
        workers=threads,
        worker_type="thread",
        periodic=not no_scheduler,
        # SQLite is polled: look again within half a second; Redis blocks until a message.
        initial_delay=0.05,
        backoff=1.5,
        max_delay=0.5,
        check_worker_health=True,
        # SIGTERM is what systemd, Docker and `passport serve` send to stop a worker: let the
        # part under way finish rather than leave it to the reaper.
        graceful_signal="TERM",
    )
    consumer.run()


@cli.group()
def jobs() -> None:
    """Jobs (bulk issuance) and e-mail the workers run: list, show, retry, cancel."""


@jobs.command("list")
@click.option("--failed", is_flag=True, help="Only failed jobs and e-mail.")
def list_jobs(failed: bool) -> None:
    """The newest jobs, and the e-mail that could not be sent."""
    from passport.jobs.admin import failed_notifications, recent_jobs

    services = load_services()
    with services.session() as session:
        for job in recent_jobs(session, failed_only=failed):
            click.echo(
                f"{job.id}  {job.kind}  {job.status}  {job.created_at:%Y-%m-%d %H:%M}  "
                f"{job.created_by}" + (f"  {job.error}" if job.error else "")
            )
        for mail in failed_notifications(session):
            click.echo(f"mail {mail.id}  {mail.kind}  failed  {mail.to}  {mail.last_error}")


@jobs.command("show")
@click.argument("job_id")
def show_job(job_id: str) -> None:
    """A job as JSON (the API's shape)."""
    from passport.jobs.admin import get_job
    from passport.jobs.bulk import job_view

    services = load_services()
    with services.session() as session:
        job = get_job(session, job_id)
        if job is None:
            raise click.ClickException(f"No job {job_id!r}.")
        click.echo(json.dumps(job_view(session, job, now=services.now()), indent=2))


@jobs.command("retry")
@click.argument("target")
def retry(target: str) -> None:
    """Run a failed job's failed parts again, or send a failed e-mail again (``mail:ID``)."""
    from passport.jobs.notify import retry_notification
    from passport.jobs.queue import queue_for
    from passport.jobs.runner import retry_job

    services = load_services()
    if target.startswith("mail:"):
        with services.session() as session:
            ok = retry_notification(session, int(target.removeprefix("mail:")))
    else:
        ok = retry_job(services, queue_for(services), target)
    if not ok:
        click.echo(f"{target} is not a failed job or e-mail.", err=True)
        sys.exit(1)
    click.echo(f"{target} queued again")


@jobs.command("cancel")
@click.argument("job_id")
def cancel(job_id: str) -> None:
    """Stop a job: parts not begun are cancelled, running ones after their current batch."""
    from passport.jobs.runner import cancel_job

    if not cancel_job(load_services(), job_id):
        click.echo(f"{job_id} is not a running job.", err=True)
        sys.exit(1)
    click.echo(f"{job_id} cancelled")
