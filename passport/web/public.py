"""Public pages: home, a credential's page (HTML or the credential itself), achievements, verify."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, make_response, redirect, render_template, request, url_for
from flask import session as cookie
from markupsafe import Markup, escape
from sqlalchemy import select
from werkzeug.wrappers import Response as WerkzeugResponse

from passport.catalog.models import AchievementDefinition
from passport.credentials.models import IssuedCredential
from passport.errors import InvalidRequest, NotAcceptable, NotFound, PassportError
from passport.web.api import read_credential_input
from passport.web.context import get_services
from passport.web.errors import status_of
from passport.web.i18n import LANGUAGES, use_language
from passport.web.security import rate_limited
from verifier.jsonparse import parse_json

if TYPE_CHECKING:
    from passport.verifying.verdict import BadgeCard, Verdict
    from verifier.report import Report

__all__ = ["bp"]

bp = Blueprint("public", __name__)

#: What a stored credential is served as, by its proof format: the page, or the bytes exactly
#: as signed under their own media types. A VC-JWT is never re-serialised as JSON (its payload
#: carries JWT claims outside the credential's context), nor JSON as a token: 406 instead.
SERVED_AS: dict[str, list[str]] = {
    "data-integrity": [
        "text/html",
        "application/vc+ld+json",
        "application/ld+json",
        "application/json",
    ],
    "vc-jwt": ["text/html", "application/vc+jwt", "application/jwt", "text/plain"],
}


@bp.get("/")
def home() -> str:
    """The front door, for the three people who come here: a learner (their passport), a
    hiring manager (verify a badge, ask for a presentation) and program staff (the admin)."""
    from sqlalchemy import func

    from passport.catalog.models import JobFamily

    services = get_services()
    with services.session() as session:
        families = session.scalar(
            select(func.count()).select_from(JobFamily).where(JobFamily.retired_at.is_(None))
        )
    return render_template("home.html", job_families=families or 0)


@bp.get("/credentials/<path:credential_id>")
def credential(credential_id: str) -> Response | str:
    from passport.credentials.public_page import public_badge

    services = get_services()
    now = services.now()
    with services.session() as session:
        record = session.get(IssuedCredential, credential_id)
        if record is None:
            raise NotFound("No credential with that id is published here.")
        content = record.content
        proof_format = record.proof_format
        offers = SERVED_AS[proof_format]
        # No Accept header at all accepts anything: the page.
        best = (
            request.accept_mimetypes.best_match(offers) if request.accept_mimetypes else offers[0]
        )
        if best is None:
            stored = "a VC-JWT" if proof_format == "vc-jwt" else "JSON with an embedded proof"
            raise NotAcceptable(
                f"This badge is stored as {stored} and served only as it was signed: ask for "
                f"{' or '.join(offers[1:3])}, or text/html for its page.",
                code="not_acceptable",
            )
        if best != "text/html":
            response = make_response(content)
            response.mimetype = best
            return _vary(response)
        badge = public_badge(session, services, record, now)
        verifier = services.verifier(session)
    report = verifier.report(content, now=now)
    page = render_template(
        "credential.html",
        page=badge,
        report=report,
        credential=report.credential,
        raw=content.decode(),
        now=now,
    )
    response = _vary(make_response(page))
    # The page names the holder while they share the badge: never keep it in a shared cache,
    # and keep a named page out of search engines (sharing is for the people sent the link).
    response.headers["Cache-Control"] = "private, no-cache"
    if badge.holder_name:
        response.headers["X-Robots-Tag"] = "noindex"
    return response


def _vary(response: Response) -> Response:
    response.headers["Vary"] = "Accept"
    return response


@bp.get("/achievements/<slug>")
def achievement(slug: str) -> Response:
    from passport.credentials.images import achievement_with_image

    services = get_services()
    with services.session() as session:
        row = session.get(AchievementDefinition, slug)
        if row is None:
            raise NotFound("No achievement with that id.")
        definition = achievement_with_image(row, public_url=services.settings.public_url)
    best = request.accept_mimetypes.best_match(
        ["application/json", "application/ld+json", "text/html"], default="application/json"
    )
    if best == "text/html":
        from passport.credentials.public_page import families_for

        with services.session() as session:
            families = families_for(session, row.skill_id, row.level)
        page = render_template(
            "achievement.html", achievement=definition, slug=slug, families=families
        )
        return _vary(make_response(page))
    document = {
        "@context": ["https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
        **definition,
    }
    response = make_response(json.dumps(document, ensure_ascii=False, indent=2))
    response.mimetype = (
        "application/ld+json" if best == "application/ld+json" else "application/json"
    )
    return _vary(response)


#: The longest e-mail address the candidate field takes (RFC 5321's path limit).
_MAX_EMAIL = 320


@bp.route("/verify", methods=["GET", "POST"])
@rate_limited("verify")
def verify_page() -> str:
    """Verify what a hiring manager hands over; the answer leads with one verdict sentence,
    then a card per badge, then the job-family fit. The form keeps what was entered."""
    from passport.catalog.models import JobFamily
    from passport.verifying.fit import fit_counts, job_family_fit, person_of, suggestions_for
    from passport.verifying.verdict import verdict_of
    from passport.verifying.verify import verify_submission
    from passport.web.i18n import gettext
    from verifier.errors import FormatError
    from verifier.fit import fit, parse_job_family

    services = get_services()
    with services.session() as session:
        families = [
            {"id": f.id, "name": f.name}
            for f in session.scalars(
                select(JobFamily).where(JobFamily.retired_at.is_(None)).order_by(JobFamily.name)
            )
        ]
    email = request.form.get("email", "").strip()
    family_id = request.form.get("jobFamily") or ""
    page: dict[str, Any] = {
        "job_families": families,
        "closers": {},
        "pasted": request.form.get("credential", ""),
        "email": email,
        "chosen_family": family_id,
        "email_given": bool(email),
    }
    if request.method != "POST":  # GET, and HEAD (which Flask routes to the same view)
        return render_template("verify.html", **page)
    if email and (len(email) > _MAX_EMAIL or not _looks_like_email(email)):
        page["email_error"] = gettext(
            "Enter the candidate's e-mail address like name@example.org, or leave it empty."
        )
        return render_template("verify.html", **page)
    try:
        data = read_credential_input()
    except InvalidRequest as exc:
        page["error"] = gettext(exc.message)
        return render_template("verify.html", **page)
    submission = verify_submission(
        services, data, recipient=email or None, user_agent=request.headers.get("User-Agent")
    )
    outcome = submission.outcome
    reports = list(outcome.credentials)
    verdict = verdict_of(
        outcome,
        email_given=bool(email),
        source=submission.source,
        holder_name=submission.holder_name,
    )
    page.update(
        outcome=outcome,
        verdict=verdict,
        verdict_lines=_verdict_lines(verdict),
        container=outcome if outcome.is_container else None,
        # A CLR is a credential too: its own card first, then each badge's.
        reports=[outcome.outer, *reports] if outcome.outer else reports,
    )
    family_file = request.files.get("jobFamilyFile")
    try:
        if family_file is not None and family_file.filename:
            document = parse_json(family_file.read(), what="job family")
            page["fit"] = fit(parse_job_family(document), reports, now=services.now())
        elif family_id:
            page["fit"] = job_family_fit(services, family_id, reports)
            staff = _viewer_is_staff()
            person = None
            if staff:  # only staff see what the person has done beyond what was handed over
                person = person_of(services, page["fit"], email or None)
                if not person.holder_ids:
                    person = person_of(services, reports, email or None)
            page["closers"] = suggestions_for(services, page["fit"], person=person, staff=staff)
    except FormatError as exc:
        page["fit_error"] = gettext(exc.message)
    except NotFound as exc:  # a job family id not (or no longer) in the catalog
        page["family_error"] = gettext(exc.message)
    if "fit" in page:
        page["fit_counts"] = fit_counts(page["fit"])
    return render_template("verify.html", **page)


def _looks_like_email(text: str) -> bool:
    """One ``@`` with something on each side and no spaces: enough to catch a slip; the
    recipient check itself decides whether it names the badge's holder."""
    local, at, domain = text.rpartition("@")
    return bool(at and local and domain and "." in domain and not any(c.isspace() for c in text))


