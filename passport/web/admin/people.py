"""``/admin/people``: people events from the HR system, for administrators only.

Upload a CSV → a preview (counts, errors by line; nothing written) → confirm → a job of kind
``people_import`` followed on the jobs page (``/admin/jobs/<id>``). The page shows how many
people and events are held, never a list of them (minimal personal data), and erases a person
by their HR id after a confirmation. The use cases are in :mod:`passport.outcomes.people` and
:mod:`passport.outcomes.people_jobs`; the previewed file waits in the instance folder by its
SHA-256 as bulk uploads do (:mod:`passport.jobs.uploads`).
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from passport.errors import InvalidRequest
from passport.jobs.uploads import forget_upload, keep_upload, load_upload
from passport.outcomes.people import (
    Parsed,
    erase_person,
    job_family_ids,
    org_today,
    parse_csv,
    people_counts,
    refuse_erased,
)
from passport.outcomes.people_jobs import start_people_import
from passport.services import Services
from passport.web.admin.common import Page, actor_email, bp
from passport.web.context import get_services
from passport.web.i18n import gettext as _
from passport.web.sessions import require_role

__all__: list[str] = []

#: Row errors a page lists; the rest are counted (the API lists them all).
SHOWN_ERRORS = 200


def _page(error: str | None = None, status: int = 200, erase_error: str | None = None) -> Page:
    services = get_services()
    with services.session() as db:
        counts = people_counts(db)
    page = render_template(
        "admin/people.html",
        counts=counts,
        error=error,
        erase_error=erase_error,
        max_bytes=services.settings.max_request_bytes,
    )
    return page, status


def _parse(services: Services, data: bytes) -> Parsed:
    with services.session() as db:
        parsed = parse_csv(
            data, today=org_today(db, services.now()), job_families=job_family_ids(db)
        )
        return refuse_erased(db, parsed, secret_key=services.settings.secret_key)


@bp.get("/people")
@require_role("admin")
def people() -> Page:
    return _page()


@bp.post("/people")
@require_role("admin")
def people_preview() -> Page:
    """Check every row and show what would be imported; nothing is written yet."""
    services = get_services()
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise InvalidRequest(_("Choose a CSV file to upload."), code="no_file")
        data = upload.read()
        if not data.strip():
            raise InvalidRequest(_("The file is empty."), code="empty_file")
        parsed = _parse(services, data)
    except InvalidRequest as exc:
        return _page(exc.message, 400)
    digest = keep_upload(services.settings.instance_path, data, now=services.now())
    errors = sorted(parsed.errors, key=lambda e: e.row)
    return render_template(
        "admin/people_preview.html",
        counts={"rows": parsed.total, "valid": len(parsed.rows), "errors": len(errors)},
        errors=errors[:SHOWN_ERRORS],
        hidden_errors=max(len(errors) - SHOWN_ERRORS, 0),
        digest=digest,
        can_confirm=bool(parsed.rows),
        filename=(upload.filename or "").replace("\\", "/").rsplit("/", 1)[-1][:200],
    )


@bp.post("/people/confirm")
@require_role("admin")
def people_confirm() -> Page:
    """Start the import job for the previewed file (read back by its hash, checked again)."""
    services = get_services()
    digest = request.form.get("sha256", "").strip().lower()
    instance = services.settings.instance_path
    try:
        data = load_upload(instance, digest, now=services.now())
        if data is None:
            raise InvalidRequest(
                _(
                    "The previewed file is no longer here (it is kept for an hour). "
                    "Upload it again."
                ),
                code="upload_expired",
            )
        parsed = _parse(services, data)
        with services.session() as db:
            job = start_people_import(
                db, parsed, data, created_by=actor_email(), now=services.now()
            )
            job_id = job.id
    except InvalidRequest as exc:
        return _page(exc.message, 400)
    forget_upload(instance, digest)
    return redirect(url_for("admin.job", job_id=job_id))


@bp.post("/people/erase")
@require_role("admin")
def people_erase() -> Page | WerkzeugResponse:
    """Erase a person by HR id: first a confirmation page, then (``confirm=yes``) erasure."""
    services = get_services()
    person_id = request.form.get("person_id", "").strip()[:200]
    if not person_id:
        return _page(status=400, erase_error=_("Give the person's HR id."))
    if request.form.get("confirm") != "yes":
        return render_template("admin/people_erase.html", person_id=person_id), 200
    with services.session() as db:
        held = erase_person(
            db,
            person_id,
            secret_key=services.settings.secret_key,
            actor=actor_email(),
            now=services.now(),
        )
    if held:
        flash(_("The person and their events are deleted."), "ok")
    else:
        flash(_("No person with that HR id was held; later imports will refuse that id."), "ok")
    return redirect(url_for("admin.people"))
