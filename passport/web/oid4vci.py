"""OpenID for Verifiable Credential Issuance 1.0 over HTTP (docs/wallets/openid4vci.md).

``oid4vci`` (wallets; no cookies, so no CSRF token; rate-limited as ``api``):
``/.well-known/openid-credential-issuer``, ``/.well-known/oauth-authorization-server``,
``GET /oid4vci/offers/<ref>``, ``POST /oid4vci/token``, ``POST /oid4vci/nonce``,
``POST /oid4vci/credential``, ``POST /oid4vci/deferred``; and ``/oid4vci/authorize``, where a
signed-in learner approves or denies a wallet's authorization request (a page, CSRF-protected).

``wallet`` (the learner): ``/passport/badges/<id>/wallet``, "Add to wallet": a fresh offer as a
QR code, a deep link and a copyable URI.

Protocol errors are answered in the protocol's own shape (``{"error", "error_description"}``,
``Cache-Control: no-store``) by :func:`_protocol_error`; everything here only translates HTTP.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
)
from sqlalchemy import select
from werkzeug.wrappers import Response as WerkzeugResponse

from passport.credentials.models import IssuedCredential
from passport.errors import InvalidRequest, NotFound
from passport.wallets.binding import check_deliverable
from passport.wallets.oid4vci import (
    OFFER_TTL,
    WalletAuthorizationRequest,
    approve_authorization,
    authorization_server_metadata,
    create_offer,
    credential_issuer_metadata,
    deferred_credential,
    deny_authorization,
    exchange_token,
    new_nonce,
    offer_document,
    parse_authorization_request,
    request_credential,
)
from passport.wallets.oid4vci_errors import Oid4vciError
from passport.web.context import get_services
from passport.web.i18n import gettext as _
from passport.web.passport_pages import inline_qr
from passport.web.security import CSP, csrf_exempt, rate_limited
from passport.web.sessions import require_role

__all__ = ["bp", "wallet_bp"]

bp = Blueprint("oid4vci", __name__)
wallet_bp = Blueprint("wallet", __name__, url_prefix="/passport")

_AUTH_PARAMS = (
    "client_id",
    "redirect_uri",
    "response_type",
    "code_challenge",
    "code_challenge_method",
    "state",
    "scope",
    "authorization_details",
    "issuer_state",
)


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


@bp.errorhandler(Oid4vciError)
def _protocol_error(exc: Oid4vciError) -> Response:
    response = jsonify({"error": exc.code, "error_description": exc.message})
    response.status_code = exc.status
    if exc.status == 401:
        # RFC 6750 §3: the scheme, and the error when a token was sent.
        sent = request.headers.get("Authorization", "").startswith("Bearer ")
        response.headers["WWW-Authenticate"] = (
            f'Bearer error="{exc.code}"' if sent else 'Bearer realm="oid4vci"'
        )
    return _no_store(response)


def _metadata(document: dict[str, Any]) -> Response:
    response = jsonify(document)
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/.well-known/openid-credential-issuer")
def issuer_metadata() -> Response:
    return _metadata(credential_issuer_metadata(get_services().settings))


@bp.get("/.well-known/oauth-authorization-server")
def server_metadata() -> Response:
    return _metadata(authorization_server_metadata(get_services().settings))


@bp.get("/oid4vci/offers/<ref>")
@rate_limited("api", methods=("GET",))
def offer(ref: str) -> Response:
    services = get_services()
    with services.session() as db:
        document = offer_document(db, services, ref, services.now())
    return _no_store(jsonify(document))


@bp.post("/oid4vci/token")
@csrf_exempt
@rate_limited("api")
def token() -> Response:
    if request.mimetype != "application/x-www-form-urlencoded":
        raise Oid4vciError(
            "invalid_request", "The token request must be application/x-www-form-urlencoded."
        )
    form = {key: request.form[key] for key in request.form}
    if any(len(request.form.getlist(key)) > 1 for key in request.form):
        # RFC 6749 §3.2: "Request and response parameters MUST NOT be included more than once."
        raise Oid4vciError("invalid_request", "A parameter was sent more than once.")
    services = get_services()
    with services.session() as db:
        answer = exchange_token(db, services, form, services.now())
    return _no_store(jsonify(answer))


@bp.post("/oid4vci/nonce")
@csrf_exempt
@rate_limited("api")
def nonce() -> Response:
    services = get_services()
    with services.session() as db:
        value = new_nonce(db, services.now())
    return _no_store(jsonify({"c_nonce": value}))


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    if header.startswith("DPoP "):
        raise Oid4vciError("invalid_token", "DPoP-bound tokens are not issued here.", status=401)
    if not header.startswith("Bearer "):
        return None
    return header.removeprefix("Bearer ").strip() or None


def _json_body() -> object:
    if request.mimetype != "application/json":
        raise Oid4vciError("invalid_credential_request", "The request body must be JSON.")
    try:
        return request.get_json(silent=True)
    except RecursionError as exc:  # nested thousands deep: not a request we read
        raise Oid4vciError(
            "invalid_credential_request", "The request body is nested too deeply."
        ) from exc


@bp.post("/oid4vci/credential")
@csrf_exempt
@rate_limited("api")
def credential() -> Response:
    services = get_services()
    bearer = _bearer()
    body = _json_body()
    with services.session() as db:
        answer = request_credential(db, services, bearer=bearer, body=body, now=services.now())
    response = jsonify(answer.body)
    response.status_code = answer.status
    return _no_store(response)


@bp.post("/oid4vci/deferred")
@csrf_exempt
@rate_limited("api")
def deferred() -> Response:
    services = get_services()
    bearer = _bearer()
    body = _json_body()
    with services.session() as db:
        answer = deferred_credential(db, services, bearer=bearer, body=body, now=services.now())
    response = jsonify(answer.body)
    response.status_code = answer.status
    return _no_store(response)


# -- the learner approves a wallet (authorization code flow) ----------------------------------


def _authorization_problem(exc: InvalidRequest) -> InvalidRequest:
    """The same refusal (same code) with its sentence in the learner's language."""
    sentences = {
        "bad_redirect_uri": lambda: _(
            "The wallet asked to be answered at an address we do not send codes to."
        ),
        "bad_client_id": lambda: _("The wallet did not say who it is."),
        "bad_response_type": lambda: _("The wallet asked for something other than a code."),
        "pkce_required": lambda: _("The wallet did not protect its request with PKCE (S256)."),
        "bad_authorization_details": lambda: _(
            "The wallet asked for a credential we do not issue."
        ),
        "bad_scope": lambda: _("The wallet asked for a credential we do not issue."),
        "bad_state": lambda: _("The wallet's request is too long."),
        "offer_gone": lambda: _(
            "The offer this wallet started from was used already or has expired; make a new one."
        ),
        "offer_mismatch": lambda: _("The offer was for another badge."),
        "credential_revoked": lambda: _("This badge was revoked and cannot be added to a wallet."),
        "credential_suspended": lambda: _(
            "This badge is suspended and cannot be added to a wallet."
        ),
        "credential_expired": lambda: _("This badge has expired and cannot be added to a wallet."),
    }
    known = sentences.get(exc.code)
    return InvalidRequest(known(), code=exc.code) if known is not None else exc