def _viewer_is_staff() -> bool:
    """Is a signed-in admin, mentor or assessor of this organisation looking? Only they see
    internal cohort names in the fit's suggestions."""
    from passport.verifying.fit import STAFF_ROLES
    from passport.web.sessions import current_user

    with get_services().session() as session:
        user = current_user(session)
        return user is not None and user.role in STAFF_ROLES


def _verdict_lines(verdict: Verdict) -> dict[str, Any]:
    """The verdict in whole sentences of the page's language: a headline, then what it says
    about whose badges they are and whether they are current."""
    from passport.web.i18n import gettext as _
    from passport.web.i18n import ngettext

    total, good = verdict.total, verdict.verified_count
    issuers = ", ".join(verdict.issuers)
    lines: list[str] = []
    if not verdict.cards or (verdict.container_problem and good == total):
        headline = _("Not verified: %(reason)s", reason=_(verdict.first_problem or ""))
    elif verdict.verified:
        headline = ngettext(
            "Verified: %(ok)d of %(num)d badge from %(issuers)s.",
            "Verified: %(ok)d of %(num)d badges from %(issuers)s.",
            total,
            ok=good,
            issuers=issuers,
        )
    elif good == 0:
        headline = ngettext(
            "Not verified: the badge from %(issuers)s did not pass its checks.",
            "Not verified: none of the %(num)d badges from %(issuers)s passed all checks.",
            total,
            issuers=issuers,
        )
    else:
        headline = ngettext(
            "Only %(ok)d of %(num)d badge from %(issuers)s verified.",
            "Only %(ok)d of %(num)d badges from %(issuers)s verified.",
            total,
            ok=good,
            issuers=issuers,
        )
    if verdict.cards and verdict.container_problem and good == total:
        pass  # the reason is the headline
    elif verdict.container_problem and verdict.cards:
        lines.append(_(verdict.container_problem))
    binding = ""
    if verdict.cards:
        binding = _binding_sentence(verdict)
        # One ngettext call per sentence, so the catalog tools find each.
        if revoked := verdict.count("revoked"):
            lines.append(
                ngettext(
                    "%(num)d badge has been revoked.", "%(num)d badges have been revoked.", revoked
                )
            )
        if suspended := verdict.count("suspended"):
            lines.append(
                ngettext(
                    "%(num)d badge is suspended by its issuer.",
                    "%(num)d badges are suspended by their issuers.",
                    suspended,
                )
            )
        if expired := verdict.count("expired"):
            lines.append(
                ngettext("%(num)d badge has expired.", "%(num)d badges have expired.", expired)
            )
        if early := verdict.count("not_yet_valid"):
            lines.append(
                ngettext(
                    "%(num)d badge is not valid yet.", "%(num)d badges are not valid yet.", early
                )
            )
        if unknown := sum(1 for c in verdict.cards if c.verified and not c.issuer_known):
            lines.append(
                ngettext(
                    "%(num)d badge is from an issuer this service does not know: the issuer's "
                    "name is its own claim.",
                    "%(num)d badges are from issuers this service does not know: the issuers' "
                    "names are their own claim.",
                    unknown,
                )
            )
        if verdict.all_current and good:
            lines.append(
                ngettext(
                    "Current: not revoked, suspended or expired.",
                    "All current: none revoked, suspended or expired.",
                    total,
                )
            )
        if verdict.with_notes:
            lines.append(
                ngettext(
                    "%(num)d badge is verified with notes on how it is written.",
                    "%(num)d badges are verified with notes on how they are written.",
                    verdict.with_notes,
                )
            )
    if verdict.holder_name:
        lines.append(
            _("Shared by %(name)s through a share link of this service.", name=verdict.holder_name)
        )
    return {"headline": headline, "binding": binding, "lines": lines}


