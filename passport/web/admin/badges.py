"""Badge and audit-log pages: search and page through them; suspend, reinstate, revoke
(revoking, which cannot be undone, is confirmed on its own page)."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Response, flash, g, redirect, render_template, request, url_for
from sqlalchemy import func, or_, select
from werkzeug.wrappers import Response as WerkzeugResponse

from passport.accounts.users import STAFF_ROLES
from passport.audit import AuditEvent
from passport.catalog import transfer
from passport.credentials.listing import (
    BADGE_STATUSES,
    badge_status,
    count_badges,
    learner_names,
    search_badges,
    suspendable_ids,
)
from passport.credentials.models import IssuedCredential
from passport.errors import InvalidRequest, NotFound
from passport.web.admin.common import (
    Page,
    bp,
    download,
    like_pattern,
    pager,
    problem,
    search_text,
)
from passport.web.context import get_services
from passport.web.i18n import gettext as _
from passport.web.sessions import require_role

__all__: list[str] = []

AUDIT_CSV_COLUMNS = ("at", "actor", "action", "subject", "detail")

#: Who may suspend, reinstate and revoke (the POST's own guard): the page shows them the controls.
STATUS_ROLES = ("admin",)


def may_change_status() -> bool:
    return g.user.role in STATUS_ROLES


def _status_names() -> dict[str, str]:
    return {
        "active": _("Active"),
        "suspended": _("Suspended"),
        "revoked": _("Revoked"),
        "expired": _("Expired"),
    }


@bp.get("/badges")
@require_role(*STAFF_ROLES)
def badges() -> Page:
    services = get_services()
    now = services.now()
    query = search_text()
    status = request.args.get("status", "")
    status = status if status in BADGE_STATUSES else ""
    with services.session() as db:
        paging = pager(count_badges(db, query=query, status=status, now=now), "q", "status")
        rows = search_badges(
            db, query=query, status=status, now=now, limit=paging.limit, offset=paging.offset
        )
        return render_template(
            "admin/badges.html",
            rows=rows,
            statuses={row.id: badge_status(row, now) for row in rows},
            names=learner_names(db, [row.holder_id for row in rows]),
            suspendable=suspendable_ids(db, [row.id for row in rows]),
            status_names=_status_names(),
            may_change=may_change_status(),
            query=query,
            status=status,
            pager=paging,
            back_args={
                f"back_{key}": value
                for key, value in {**paging.args, "page": str(paging.page)}.items()
                if value != "1"
            },
        )


def _back_to_list() -> WerkzeugResponse:
    return redirect(url_for("admin.badges", **_list_args()))


def _list_args() -> dict[str, str]:
    """The list's search, carried through a status change (``q``, ``status``, ``page``)."""
    return {
        key: value
        for key in ("q", "status", "page")
        if (value := request.values.get(f"back_{key}", "").strip()[:200])
    }


def _revoke_page(credential_id: str, *, error: str | None = None, reason: str = "") -> Page:
    services = get_services()
    with services.session() as db:
        record = db.get(IssuedCredential, credential_id)
        if record is None:
            raise NotFound(_("No badge with that id was issued here."), code="unknown_credential")
        page = render_template(
            "admin/badge_revoke.html",
            row=record,
            name=learner_names(db, [record.holder_id]).get(record.holder_id),
            status=badge_status(record, services.now()),
            status_names=_status_names(),
            back_args=_back_args(),
            error=error,
            reason=reason,
        )
    return page, 400 if error else 200


@bp.get("/badges/<path:credential_id>/revoke")
@require_role(*STATUS_ROLES)
def badge_revoke(credential_id: str) -> Page:
    """Are you sure? Revoking cannot be undone; the page says what it does."""
    return _revoke_page(credential_id)


@bp.post("/badges/<path:credential_id>/status", endpoint="badge_status")
@require_role(*STATUS_ROLES)
def badge_status_change(credential_id: str) -> Any:
    """Suspend or reinstate a badge, or revoke it from its confirmation page; the reason goes
    into the audit log."""
    from passport.credentials.status import change_status

    services = get_services()
    action = request.form.get("action", "")
    if action not in ("revoke", "suspend", "reinstate"):
        raise InvalidRequest(_("Choose revoke, suspend or reinstate."), code="bad_action")
    reason = request.form.get("reason", "").strip()[:500]
    if action == "revoke" and request.form.get("confirm") != "yes":
        # Revoking is for good: it is done only from the page that says so.
        return redirect(url_for("admin.badge_revoke", credential_id=credential_id, **_back_args()))
    try:
        with services.session() as db:
            change_status(
                db,
                services,
                credential_id,
                action,
                reason=reason,
                actor=g.user.email,
                now=services.now(),
            )
    except InvalidRequest as exc:
        if action == "revoke":
            return _revoke_page(credential_id, error=problem(exc), reason=reason)
        flash(problem(exc), "error")
        return _back_to_list()
    done = {
        "revoke": _("The badge is revoked."),
        "suspend": _("The badge is suspended; you can reinstate it later."),
        "reinstate": _("The badge is reinstated and valid again."),
    }
    flash(done[action], "ok")
    return _back_to_list()


def _back_args() -> dict[str, str]:
    return {f"back_{key}": value for key, value in _list_args().items()}


# -- audit log --------------------------------------------------------------------------------


def _audit_filters(query: str) -> list[Any]:
    if not query:
        return []
    pattern = like_pattern(query)
    return [
        or_(
            *(
                func.lower(column).like(pattern, escape="\\")
                for column in (
                    AuditEvent.actor,
                    AuditEvent.action,
                    AuditEvent.subject,
                    AuditEvent.detail,
                )
            )
        )
    ]


def _audit_query() -> Any:
    return select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


@bp.get("/audit")
@require_role("admin")
def audit() -> Page:
    services = get_services()
    query = search_text()
    where = _audit_filters(query)
    with services.session() as db:
        total = int(db.scalar(select(func.count()).select_from(AuditEvent).where(*where)) or 0)
        paging = pager(total, "q")
        events = db.scalars(
            _audit_query().where(*where).limit(paging.limit).offset(paging.offset)
        ).all()
        return render_template("admin/audit.html", events=events, pager=paging, query=query)


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
