"""The mobility API (issue #20): open roles and their candidates (API token scopes ``roles:write``
and ``roles:read``), and a signed-in person's consent to be discoverable.

Roles: ``POST /api/v1/roles`` opens one (``roles:write``), ``GET /api/v1/roles`` lists them and
``GET /api/v1/roles/<id>`` shows one (``roles:read``; a ``roles:write`` token may read a role it
could have opened), ``POST /api/v1/roles/<id>/close`` closes it, and
``GET /api/v1/roles/<id>/candidates`` ranks the consenting people now (``roles:read``; audited
as ``role.candidates``, since it lists people). What a token does is audited as ``token:<id>``.

Consent: ``GET``/``PUT /api/v1/me/discoverability`` for the signed-in person, by their session
cookie — no token. The PUT must carry the session's CSRF token in an ``X-CSRF-Token`` header
(the GET hands it out in the same header, so a script of the person's own can send it back).
Without a session: 401 ``login_required``; without the header or with a wrong one: 403
``csrf_failed``. The check is made here rather than by the app-wide form check, so that a
request without a session learns it must sign in first.
"""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request, session

from passport.accounts.models import ApiToken, User
from passport.accounts.tokens import authenticate, token_actor
from passport.audit import record_event
from passport.errors import Forbidden, InvalidRequest, Unauthorized, UnsupportedMediaType
from passport.mobility.candidates import candidates_json, rank_role
from passport.mobility.consent import consent_of, parse_consent, set_consent
from passport.mobility.roles import (
    RoleDraft,
    close_role,
    find_role,
    list_roles,
    open_role,
    role_json,
)
from passport.services import Services
from passport.web.api import JSON_TYPES
from passport.web.context import get_services
from passport.web.security import csrf_exempt, csrf_token, rate_limited
from passport.web.sessions import current_user
from verifier import parse_json

__all__ = ["bp"]

bp = Blueprint("mobility_api", __name__, url_prefix="/api/v1")

#: The fields a role is opened with (anything else is refused, not ignored).
ROLE_FIELDS = frozenset({"title", "jobFamily", "openings", "levels", "team", "location"})
#: The query parameters ``GET /roles`` reads.
LIST_PARAMETERS = frozenset({"status", "jobFamily"})
ROLE_STATUSES = ("open", "closed")


def _token(services: Services, now: datetime, *scopes: str) -> ApiToken:
    """The bearer token of the request, if it carries one of ``scopes`` (the first named is
    the one a refusal asks for)."""
    with services.session() as db:
        header = request.headers.get("Authorization")
        for scope in scopes[1:]:
            try:
                return authenticate(db, header, now=now, scope=scope)
            except Forbidden:
                continue
        return authenticate(db, header, now=now, scope=scopes[0])


def _json_object() -> dict[str, Any]:
    if request.mimetype not in JSON_TYPES:
        raise UnsupportedMediaType("Send the request body as application/json.")
    body = parse_json(request.get_data(cache=False), what="request body")
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.", code="invalid_body")
    return body


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/roles")
@csrf_exempt
@rate_limited("api")
def create_role() -> tuple[Response, int, dict[str, str]]:
    """Open a role: ``{"title", "jobFamily", "openings", "levels": {SKILL: LEVEL}, "team",
    "location"}`` → 201 with the role and its ``Location``."""
    services = get_services()
    now = services.now()
    token = _token(services, now, "roles:write")
    body = _json_object()
    unknown = sorted(set(body) - ROLE_FIELDS)
    if unknown:
        raise InvalidRequest(f"Unknown field {unknown[0]!r}.", code="unknown_field")
    levels = body.get("levels", {})
    if levels is None:
        levels = {}
    draft = RoleDraft(
        title=body.get("title"),  # type: ignore[arg-type] # checked by open_role
        job_family=body.get("jobFamily"),  # type: ignore[arg-type] # checked by open_role
        openings=body.get("openings", 1),
        levels=levels,
        team=body.get("team"),
        location=body.get("location"),
    )
    with services.session() as db:
        role = open_role(db, draft, actor=token_actor(token), user_id=None, now=now)
        db.flush()
        payload = role_json(role)
    return jsonify(payload), 201, {"Location": f"/api/v1/roles/{payload['id']}"}