def _binding_sentence(verdict: Verdict) -> str:
    """Whose badges they are: checked against the e-mail entered, or said to be unchecked."""
    from passport.web.i18n import gettext as _
    from passport.web.i18n import ngettext

    if not verdict.email_given:
        return _("No holder check: enter the candidate's e-mail to check whose badge this is.")
    total = verdict.total
    match, mismatch = verdict.bound("match"), verdict.bound("mismatch")
    unchecked = total - match - mismatch
    if match == total:
        return _("Issued to the e-mail you entered.")
    if mismatch == total:
        return _("NOT issued to the e-mail you entered.")
    parts = []
    if mismatch:
        parts.append(
            ngettext(
                "%(num)d badge was NOT issued to the e-mail you entered.",
                "%(num)d badges were NOT issued to the e-mail you entered.",
                mismatch,
            )
        )
    if match:
        parts.append(
            ngettext(
                "%(num)d badge was issued to the e-mail you entered.",
                "%(num)d badges were issued to the e-mail you entered.",
                match,
            )
        )
    if unchecked:
        parts.append(
            ngettext(
                "%(num)d badge names its holder in a way that cannot be checked against an "
                "e-mail address.",
                "%(num)d badges name their holder in a way that cannot be checked against an "
                "e-mail address.",
                unchecked,
            )
        )
    return " ".join(parts)


