"""Public pages: home, a credential's page (HTML or the credential itself), achievements, verify."""

from __future__ import annotations

import json
import re
from typing import Any

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
    services = get_services()
    with services.session() as session:
        achievements = list(
            session.scalars(select(AchievementDefinition).order_by(AchievementDefinition.name))
        )
        return render_template("home.html", achievements=achievements)


@bp.get("/credentials/<path:credential_id>")
def credential(credential_id: str) -> Response | str:
    services = get_services()
    with services.session() as session:
        record = session.get(IssuedCredential, credential_id)
        if record is None:
            raise NotFound("No credential with that id is published here.")
        content = record.content
        proof_format = record.proof_format
        verifier = services.verifier(session)
    offers = SERVED_AS[proof_format]
    # No Accept header at all accepts anything: the page.
    best = request.accept_mimetypes.best_match(offers) if request.accept_mimetypes else offers[0]
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
    report = verifier.report(content, now=services.now())
    page = render_template(
        "credential.html", report=report, credential=report.credential, raw=content.decode()
    )
    return _vary(make_response(page))


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
        return make_response(render_template("achievement.html", achievement=definition))
    document = {
        "@context": ["https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
        **definition,
    }
    response = make_response(json.dumps(document, ensure_ascii=False, indent=2))
    response.mimetype = (
        "application/ld+json" if best == "application/ld+json" else "application/json"
    )
    return _vary(response)


@bp.route("/verify", methods=["GET", "POST"])
@rate_limited("verify")
def verify_page() -> str:
    from passport.catalog.models import JobFamily
    from passport.verifying.fit import closers_for
    from passport.verifying.verify import verify_input
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
    page: dict[str, Any] = {"job_families": families, "reports": [], "closers": {}}
    if request.method == "GET":
        return render_template("verify.html", **page)
    try:
        data = read_credential_input()
    except InvalidRequest as exc:
        return render_template("verify.html", error=exc.message, **page)
    outcome = verify_input(services, data)
    reports = list(outcome.credentials)
    container = outcome if outcome.is_container else None
    page["container"] = container
    # A CLR is a credential too: its own report first, then each badge's.
    page["reports"] = [container.outer, *reports] if container and container.outer else reports
    family_id = request.form.get("jobFamily") or ""
    family_file = request.files.get("jobFamilyFile")
    page["chosen_family"] = family_id
    try:
        if family_file is not None and family_file.filename:
            document = parse_json(family_file.read(), what="job family")
            page["fit"] = fit(parse_job_family(document), reports, now=services.now())
        elif family_id:
            from passport.verifying.fit import job_family_fit

            page["fit"] = job_family_fit(services, family_id, reports)
            page["closers"] = closers_for(services, page["fit"])
    except FormatError as exc:
        page["error"] = exc.message
    return render_template("verify.html", **page)


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
