"""Security headers, cookies and request size limits, on pages and on the API."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import FileStorage
from werkzeug.test import stream_encode_multipart

from passport.instance.setup import initialise
from passport.settings import Settings
from passport.web import create_app
from passport.web.context import get_services

TEMPLATES = Path(__file__).parents[2] / "passport" / "web" / "templates"
PAGES = ["/", "/verify", "/login", "/nowhere"]
API = ["/api/v1/openapi.json", "/.well-known/jwks.json"]


def _directives(policy: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for part in filter(None, (p.strip() for p in policy.split(";"))):
        name, *values = part.split()
        out[name] = values
    return out


@pytest.mark.parametrize("path", PAGES + API)
def test_every_response_carries_a_strict_csp(client: FlaskClient, path: str) -> None:
    response = client.get(path, headers={"Accept": "text/html"})
    policy = _directives(response.headers["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert not any("unsafe" in v for values in policy.values() for v in values)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_the_verify_api_and_its_errors_carry_the_headers(client: FlaskClient) -> None:
    for response in (
        client.post("/api/v1/verify", json={"not": "a credential"}),
        client.post("/api/v1/verify", data=b"x", content_type="image/gif"),
    ):
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


INLINE = [
    # A data block (type="application/json", e.g. the outcomes charts' data) is never run, so
    # the CSP allows it; any other <script> without src is inline code.
    (
        re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*\btype=\"application/json\")[^>]*>", re.I),
        "inline <script>",
    ),
    (re.compile(r"<style\b", re.I), "<style> element"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "event handler attribute"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def test_templates_have_no_inline_script_or_style() -> None:
    """The CSP forbids them, so a template that used one would break silently in browsers."""
    templates = sorted(TEMPLATES.rglob("*.html"))
    assert templates
    found = [
        f"{path.relative_to(TEMPLATES)}: {what}"
        for path in templates
        for pattern, what in INLINE
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_no_hsts_over_plain_http(client: FlaskClient) -> None:
    assert "Strict-Transport-Security" not in client.get("/").headers


def test_hsts_when_the_request_came_over_tls(client: FlaskClient) -> None:
    response = client.get("/", base_url="https://127.0.0.1:5000")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def _app(settings: Settings, **changes: object) -> Iterator[Flask]:
    app = create_app(settings.with_overrides(**changes))
    initialise(get_services(app))
    yield app
    get_services(app).engine.dispose()


@pytest.fixture
def production_app(settings: Settings) -> Iterator[Flask]:
    # TLS ends at a proxy: the request reaches us over http, the public URL is https.
    yield from _app(settings, env="production", public_url="https://passport.example.org")


def test_hsts_when_the_public_url_is_https(production_app: Flask) -> None:
    response = production_app.test_client().get("/")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def _session_cookie(client: FlaskClient) -> str:
    response = client.get("/login")  # the CSRF token puts something in the session
    (cookie,) = response.headers.getlist("Set-Cookie")
    return cookie


def test_production_session_cookie_is_secure_httponly_samesite(production_app: Flask) -> None:
    cookie = _session_cookie(production_app.test_client())
    attributes = {a.strip().split("=")[0].lower() for a in cookie.split(";")[1:]}
    assert cookie.startswith("__Host-passport=")
    assert {"secure", "httponly", "samesite", "path"} <= attributes
    assert "SameSite=Lax" in cookie
    assert "Domain=" not in cookie  # __Host- cookies are host-only


def test_production_cookie_is_secure_even_behind_an_http_public_url(
    settings: Settings,
) -> None:
    for app in _app(settings, env="production"):
        assert "Secure" in _session_cookie(app.test_client())


def test_development_cookie_is_httponly_and_samesite_but_usable_over_http(
    client: FlaskClient,
) -> None:
    cookie = _session_cookie(client)
    assert cookie.startswith("passport=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie


TOO_LARGE = {
    "error": {"code": "too_large", "message": "The request body is larger than the limit."}
}


def test_an_oversize_verify_body_gets_json_413(app: Flask, client: FlaskClient) -> None:
    body = b'{"a": "' + b"x" * app.config["MAX_CONTENT_LENGTH"] + b'"}'
    response = client.post("/api/v1/verify", data=body, content_type="application/json")
    assert response.status_code == 413
    assert response.get_json() == TOO_LARGE


def test_an_oversize_upload_gets_json_413(app: Flask, client: FlaskClient) -> None:
    blob = io.BytesIO(b"\x89PNG" + b"\0" * app.config["MAX_CONTENT_LENGTH"])
    # Encoded in memory: the test client would spool it to a file the app never reads.
    stream, _, boundary = stream_encode_multipart(
        {"file": FileStorage(blob, filename="badge.png")}, use_tempfile=False
    )
    response = client.post(
        "/api/v1/verify",
        data=stream.getvalue(),
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 413
    assert response.get_json() == TOO_LARGE


def test_an_oversize_token_api_body_gets_json_413(
    app: Flask, client: FlaskClient, api_token: str
) -> None:
    body = b'{"learner": "' + b"x" * app.config["MAX_CONTENT_LENGTH"] + b'"}'
    response = client.post(
        "/api/v1/assessments",
        data=body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {api_token}"},
    )
    assert response.status_code == 413
    assert response.get_json() == TOO_LARGE


def test_the_size_limit_comes_from_settings(settings: Settings) -> None:
    for app in _app(settings, max_request_bytes=1000):
        client = app.test_client()
        assert client.post("/api/v1/verify", json={"x": "y" * 500}).status_code == 200
        response = client.post("/api/v1/verify", json={"x": "y" * 1000})
        assert response.status_code == 413 and response.get_json() == TOO_LARGE
