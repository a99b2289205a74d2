"""``/admin/tokens``: API tokens for integrations — the list (scopes, expiry, last use, status),
a form that creates one and shows it once, and revoking (asked first, on a page of its own).
Administrators only.

The rules (scopes, unique names, expiry) live in :mod:`passport.accounts.tokens`; every change
is audited there.
"""

from __future__ import annotations

from flask import flash, make_response, redirect, render_template, request, url_for
from sqlalchemy.orm import Session

from passport.accounts.models import ApiToken
from passport.accounts.tokens import (
    MAX_EXPIRES_DAYS,
    MAX_NAME_LENGTH,
    SCOPES,
    create_token,
    list_tokens,
    revoke_token,
)
from passport.errors import InvalidRequest, NotFound
from passport.web.admin.common import Page, actor_email, bp
from passport.web.context import get_services
from passport.web.i18n import gettext as _
from passport.web.sessions import require_role

__all__: list[str] = []

#: Which form field an error code is about.
ERROR_FIELDS = {
    "missing_name": "name",
    "name_too_long": "name",
    "bad_name": "name",
    "duplicate_token": "name",
    "no_scope": "scopes",
    "unknown_scope": "scopes",
    "bad_expiry": "expires",
}


def scope_descriptions() -> dict[str, str]:
    """What each scope allows, in the page's language (every scope of SCOPES has one)."""
    return {
        "credentials:issue": _("Issue badges, one by one or from a CSV file as a job."),
        "credentials:status": _("Revoke, suspend and reinstate badges."),
        "credentials:endorse": _(
            "Endorse badges for a mentor: the signed endorsement is embedded in the badge."
        ),
        "assessments:write": _("Record assessments; a pass issues the badge."),
        "verify": _("Verify credentials as this integration."),
        "scim": _("Create, update and deactivate people from an identity provider (SCIM)."),
        "people:write": _("Import people events (hires, moves, leavers) from an HR system."),
        "outcomes:read": _(
            "Read the program's outcome measures; groups of fewer than 5 people are suppressed."
        ),
        "roles:write": _("Open and close roles for internal moves, and read them."),
        "roles:read": _(
            "Read open roles and their ranked candidates (only people who chose to be found)."
        ),
        "read": _(
            "Read through the API: the token's own scopes and expiry, and every job's progress."
        ),
    }


def status_names() -> dict[str, str]:
    return {"active": _("Active"), "expired": _("Expired"), "revoked": _("Revoked")}


def _sentence(exc: InvalidRequest, name: str) -> str:
    """The domain's refusal in the page's language (by its code)."""
    sentences = {
        "missing_name": lambda: _("Give the token a name."),
        "name_too_long": lambda: _(
            "A token name is at most %(num)d characters long.", num=MAX_NAME_LENGTH
        ),
        "bad_name": lambda: _("A token name may not contain control or invisible characters."),
        "duplicate_token": lambda: _(
            "A token named %(name)s already exists; choose another name.", name=name
        ),
        "no_scope": lambda: _("Choose at least one scope: a token without a scope can do nothing."),
        "unknown_scope": lambda: _("Choose scopes from the list."),
        "bad_expiry": lambda: _(
            "Expires after: give a whole number of days from 1 to %(num)d, or leave it empty.",
            num=MAX_EXPIRES_DAYS,
        ),
    }
    make = sentences.get(exc.code)
    return make() if make else exc.message


def _expiry(value: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise InvalidRequest("not a number", code="bad_expiry") from None


def _page(
    db: Session,
    *,
    values: dict[str, object],
    error: str | None = None,
    error_field: str | None = None,
    created: str | None = None,
) -> str:
    return render_template(
        "admin/tokens.html",
        rows=list_tokens(db, now=get_services().now()),
        scopes=scope_descriptions(),
        statuses=status_names(),
        values=values,
        error=error,
        error_field=error_field,
        created=created,
        max_days=MAX_EXPIRES_DAYS,
        max_name=MAX_NAME_LENGTH,
    )


def _blank() -> dict[str, object]:
    return {"name": "", "scopes": [], "expires": ""}


@bp.route("/tokens", methods=["GET", "POST"])
@require_role("admin")
def tokens() -> Page:
    services = get_services()
    if request.method == "GET":
        with services.sessions() as db:
            return _page(db, values=_blank())
    values: dict[str, object] = {
        "name": request.form.get("name", "").strip()[: MAX_NAME_LENGTH + 1],
        "scopes": [s for s in request.form.getlist("scope") if s in SCOPES],
        "expires": request.form.get("expires", "").strip()[:10],
    }
    name = str(values["name"])
    try:
        with services.session() as db:
            token = create_token(
                db,
                name,
                scopes=request.form.getlist("scope"),
                expires_days=_expiry(str(values["expires"])),
                actor=actor_email(),
                now=services.now(),
            )
    except InvalidRequest as exc:
        with services.sessions() as db:
            page = _page(
                db,
                values=values,
                error=_sentence(exc, name),
                error_field=ERROR_FIELDS.get(exc.code, "name"),
            )
        return page, 400
    with services.sessions() as db:
        response = make_response(_page(db, values=_blank(), created=token))
    # The only answer that ever holds the token: no cache may keep it.
    response.headers["Cache-Control"] = "no-store"
    return response


def _token(db: Session, token_id: int) -> ApiToken:
    row = db.get(ApiToken, token_id)
    if row is None:
        raise NotFound(_("No API token with that id."), code="unknown_token")
    return row


@bp.route("/tokens/<int:token_id>/revoke", methods=["GET", "POST"])
@require_role("admin")
def token_revoke(token_id: int) -> Page:
    """GET: what revoking the token ends and keeps; POST (the confirmation): revoke it."""
    services = get_services()
    if request.method == "POST":
        with services.session() as db:
            row = _token(db, token_id)
            name = row.name
            changed = revoke_token(db, name, actor=actor_email(), now=services.now())
        if changed:
            flash(_("The token %(name)s is revoked: its next request is refused.", name=name), "ok")
        else:
            flash(_("The token %(name)s was already revoked.", name=name), "ok")
        return redirect(url_for("admin.tokens"), 303)
    with services.sessions() as db:
        row = _token(db, token_id)
        return render_template(
            "admin/confirm.html",
            title=_("Revoke the API token %(name)s?", name=row.name),
            removes=[
                _("The token stops working at once: its next request is refused."),
            ],
            keeps=[
                _("Everything it did stays: badges it issued stay valid."),
                _(
                    "The audit log keeps its actions, under token:%(id)d.",
                    id=row.id,
                ),
                _("The name stays taken, so the audit log stays unambiguous."),
            ],
            action=url_for("admin.token_revoke", token_id=token_id),
            button=_("Revoke the token"),
            cancel=url_for("admin.tokens"),
            cancel_label=_("Cancel and keep the token"),
        )
