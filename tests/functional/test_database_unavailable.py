"""A database that cannot be reached is a clean 503 ``database_unavailable``, never a 500."""

from __future__ import annotations

from pathlib import Path

from passport.settings import Settings
from passport.web import create_app


def test_unreachable_database_is_503_json_with_retry_after(tmp_path: Path) -> None:
    secret_url = "postgresql+psycopg://admin:hunter2-db-password@127.0.0.1:1/none"
    broken = Settings(
        env="test",
        instance_path=tmp_path / "instance",
        database_url=secret_url,
        public_url="http://127.0.0.1:5000",
        secret_key="test-secret-key-not-for-production",
        key_passphrase="test key-store passphrase",
        rate_limits="off",
    )
    app = create_app(broken)
    try:
        response = app.test_client().post(
            "/api/v1/credentials",
            json={"achievement": "incident-response-l2", "recipient": "a@example.org"},
            headers={"Authorization": "Bearer not-checked-before-the-database"},
        )
    finally:
        app.extensions["passport"].engine.dispose()
    assert response.status_code == 503
    assert response.get_json() == {
        "error": {
            "code": "database_unavailable",
            "message": "The database is unavailable; try again shortly.",
        }
    }
    assert response.headers["Retry-After"] == "2"
    assert "hunter2" not in response.get_data(as_text=True)


def test_openapi_describes_the_503_on_every_operation_that_reads_the_database() -> None:
    import json

    from passport.web import api

    spec = json.loads((Path(api.__file__).parent / "openapi.json").read_text())
    described = spec["components"]["responses"]["DatabaseUnavailable"]
    assert "Retry-After" in described["headers"]
    for path, operations in spec["paths"].items():
        if path == "/openapi.json":
            continue  # a static file
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue  # path-level parameters
            assert operation["responses"]["503"] == {
                "$ref": "#/components/responses/DatabaseUnavailable"
            }, path
