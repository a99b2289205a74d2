"""The OpenAPI description of /api/v1 is served and kept true.

Every /api/v1 route is described and every described path exists; every ``$ref`` resolves;
the examples in the description, and real credentials and containers, get responses whose
status is described and whose body matches the described schema. A schemathesis run (marked
``slow``) throws generated requests at every operation and finds no 5xx.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from werkzeug.test import TestResponse

from passport.accounts.tokens import SCOPES
from passport.instance.setup import initialise
from passport.settings import Settings
from passport.web import create_app
from passport.web.context import get_services

PREFIX = "/api/v1"
SPEC_URN = "urn:passport:openapi"
METHODS = ("get", "put", "post", "delete", "patch")


@pytest.fixture
def spec(client: FlaskClient) -> dict[str, Any]:
    response = client.get(f"{PREFIX}/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    document: dict[str, Any] = response.get_json()
    assert document["openapi"].startswith("3.1.")
    assert document["servers"] == [{"url": PREFIX}]
    return document


def _pointer(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _deref(document: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        node = _pointer(document, node["$ref"])
    return node


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def _openapi_paths(rule: str) -> list[str]:
    """Werkzeug rule → OpenAPI path(s): ``<any(a, b):x>`` becomes one path per choice."""
    paths = [rule.removeprefix(PREFIX)]
    pattern = re.compile(r"<(?:([a-z]+)(?:\(([^)]*)\))?:)?([A-Za-z_]+)>")
    while any(pattern.search(p) for p in paths):
        expanded = []
        for path in paths:
            match = pattern.search(path)
            if match is None:
                expanded.append(path)
                continue
            converter, args, name = match.groups()
            if converter == "any":
                choices = [c.strip().strip("'\"") for c in (args or "").split(",")]
            else:
                # The path parameters are named in camelCase in the description.
                choices = ["{" + re.sub(r"_(\w)", lambda m: m.group(1).upper(), name) + "}"]
            expanded.extend(path[: match.start()] + c + path[match.end() :] for c in choices)
        paths = expanded
    return paths


def test_every_api_route_is_described_and_every_described_path_exists(
    app: Flask, spec: dict[str, Any]
) -> None:
    routes = {
        (path, method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(PREFIX + "/")
        for path in _openapi_paths(rule.rule)
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    described = {
        (path, method)
        for path, item in spec["paths"].items()
        for method in item
        if method in METHODS
    }
    assert routes, "no /api/v1 routes found"
    assert routes - described == set(), "routes missing from the OpenAPI description"
    assert described - routes == set(), "described operations the app does not have"


def test_every_reference_resolves(spec: dict[str, Any]) -> None:
    def walk(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                yield node["$ref"]
            for value in node.values():
                yield from walk(value)
        elif isinstance(node, list):
            for value in node:
                yield from walk(value)

    refs = set(walk(spec))
    assert refs
    for ref in refs:
        assert _pointer(spec, ref) is not None, ref


def test_every_schema_is_a_valid_json_schema(spec: dict[str, Any]) -> None:
    for schema in spec["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)


def test_every_operation_has_an_id_error_responses_and_rate_limit(spec: dict[str, Any]) -> None:
    ids = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            ids.append(operation["operationId"])
            if method == "post":
                assert {"400", "413", "429"} <= set(operation["responses"]), (path, method)
            security = operation.get("security") or []
            if any("session" in r for r in security):
                # A browser-session endpoint: the session cookie, and for writes the CSRF header.
                assert security in ([{"session": []}], [{"session": [], "csrf": []}])
                assert "401" in operation["responses"], (path, method)
                assert (method == "get") == ("csrf" not in security[0]), (path, method)
                if method != "get":
                    assert "403" in operation["responses"], (path, method)
            elif security:
                assert {"401", "403"} <= set(operation["responses"]), (path, method)
                # Each operation names the token scope it needs (OpenAPI 3.1 role names).
                (scopes,) = [r["bearer"] for r in security if "bearer" in r]
                assert len(scopes) == 1 and scopes[0] in SCOPES, (path, method)
                assert (
                    f"`{scopes[0]}`"
                    in spec["components"]["securitySchemes"]["bearer"]["description"]
                )
    assert len(ids) == len(set(ids))


class Conformance:
    """Checks a response against the description of the operation that produced it."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        resource = Resource.from_contents(spec, default_specification=DRAFT202012)
        self.registry = Registry().with_resource(SPEC_URN, resource)

    def check(self, path: str, method: str, response: TestResponse) -> None:
        operation = self.spec["paths"][path][method]
        status = str(response.status_code)
        assert status in operation["responses"], (
            f"{method.upper()} {path} answered {status}, which is not described: "
            f"{response.get_data(as_text=True)[:300]}"
        )
        described = _deref(self.spec, operation["responses"][status])
        content = described.get("content")
        if not content:
            return
        assert response.mimetype in content, (path, status, response.mimetype)
        pointer = "/".join(["#", "paths", _escape(path), method, "responses", status, "content"])
        # Refs inside the schema are relative to the whole document: validate through it.
        raw = operation["responses"][status]
        if "$ref" in raw:
            pointer = raw["$ref"] + "/content"
        pointer += "/" + _escape(response.mimetype) + "/schema"
        validator = Draft202012Validator(
            {"$ref": SPEC_URN + pointer}, registry=self.registry, format_checker=None
        )
        errors = sorted(validator.iter_errors(response.get_json()), key=str)
        assert errors == [], f"{method.upper()} {path} {status}: {errors[0].message}"
        for name in described.get("headers", {}):
            assert name in response.headers, (path, status, name)


