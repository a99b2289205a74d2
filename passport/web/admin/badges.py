"""Badge, audit-log and user pages."""

from __future__ import annotations

import csv
import io
import math
from typing import Any

from flask import Response, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from passport.accounts.models import User
from passport.accounts.users import ROLES, STAFF_ROLES, create_user
from passport.audit import AuditEvent
from passport.catalog import transfer
from passport.credentials.models import IssuedCredential, StatusEntry
from passport.errors import InvalidRequest
from passport.web.admin.common import (
    PAGE_SIZE,
    Page,
    actor_email,
    bp,
    count_rows,
    download,
    page_number,
)
from passport.web.context import get_services
from passport.web.sessions import require_role

__all__: list[str] = []

AUDIT_CSV_COLUMNS = ("at", "actor", "action", "subject", "detail")


@bp.get("/badges")
@require_role(*STAFF_ROLES)
def badges() -> Page:
    services = get_services()
    page = page_number()
    with services.session() as db:
        total = count_rows(db, IssuedCredential)
        rows = db.scalars(
            select(IssuedCredential)
            .order_by(IssuedCredential.issued_at.desc(), IssuedCredential.id)
            .limit(PAGE_SIZE)
            .offset((page - 1) * PAGE_SIZE)
        ).all()
        # Only badges issued with a suspension status entry can be suspended (OB 3.0 has one
        # credentialStatus; suspension is an opt-in second entry).
        suspendable = set(
            db.scalars(
                select(StatusEntry.credential_id).where(
                    StatusEntry.credential_id.in_([row.id for row in rows]),
                    StatusEntry.purpose == "suspension",
                )
            )
        )
        return render_template(
            "admin/badges.html",
            rows=rows,
            suspendable=suspendable,
            page=page,
            pages=max(math.ceil(total / PAGE_SIZE), 1),
            now=services.now(),
        )


@bp.post("/badges/<path:credential_id>/status")
@require_role("admin")
def badge_status(credential_id: str) -> Any:
    """Revoke, suspend or reinstate a badge; the reason goes into the audit log."""
    from passport.credentials.status import change_status

    services = get_services()
    action = request.form.get("action", "")
    if action not in ("revoke", "suspend", "reinstate"):
        raise InvalidRequest("Choose revoke, suspend or reinstate.")
    with services.session() as db:
        change_status(
            db,
            services,
            credential_id,
            action,
            reason=request.form.get("reason", ""),
            actor=g.user.email,
            now=services.now(),
        )
    return redirect(url_for("admin.badges"))


def _audit_query() -> Any:
    return select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


@bp.get("/audit")
@require_role("admin")
def audit() -> Page:
    services = get_services()
    page = page_number()
    with services.session() as db:
        total = count_rows(db, AuditEvent)
        events = db.scalars(_audit_query().limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
        return render_template(
            "admin/audit.html",
            events=events,
            page=page,
            pages=max(math.ceil(total / PAGE_SIZE), 1),
            total=total,
        )


@bp.get("/audit.csv")
@require_role("admin")
def audit_csv() -> Response:
    """The whole audit log, newest first; every cell is neutralised against formula injection."""
    services = get_services()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(AUDIT_CSV_COLUMNS)
    with services.session() as db:
        for event in db.scalars(_audit_query()):
            writer.writerow(
                transfer.safe_cell(value)
                for value in (
                    event.at.isoformat(),
                    event.actor,
                    event.action,
                    event.subject,
                    event.detail,
                )
            )
    return download(out.getvalue(), mimetype="text/csv", filename="audit-log.csv")


@bp.route("/users", methods=["GET", "POST"])
@require_role("admin")
def users() -> Page:
    services = get_services()
    values = {"email": "", "name": "", "role": "learner"}
    error = None
    status = 200
    if request.method == "POST":
        values.update({k: request.form.get(k, "").strip() for k in values})
        try:
            with services.session() as db:
                user = create_user(
                    db,
                    email=values["email"],
                    name=values["name"][:200],
                    role=values["role"],
                    password=request.form.get("password", ""),
                    actor=actor_email(),
                )
                created = user.email
        except InvalidRequest as exc:
            error, status = exc.message, 400
        else:
            flash(f"User {created} created.", "ok")
            return redirect(url_for("admin.users"))
    with services.session() as db:
        rows = db.scalars(select(User).order_by(User.role, User.email)).all()
        page = render_template(
            "admin/users.html", rows=rows, roles=ROLES, values=values, error=error
        )
        return page, status
