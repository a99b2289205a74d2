"""``/.well-known/did.json`` and ``/.well-known/jwks.json`` for this deployment's issuer.

Both list every key the issuer has used — active and retired — so credentials signed before a
rotation keep verifying (design.md, "Key rotation").
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from passport.services import IssuerDocuments
from passport.web.context import get_services

__all__ = ["bp"]

bp = Blueprint("wellknown", __name__, url_prefix="/.well-known")


def _documents() -> IssuerDocuments:
    services = get_services()
    with services.session() as session:
        return services.own_issuer_documents(session)


@bp.get("/did.json")
def did_document() -> Response:
    response = jsonify(_documents().did_document)
    response.mimetype = "application/did+json"
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/jwks.json")
def jwks() -> Response:
    response = jsonify(_documents().jwks)
    response.mimetype = "application/jwk-set+json"
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