def _auth_request(values: dict[str, str]) -> WalletAuthorizationRequest:
    services = get_services()
    try:
        with services.session() as db:
            return parse_authorization_request(db, values, services.now())
    except InvalidRequest as exc:
        raise _authorization_problem(exc) from exc


def _choices(request_: WalletAuthorizationRequest) -> list[tuple[str, str]]:
    """The learner's badges the wallet may receive: (id, name)."""
    services = get_services()
    now = services.now()
    with services.session() as db:
        query = select(IssuedCredential).where(IssuedCredential.holder_id == g.user.holder_id)
        if request_.offered_credential_id is not None:
            query = query.where(IssuedCredential.id == request_.offered_credential_id)
        choices = []
        for record in db.scalars(query.order_by(IssuedCredential.issued_at.desc())):
            try:
                check_deliverable(record, now)
            except InvalidRequest:
                continue
            choices.append((record.id, record.achievement.name))
    return choices


_CSP_HOST = re.compile(r"[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]")
_CSP_SCHEME = re.compile(r"[a-z][a-z0-9.+-]*")


def _redirect_source(redirect_uri: str) -> str | None:
    """The CSP source expression (CSP3 §2.3.1) for the wallet's redirect URI: its origin, or
    its private-use scheme (``com.example.wallet:``). None when a part would not be a plain
    host, port or scheme, so nothing but those ever reaches the header."""
    parts = urlsplit(redirect_uri)
    scheme = parts.scheme.lower()
    if not _CSP_SCHEME.fullmatch(scheme):
        return None
    if scheme not in {"http", "https"}:
        return f"{scheme}:"
    try:
        port = parts.port
    except ValueError:
        return None
    host = parts.netloc.rsplit(":", 1)[0] if port is not None else parts.netloc
    if not _CSP_HOST.fullmatch(host):
        return None
    return f"{scheme}://{host}" + (f":{port}" if port is not None else "")