@bp.app_template_global("badge_card")
def _badge_card(report: Report) -> BadgeCard | None:
    """A report's card (name, level, issuer, dates, state) for ``_report.html``."""
    from passport.verifying.verdict import cards_of

    found = cards_of([report])
    return found[0] if found else None


@bp.app_template_global("plain_checks")
def _plain_checks(report: Report, email_given: bool = False) -> list[tuple[str, str]]:
    """A report's checks in plain words, as (status, sentence); codes stay in the JSON API."""
    from passport.web.i18n import format_date
    from passport.web.i18n import gettext as _

    credential = report.credential
    issuer = (credential.issuer.name or credential.issuer.id) if credential is not None else ""
    valid_until = getattr(credential, "valid_until", None)
    out: list[tuple[str, str]] = []
    for check in report.checks:
        status, code = check.status, check.code
        sentence: str | None = None
        if code == "not_checked":
            sentence = _("Not checked, because an earlier check failed.")
        elif check.id == "format":
            if status == "passed":
                continue
        elif check.id == "schema" and status == "passed":
            sentence = _("Written in the Open Badges data model.")
        elif check.id == "signature" and code == "signature_valid":
            sentence = _("Signed by %(issuer)s's key.", issuer=issuer)
        elif check.id == "signature" and code == "bad_signature":
            sentence = _("The signature does not match: it was changed or not made by its issuer.")
        elif check.id == "issuer" and code == "issuer_known":
            sentence = _("%(issuer)s is an issuer this service knows.", issuer=issuer)
        elif check.id == "issuer" and code == "issuer_unknown":
            sentence = _(
                "%(issuer)s is not on this service's list of known issuers.", issuer=issuer
            )
        elif check.id == "validity_window" and status == "passed":
            sentence = (
                _("Valid now, until %(date)s.", date=format_date(valid_until))
                if valid_until
                else _("Valid now; it does not expire.")
            )
        elif check.id == "validity_window" and code == "expired":
            sentence = _("Expired on %(date)s.", date=format_date(valid_until))
        elif check.id == "status" and status == "passed":
            sentence = (
                _("Its issuer keeps no revocation list for it.")
                if code == "no_status"
                else _("Not revoked or suspended.")
            )
        elif check.id == "status" and code == "revoked":
            sentence = _("Revoked by its issuer.")
        elif check.id == "status" and code == "suspended":
            sentence = _("Suspended by its issuer.")
        elif check.id == "status" and status == "could_not_check":
            sentence = _("Whether it was revoked could not be checked.")
        elif check.id == "endorsements" and code == "no_endorsements":
            continue
        elif check.id == "endorsements" and status == "passed":
            sentence = _("Its endorsements are valid.")
        elif check.id == "recipient" and status == "passed":
            sentence = (
                _("Issued to the e-mail you entered.")
                if email_given
                else _("Issued to the holder the file names.")
            )
        elif check.id == "recipient" and status == "failed":
            sentence = (
                _("NOT issued to the e-mail you entered.")
                if email_given
                else _("NOT issued to the holder the file names.")
            )
        elif check.id == "recipient":
            sentence = _(
                "It names its holder in a way that cannot be checked against an e-mail address."
            )
        elif check.id == "conformance" and status == "passed":
            continue
        elif check.id == "conformance" and status == "failed":
            sentence = _("Verified with notes on how it is written:")
        elif check.id == "conformance":
            continue
        out.append((status, sentence if sentence is not None else _(check.message)))
    return out


