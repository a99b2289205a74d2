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

#: A pasted or uploaded signed endorsement: far more than any endorsement needs.
_MAX_SIGNED = 256 * 1024


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
        "no_own_did": lambda: _(
            "Register your own did:key before submitting an endorsement you signed."
        ),
        "bad_endorsement": lambda: _("The signed endorsement is not readable JSON."),
        "no_signed": lambda: _("Paste or upload the endorsement you signed."),
        "not_an_endorsement": lambda: _(
            "That is not an EndorsementCredential (its type must include it)."
        ),
        "endorsement_not_verified": lambda: _(
            "The endorsement did not verify: it was changed after signing, or its proof is "
            "not one we can check."
        ),
        "endorser_mismatch": lambda: _(
            "The endorsement was signed by another identity than your registered did:key."
        ),
        "wrong_subject": lambda: _(
            "The endorsement is not about this badge: its credentialSubject must be an "
            "EndorsementSubject whose id is the badge's id."
        ),
        "endorsement_exists": lambda: _(
            "An endorsement with this id was submitted before; sign a new one."
        ),
    }
    make = sentences.get(exc.code or "")
    return make() if make else exc.message


def _page(
    credential_id: str,
    *,
    error: str | None = None,
    comment: str = "",
    signed: str = "",
    error_field: str = "comment",
) -> Page:
    services = get_services()
    now = services.now()
    with services.session() as db:
        record = use_cases.badge_named(db, credential_id)
        user = db.get(User, g.user.id)
        own_did = use_cases.mentor_own_did(db, user) if user is not None else None
        page = render_template(
            "admin/badge_endorse.html",
            row=record,
            name=learner_names(db, [record.holder_id]).get(record.holder_id),
            status=badge_status(record, now),
            endorsements=use_cases.endorsements_of(db, credential_id),
            max_comment=use_cases.MAX_COMMENT,
            error=error,
            error_field=error_field,
            comment=comment,
            own_did=own_did,
            signed=signed,
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


@bp.post("/badges/<path:credential_id>/endorse/signed")
@require_role(*use_cases.ENDORSER_ROLES)
def badge_endorse_signed(credential_id: str) -> Page:
    """Submit an endorsement the mentor signed with their own did:key (pasted or uploaded)."""
    services = get_services()
    upload = request.files.get("signed_file")
    data = upload.read(_MAX_SIGNED + 1) if upload is not None and upload.filename else b""
    pasted = request.form.get("signed", "")
    if not data:
        data = pasted.strip().encode("utf-8")
    try:
        if not data:
            raise InvalidRequest("Paste or upload the endorsement you signed.", code="no_signed")
        if len(data) > _MAX_SIGNED:
            raise InvalidRequest("The signed endorsement is too large.", code="bad_endorsement")
        with services.session() as db:
            mentor = db.get(User, g.user.id)
            assert mentor is not None  # the signed-in user
            use_cases.submit_signed_endorsement(
                db,
                services,
                credential_id=credential_id,
                mentor=mentor,
                submitted=data,
                now=services.now(),
            )
    except (InvalidRequest, Forbidden, Conflict) as exc:
        return _page(
            credential_id, error=_sentence(exc), signed=pasted[:_MAX_SIGNED], error_field="signed"
        )
    flash(_("Endorsed. The badge now carries the endorsement you signed."), "ok")
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
