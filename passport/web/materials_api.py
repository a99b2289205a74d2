"""The standard-materials API (issue #21): session templates and template programs, read-only.

``GET /api/v1/session-templates`` lists live templates with their current version,
``GET /api/v1/session-templates/<id>`` shows one with every version (newest first),
``GET /api/v1/programs`` lists live programs and ``GET /api/v1/programs/<id>`` shows one with
its items. All need a bearer token with scope ``read``. Templates and programs are written on
the admin pages and with ``passport templates import``; no write endpoint exists yet.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from passport.accounts.tokens import authenticate
from passport.mentoring import materials
from passport.mentoring import templates as use_cases
from passport.services import Services
from passport.web.context import get_services
from passport.web.security import rate_limited

__all__ = ["bp"]

bp = Blueprint("materials_api", __name__, url_prefix="/api/v1")


def _read_token(services: Services) -> None:
    with services.session() as db:
        authenticate(db, request.headers.get("Authorization"), now=services.now(), scope="read")


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/session-templates")
@rate_limited("api", methods=("GET",))
def session_templates() -> Response:
    """Live templates with their current version, by skill, level and title."""
    services = get_services()
    _read_token(services)
    with services.session() as db:
        payload = {
            "templates": [
                materials.template_json(template, version)
                for template, version in use_cases.list_templates(db)
            ]
        }
    return _no_store(jsonify(payload))


@bp.get("/session-templates/<int:template_id>")
@rate_limited("api", methods=("GET",))
def session_template(template_id: int) -> Response:
    """One template (retired ones too) with every version; 404 ``unknown_template``."""
    services = get_services()
    _read_token(services)
    with services.session() as db:
        template = use_cases.find_template(db, template_id)
        versions = use_cases.versions_of(db, template_id)
        payload = materials.template_json(template, versions[0], versions)
    return _no_store(jsonify(payload))


@bp.get("/programs")
@rate_limited("api", methods=("GET",))
def programs() -> Response:
    """Live template programs with their items."""
    services = get_services()
    _read_token(services)
    with services.session() as db:
        payload = {"programs": [materials.program_json(db, p) for p in use_cases.list_programs(db)]}
    return _no_store(jsonify(payload))


@bp.get("/programs/<int:program_id>")
@rate_limited("api", methods=("GET",))
def program(program_id: int) -> Response:
    """One program (retired ones too) with its items; 404 ``unknown_program``."""
    services = get_services()
    _read_token(services)
    with services.session() as db:
        payload = materials.program_json(db, use_cases.find_program(db, program_id))
    return _no_store(jsonify(payload))
