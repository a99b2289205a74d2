"""JSON API under ``/api/v1``, described by ``passport/web/openapi.json`` (served at
``GET /api/v1/openapi.json``).

Every write needs a bearer API token carrying the endpoint's scope
(:data:`passport.accounts.tokens.SCOPES`): ``credentials:issue``, ``credentials:status``,
``assessments:write``; ``GET /api/v1/token`` needs ``read``. What a token does is audited under
``token:<id>``.

``POST /api/v1/credentials`` issues. ``POST /api/v1/verify`` verifies a JSON
credential (``application/json`` and the VC media types), a compact JWT (``application/jwt``,
``application/vc+jwt``, ``text/plain``, or a JSON string), or a multipart upload (field ``file``
or ``credential``); it answers with the verification report — a report, not an HTTP error, even
when the credential fails. It is open to anyone (a public verifier); a request that presents a
token must present a valid one with the ``verify`` scope, and is then recorded as that token's.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, url_for

from passport.accounts.models import ApiToken
from passport.accounts.tokens import authenticate, token_actor
from passport.assessments.models import IDEMPOTENCY_KEY_LENGTH
from passport.assessments.record import AssessmentInput, EvidenceInput, record_assessment
from passport.audit import record_event
from passport.credentials.issuing import (
    DEFAULT_DI_SUITE,
    DEFAULT_FORMAT,
    IssueRequest,
    issue_credential,
    proof_format_named,
)
from passport.errors import Forbidden, InvalidRequest, NotFound, UnsupportedMediaType
from passport.services import Services
from passport.verifying.fit import closers_for, job_family_fit
from passport.verifying.verify import verify_input
from passport.web.context import get_services
from passport.web.security import csrf_exempt, rate_limited
from verifier import parse_json

__all__ = ["bp", "read_credential_input"]

bp = Blueprint("api", __name__, url_prefix="/api/v1")

JSON_TYPES = frozenset(
    {"application/json", "application/ld+json", "application/vc+ld+json", "application/vc"}
)
JWT_TYPES = frozenset({"application/jwt", "application/vc+jwt", "text/plain"})


def read_credential_input() -> bytes | str:
    """Return what the client sent for verification, as text or bytes for the verifier.

    Raises :class:`UnsupportedMediaType` or :class:`InvalidRequest` for unusable bodies.
    """
    mimetype = request.mimetype
    if mimetype == "multipart/form-data" or mimetype == "application/x-www-form-urlencoded":
        upload = request.files.get("file") or request.files.get("credential")
        if upload is not None and upload.filename:
            return upload.read()
        text = request.form.get("credential", "") or request.form.get("url", "")
        if not text.strip():
            raise InvalidRequest("Send the credential as a file or in the 'credential' field.")
        return text
    if mimetype in JSON_TYPES:
        body = request.get_data(cache=False)
        if body.lstrip()[:1] == b'"':
            value = parse_json(body, what="request body")
            if not isinstance(value, str):  # pragma: no cover - guarded by the quote
                raise InvalidRequest("The JSON body must be a credential or a JWT string.")
            return value
        return body
    if mimetype in JWT_TYPES:
        return request.get_data(cache=False)
    raise UnsupportedMediaType(
        "Send a JSON credential (application/json), a JWT (application/jwt) or a file upload."
    )


@bp.get("/openapi.json")
def openapi() -> Response:
    """The hand-written OpenAPI 3.1 description of this API (tests keep it true)."""
    with current_app.open_resource("openapi.json") as handle:
        response = Response(handle.read(), mimetype="application/json")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.post("/verify")
@csrf_exempt
@rate_limited("verify")
def verify() -> Response:
    """Verify one credential (today's report shape) or a whole passport / VP / CLR in one call:
    ``{verified, kind, container: <report>, credentials: [<report>…]}``; ``?jobFamily=<id>``
    adds the job-family fit of the verified badges."""
    services = get_services()
    authorization = request.headers.get("Authorization")
    if authorization:
        # Anonymous verification is open; a token, once shown, must be good and allowed.
        with services.session() as session:
            authenticate(session, authorization, now=services.now(), scope="verify")
    data = read_credential_input()
    recipient = request.args.get("recipient") or None
    outcome = verify_input(
        services,
        data,
        recipient=recipient,
        challenge=request.args.get("challenge") or None,
        domain=request.args.get("domain") or None,
        user_agent=request.headers.get("User-Agent"),
    )
    body = outcome.to_dict()
    family_id = request.args.get("jobFamily") or request.form.get("jobFamily")
    if family_id:
        report = job_family_fit(services, family_id, list(outcome.credentials))
        body["fit"] = report.to_dict()
        closers = closers_for(services, report)
        for gap in body["fit"]["gaps"]:
            gap["closers"] = closers.get(gap["skill"], [])
    return jsonify(body)


@bp.post("/credentials")
@csrf_exempt
@rate_limited("api")
def create_credential() -> tuple[Response, int, dict[str, str]]:
    services = get_services()
    now = services.now()
    token, body = _authorized_json_body(services, now, scope="credentials:issue")
    achievement = _string(body, "achievement")
    recipient = _string(body, "recipient")
    proof_format = body.get("format", DEFAULT_FORMAT)
    if not isinstance(proof_format, str):
        raise InvalidRequest("'format' must be a string.")
    reason = body.get("reason", "issued through the API by an integration")
    if not isinstance(reason, str):
        raise InvalidRequest("'reason' must be a string.")
    alg = body.get("alg")
    if alg is not None and not isinstance(alg, str):
        raise InvalidRequest("'alg' must be a string.")
    suspendable = body.get("suspendable", False)
    if not isinstance(suspendable, bool):
        raise InvalidRequest("'suspendable' must be true or false.")
    suite = body.get("suite", DEFAULT_DI_SUITE)
    if not isinstance(suite, str):
        raise InvalidRequest("'suite' must be a string.")
    with services.session() as session:
        record = issue_credential(
            session,
            services,
            IssueRequest(
                achievement_id=achievement,
                recipient_email=recipient,
                proof_format=proof_format,
                reason=reason,
                actor=token_actor(token),
                alg=alg,
                suspendable=suspendable,
                suite=suite,
            ),
            now=now,
        )
        content: Any = (
            record.content.decode("ascii")
            if record.proof_format == "vc-jwt"
            else json.loads(record.content)
        )
        payload: dict[str, Any] = {
            "id": record.id,
            "format": record.proof_format,
            "mediaType": record.media_type,
            "credential": content,
            "url": url_for("public.credential", credential_id=record.id, _external=False),
        }
    location = services.settings.public_url + payload["url"]
    payload["url"] = location
    return jsonify(payload), 201, {"Location": location}


def _idempotency_key(token_name: str, key: str) -> str:
    """The stored form of an integration's idempotency key: ``api:<token name>:<key>`` as
    always (keys stored before keep matching), or its SHA-256 when that would not fit the
    200-character column (a 100-character token name and a 150-character key)."""
    plain = f"api:{token_name}:{key}"
    if len(plain) <= IDEMPOTENCY_KEY_LENGTH:
        return plain
    return "api-sha256:" + hashlib.sha256(plain.encode("utf-8")).hexdigest()


def _authorized_json_body(
    services: Services, now: datetime, *, scope: str
) -> tuple[ApiToken, dict[str, Any]]:
    """Authenticate the bearer token for ``scope`` first, then read a JSON object body."""
    with services.session() as session:
        token = authenticate(session, request.headers.get("Authorization"), now=now, scope=scope)
    if request.mimetype not in JSON_TYPES:
        raise UnsupportedMediaType("Send the request body as application/json.")
    body = parse_json(request.get_data(cache=False), what="request body")
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    return token, body


def _string(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequest(f"'{name}' is required and must be a non-empty string.")
    return value


@bp.post("/assessments")
@csrf_exempt
@rate_limited("api")
def create_assessment() -> tuple[Response, int]:
    """Record an assessment (bearer token); a pass issues the badge.

    Body: ``{"learner": email, "achievement": id, "levels": {criterion: level} | "level": n,
    "evidence": [{"name", "narrative", "url"}], "idempotencyKey": str,
    "format": "data-integrity"|"vc-jwt", "assessor": str}``. 201 when recorded, 200 when the
    idempotency key replays an earlier one.
    """
    services = get_services()
    now = services.now()
    token, body = _authorized_json_body(services, now, scope="assessments:write")
    levels: Any = body.get("levels")
    if levels is None and isinstance(body.get("level"), int):
        levels = {"*": body["level"]}
    if not isinstance(levels, dict) or not all(isinstance(k, str) for k in levels):
        raise InvalidRequest("'levels' must map rubric criteria to levels (or give 'level').")
    evidence_in = body.get("evidence", [])
    if not isinstance(evidence_in, list) or not all(isinstance(e, dict) for e in evidence_in):
        raise InvalidRequest("'evidence' must be a list of objects.")
    evidence = []
    for item in evidence_in:
        values = {k: item.get(k) for k in ("name", "narrative", "url")}
        if not all(v is None or isinstance(v, str) for v in values.values()):
            raise InvalidRequest("Evidence name, narrative and url must be strings.")
        evidence.append(EvidenceInput(**values))
    key = body.get("idempotencyKey")
    if key is not None and (not isinstance(key, str) or not 0 < len(key) <= 150):
        raise InvalidRequest("'idempotencyKey' must be a string of 1 to 150 characters.")
    proof_format = body.get("format", DEFAULT_FORMAT)
    if not isinstance(proof_format, str):
        raise InvalidRequest("'format' must be a string.")
    named = body.get("assessor")
    if named is not None and (not isinstance(named, str) or len(named) > 200):
        raise InvalidRequest("'assessor' must be a string of at most 200 characters.")
    with services.session() as session:
        outcome = record_assessment(
            session,
            services,
            AssessmentInput(
                learner_email=_string(body, "learner"),
                achievement_id=_string(body, "achievement"),
                levels=levels,
                # The token is who records it; the name it gives goes beside (finding 6).
                assessor=token_actor(token),
                assessor_named=(named or "").strip() or None,
                evidence=tuple(evidence),
                idempotency_key=_idempotency_key(token.name, key) if key else None,
                proof_format=proof_format,
            ),
            now=now,
        )
    payload: dict[str, Any] = {
        "assessment": outcome.assessment_id,
        "passed": outcome.passed,
        "credentialId": outcome.credential_id,
        "shortfalls": list(outcome.shortfalls),
    }
    if outcome.credential_id:
        payload["url"] = services.settings.public_url + url_for(
            "public.credential", credential_id=outcome.credential_id
        )
    return jsonify(payload), 201 if outcome.created else 200


@bp.post("/credentials/<path:credential_id>/<any(revoke, suspend, reinstate):action>")
@csrf_exempt
@rate_limited("api")
def credential_status(credential_id: str, action: str) -> Response:
    """Revoke, suspend or reinstate a credential (bearer token); body ``{"reason": "…"}``."""
    from passport.credentials.status import change_status

    services = get_services()
    now = services.now()
    token, body = _authorized_json_body(services, now, scope="credentials:status")
    if not isinstance(body.get("reason"), str):
        raise InvalidRequest('Send {"reason": "…"}: a reason is required.', code="no_reason")
    with services.session() as session:
        change = change_status(
            session,
            services,
            credential_id,
            action,
            reason=body["reason"],
            actor=token_actor(token),
            now=now,
        )
    return jsonify({"id": change.credential_id, "action": change.action, "changed": change.changed})


@bp.get("/token")
@rate_limited("api", methods=("GET",))
def token_info() -> Response:
    """The calling token's own name, scopes and expiry (scope ``read``): an integration checks
    what it may do, and when it must be renewed, before it matters."""
    services = get_services()
    with services.session() as session:
        token = authenticate(
            session, request.headers.get("Authorization"), now=services.now(), scope="read"
        )
        body = {
            "id": token.id,
            "name": token.name,
            "scopes": list(token.scope_set),
            "createdAt": token.created_at.isoformat(),
            "expiresAt": None if token.expires_at is None else token.expires_at.isoformat(),
        }
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response


# -- bulk issuance as a job ------------------------------------------------------------------

#: The media types a bulk file may come as (``text/csv`` is the one the description names).
CSV_TYPES = frozenset({"text/csv", "application/csv"})


def _flag(name: str) -> bool:
    value = request.args.get(name, "").strip().lower()
    if value in ("", "false", "0", "no"):
        return False
    if value in ("true", "1", "yes"):
        return True
    raise InvalidRequest(f"'{name}' must be true or false.", code="bad_parameter")


@bp.post("/bulk-issuances")
@csrf_exempt
@rate_limited("api")
def create_bulk_issuance() -> tuple[Response, int] | tuple[Response, int, dict[str, str]]:
    """Issue badges from a CSV file (the columns ``passport bulk`` takes) as a job.

    ``?dryRun=true``: ``200`` with ``{"total", "valid", "alreadyImported", "errors"}`` and
    nothing issued. Otherwise ``202`` with the job (``GET /api/v1/jobs/<id>``) in ``Location``.
    Rows issued before (the same file again) are skipped, never issued twice.
    """
    from passport.assessments.bulk import preview_csv
    from passport.jobs.bulk import job_view, start_bulk

    services = get_services()
    now = services.now()
    with services.session() as session:
        token = authenticate(
            session, request.headers.get("Authorization"), now=now, scope="credentials:issue"
        )
        actor, token_name = token_actor(token), token.name
    if request.mimetype not in CSV_TYPES:
        raise UnsupportedMediaType("Send the CSV file as the request body, as text/csv.")
    dry_run = _flag("dryRun")
    proof_format = proof_format_named(request.args.get("format", "").strip() or DEFAULT_FORMAT)
    data = request.get_data(cache=False)
    with services.session() as session:
        preview = preview_csv(session, data)
        errors = [{"row": e.row, "code": e.code, "message": e.message} for e in preview.errors]
        if dry_run:
            return jsonify(
                {
                    "total": len(preview.rows) + len(preview.errors),
                    "valid": len(preview.rows),
                    "alreadyImported": len(preview.already_imported),
                    "errors": errors,
                }
            ), 200
        job = start_bulk(
            session,
            services,
            data,
            assessor=actor,
            created_by=actor,
            proof_format=proof_format,
            now=now,
            token_name=token_name,
            preview=preview,
        )
        record_event(
            session, actor, "bulk.start", job.id, {"rows": job.total, "token": token_name}, at=now
        )
        body = job_view(session, job, now=now)
        location = url_for("api.job", job_id=job.id)
    return jsonify(body), 202, {"Location": location}


@bp.post("/people-events")
@csrf_exempt
@rate_limited("api")
def create_people_events() -> tuple[Response, int] | tuple[Response, int, dict[str, str]]:
    """Import people events from an HR system (scope ``people:write``) as a job.

    The body is a CSV file (``text/csv``, the columns ``passport people import`` takes) or JSON
    (a list of events, or ``{"events": [...]}``; rows are numbered by their 1-based index).
    ``?dryRun=true``: ``200`` with ``{"total", "valid", "errors"}`` and nothing written.
    Otherwise ``202`` with the job (``GET /api/v1/jobs/<id>``) in ``Location``; events
    imported before (the same file again) are not imported twice.
    """
    from passport.jobs.bulk import job_view
    from passport.outcomes.people import (
        job_family_ids,
        org_today,
        parse_csv,
        refuse_erased,
    )
    from passport.outcomes.people import parse_json as parse_people_json
    from passport.outcomes.people_jobs import start_people_import

    services = get_services()
    now = services.now()
    with services.session() as session:
        token = authenticate(
            session, request.headers.get("Authorization"), now=now, scope="people:write"
        )
        actor, token_name = token_actor(token), token.name
    if request.mimetype not in CSV_TYPES and request.mimetype != "application/json":
        raise UnsupportedMediaType(
            "Send the events as the request body, as text/csv or application/json."
        )
    dry_run = _flag("dryRun")
    data = request.get_data(cache=False)
    with services.session() as session:
        today, families = org_today(session, now), job_family_ids(session)
        if request.mimetype == "application/json":
            body = parse_json(data, what="request body", max_bytes=len(data) + 1)
            parsed = parse_people_json(body, today=today, job_families=families)
        else:
            parsed = parse_csv(data, today=today, job_families=families)
        parsed = refuse_erased(session, parsed, secret_key=services.settings.secret_key)
        if dry_run:
            return jsonify(parsed.preview()), 200
        job = start_people_import(
            session, parsed, data, created_by=actor, now=now, token_name=token_name
        )
        body = job_view(session, job, now=now)
        location = url_for("api.job", job_id=job.id)
    return jsonify(body), 202, {"Location": location}


def _job_starter(session: Any, authorization: str | None, now: datetime) -> ApiToken:
    """A token with a scope that starts jobs (it reads the jobs it started)."""
    for scope in ("credentials:issue", "people:write"):
        try:
            return authenticate(session, authorization, now=now, scope=scope)
        except Forbidden:
            continue
    raise Forbidden(
        "This API token lacks the scope 'read' that reading jobs needs (a token with "
        "'credentials:issue' or 'people:write' reads the jobs it started).",
        code="insufficient_scope",
    )


def _readable_job(job_id: str, scope_needed: str) -> None:
    """The job ``job_id`` if the calling token may see it: a ``read`` token sees every job
    (``GET`` only), the token that started a job sees that one. Another job, or none: 404, so
    a token learns nothing about jobs that are not its own."""
    from passport.jobs.admin import get_job

    services = get_services()
    now = services.now()
    authorization = request.headers.get("Authorization")
    with services.session() as session:
        reads_all = False
        if scope_needed == "read":
            try:
                token = authenticate(session, authorization, now=now, scope="read")
                reads_all = True
            except Forbidden:
                token = _job_starter(session, authorization, now)
        else:
            token = authenticate(session, authorization, now=now, scope=scope_needed)
        job = get_job(session, job_id)
        if job is None or not (reads_all or job.token_name == token.name):
            raise NotFound("No job with that id was started with this token.", code="unknown_job")


@bp.get("/jobs/<job_id>")
@rate_limited("api", methods=("GET",))
def job(job_id: str) -> Response:
    """A job's progress (``read`` scope, or the token that started it)."""
    from passport.jobs.admin import get_job
    from passport.jobs.bulk import job_view

    services = get_services()
    _readable_job(job_id, "read")
    with services.session() as session:
        row = get_job(session, job_id)
        if row is None:  # pragma: no cover - deleted between the two reads
            raise NotFound("No job with that id was started with this token.", code="unknown_job")
        body = job_view(session, row, now=services.now())
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/jobs/<job_id>/cancel")
@csrf_exempt
@rate_limited("api")
def cancel_job(job_id: str) -> Response:
    """Stop a job (the token that started it, scope ``credentials:issue``): parts not begun
    are cancelled, running ones stop after their batch; rows issued stay issued."""
    from passport.jobs.admin import get_job
    from passport.jobs.bulk import job_view
    from passport.jobs.runner import cancel_job as cancel

    services = get_services()
    _readable_job(job_id, "credentials:issue")
    cancel(services, job_id)
    with services.session() as session:
        row = get_job(session, job_id)
        if row is None:  # pragma: no cover - deleted between the two reads
            raise NotFound("No job with that id was started with this token.", code="unknown_job")
        body = job_view(session, row, now=services.now())
    return jsonify(body)
