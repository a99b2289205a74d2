"""HTTP of the 1EdTech Open Badges 3.0 API (Service Provider role; docs/wallets/open-badges-api.md).

``api`` (``/ims/ob/v3p0``, OB 3.0 §6.2): ``GET /discovery`` (no token), ``GET``/``POST
/credentials``, ``GET``/``PUT /profile`` with bearer tokens; every error is an
``Imsx_StatusInfo`` body (``imsx_codeMinorFieldName`` = our stable code,
``imsx_codeMinorFieldValue`` = the spec's vocabulary), 401 with ``WWW-Authenticate: Bearer``.

``oauth`` (``/ims/ob/v3p0/oauth``): ``POST /register`` (RFC 7591), ``GET``/``POST /authorize``
(the learner's consent page), ``POST /token`` and ``POST /revoke`` (RFC 7009) — Authlib's
Flask authorization server over the grants of :mod:`passport.wallets.obapi_oauth`.

``pages``: ``/platforms`` (what a platform that connects gets: terms and privacy, public),
``/my/platforms`` (the learner sees and ends platform access) and ``/admin/platforms``
(registered platforms; an administrator can disable one).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
from typing import Any
from urllib.parse import urlencode, urlsplit

from authlib.integrations.flask_oauth2 import (  # type: ignore[import-untyped]
    AuthorizationServer,
)
from authlib.oauth2.rfc6749.errors import OAuth2Error  # type: ignore[import-untyped]
from flask import (
    Blueprint,
    Response,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as WerkzeugResponse

from passport.accounts.users import ROLES
from passport.errors import (
    Forbidden,
    InvalidRequest,
    NotFound,
    PassportError,
    Unauthorized,
    UnsupportedMediaType,
)
from passport.wallets.models import HeldCredential
from passport.wallets.obapi_clients import (
    SCOPES,
    client_metadata,
    disable_client,
    list_clients,
    register_client,
)
from passport.wallets.obapi_discovery import ObApiUrls, service_description
from passport.wallets.obapi_oauth import (
    CodeGrant,
    OAuthContext,
    ObRevocationEndpoint,
    RefreshGrant,
    S256Required,
    TokenOwner,
    client_row,
    query_client,
    save_token,
    token_generator,
)
from passport.wallets.obapi_resources import (
    AccessGrant,
    authenticate_bearer,
    credential_page,
    learner_profile,
    parse_paging,
    platform_access,
    revoke_platform,
    strict_json,
    update_profile,
    upsert_credential,
)
from passport.web.context import get_services
from passport.web.i18n import gettext as _
from passport.web.security import CSP, csrf_exempt, rate_limited
from passport.web.sessions import require_role

__all__ = ["api_bp", "oauth_bp", "pages_bp", "scope_words"]

logger = logging.getLogger(__name__)

api_bp = Blueprint("ob_api", __name__, url_prefix="/ims/ob/v3p0")
oauth_bp = Blueprint("ob_oauth", __name__, url_prefix="/ims/ob/v3p0/oauth")
pages_bp = Blueprint("ob_pages", __name__)

_JSON_TYPES = ("application/json", "application/vc+ld+json", "application/ld+json")


def scope_words() -> dict[str, str]:
    """Each scope in plain words, for the consent page and the learner's platforms page."""
    return {
        SCOPES["credential.readonly"]: _("See the badges in your passport"),
        SCOPES["credential.upsert"]: _("Add badges to your passport"),
        SCOPES["profile.readonly"]: _("See your name and e-mail address"),
        SCOPES["profile.update"]: _("Change your name"),
    }


def _urls() -> ObApiUrls:
    base = get_services().settings.public_url
    return ObApiUrls(
        api_base=base + "/ims/ob/v3p0",
        authorize=base + url_for("ob_oauth.authorize"),
        token=base + url_for("ob_oauth.token"),
        revoke=base + url_for("ob_oauth.revoke"),
        register=base + url_for("ob_oauth.register"),
        terms_of_service=base + url_for("ob_pages.policy", _anchor="terms"),
        privacy_policy=base + url_for("ob_pages.policy", _anchor="privacy"),
    )