@bp.get("/roles")
@rate_limited("api", methods=("GET",))
def roles() -> Response:
    """The roles, open ones first; ``status`` (open|closed) and ``jobFamily`` narrow them."""
    services = get_services()
    _token(services, services.now(), "roles:read")
    unknown = sorted(set(request.args) - LIST_PARAMETERS)
    if unknown:
        raise InvalidRequest(f"Unknown query parameter {unknown[0]!r}.", code="unknown_parameter")
    status = request.args.get("status") or None
    if status is not None and status not in ROLE_STATUSES:
        raise InvalidRequest(
            "The parameter 'status' must be 'open' or 'closed'.", code="invalid_status"
        )
    with services.session() as db:
        found = list_roles(db, status=status, job_family=request.args.get("jobFamily") or None)
        payload = {"roles": [role_json(role) for role in found]}
    return _no_store(jsonify(payload))


@bp.get("/roles/<int:role_id>")
@rate_limited("api", methods=("GET",))
def role(role_id: int) -> Response:
    """One role (``roles:read``, or ``roles:write``); 404 ``unknown_role``."""
    services = get_services()
    _token(services, services.now(), "roles:read", "roles:write")
    with services.session() as db:
        payload = role_json(find_role(db, role_id))
    return _no_store(jsonify(payload))


@bp.post("/roles/<int:role_id>/close")
@csrf_exempt
@rate_limited("api")
def close(role_id: int) -> Response:
    """Close an open role; 409 ``role_closed`` when it is closed already."""
    services = get_services()
    now = services.now()
    token = _token(services, now, "roles:write")
    with services.session() as db:
        payload = role_json(close_role(db, role_id, actor=token_actor(token), now=now))
    return jsonify(payload)


@bp.get("/roles/<int:role_id>/candidates")
@rate_limited("api", methods=("GET",))
def candidates(role_id: int) -> Response:
    """The role's candidates in rank order, computed now: only people who opted in."""
    services = get_services()
    now = services.now()
    token = _token(services, now, "roles:read")
    with services.session() as db:
        result = rank_role(services, db, role_id)
        payload = candidates_json(result)
        # It lists people: who read it, and how many were shown, goes into the audit log.
        record_event(
            db,
            token_actor(token),
            "role.candidates",
            role_id,
            {"candidates": len(result.candidates)},
            at=now,
        )
    return _no_store(jsonify(payload))


# -- the signed-in person's consent --------------------------------------------------------------


def _signed_in(services: Services) -> User:
    with services.sessions() as db:
        user = current_user(db)
        if user is not None:
            db.expunge(user)
    if user is None or user.erased_at is not None:
        raise Unauthorized("Please sign in first.", code="login_required")
    return user


def _check_csrf_header() -> None:
    expected = session.get("csrf_token")
    sent = request.headers.get("X-CSRF-Token") or ""
    if not isinstance(expected, str) or not hmac.compare_digest(expected, sent):
        raise Forbidden(
            "Send the session's CSRF token in the X-CSRF-Token header (GET "
            "/api/v1/me/discoverability answers with it).",
            code="csrf_failed",
        )


def _consent_response(payload: dict[str, Any]) -> Response:
    response = _no_store(jsonify(payload))
    response.headers["X-CSRF-Token"] = csrf_token()
    response.vary.add("Cookie")
    return response


@bp.get("/me/discoverability")
@rate_limited("api", methods=("GET",))
def my_discoverability() -> Response:
    """Whether the signed-in person is discoverable, and for which job families."""
    services = get_services()
    user = _signed_in(services)
    with services.session() as db:
        payload = consent_of(db, user.id).to_json()
    return _consent_response(payload)


@bp.put("/me/discoverability")
@csrf_exempt  # checked below, after the session, from the X-CSRF-Token header
@rate_limited("api", methods=("PUT",))
def set_my_discoverability() -> Response:
    """Opt in (``{"discoverable": true, "jobFamilies": [ID…] | null}``) or withdraw
    (``{"discoverable": false}``), at once."""
    services = get_services()
    user = _signed_in(services)
    _check_csrf_header()
    consent = parse_consent(_json_object())
    if consent.discoverable and user.role != "learner":
        # The same rule as the passport page's form; withdrawing stays open to anyone.
        raise Forbidden(
            "Only learners can make themselves discoverable for internal moves.",
            code="role_forbidden",
        )
    now = services.now()
    with services.session() as db:
        payload = set_consent(db, user.id, consent, actor=user.email, now=now).to_json()
    return _consent_response(payload)