@bp.get("/oid4vci/authorize")
@require_role("learner")
def authorize() -> Response:
    values = {key: request.args[key] for key in _AUTH_PARAMS if key in request.args}
    auth = _auth_request(values)
    response = make_response(
        render_template(
            "oid4vci/consent.html",
            auth=auth,
            params=values,
            choices=_choices(auth) if g.user.holder_id is not None else [],
        )
    )
    # Approve and Deny post here and are answered with a redirect to the wallet: browsers
    # (Chromium) apply form-action to that redirect too, so the wallet's redirect URI is
    # allowed on this page only.
    source = _redirect_source(auth.redirect_uri)
    if source is not None:
        response.headers["Content-Security-Policy"] = CSP.replace(
            "form-action 'self'", f"form-action 'self' {source}"
        )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/oid4vci/authorize")
@require_role("learner")
def decide() -> WerkzeugResponse:
    values = {key: request.form[key] for key in _AUTH_PARAMS if key in request.form}
    auth = _auth_request(values)
    services = get_services()
    if request.form.get("decision") != "approve":
        with services.session() as db:
            target = deny_authorization(
                db, services.settings, auth, actor=g.user.email, now=services.now()
            )
        return redirect(target, code=303)
    if g.user.holder_id is None:
        raise NotFound(_("You have no badge with that id."), code="unknown_badge")
    try:
        with services.session() as db:
            target = approve_authorization(
                db,
                services,
                auth,
                holder_id=g.user.holder_id,
                credential_id=request.form.get("credential_id", ""),
                actor=g.user.email,
                issuer_state=values.get("issuer_state"),
                now=services.now(),
            )
    except InvalidRequest as exc:
        raise _authorization_problem(exc) from exc
    return redirect(target, code=303)


# -- "Add to wallet" ---------------------------------------------------------------------------


def _own_badge(credential_id: str) -> tuple[str, str]:
    services = get_services()
    with services.session() as db:
        record = db.get(IssuedCredential, credential_id)
        if record is None or g.user.holder_id is None or record.holder_id != g.user.holder_id:
            raise NotFound(_("You have no badge with that id."), code="unknown_badge")
        return record.id, record.achievement.name


@wallet_bp.get("/badges/<path:credential_id>/wallet")
@require_role("learner")
def add_to_wallet(credential_id: str) -> str:
    badge_id, name = _own_badge(credential_id)
    return render_template(
        "passport/wallet.html",
        badge_id=badge_id,
        name=name,
        offer=None,
        minutes=int(OFFER_TTL.total_seconds() // 60),
    )


def _offer_problem(exc: InvalidRequest) -> str:
    """The learner's sentence for a refused offer (translated; the code stays stable)."""
    sentences = {
        "credential_revoked": lambda: _("This badge was revoked and cannot be added to a wallet."),
        "credential_suspended": lambda: _(
            "This badge is suspended and cannot be added to a wallet."
        ),
        "credential_expired": lambda: _("This badge has expired and cannot be added to a wallet."),
        "no_holder_email": lambda: _("We have no e-mail address to send you a code to."),
    }
    known = sentences.get(exc.code)
    return known() if known is not None else exc.message


@wallet_bp.post("/badges/<path:credential_id>/wallet")
@require_role("learner")
def make_offer(credential_id: str) -> Response:
    badge_id, name = _own_badge(credential_id)
    services = get_services()
    error = None
    offer = None
    try:
        with services.session() as db:
            offer = create_offer(
                db,
                services,
                credential_id=badge_id,
                actor=g.user.email,
                with_tx_code=request.form.get("tx_code") == "on",
                now=services.now(),
            )
    except InvalidRequest as exc:
        error = _offer_problem(exc)
    page = render_template(
        "passport/wallet.html",
        badge_id=badge_id,
        name=name,
        offer=offer,
        error=error,
        qr=inline_qr(offer.deep_link) if offer is not None else None,
        minutes=int(OFFER_TTL.total_seconds() // 60),
    )
    response = make_response(page, 400 if error else 200)
    response.headers["Cache-Control"] = "private, no-store"
    return response