# -- errors: Imsx_StatusInfo -------------------------------------------------------------------

#: (status, imsx_codeMinorFieldValue) of each application error on the resource endpoints.
_IMSX: tuple[tuple[type[PassportError], int, str], ...] = (
    (Unauthorized, 401, "unauthorizedrequest"),
    (Forbidden, 403, "forbidden"),
    (NotFound, 404, "not_found"),
    (UnsupportedMediaType, 415, "invalid_data"),
    (InvalidRequest, 400, "invalid_data"),
)


def _status_info(status: int, code: str, value: str, message: str) -> Response:
    body = {
        "imsx_codeMajor": "failure",
        "imsx_severity": "error",
        "imsx_description": message,
        "imsx_codeMinor": {
            "imsx_codeMinorField": [
                {"imsx_codeMinorFieldName": code, "imsx_codeMinorFieldValue": value}
            ]
        },
    }
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


@api_bp.errorhandler(PassportError)
def _imsx_error(exc: PassportError) -> Response:
    status, value = 400, "invalid_data"
    for cls, cls_status, cls_value in _IMSX:
        if isinstance(exc, cls):
            status, value = cls_status, cls_value
            break
    if exc.code == "invalid_query_parameter":
        value = "invalid_query_parameter"
    response = _status_info(status, exc.code, value, exc.message)
    if status == 401:
        # RFC 6750 §3: a request without a token gets no error code; a bad token gets one.
        attributes = 'realm="ob"'
        if request.headers.get("Authorization"):
            attributes += ', error="invalid_token", error_description="' + exc.message + '"'
        response.headers["WWW-Authenticate"] = "Bearer " + attributes
    elif exc.code == "insufficient_scope":
        needed = _NEEDED_SCOPE.get(f"{request.endpoint}:{request.method}", "")
        response.headers["WWW-Authenticate"] = (
            f'Bearer realm="ob", error="insufficient_scope", scope="{needed}"'
        )
    return response


_NEEDED_SCOPE = {
    "ob_api.credentials:GET": SCOPES["credential.readonly"],
    "ob_api.credentials:HEAD": SCOPES["credential.readonly"],
    "ob_api.upsert:POST": SCOPES["credential.upsert"],
    "ob_api.profile:GET": SCOPES["profile.readonly"],
    "ob_api.profile:HEAD": SCOPES["profile.readonly"],
    "ob_api.profile:PUT": SCOPES["profile.update"],
}


def _grant(db: Session) -> AccessGrant:
    needed = _NEEDED_SCOPE[f"{request.endpoint}:{request.method}"]
    return authenticate_bearer(
        db, request.headers.get("Authorization"), needed, now=get_services().now()
    )


# -- resource endpoints ------------------------------------------------------------------------


@api_bp.get("/discovery")
@rate_limited("api", methods=("GET",))
def discovery() -> Response:
    """The Service Description Document (no token: OB 3.0 says it MUST NOT be protected)."""
    document = service_description(_urls(), title=_("Skill Passport"))
    response = Response(json.dumps(document, ensure_ascii=False), mimetype="application/json")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


def _link(limit: int, offset: int, since: str | None) -> str:
    query: dict[str, str | int] = {"limit": limit, "offset": offset}
    if since is not None:
        query["since"] = since
    return get_services().settings.public_url + request.path + "?" + urlencode(query)