# -- Asking a candidate's wallet for a presentation (passport.verifying.requests) ---------------

#: Where the visitor's session keeps the token its presentation requests are bound to.
_VISITOR = "presentation_visitor"


def _visitor() -> str | None:
    """The random token naming this browser session, if it has one."""
    token = cookie.get(_VISITOR)
    return token if isinstance(token, str) else None


def _visitor_or_new() -> str:
    """This browser session's token, made on first need."""
    from passport.verifying.requests import new_visitor_token

    token = _visitor()
    if token is None:
        token = new_visitor_token()
        cookie[_VISITOR] = token
    return token


def _inline_qr(text: str, label: str) -> Markup:
    """A QR code of ``text`` as inline SVG (ours: paths only, no script or style), scaled by
    CSS rather than its fixed size, named for screen readers."""
    from passport.credentials.exports import qr_svg

    svg = qr_svg(text).decode("utf-8")
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r'^<svg width="[^"]*" height="[^"]*"', "<svg", svg, count=1)
    return Markup(  # noqa: S704 - qrcode's paths; the label is escaped
        svg.replace("<svg ", f'<svg class="qr" role="img" aria-label="{escape(label)}" ', 1)
    )


def _request_page(status: int = 200, **page: Any) -> Response:
    """The presentation-request page with the visitor's open request (if any) and ``page``."""
    from passport.verifying.requests import open_presentation_request, request_text
    from passport.web.i18n import gettext

    services = get_services()
    with services.session() as session:
        pending = open_presentation_request(session, visitor=_visitor(), now=services.now())
        if pending is not None:
            session.expunge(pending)
    if pending is not None:
        text = request_text(pending)
        page.update(
            pending=pending,
            request_json=json.dumps(json.loads(text), indent=2, ensure_ascii=False),
            qr=_inline_qr(
                text, gettext("QR code of the presentation request; its text follows below.")
            ),
        )
    return make_response(render_template("verify_request.html", **page), status)


@bp.get("/verify/request")
def presentation_request_page() -> Response:
    use_language()
    return _request_page()


@bp.post("/verify/request")
@rate_limited("verify")
def new_presentation_request() -> WerkzeugResponse:
    from passport.verifying.requests import create_presentation_request

    services = get_services()
    visitor = _visitor_or_new()
    with services.session() as session:
        create_presentation_request(session, services.settings, visitor=visitor, now=services.now())
    language = request.args.get("lang")
    return redirect(
        url_for(
            "public.presentation_request_page",
            lang=language if language in LANGUAGES else None,
        ),
        303,
    )