@pytest.fixture
def conformance(spec: dict[str, Any]) -> Conformance:
    return Conformance(spec)


def _issue(client: FlaskClient, token: str, fmt: str = "jwt", **options: Any) -> dict[str, Any]:
    response = client.post(
        f"{PREFIX}/credentials",
        json={
            "achievement": "incident-response-l2",
            "recipient": "ada@example.com",
            "format": fmt,
            **options,
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201
    body: dict[str, Any] = response.get_json()
    return body


def _open_role(client: FlaskClient, token: str) -> dict[str, Any]:
    response = client.post(
        f"{PREFIX}/roles",
        json={"title": "SRE II", "jobFamily": "sre", "openings": 1},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201
    body: dict[str, Any] = response.get_json()
    return body


def _send_example(
    client: FlaskClient, path: str, media_type: str, value: Any, token: str, method: str = "post"
) -> TestResponse:
    data = json.dumps(value) if media_type == "application/json" else value
    return client.open(
        PREFIX + path,
        method=method.upper(),
        data=data,
        content_type=media_type,
        headers={"Authorization": f"Bearer {token}"},
    )


def test_the_examples_get_described_responses(
    client: FlaskClient, api_token: str, spec: dict[str, Any], conformance: Conformance
) -> None:
    credential_id = _issue(client, api_token)["id"]
    role_id = str(_open_role(client, api_token)["id"])
    sent = 0
    for template, item in spec["paths"].items():
        path = template.replace("{credentialId}", credential_id).replace("{roleId}", role_id)
        for method, operation in item.items():
            if method not in METHODS:
                continue
            if method == "get":
                conformance.check(template, method, client.get(PREFIX + path))
                sent += 1
                continue
            if "requestBody" not in operation:  # an action without a body (cancel a job)
                response = client.post(
                    PREFIX + path, headers={"Authorization": f"Bearer {api_token}"}
                )
                conformance.check(template, method, response)
                sent += 1
                continue
            body = _deref(spec, operation["requestBody"])
            for media_type, media in body["content"].items():
                for example in media.get("examples", {}).values():
                    response = _send_example(
                        client, path, media_type, example["value"], api_token, method
                    )
                    conformance.check(template, method, response)
                    sent += 1
    assert sent >= 10


def test_real_reports_match_the_description(
    client: FlaskClient, api_token: str, conformance: Conformance
) -> None:
    jwt_badge = _issue(client, api_token, "jwt", alg="RS256")
    di_badge = _issue(client, api_token, "di", suspendable=True)
    single = [
        client.post(f"{PREFIX}/verify", json=di_badge["credential"]),
        client.post(
            f"{PREFIX}/verify", data=jwt_badge["credential"], content_type="application/jwt"
        ),
        client.post(f"{PREFIX}/verify?jobFamily=sre", json=di_badge["credential"]),
        client.post(f"{PREFIX}/verify?recipient=bob@example.com", json=di_badge["credential"]),
    ]
    assert single[0].get_json()["verified"] is True
    assert single[3].get_json()["verified"] is False
    export = {"credentials": [jwt_badge["credential"], di_badge["credential"]]}
    containers = [
        client.post(f"{PREFIX}/verify", json=export),
        client.post(f"{PREFIX}/verify?jobFamily=sre", json=export),
    ]
    body = containers[1].get_json()
    assert body["kind"] == "passport_export" and len(body["credentials"]) == 2
    errors = [
        client.post(f"{PREFIX}/verify", data=b"x", content_type="image/gif"),  # 415
        client.post(f"{PREFIX}/verify?jobFamily=nope", json=export),  # 404
        client.post(f"{PREFIX}/verify", data=b"{", content_type="application/json"),  # 400?
    ]
    for response in single + containers + errors:
        conformance.check("/verify", "post", response)
    unauthorised = client.post(f"{PREFIX}/credentials", json={})
    assert unauthorised.status_code == 401
    conformance.check("/credentials", "post", unauthorised)
    for action in ("suspend", "reinstate", "revoke"):
        response = client.post(
            f"{PREFIX}/credentials/{di_badge['id']}/{action}",
            json={"reason": "testing"},
            headers={"Authorization": f"Bearer {api_token}"},
        )
        assert response.get_json() == {"id": di_badge["id"], "action": action, "changed": True}
        conformance.check(f"/credentials/{{credentialId}}/{action}", "post", response)
    # A badge issued without a suspension entry: 400 not_suspendable, as described.
    refused = client.post(
        f"{PREFIX}/credentials/{jwt_badge['id']}/suspend",
        json={"reason": "testing"},
        headers={"Authorization": f"Bearer {api_token}"},
    )
    assert refused.status_code == 400
    assert refused.get_json()["error"]["code"] == "not_suspendable"
    conformance.check("/credentials/{credentialId}/suspend", "post", refused)


def test_mobility_answers_match_the_description(
    client: FlaskClient, services: Any, api_token: str, conformance: Conformance
) -> None:
    from passport.accounts.users import create_user
    from passport.mobility.consent import Consent, set_consent
    from tests.unit.passport.outcomes.fixtures import add_badge

    with services.session() as session:
        user = create_user(
            session,
            email="ada@example.com",
            name="Ada",
            role="learner",
            password="correct horse battery",
        )
        session.flush()
        set_consent(session, user.id, Consent(True, None), actor="ada", now=services.now())
        add_badge(session, "ada@example.com", "incident-response-l2", services.now().date())
    auth = {"Authorization": f"Bearer {api_token}"}
    role_id = _open_role(client, api_token)["id"]
    found = client.get(f"{PREFIX}/roles/{role_id}/candidates", headers=auth)
    assert [c["holder"]["email"] for c in found.get_json()["candidates"]] == ["ada@example.com"]
    checks = [
        ("/roles/{roleId}/candidates", "get", found),
        ("/roles/{roleId}", "get", client.get(f"{PREFIX}/roles/{role_id}", headers=auth)),
        ("/roles/{roleId}", "get", client.get(f"{PREFIX}/roles/999", headers=auth)),
        ("/roles", "get", client.get(f"{PREFIX}/roles?status=open", headers=auth)),
        ("/roles", "get", client.get(f"{PREFIX}/roles?status=x", headers=auth)),
        ("/roles", "post", client.post(f"{PREFIX}/roles", json={"x": 1}, headers=auth)),
        ("/roles", "post", client.post(f"{PREFIX}/roles", data="x", headers=auth)),
        (
            "/roles/{roleId}/close",
            "post",
            client.post(f"{PREFIX}/roles/{role_id}/close", headers=auth),
        ),
        (
            "/roles/{roleId}/close",
            "post",
            client.post(f"{PREFIX}/roles/{role_id}/close", headers=auth),
        ),
    ]
    assert [r.status_code for _, _, r in checks] == [200, 200, 404, 200, 400, 400, 415, 200, 409]
    page = client.get("/login", headers={"Accept": "text/html"}).get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    signed = client.post(
        "/login",
        data={"email": "ada@example.com", "password": "correct horse battery", "csrf_token": csrf},
    )
    assert signed.status_code == 302
    mine = client.get(f"{PREFIX}/me/discoverability")
    token = mine.headers["X-CSRF-Token"]
    path = f"{PREFIX}/me/discoverability"
    checks += [
        ("/me/discoverability", "get", mine),
        ("/me/discoverability", "put", client.put(path, json={"discoverable": False})),
        (
            "/me/discoverability",
            "put",
            client.put(path, json={"discoverable": 1}, headers={"X-CSRF-Token": token}),
        ),
        (
            "/me/discoverability",
            "put",
            client.put(path, json={"discoverable": False}, headers={"X-CSRF-Token": token}),
        ),
    ]
    assert [r.status_code for _, _, r in checks[-4:]] == [200, 403, 400, 200]
    for template, method, response in checks:
        conformance.check(template, method, response)


def test_rate_limited_and_oversize_answers_match_the_description(
    settings: Settings, conformance: Conformance
) -> None:
    app = create_app(settings.with_overrides(rate_limits="verify=1/minute", max_request_bytes=100))
    initialise(get_services(app))
    try:
        client = app.test_client()
        conformance.check("/verify", "post", client.post(f"{PREFIX}/verify", json={"x": "y" * 200}))
        client.post(f"{PREFIX}/verify", json={})
        limited = client.post(f"{PREFIX}/verify", json={})
        assert limited.status_code == 429
        conformance.check("/verify", "post", limited)
    finally:
        get_services(app).engine.dispose()


def _steer(case: Any, draw: Any, credential_ids: list[str], role_ids: list[int]) -> None:
    """Half the time, swap generated identifiers for real ones, so that generated requests
    also reach issuing, status changes and the fit report instead of stopping at 'not found'."""
    from hypothesis import strategies as st

    if "credentialId" in (case.path_parameters or {}) and draw(st.booleans()):
        case.path_parameters["credentialId"] = draw(st.sampled_from(credential_ids))
    if "roleId" in (case.path_parameters or {}) and draw(st.booleans()):
        case.path_parameters["roleId"] = draw(st.sampled_from(role_ids))
    if (case.query or {}).get("jobFamily") is not None and draw(st.booleans()):
        case.query["jobFamily"] = "sre"
    if isinstance(case.body, dict) and case.media_type == "application/json":
        if "achievement" in case.body and draw(st.booleans()):
            case.body["achievement"] = "incident-response-l2"
        for field in ("recipient", "learner"):
            if field in case.body and draw(st.booleans()):
                case.body[field] = "ada@example.com"


@pytest.mark.slow
def test_schemathesis_finds_no_server_error(
    app: Flask, client: FlaskClient, api_token: str
) -> None:
    """Generated requests against every operation (in-process WSGI): never a 5xx, and every
    answer is one the description allows (status, content type, headers, body schema)."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_headers_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_headers_conformance,
        response_schema_conformance,
    ]
    credential_ids = [_issue(client, api_token, fmt)["id"] for fmt in ("di", "jwt", "di")]
    role_ids = [_open_role(client, api_token)["id"] for _ in range(3)]
    schema = schemathesis.openapi.from_wsgi(f"{PREFIX}/openapi.json", app)
    auth = {"Authorization": f"Bearer {api_token}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    # Every operation but GET /openapi.json itself (schemathesis leaves the schema's own URL out).
    assert {op.label for op in operations} >= {"POST /verify", "POST /credentials"}
    assert len(operations) == 32
    statuses: set[tuple[str, int]] = set()
    for operation in operations:

        @given(case=operation.as_strategy(), data=st.data())
        @settings(
            max_examples=50,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any, data: Any) -> None:
            _steer(case, data.draw, credential_ids, role_ids)
            response = case.call(headers=auth)
            statuses.add((case.operation.label, response.status_code))
            # Not positive_data_acceptance: a well-formed request can still be refused for
            # what it says (an unknown learner's e-mail, reinstating a revoked badge), which a
            # JSON Schema cannot express; such refusals must still be described answers.
            case.validate_response(response, checks=checks)

        run()
    # The run got past 'not found' to the real work.
    assert ("POST /verify", 200) in statuses
    assert ("POST /credentials", 201) in statuses
    assert ("GET /token", 200) in statuses
    assert ("GET /outcomes", 200) in statuses
    assert ("GET /roles/{roleId}/candidates", 200) in statuses
    assert {status for label, status in statuses if label.endswith("/revoke")} >= {200, 404}


def test_open_badges_2_reports_match_the_description(
    client: FlaskClient, conformance: Conformance
) -> None:
    from keys import generate_key
    from tests.ob2badges import Ob2Issuer, serving

    with serving() as server:
        issuer = Ob2Issuer(server, generate_key("RS256", rsa_bits=2048))
        hosted = issuer.host()
        responses = [
            client.post(f"{PREFIX}/verify", json=hosted),
            client.post(f"{PREFIX}/verify?jobFamily=sre", json=hosted),
            client.post(f"{PREFIX}/verify", data=issuer.signed(), content_type="application/jwt"),
        ]
    formats = [r.get_json().get("format") for r in responses]
    assert formats == ["ob2-hosted", "ob2-hosted", "ob2-signed"]
    assert all(r.get_json()["verified"] for r in responses)
    for response in responses:
        conformance.check("/verify", "post", response)