@api_bp.get("/credentials")
@csrf_exempt
@rate_limited("api", methods=("GET",))
def credentials() -> Response:
    """``getCredentials``: a page of the learner's credentials, ``X-Total-Count`` and ``Link``."""
    services = get_services()
    with services.session() as db:
        grant = _grant(db)
        limit, offset, since = parse_paging(
            request.args.get("limit"), request.args.get("offset"), request.args.get("since")
        )
        page = credential_page(db, grant.user_id, limit=limit, offset=offset, since=since)
    body: dict[str, Any] = {}
    if page.credential:
        body["credential"] = page.credential
    if page.compact_jws:
        body["compactJwsString"] = page.compact_jws
    response = Response(json.dumps(body, ensure_ascii=False), mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Total-Count"] = str(page.total)
    since_text = request.args.get("since")
    last = max(0, (page.total - 1) // limit * limit)
    links = []
    if offset + limit < page.total:
        links.append(f'<{_link(limit, offset + limit, since_text)}>; rel="next"')
    links.append(f'<{_link(limit, last, since_text)}>; rel="last"')
    links.append(f'<{_link(limit, 0, since_text)}>; rel="first"')
    if offset > 0:
        links.append(f'<{_link(limit, max(0, offset - limit), since_text)}>; rel="prev"')
    response.headers["Link"] = ", ".join(links)
    return response


@api_bp.post("/credentials")
@csrf_exempt
@rate_limited("api")
def upsert() -> Response:
    """``upsertCredential``: 201 when new, 200 when it replaced the one with the same id."""
    media_type = (request.mimetype or "").lower()
    if media_type not in (*_JSON_TYPES, "text/plain"):
        raise UnsupportedMediaType(
            "Send the credential as application/json, or a compact JWS as text/plain.",
            code="unsupported_media_type",
        )
    services = get_services()
    with services.session() as db:
        grant = _grant(db)
        result = upsert_credential(
            db, services, grant, request.get_data(), media_type, now=services.now()
        )
    # The spec's upsertCredential responses are application/json or text/plain only.
    response = Response(result.content, status=201 if result.created else 200)
    response.headers["Content-Type"] = (
        "text/plain; charset=utf-8" if media_type == "text/plain" else "application/json"
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@api_bp.route("/profile", methods=["GET", "PUT"])
@csrf_exempt
@rate_limited("api", methods=("GET", "PUT"))
def profile() -> Response:
    """``getProfile`` / ``putProfile`` (only ``name`` changes)."""
    services = get_services()
    with services.session() as db:
        grant = _grant(db)
        if request.method == "PUT":
            if (request.mimetype or "").lower() not in _JSON_TYPES:
                raise UnsupportedMediaType(
                    "Send the Profile as application/json.", code="unsupported_media_type"
                )
            unverified = strict_json(request.get_data(), "invalid_profile")
            document = update_profile(db, grant, unverified)
        else:
            document = learner_profile(db, grant.user_id)
    response = jsonify(document)
    response.headers["Cache-Control"] = "no-store"
    return response


_ALLOWED = {"discovery": "GET, HEAD", "credentials": "GET, HEAD, POST", "profile": "GET, HEAD, PUT"}


@api_bp.route("/discovery", methods=["POST", "PUT", "PATCH", "DELETE"])
@api_bp.route("/credentials", methods=["PUT", "PATCH", "DELETE"])
@api_bp.route("/profile", methods=["POST", "PATCH", "DELETE"])
@csrf_exempt
def not_allowed() -> Response:
    """405 as an ``Imsx_StatusInfo`` (the spec lists it for every operation), with ``Allow``."""
    allowed = _ALLOWED[request.path.rsplit("/", 1)[-1]]
    response = _status_info(
        405, "method_not_allowed", "not_allowed", f"This resource answers {allowed} only."
    )
    response.headers["Allow"] = allowed
    return response


_ANY = ["GET", "POST", "PUT", "PATCH", "DELETE"]


# One segment, or below a resource (two segments under /oauth stay the OAuth endpoints' own).
@api_bp.route("/<unknown>", methods=_ANY)
@api_bp.route("/<any(credentials, profile, discovery):resource>/<path:unknown>", methods=_ANY)
@csrf_exempt
def unknown_resource(unknown: str, resource: str | None = None) -> Response:
    """A path under the API that does not exist: 404 as an ``Imsx_StatusInfo``."""
    raise NotFound("There is no such resource in this API.", code="not_found")


# -- OAuth 2.0 ---------------------------------------------------------------------------------


def _server(db: Session) -> AuthorizationServer:
    """Authlib's authorization server for this request (its context: the session, the clock)."""
    context = OAuthContext(session=db, now=get_services().now())
    server = AuthorizationServer(
        query_client=lambda client_id: query_client(context, client_id),
        save_token=lambda token, oauth_request: save_token(context, token, oauth_request),
    )
    server.context = context
    server.scopes_supported = list(SCOPES.values())
    server.register_token_generator("default", token_generator())
    server.register_grant(CodeGrant, [S256Required()])
    server.register_grant(RefreshGrant)
    server.register_endpoint(ObRevocationEndpoint)
    return server


def _oauth_error(status: int, error: str, description: str) -> Response:
    response = jsonify({"error": error, "error_description": description})
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


@oauth_bp.post("/register")
@csrf_exempt
@rate_limited("api")
def register() -> Response:
    """RFC 7591 dynamic client registration (no initial access token, as OB 3.0 has it)."""
    if (request.mimetype or "").lower() != "application/json":
        return _oauth_error(400, "invalid_client_metadata", "Send the metadata as JSON.")
    services = get_services()
    try:
        unverified = strict_json(request.get_data(), "invalid_client_metadata")
        with services.session() as db:
            registered = register_client(
                db, unverified, now=services.now(), actor=f"platform@{request.remote_addr}"
            )
    except InvalidRequest as exc:
        return _oauth_error(400, exc.code, exc.message)
    response = jsonify(registered.response)
    response.status_code = 201
    response.headers["Cache-Control"] = "no-store"
    return response


def _undecodable_basic() -> Response | None:
    """401 ``invalid_client`` when ``Authorization: Basic`` does not hold UTF-8 text
    (RFC 7617 §2.1) — Authlib would fail on it with an exception, not an answer."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        raw = base64.b64decode(value.strip())
    except binascii.Error:
        return None  # not base64 at all: Authlib answers that itself
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        response = _oauth_error(401, "invalid_client", "The client credentials are not valid.")
        response.headers["WWW-Authenticate"] = 'Basic realm="ob"'
        return response
    return None


@oauth_bp.post("/token")
@csrf_exempt
@rate_limited("api")
def token() -> Response:
    refused = _undecodable_basic()
    if refused is not None:
        return refused
    services = get_services()
    with services.session() as db:
        response: Response = _server(db).create_token_response()
    return response


@oauth_bp.post("/revoke")
@csrf_exempt
@rate_limited("api")
def revoke() -> Response:
    refused = _undecodable_basic()
    if refused is not None:
        return refused
    services = get_services()
    with services.session() as db:
        response: Response = _server(db).create_endpoint_response(
            ObRevocationEndpoint.ENDPOINT_NAME
        )
    return response


def _refused_page(error: OAuth2Error) -> Response:
    page = render_template(
        "ob_api/refused.html",
        error=error.error,
        description=error.get_error_description() or "",
    )
    return Response(page, status=400)


_ORIGIN = re.compile(
    r"https?://(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*"
    r"|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?"
)


def _csp_origin(uri: str) -> str | None:
    """The scheme://host[:port] of ``uri`` when it is safe in a CSP source list, else None."""
    parts = urlsplit(uri)
    origin = f"{parts.scheme}://{parts.netloc}".lower()
    return origin if _ORIGIN.fullmatch(origin) else None


@oauth_bp.route("/authorize", methods=["GET", "POST"])
@require_role("learner")
def authorize() -> Response | WerkzeugResponse:
    """The learner's consent: who asks, for what (in plain words); Allow or Deny."""
    services = get_services()
    owner = TokenOwner(id=g.user.id, email=g.user.email)
    with services.session() as db:
        server = _server(db)
        try:
            grant = server.get_consent_grant(end_user=owner)
        except OAuth2Error as error:
            if error.redirect_uri:
                response: Response = server.handle_error_response(None, error)
                return response
            return _refused_page(error)
        if request.method == "POST":
            allowed = request.form.get("decision") == "allow"
            response = server.create_authorization_response(
                grant_user=owner if allowed else None, grant=grant
            )
            return response
        client = client_row(grant.client)
        metadata = client_metadata(client)
        words = scope_words()
        redirect_uri = grant.request.payload.redirect_uri
        page = render_template(
            "ob_api/consent.html",
            client_name=client.client_name,
            client_host=urlsplit(client.client_uri).hostname or client.client_uri,
            client_uri=client.client_uri,
            policy_uri=metadata.get("policy_uri"),
            tos_uri=metadata.get("tos_uri"),
            scopes=[words[s] for s in grant.request.scope.split() if s in words],
            action=request.full_path,
        )
    response = Response(page)
    # The form posts here and is answered with a redirect to the platform: CSP's form-action
    # governs that redirect too (browsers enforce it), so the platform's origin is allowed
    # on this page only.
    # Only a well-formed origin goes into the header (a host registered before hosts were
    # checked could carry ";" and add directives); anything else keeps form-action 'self'.
    origin = _csp_origin(redirect_uri)
    response.headers["Content-Security-Policy"] = (
        CSP.replace("form-action 'self'", f"form-action 'self' {origin}") if origin else CSP
    )
    response.headers["Cache-Control"] = "no-store"
    return response


# -- pages -------------------------------------------------------------------------------------


@pages_bp.get("/platforms")
def policy() -> str:
    """What a connected platform gets and how a learner stays in control (terms and privacy)."""
    return render_template("ob_api/policy.html", scopes=scope_words())


@pages_bp.get("/my/platforms")
@require_role(*ROLES)
def my_platforms() -> str:
    services = get_services()
    with services.session() as db:
        access = platform_access(db, g.user.id, now=services.now())
    return render_template("ob_api/my_platforms.html", access=access, scopes=scope_words())


@pages_bp.post("/my/platforms/<int:client_pk>/revoke")
@require_role(*ROLES)
def my_platform_revoke(client_pk: int) -> WerkzeugResponse:
    services = get_services()
    with services.session() as db:
        revoke_platform(db, g.user, client_pk, now=services.now())
    flash(_("That platform can no longer use your badges."), "success")
    return redirect(url_for("ob_pages.my_platforms"))


@pages_bp.get("/my/platforms/credentials/<int:held_id>")
@require_role(*ROLES)
def held_credential(held_id: int) -> Response:
    """A credential a platform pushed in, exactly as received (another learner's: 404)."""
    with get_services().session() as db:
        held = db.get(HeldCredential, held_id)
        if held is None or held.user_id != g.user.id:
            raise NotFound("There is no such credential.", code="credential_not_found")
        extension = "jwt" if held.media_type == "text/plain" else "json"
        response = Response(held.content, mimetype=held.media_type)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="credential-{held_id}.{extension}"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@pages_bp.get("/admin/platforms")
@require_role("admin")
def admin_platforms() -> str:
    with get_services().session() as db:
        clients = [(client, client_metadata(client)) for client in list_clients(db)]
        page = render_template("ob_api/admin_platforms.html", clients=clients)
    return page


@pages_bp.post("/admin/platforms/<int:client_pk>/disable")
@require_role("admin")
def admin_platform_disable(client_pk: int) -> WerkzeugResponse:
    services = get_services()
    with services.session() as db:
        disable_client(db, client_pk, now=services.now(), actor=g.user.email)
    flash(_("The platform is disabled; its access tokens no longer work."), "success")
    return redirect(url_for("ob_pages.admin_platforms"))