@bp.post("/verify/request/check")
@rate_limited("verify")
def check_presentation_page() -> Response:
    from passport.verifying.requests import check_presentation

    use_language()
    try:
        data = read_credential_input()
        answered = check_presentation(
            get_services(),
            visitor=_visitor(),
            challenge=request.form.get("challenge", ""),
            data=data,
        )
    except PassportError as exc:
        return _request_page(status_of(exc), error=exc)
    return _request_page(answered=answered, reports=list(answered.outcome.credentials))


@bp.get("/status/<list_id>")
def status_list(list_id: str) -> Response:
    """A Bitstring Status List credential, signed; cacheable for its ttl, with an ETag."""
    from passport.credentials.status import LIST_TTL_MS, signed_list

    services = get_services()
    with services.session() as session:
        content, version = signed_list(session, services, list_id, services.now())
    etag = f'"{list_id}-{version}"'
    if request.if_none_match.contains(etag.strip('"')):
        response = make_response("", 304)
    else:
        response = make_response(content)
        response.mimetype = "application/vc+ld+json"
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = f"public, max-age={LIST_TTL_MS // 1000}"
    return response


@bp.get("/credentials/<path:credential_id>/badge.<any(png, svg):kind>")
def baked_badge(credential_id: str, kind: str) -> Response:
    """The badge as a baked image: artwork with the credential embedded (OB 3.0 baking)."""
    from passport.credentials.exports import baked_image

    services = get_services()
    with services.session() as session:
        record = session.get(IssuedCredential, credential_id)
        if record is None:
            raise NotFound("No credential with that id is published here.")
        image = baked_image(session, record, kind)
    response = make_response(image)
    response.mimetype = "image/png" if kind == "png" else "image/svg+xml"
    response.headers["Content-Disposition"] = f'inline; filename="badge.{kind}"'
    return response


@bp.get("/credentials/<path:credential_id>/qr.<any(png, svg):kind>")
def credential_qr(credential_id: str, kind: str) -> Response:
    """A QR code pointing at the badge's public verification page."""
    from flask import url_for

    from passport.credentials.exports import qr_png, qr_svg

    services = get_services()
    with services.session() as session:
        if session.get(IssuedCredential, credential_id) is None:
            raise NotFound("No credential with that id is published here.")
    target = services.settings.public_url + url_for(
        "public.credential", credential_id=credential_id
    )
    response = make_response(qr_png(target) if kind == "png" else qr_svg(target))
    response.mimetype = "image/png" if kind == "png" else "image/svg+xml"
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


def _artwork_response(image: bytes, kind: str) -> Response:
    from passport.credentials.images import IMAGE_KINDS

    response = make_response(image)
    response.mimetype = IMAGE_KINDS[kind]
    # The artwork changes only with a name or a level: a day's caching spares the drawing.
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@bp.get("/achievements/<slug>/image.<any(png, svg):kind>")
def achievement_image(slug: str, kind: str) -> Response:
    """An achievement's artwork (its OB 3.0 ``image``): the skill, its level, the issuer."""
    from passport.credentials.images import achievement_artwork

    services = get_services()
    with services.session() as session:
        row = session.get(AchievementDefinition, slug)
        if row is None:
            raise NotFound("No achievement with that id.")
        image = achievement_artwork(session, row, kind)
    return _artwork_response(image, kind)


@bp.get("/issuers/<int:issuer_id>/image.<any(png, svg):kind>")
def issuer_image(issuer_id: int, kind: str) -> Response:
    """An issuer's emblem (the OB 3.0 ``image`` of its profile)."""
    from passport.credentials.images import issuer_artwork
    from passport.credentials.models import Issuer

    services = get_services()
    with services.session() as session:
        issuer = session.get(Issuer, issuer_id)
        if issuer is None:
            raise NotFound("No issuer with that id is published here.")
        image = issuer_artwork(issuer, kind)
    return _artwork_response(image, kind)
