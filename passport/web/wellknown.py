"""``/.well-known/did.json`` and ``/.well-known/jwks.json`` for this deployment's issuer.

Both list every key the issuer has used — active and retired — so credentials signed before a
rotation keep verifying (design.md, "Key rotation").
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from keys import did_web_from_url
from passport.errors import NotFound
from passport.services import get_services

__all__ = ["bp"]

bp = Blueprint("wellknown", __name__, url_prefix="/.well-known")


def _documents():  # type: ignore[no-untyped-def]
    services = get_services()
    did = did_web_from_url(services.settings.public_url)
    with services.session() as session:
        for docs in services.issuer_documents(session):
            if docs.did == did:
                return docs
    raise NotFound("This deployment has no issuer yet; run `passport init`.", code="no_issuer")


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
