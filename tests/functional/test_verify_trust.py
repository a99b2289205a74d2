"""The trust list end to end: PASSPORT_TRUST_LIST for the API and the verify page,
``passport verify --trust-list`` for other organisations (with and without an instance)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from keys import SigningKey, did_key_from_public_key, generate_key
from passport.cli import cli
from passport.errors import ConfigError
from passport.services import Services
from passport.settings import Settings
from passport.web import create_app
from tests.functional.elsewhere import badge_from_elsewhere


@pytest.fixture(scope="module")
def foreign_key() -> SigningKey:
    return generate_key("EdDSA")


@pytest.fixture(scope="module")
def foreign_did(foreign_key: SigningKey) -> str:
    return did_key_from_public_key(foreign_key.public)


@pytest.fixture
def foreign_badge(foreign_key: SigningKey) -> dict[str, Any]:
    """A badge signed in the test by an issuer elsewhere, identified by a fresh did:key."""
    return badge_from_elsewhere(foreign_key, recipient="x@example.com")


@pytest.fixture
def trust_file(tmp_path: Path, foreign_did: str) -> Path:
    path = tmp_path / "trust.json"
    path.write_text(
        json.dumps(
            {
                "name": "Acme hiring",
                "registries": [
                    {
                        "name": "Partner academies",
                        "issuers": [
                            {"id": foreign_did, "name": "Elsewhere Academy", "note": "MoU 2026"}
                        ],
                    }
                ],
            }
        )
    )
    return path


@pytest.fixture
def settings(settings: Settings, trust_file: Path) -> Settings:
    return settings.with_overrides(trust_list_path=trust_file)


def _issuer(body: dict[str, Any]) -> tuple[str, str, str]:
    check = next(c for c in body["checks"] if c["id"] == "issuer")
    return check["status"], check["code"], check["message"]


def test_api_trusts_a_listed_foreign_issuer_and_still_knows_its_own(
    client: FlaskClient, foreign_badge: dict[str, Any], services: Services
) -> None:
    body = client.post("/api/v1/verify", json=foreign_badge).get_json()
    assert body["verified"] is True
    status, code, message = _issuer(body)
    assert (status, code) == ("passed", "issuer_trusted")
    assert "Elsewhere Academy" in message and "Partner academies" in message
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/verify").text)
    assert token is not None
    page = client.post(
        "/verify", data={"credential": json.dumps(foreign_badge), "csrf_token": token[1]}
    )
    assert page.status_code == 200
    assert "Partner academies" in page.get_data(as_text=True)
    assert services.trust_list is not None and len(services.trust_list) == 1


def test_an_issuer_off_the_list_is_unknown(
    settings: Settings, foreign_badge: dict[str, Any]
) -> None:
    other = settings.trust_list_path.with_name("other.json")  # type: ignore[union-attr]
    other.write_text(json.dumps({"issuers": [{"id": "did:web:someone-else.example"}]}))
    app = create_app(settings.with_overrides(trust_list_path=other))
    from passport.instance.setup import initialise
    from passport.web.context import get_services

    initialise(get_services(app))
    body = app.test_client().post("/api/v1/verify", json=foreign_badge).get_json()
    assert _issuer(body)[:2] == ("could_not_check", "issuer_unknown")


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (None, "trust_list_unreadable"),
        ("{not json", "trust_list_bad_json"),
        ('{"issuers": [{"id": "acme"}]}', "trust_list_bad_id"),
    ],
)
def test_a_broken_trust_list_stops_start_up(
    settings: Settings, tmp_path: Path, content: str | None, code: str
) -> None:
    path = tmp_path / "broken.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError) as caught:
        create_app(settings.with_overrides(trust_list_path=path))
    assert caught.value.code == code
    assert "PASSPORT_TRUST_LIST" in caught.value.message


def test_settings_read_the_trust_list_path_from_the_environment(tmp_path: Path) -> None:
    env = {"PASSPORT_ENV": "test", "PASSPORT_INSTANCE_PATH": str(tmp_path)}
    assert Settings.from_env(env, require_secrets=False).trust_list_path is None
    with_list = Settings.from_env(
        {**env, "PASSPORT_TRUST_LIST": "trust.json"}, require_secrets=False
    )
    assert with_list.trust_list_path is not None and with_list.trust_list_path.name == "trust.json"


def _env(settings: Settings) -> dict[str, str]:
    return {
        "PASSPORT_ENV": "test",
        "PASSPORT_INSTANCE_PATH": str(settings.instance_path),
        "PASSPORT_DATABASE_URL": settings.database_url,
        "PASSPORT_PUBLIC_URL": settings.public_url,
        "PASSPORT_TRUST_LIST": "",
    }


def test_cli_trust_list_inside_an_instance(
    services: Services, tmp_path: Path, trust_file: Path, foreign_badge: dict[str, Any]
) -> None:
    badge = tmp_path / "badge.json"
    badge.write_text(json.dumps(foreign_badge))
    env = _env(services.settings)
    trusted = CliRunner().invoke(
        cli, ["verify", str(badge), "--json", "--trust-list", str(trust_file)], env=env
    )
    assert trusted.exit_code == 0, trusted.output
    assert _issuer(json.loads(trusted.output))[:2] == ("passed", "issuer_trusted")
    plain = CliRunner().invoke(cli, ["verify", str(badge), "--json"], env=env)
    assert _issuer(json.loads(plain.output))[:2] == ("could_not_check", "issuer_unknown")
    from_env = CliRunner().invoke(
        cli, ["verify", str(badge)], env={**env, "PASSPORT_TRUST_LIST": str(trust_file)}
    )
    assert from_env.exit_code == 0 and "issuer_trusted" in from_env.output


def test_cli_trust_list_offline_without_an_instance(
    tmp_path: Path, trust_file: Path, foreign_badge: dict[str, Any]
) -> None:
    """Another organisation: no instance, no network, only keys + verifier and its list."""
    badge = tmp_path / "badge.json"
    badge.write_text(json.dumps(foreign_badge))
    env = {"PASSPORT_ENV": "test", "PASSPORT_INSTANCE_PATH": str(tmp_path / "none")}
    result = CliRunner().invoke(
        cli, ["verify", str(badge), "--offline", "--trust-list", str(trust_file)], env=env
    )
    assert result.exit_code == 0, result.output
    assert "issuer_trusted" in result.output and "Elsewhere Academy" in result.output
    broken = tmp_path / "broken.json"
    broken.write_text('{"issuers": [{"id": "did:web:x.example", "trusted": true}]}')
    bad = CliRunner().invoke(cli, ["verify", str(badge), "--trust-list", str(broken)], env=env)
    assert bad.exit_code == 2
    assert "trusted" in bad.output
    assert not (tmp_path / "none").exists()  # nothing was created for the visitor
