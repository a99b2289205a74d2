"""The endorse page: a mentor (or admin) endorses a badge with a comment, and withdraws their
endorsement (``/admin/badges/<id>/endorse``). Reached from the badges list (an "Endorse" link
on current badges) and from a cohort's learners (their badges)."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from passport.accounts.models import User
from passport.credentials.listing import badge_status, learner_names
from passport.errors import Conflict, Forbidden, InvalidRequest, PassportError
from passport.mentoring import endorsements as use_cases
from passport.web.admin.common import Page, bp
from passport.web.context import get_services
from passport.web.i18n import gettext as _
from passport.web.sessions import require_role

__all__: list[str] = []


def _sentence(exc: PassportError) -> str:
    """The use case's refusal in the page's language (by its code)."""
    sentences = {
        "no_comment": lambda: _("Write a comment: what the learner showed you."),
        "comment_too_long": lambda: _(
            "The comment is too long: at most %(num)s characters.", num="2,000"
        ),
        "own_badge": lambda: _("Nobody can endorse their own badge."),
        "not_an_endorser": lambda: _("Only mentors and admins can endorse badges."),
        "already_endorsed": lambda: _(
            "You have endorsed this badge already; withdraw that endorsement to write another."
        ),
        "badge_revoked": lambda: _("A revoked badge cannot be endorsed."),
        "badge_suspended": lambda: _("A suspended badge cannot be endorsed."),
        "badge_expired": lambda: _("An expired badge cannot be endorsed."),
        "already_withdrawn": lambda: _("This endorsement was withdrawn already."),
        "not_your_endorsement": lambda: _(
            "Only the endorsement's mentor or an admin can withdraw it."
        ),
    }
    make = sentences.get(exc.code or "")
    return make() if make else exc.message


def _page(credential_id: str, *, error: str | None = None, comment: str = "") -> Page:
    services = get_services()
    now = services.now()
    with services.session() as db:
        record = use_cases.badge_named(db, credential_id)
        page = render_template(
            "admin/badge_endorse.html",
            row=record,
            name=learner_names(db, [record.holder_id]).get(record.holder_id),
            status=badge_status(record, now),
            endorsements=use_cases.endorsements_of(db, credential_id),
            max_comment=use_cases.MAX_COMMENT,
            error=error,
            comment=comment,
        )
    return page, 400 if error else 200


@bp.get("/badges/<path:credential_id>/endorse")
@require_role(*use_cases.ENDORSER_ROLES)
def badge_endorse(credential_id: str) -> Page:
    """The badge, its endorsements in force, and the form to endorse it."""
    return _page(credential_id)


@bp.post("/badges/<path:credential_id>/endorse")
@require_role(*use_cases.ENDORSER_ROLES)
def badge_endorse_post(credential_id: str) -> Page:
    services = get_services()
    comment = request.form.get("comment", "")
    try:
        with services.session() as db:
            mentor = db.get(User, g.user.id)
            assert mentor is not None  # the signed-in user
            use_cases.endorse_badge(
                db,
                services,
                credential_id=credential_id,
                mentor=mentor,
                comment=comment,
                now=services.now(),
            )
    except (InvalidRequest, Forbidden, Conflict) as exc:
        return _page(credential_id, error=_sentence(exc), comment=comment[:4000])
    flash(_("Endorsed. The badge now carries your endorsement, signed by you."), "ok")
    return redirect(url_for("admin.badge_endorse", credential_id=credential_id))


@bp.post("/endorsements/<path:endorsement_id>/withdraw")
@require_role(*use_cases.ENDORSER_ROLES)
def endorsement_withdraw(endorsement_id: str) -> WerkzeugResponse:
    """Withdraw an endorsement (its mentor or an admin): the badge is re-issued without it."""
    services = get_services()
    credential_id = request.form.get("credential_id", "")
    try:
        with services.session() as db:
            actor = db.get(User, g.user.id)
            assert actor is not None  # the signed-in user
            withdrawn = use_cases.withdraw_endorsement(
                db, services, endorsement_id=endorsement_id, actor=actor, now=services.now()
            )
            credential_id = withdrawn.credential_id
    except (Forbidden, Conflict) as exc:
        flash(_sentence(exc), "error")
    else:
        flash(_("The endorsement is withdrawn; the badge no longer carries it."), "ok")
    if not credential_id:
        return redirect(url_for("admin.badges"))
    return redirect(url_for("admin.badge_endorse", credential_id=credential_id))
