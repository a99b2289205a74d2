"""SCIM 2.0 provisioning over HTTP, under ``/scim/v2`` (RFC 7644).

This view only translates: it reads the request into a scim2-server
:class:`~scim2_server.requests.ScimRequest`, checks the bearer token (scope ``scim``), lets
:func:`passport.accounts.scim.handle` serve it in one transaction, and writes the answer as
``application/scim+json``. Every refusal is a SCIM Error body
(``urn:ietf:params:scim:api:messages:2.0:Error``); so are the errors the app answers for these
paths elsewhere (rate limit, body too large, database down: :func:`scim_error`).
No cookies are read, so no CSRF token is asked for; requests count against the ``api`` limit.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime

from flask import Blueprint, Response, request
from scim2_models import (
    Error,
    ForbiddenException,
    PayloadTooLargeException,
    SCIMException,
    UnauthorizedException,
)
from scim2_server.routing import Operation
from werkzeug.exceptions import RequestEntityTooLarge

from passport.accounts.models import ApiToken
from passport.accounts.scim import ScimRequest, ScimResponse, error_response, handle, scim_service
from passport.accounts.tokens import authenticate, token_actor
from passport.errors import Forbidden, Unauthorized
from passport.services import Services
from passport.web.context import get_services
from passport.web.security import csrf_exempt, rate_limited

__all__ = ["BASE_PATH", "bp", "is_scim_path", "scim_error"]

logger = logging.getLogger(__name__)

BASE_PATH = "/scim/v2"
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

bp = Blueprint("scim", __name__, url_prefix=BASE_PATH)


def is_scim_path(path: str) -> bool:
    """Whether ``path`` is served by this blueprint (its errors are SCIM errors)."""
    return path == BASE_PATH or path.startswith(BASE_PATH + "/")


def scim_error(status: int, message: str) -> Response:
    """A SCIM Error answer for errors raised outside the SCIM handler."""
    body = Error(status=status, detail=message).model_dump()
    return Response(json.dumps(body), status=status, mimetype="application/scim+json")


def _scim_token(services: Services, now: datetime) -> ApiToken:
    """The API token that calls; it must carry the ``scim`` scope.

    Raises :class:`~scim2_models.UnauthorizedException` (401) without a valid token and
    :class:`~scim2_models.ForbiddenException` (403) for a token without that scope.
    """
    try:
        with services.session() as session:
            return authenticate(
                session, request.headers.get("Authorization"), now=now, scope="scim"
            )
    except Unauthorized as exc:
        raise UnauthorizedException(detail=exc.message) from exc
    except Forbidden as exc:
        raise ForbiddenException(detail=exc.message) from exc


def _body(scim_request: ScimRequest) -> bytes:
    limit = scim_service().max_body_size(scim_request)
    try:
        data = request.get_data(cache=False)
    except RequestEntityTooLarge as exc:
        raise PayloadTooLargeException(detail="The request body is larger than the limit.") from exc
    if limit is not None and len(data) > limit:
        # The service answers (413, or a more telling error first).
        return data[: limit + 1]
    return data


def _answer(scim_response: ScimResponse) -> Response:
    headers = dict(scim_response.headers)
    if scim_response.body is None:
        headers.pop("Content-Type", None)
        empty = Response(b"", status=int(scim_response.status), headers=headers)
        del empty.headers["Content-Type"]
        return empty
    return Response(
        json.dumps(scim_response.body), status=int(scim_response.status), headers=headers
    )


@bp.route("", defaults={"path": ""}, methods=_METHODS)
@bp.route("/<path:path>", methods=_METHODS)
@csrf_exempt
@rate_limited("api", methods=_METHODS)
def endpoint(path: str) -> Response:
    """Every SCIM endpoint: /Users, /Groups, their ids, /ServiceProviderConfig, /Schemas,
    /ResourceTypes (scim2-server routes them; an unknown path is a SCIM 404)."""
    services = get_services()
    now = services.now()
    scim_request = ScimRequest(
        method=request.method,
        base_url=services.settings.public_url + BASE_PATH,
        path="/" + path,
        query=request.args.to_dict(),
        headers=list(request.headers.items()),
    )
    try:
        operation = scim_service().match(scim_request).operation
        # RFC 7643 §5: the service provider configuration is public; everything else is not.
        actor = "anonymous"
        if operation is not Operation.service_provider_config:
            token = _scim_token(services, now)
            actor = token_actor(token)
        scim_request.body = _body(scim_request)
        with services.session() as session:
            answer = handle(
                session,
                scim_request,
                role_groups=services.settings.role_groups,
                actor=actor,
                now=now,
                secret_key=services.settings.secret_key,
            )
    except SCIMException as exc:
        logger.info("SCIM %s %s: %s %s", request.method, path, exc.status, exc.scim_type)
        answer = error_response(exc)
    return _answer(answer)
