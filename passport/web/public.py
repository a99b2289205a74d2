"""Public pages: home, a credential's page (HTML or the credential itself), achievements, verify."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, make_response, render_template, request
from sqlalchemy import select

from passport.catalog.models import AchievementDefinition
from passport.credentials.models import IssuedCredential
from passport.errors import InvalidRequest, NotAcceptable, NotFound
from passport.web.api import read_credential_input
from passport.web.context import get_services
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
            for f in session.scalars(select(JobFamily).order_by(JobFamily.name))
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
