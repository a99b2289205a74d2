"""The Learner Credential Wallet's exchange over HTTP (:mod:`passport.wallets.lcw`).

``holder`` pages: ``POST /passport/badges/<id>/lcw`` opens an exchange for the signed-in
holder's badge and sends them to ``GET /passport/lcw/<exchange>``, which shows the wallet's
deep link as a button and a QR code, the expiry, and whether a wallet has collected it.

The wallet's side (public, JSON only, no cookies, rate limited): ``POST
/workflows/claim/exchanges/<exchange>`` — the W3C VC-API exchange endpoint, in the path shape
of VC-API workflows and of DCC's transaction-service — and ``GET …/protocols`` (the VC-API
"protocols" object for the same exchange).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, g, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from passport.errors import InvalidRequest, NotFound, PassportError
from passport.wallets.lcw import (
    EXCHANGE_TTL,
    complete_exchange,
    create_exchange,
    deep_link,
    direct_link,
    exchange_of_user,
    presentation_request,
    service_origin,
)
from passport.web.context import get_services
from passport.web.i18n import gettext as _
from passport.web.passport_pages import inline_qr
from passport.web.security import csrf_exempt, rate_limited
from passport.web.sessions import require_role
from verifier.errors import VerificationError
from verifier.jsonparse import parse_json

__all__ = ["bp"]

bp = Blueprint("lcw", __name__)

#: A DIDAuth presentation is a few kilobytes; nothing a wallet sends here is larger.
_MAX_BODY = 64 * 1024


def _in_page_language(exc: PassportError) -> PassportError:
    """The holder pages' refusals, in the page's language (same class, same code)."""
    sentences = {
        "unknown_badge": lambda: _("You have no badge with that id."),
        "unknown_exchange": lambda: _("There is no such wallet exchange."),
        "credential_revoked": lambda: _("This badge was revoked and cannot be added to a wallet."),
        "credential_suspended": lambda: _(
            "This badge is suspended and cannot be added to a wallet."
        ),
        "credential_expired": lambda: _("This badge has expired and cannot be added to a wallet."),
    }
    known = sentences.get(exc.code)
    return exc if known is None else type(exc)(known(), code=exc.code)


def _exchange_url(exchange_id: str, endpoint: str = "lcw.exchange") -> str:
    return get_services().settings.public_url + url_for(endpoint, exchange_id=exchange_id)


@bp.post("/passport/badges/<path:credential_id>/lcw")
@require_role("learner")
def open_exchange(credential_id: str) -> WerkzeugResponse:
    services = get_services()
    try:
        with services.session() as db:
            exchange = create_exchange(
                db,
                services.settings,
                user_id=g.user.id,
                holder_id=g.user.holder_id,
                credential_id=credential_id,
                actor=g.user.email,
                now=services.now(),
            )
            exchange_id = exchange.id
    except (NotFound, InvalidRequest) as exc:
        raise _in_page_language(exc) from exc
    return redirect(url_for("lcw.exchange_page", exchange_id=exchange_id), 303)


@bp.get("/passport/lcw/<exchange_id>")
@require_role("learner")
def exchange_page(exchange_id: str) -> Response:
    services = get_services()
    now = services.now()
    try:
        with services.session() as db:
            view = exchange_of_user(db, user_id=g.user.id, exchange_id=exchange_id, now=now)
    except NotFound as exc:
        raise _in_page_language(exc) from exc
    origin = service_origin(services.settings)
    link = deep_link(_exchange_url(view.id), origin)
    older = direct_link(
        _exchange_url(view.id, "lcw.direct_exchange"),
        issuer_host=urlsplit(origin).netloc,
        challenge=view.challenge,
    )
    response = Response(
        render_template(
            "passport/lcw.html",
            exchange=view,
            link=link,
            older_link=older,
            qr=inline_qr(link),
            minutes=int(EXCHANGE_TTL.total_seconds() // 60),
            now=now,
        )
    )
    # The link is a bearer secret while the exchange is pending: keep it out of caches.
    response.headers["Cache-Control"] = "no-store"
    return response


def _wallet_message() -> Mapping[str, Any]:
    """The JSON object the wallet posted (an empty body counts as ``{}``)."""
    data = request.get_data(cache=False)
    if not data.strip():
        return {}
    try:
        body = parse_json(data, max_bytes=_MAX_BODY, what="wallet's message")
    except VerificationError as exc:
        raise InvalidRequest(exc.message, code="bad_exchange_body") from exc
    if not isinstance(body, dict):
        raise InvalidRequest(
            "The wallet's message must be a JSON object.", code="bad_exchange_body"
        )
    return body


@bp.post("/workflows/claim/exchanges/<exchange_id>")
@csrf_exempt
@rate_limited("api")
def exchange(exchange_id: str) -> Response:
    """VC-API exchange: ``{}`` → the DIDAuthentication request; a DIDAuth presentation → the
    badge bound to the holder's DID, in a presentation."""
    services = get_services()
    body = _wallet_message()
    if not body:
        answer = presentation_request(
            services, exchange_id=exchange_id, exchange_url=_exchange_url(exchange_id)
        )
    else:
        answer = complete_exchange(services, exchange_id=exchange_id, body=body)
    response = jsonify(answer)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/workflows/claim/exchanges/<exchange_id>/direct")
@csrf_exempt
@rate_limited("api")
def direct_exchange(exchange_id: str) -> Response:
    """The older one-step link's ``vc_request_url``: the DIDAuth presentation straight away
    (signed for the link's challenge, possibly without a domain) → the badge."""
    services = get_services()
    body = _wallet_message()
    if not body:
        raise InvalidRequest(
            "Send the DIDAuth presentation signed for this exchange's challenge.",
            code="bad_exchange_body",
        )
    # The wallet's direct flow reads a credential or presentation at the top level (its
    # credentialRequest.ts), as DCC's transaction-service answers there: no wrapper.
    answer = complete_exchange(services, exchange_id=exchange_id, body=body, direct=True)
    response = jsonify(answer["verifiablePresentation"])
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/workflows/claim/exchanges/<exchange_id>/protocols")
@rate_limited("api", methods=("GET",))
def protocols(exchange_id: str) -> Response:
    """The VC-API ``protocols`` object of a pending exchange."""
    services = get_services()
    url = _exchange_url(exchange_id)
    presentation_request(services, exchange_id=exchange_id, exchange_url=url)  # refusals
    response = jsonify({"protocols": {"vcapi": url}})
    response.headers["Cache-Control"] = "no-store"
    return response
