"""Mentor endorsements over HTTP: the DID documents of mentors' endorser identities
(``/mentors/<slug>/did.json``, the did:web path rule) and the API
``POST|GET /api/v1/credentials/<id>/endorsements`` (bearer token), plus the template helper
that shows a badge's endorsements wherever a verification report is shown.

The use cases live in :mod:`passport.mentoring.endorsements`; this module only translates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request
from sqlalchemy.orm import Session

from passport.accounts.models import User
from passport.accounts.tokens import authenticate, token_actor
from passport.errors import InvalidRequest, UnsupportedMediaType
from passport.mentoring import endorsements as use_cases
from passport.web.context import get_services
from passport.web.security import csrf_exempt, rate_limited
from verifier import Report, parse_json

__all__ = ["EndorsementLine", "api_bp", "bp", "endorsement_lines", "stored_endorsement_lines"]

bp = Blueprint("endorsements", __name__)
api_bp = Blueprint("endorsements_api", __name__, url_prefix="/api/v1")

_JSON_TYPES = frozenset({"application/json", "application/ld+json"})


@bp.get("/mentors/<slug>/did.json")
def mentor_did_document(slug: str) -> Response:
    """A mentor endorser's DID document (``did:web:<host>:mentors:<slug>``)."""
    services = get_services()
    with services.session() as session:
        document = use_cases.endorser_document(session, services, slug)
    response = jsonify(document)
    response.mimetype = "application/did+json"
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@api_bp.post("/credentials/<path:credential_id>/endorsements")
@csrf_exempt
@rate_limited("api")
def endorse(credential_id: str) -> tuple[Response, int]:
    """Endorse a badge for a mentor (scope ``credentials:endorse``): body
    ``{"mentor": "e-mail", "comment": "…"}`` (the service signs), or an EndorsementCredential
    the mentor signed with their registered did:key (it has ``type``; stored as sent);
    answers the stored endorsement."""
    services = get_services()
    now = services.now()
    with services.session() as session:
        token = authenticate(
            session, request.headers.get("Authorization"), now=now, scope="credentials:endorse"
        )
    if request.mimetype not in _JSON_TYPES:
        raise UnsupportedMediaType("Send the request body as application/json.")
    data = request.get_data(cache=False)
    body = parse_json(data, what="request body")
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    if "type" in body:  # an EndorsementCredential the mentor signed with their own did:key
        with services.session() as session:
            row = use_cases.submit_signed_endorsement(
                session,
                services,
                credential_id=credential_id,
                mentor=_signed_by(session, body),
                submitted=data,
                now=now,
                actor=token_actor(token),
            )
            (view,) = [
                v for v in use_cases.endorsements_of(session, credential_id) if v.id == row.id
            ]
        return jsonify(view.to_dict()), 201
    mentor, comment = body.get("mentor"), body.get("comment")
    if not isinstance(mentor, str) or not mentor.strip():
        raise InvalidRequest("'mentor' (the mentor's e-mail) is required.", code="no_mentor")
    if not isinstance(comment, str):
        raise InvalidRequest("'comment' is required and must be a string.", code="no_comment")
    with services.session() as session:
        row = use_cases.endorse_badge(
            session,
            services,
            credential_id=credential_id,
            mentor=use_cases.endorser_named(session, mentor),
            comment=comment,
            now=now,
            actor=token_actor(token),
        )
        (view,) = [v for v in use_cases.endorsements_of(session, credential_id) if v.id == row.id]
    return jsonify(view.to_dict()), 201


def _signed_by(session: Session, endorsement: dict[str, Any]) -> User:
    """The mentor whose registered did:key is the signed endorsement's issuer.

    Unverified here (the use case verifies it and checks the issuer again): it only names
    whose endorsement this claims to be. No mentor with that did:key: ``endorser_mismatch``.
    """
    issuer = endorsement.get("issuer")
    unverified_did = issuer.get("id") if isinstance(issuer, dict) else issuer
    mentor = (
        use_cases.mentor_with_did(session, unverified_did)
        if isinstance(unverified_did, str)
        else None
    )
    if mentor is None:
        raise InvalidRequest(
            "No mentor registered the did:key that signed this endorsement.",
            code="endorser_mismatch",
        )
    return mentor


@api_bp.get("/credentials/<path:credential_id>/endorsements")
@rate_limited("api", methods=("GET",))
def list_endorsements(credential_id: str) -> Response:
    """A badge's endorsements in force, oldest first (scope ``read``)."""
    services = get_services()
    with services.session() as session:
        authenticate(
            session, request.headers.get("Authorization"), now=services.now(), scope="read"
        )
        use_cases.badge_named(session, credential_id)
        views = use_cases.endorsements_of(session, credential_id)
    return jsonify({"endorsements": [v.to_dict() for v in views]})


@dataclass(frozen=True, slots=True)
class EndorsementLine:
    """One endorsement as a report shows it: who, what they wrote, when, and whether it held."""

    endorser: str
    comment: str
    valid_from: datetime | None
    #: None where the badge was not verified (the learner's own page shows what we stored).
    verified: bool | None


@bp.app_template_global("endorsement_lines")
def endorsement_lines(report: Report) -> list[EndorsementLine]:
    """The endorsements embedded in the reported credential, each with its own check."""
    credential = report.credential
    if credential is None:
        return []
    checked: dict[str, bool] = {}
    for child in report.children:
        if child.credential is not None:
            checked[child.credential.id] = child.verified
    lines = []
    for item in getattr(credential, "endorsement", ()):
        subject: Any = item.credential_subject
        lines.append(
            EndorsementLine(
                endorser=item.issuer.name or item.issuer.id,
                comment=subject.endorsement_comment or "",
                valid_from=item.valid_from,
                verified=checked.get(item.id, False),
            )
        )
    return lines


def stored_endorsement_lines(session: Session, credential_id: str) -> list[EndorsementLine]:
    """The endorsements in force on one of our badges, as stored (not verified here)."""
    return [
        EndorsementLine(
            endorser=view.endorser_name,
            comment=view.comment,
            valid_from=view.created_at,
            verified=None,
        )
        for view in use_cases.endorsements_of(session, credential_id)
    ]
