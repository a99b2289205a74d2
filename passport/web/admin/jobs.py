"""Bulk issuance from a CSV, and the jobs the workers run: upload → preview → confirm → a job
page with a live progress bar; the list of recent and failed jobs and of e-mail that could not be
sent, with Retry for administrators.

Who may: the roles that record assessments (assessors, administrators) upload, confirm, follow
and cancel a bulk issuance — a bulk file is assessments recorded many at once. Retrying a
failed job or e-mail is for administrators.

The previewed file waits for the confirmation in the instance folder, named by its SHA-256
(:mod:`passport.jobs.uploads` says why): the confirm form carries only the hash, so what is
issued is exactly what was previewed, never what a browser sends back.
"""

from __future__ import annotations

from typing import Any

from flask import Response, flash, g, jsonify, redirect, render_template, request, url_for

from passport.assessments.bulk import preview_csv
from passport.credentials.issuing import DEFAULT_FORMAT, proof_format_named
from passport.errors import InvalidRequest, NotFound
from passport.jobs.admin import failed_notifications, get_job, recent_jobs
from passport.jobs.bulk import job_view, start_bulk
from passport.jobs.models import Job
from passport.jobs.notify import retry_notification
from passport.jobs.queue import queue_for
from passport.jobs.runner import cancel_job, retry_job
from passport.jobs.uploads import forget_upload, keep_upload, load_upload
from passport.web.admin.common import Page, actor_email, audit_event, bp
from passport.web.context import get_services
from passport.web.i18n import gettext as _
from passport.web.sessions import require_role

__all__: list[str] = []

#: Who may run a bulk issuance (the roles that record assessments; administrators pass all).
BULK_ROLES = ("assessor",)
#: Who may retry failed jobs and e-mail.
RETRY_ROLES = ("admin",)

ENDED = ("succeeded", "failed", "cancelled")
#: Row errors a page lists (a 10,000-row file with a wrong column could have 10,000); the
#: rest are counted, and the API lists them all.
SHOWN_ERRORS = 200


def _format_choices() -> list[dict[str, str]]:
    return [
        {"key": "data-integrity", "label": _("JSON with embedded proof (recommended)")},
        {"key": "vc-jwt", "label": _("Standard (works everywhere)")},
    ]


def _status_names() -> dict[str, str]:
    return {
        "queued": _("Waiting for a worker"),
        "running": _("Running"),
        "succeeded": _("Finished"),
        "failed": _("Failed"),
        "cancelled": _("Cancelled"),
    }


def _form(error: str | None = None, status: int = 200, proof: str = DEFAULT_FORMAT) -> Page:
    page = render_template(
        "admin/bulk.html",
        error=error,
        formats=_format_choices(),
        proof=proof,
        max_bytes=get_services().settings.max_request_bytes,
    )
    return page, status


def _proof() -> str:
    try:
        return proof_format_named(request.form.get("format", "").strip() or DEFAULT_FORMAT)
    except InvalidRequest as exc:
        raise InvalidRequest(
            _("Choose one of the badge formats offered."), code="bad_format"
        ) from exc


@bp.get("/bulk")
@require_role(*BULK_ROLES)
def bulk() -> Page:
    return _form()


@bp.post("/bulk")
@require_role(*BULK_ROLES)
def bulk_preview() -> Page:
    """Check every row and show what would happen; nothing is issued yet."""
    services = get_services()
    upload = request.files.get("file")
    try:
        proof = _proof()
        if upload is None or not upload.filename:
            raise InvalidRequest(_("Choose a CSV file to upload."), code="no_file")
        data = upload.read()
        if not data.strip():
            raise InvalidRequest(_("The file is empty."), code="empty_file")
        with services.session() as db:
            preview = preview_csv(db, data)
    except InvalidRequest as exc:
        return _form(exc.message, 400)
    digest = keep_upload(services.settings.instance_path, data, now=services.now())
    already = len(preview.already_imported)
    counts = {
        "rows": len(preview.rows) + len(preview.errors),
        "ready": len(preview.rows) - already,
        "already": already,
        "errors": len(preview.errors),
    }
    return render_template(
        "admin/bulk_preview.html",
        counts=counts,
        errors=preview.errors[:SHOWN_ERRORS],
        hidden_errors=max(len(preview.errors) - SHOWN_ERRORS, 0),
        digest=digest,
        proof=proof,
        can_confirm=bool(preview.rows),
        filename=(upload.filename or "").replace("\\", "/").rsplit("/", 1)[-1][:200],
    )


@bp.post("/bulk/confirm")
@require_role(*BULK_ROLES)
def bulk_confirm() -> Page:
    """Start the job for the previewed file (read back by its hash, previewed again)."""
    services = get_services()
    digest = request.form.get("sha256", "").strip().lower()
    instance = services.settings.instance_path
    try:
        proof = _proof()
        data = load_upload(instance, digest, now=services.now())
        if data is None:
            raise InvalidRequest(
                _(
                    "The previewed file is no longer here (it is kept for an hour). "
                    "Upload it again."
                ),
                code="upload_expired",
            )
        with services.session() as db:
            job = start_bulk(
                db,
                services,
                data,
                assessor=actor_email(),
                created_by=actor_email(),
                proof_format=proof,
                now=services.now(),
            )
            audit_event(db, "bulk.start", job.id, {"rows": job.total, "sha256": digest})
            job_id = job.id
    except InvalidRequest as exc:
        return _form(exc.message, 400)
    forget_upload(instance, digest)
    return redirect(url_for("admin.job", job_id=job_id))


def _job_or_404(db: Any, job_id: str) -> Job:
    job = get_job(db, job_id)
    if job is None:
        raise NotFound(_("There is no job with that id."), code="unknown_job")
    return job


@bp.get("/jobs/<job_id>")
@require_role(*BULK_ROLES)
def job(job_id: str) -> Page:
    services = get_services()
    with services.session() as db:
        row = _job_or_404(db, job_id)
        view = job_view(db, row, now=services.now())
        return render_template(
            "admin/job.html",
            job=row,
            view=view,
            percent=_percent(view),
            ended=view["status"] in ENDED,
            status_names=_status_names(),
            may_retry=g.user.role in RETRY_ROLES,
            shown_errors=SHOWN_ERRORS,
        )


@bp.get("/jobs/<job_id>.json")
@require_role(*BULK_ROLES)
def job_json(job_id: str) -> Response:
    """The job as the API shows it, plus the progress bar's fields (the page polls this)."""
    services = get_services()
    with services.session() as db:
        view = job_view(db, _job_or_404(db, job_id), now=services.now())
    response = jsonify(view)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/jobs/<job_id>/cancel")
@require_role(*BULK_ROLES)
def job_cancel(job_id: str) -> Page:
    services = get_services()
    with services.session() as db:
        _job_or_404(db, job_id)
    if cancel_job(services, job_id):
        with services.session() as db:
            audit_event(db, "job.cancel", job_id)
        flash(_("The job stops after the rows it is issuing now; those stay issued."), "ok")
    else:
        flash(_("The job had already ended."), "warning")
    return redirect(url_for("admin.job", job_id=job_id))


@bp.post("/jobs/<job_id>/retry")
@require_role(*RETRY_ROLES)
def job_retry(job_id: str) -> Page:
    services = get_services()
    with services.session() as db:
        _job_or_404(db, job_id)
    if retry_job(services, queue_for(services), job_id):
        with services.session() as db:
            audit_event(db, "job.retry", job_id)
        flash(_("The failed parts run again; rows issued before are not issued twice."), "ok")
    else:
        flash(_("This job has nothing to retry."), "warning")
    return redirect(url_for("admin.job", job_id=job_id))


@bp.get("/jobs")
@require_role(*BULK_ROLES)
def jobs() -> Page:
    services = get_services()
    with services.session() as db:
        recent = recent_jobs(db)
        failed = recent_jobs(db, failed_only=True)
        mail = failed_notifications(db) if g.user.role in RETRY_ROLES else []
        return render_template(
            "admin/jobs.html",
            recent=recent,
            failed=failed,
            mail=mail,
            status_names=_status_names(),
            may_retry=g.user.role in RETRY_ROLES,
        )


@bp.post("/notifications/<int:notification_id>/retry")
@require_role(*RETRY_ROLES)
def notification_retry(notification_id: int) -> Page:
    services = get_services()
    with services.session() as db:
        retried = retry_notification(db, notification_id)
        if retried:
            audit_event(db, "notification.retry", notification_id)
    if retried:
        flash(_("The e-mail is being sent again."), "ok")
    else:
        flash(_("This e-mail is not in the failed list any more."), "warning")
    return redirect(url_for("admin.jobs"))


def _percent(view: dict[str, Any]) -> int:
    total = int(view["total"])
    return 100 if total == 0 else int(100 * int(view["done"]) / total)
