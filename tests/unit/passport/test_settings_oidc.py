"""Single sign-on settings: read from the environment, refused with a clear reason when wrong."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from passport.errors import ConfigError
from passport.settings import Settings, parse_role_groups

BASE = {
    "PASSPORT_PUBLIC_URL": "https://badges.example.org",
    # production refuses weak secrets (finding 3): random ones, as an operator makes them
    "PASSPORT_SECRET_KEY": secrets.token_urlsafe(32),
    "PASSPORT_KEY_PASSPHRASE": secrets.token_urlsafe(32),
}
OIDC = {
    "PASSPORT_OIDC_ISSUER": "https://login.example.org/realms/staff/",
    "PASSPORT_OIDC_CLIENT_ID": "skill-passport",
    # what providers issue: Entra ID 40 characters, Okta 64, Keycloak 32
    "PASSPORT_OIDC_CLIENT_SECRET": "kc-client-secret-0123456789abcdefghij",
}


def _settings(tmp_path: Path, **env: str) -> Settings:
    return Settings.from_env({"PASSPORT_INSTANCE_PATH": str(tmp_path), **BASE, **env})


def test_without_an_issuer_there_is_no_single_sign_on(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    assert settings.oidc is None and settings.password_login and settings.role_groups == {}


def test_single_sign_on_settings_and_their_defaults(tmp_path: Path) -> None:
    settings = _settings(tmp_path, **OIDC)
    assert settings.oidc is not None
    assert settings.oidc.issuer == "https://login.example.org/realms/staff"
    assert settings.oidc.scopes == ("openid", "email", "profile")
    assert (settings.oidc.role_claim, settings.oidc.default_role) == ("groups", "learner")
    assert settings.oidc.allowed_domains == ()
    assert settings.oidc.name == "single sign-on"
    settings = _settings(
        tmp_path,
        **OIDC,
        PASSPORT_OIDC_SCOPES="openid email groups",
        PASSPORT_OIDC_ROLE_CLAIM="realm_access.roles",
        PASSPORT_OIDC_ALLOWED_DOMAINS="Example.org, @staff.example.org",
        PASSPORT_OIDC_DEFAULT_ROLE="mentor",
        PASSPORT_OIDC_NAME="Acme Login",
        PASSPORT_ROLE_GROUPS="sp-admins=admin; sp-mentors=mentor",
        PASSPORT_PASSWORD_LOGIN="off",
    )
    assert settings.oidc is not None
    assert settings.oidc.scopes == ("openid", "email", "groups")
    assert settings.oidc.allowed_domains == ("example.org", "staff.example.org")
    assert (settings.oidc.default_role, settings.oidc.name) == ("mentor", "Acme Login")
    assert settings.oidc.role_claim == "realm_access.roles"
    assert settings.role_groups == {"sp-admins": "admin", "sp-mentors": "mentor"}
    assert settings.password_login is False


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {**OIDC, "PASSPORT_OIDC_ISSUER": "http://login.example.org"},
            "https:// URL in production",
        ),
        ({**OIDC, "PASSPORT_OIDC_ISSUER": "login.example.org"}, "PASSPORT_OIDC_ISSUER"),
        ({**OIDC, "PASSPORT_OIDC_CLIENT_SECRET": ""}, "PASSPORT_OIDC_CLIENT_SECRET"),
        # too short to be a provider's secret, and to be redacted from logs
        ({**OIDC, "PASSPORT_OIDC_CLIENT_SECRET": "client-secret"}, "at least 16 characters"),
        ({**OIDC, "PASSPORT_OIDC_SCOPES": "email profile"}, "must include 'openid'"),
        ({**OIDC, "PASSPORT_OIDC_DEFAULT_ROLE": "root"}, "PASSPORT_OIDC_DEFAULT_ROLE"),
        ({**OIDC, "PASSPORT_OIDC_ALLOWED_DOMAINS": "a@b.org"}, "PASSPORT_OIDC_ALLOWED_DOMAINS"),
        ({"PASSPORT_ROLE_GROUPS": "sp-admins=root"}, "PASSPORT_ROLE_GROUPS"),
        ({"PASSPORT_ROLE_GROUPS": "sp-admins"}, "PASSPORT_ROLE_GROUPS"),
        ({"PASSPORT_PASSWORD_LOGIN": "off"}, "nobody could log in"),
        ({**OIDC, "PASSPORT_PASSWORD_LOGIN": "maybe"}, "'on' or 'off'"),
    ],
)
def test_bad_values_are_refused_with_the_reason(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        _settings(tmp_path, **env)


def test_development_may_use_a_loopback_http_provider(tmp_path: Path) -> None:
    env = {**OIDC, "PASSPORT_ENV": "test", "PASSPORT_OIDC_ISSUER": "http://127.0.0.1:9000"}
    assert _settings(tmp_path, **env).oidc is not None


def test_group_names_are_kept_as_the_provider_spells_them() -> None:
    """Keycloak sends group paths, Entra ID object ids; a name may even hold '='."""
    spec = "/staff/sp-admins=admin, 0f5a3c1e-7b2d-4e8f-9a61-2c4d5e6f7a8b=mentor;role=x=assessor"
    assert parse_role_groups(spec) == {
        "/staff/sp-admins": "admin",
        "0f5a3c1e-7b2d-4e8f-9a61-2c4d5e6f7a8b": "mentor",
        "role=x": "assessor",
    }
    assert parse_role_groups("") == {} and parse_role_groups(None) == {}


def test_the_client_secret_is_among_the_values_logs_redact(tmp_path: Path) -> None:
    from passport.logs import redact

    settings = _settings(tmp_path, **OIDC)
    secret = OIDC["PASSPORT_OIDC_CLIENT_SECRET"]
    assert secret in settings.secret_values
    assert secret not in redact(f"basic auth {secret} sent", settings.secret_values)


def test_trusting_the_providers_email_is_off_unless_switched_on(tmp_path: Path) -> None:
    assert _settings(tmp_path, **OIDC).oidc.trust_email is False  # type: ignore[union-attr]
    on = _settings(tmp_path, **OIDC, PASSPORT_OIDC_TRUST_EMAIL="on")
    assert on.oidc is not None and on.oidc.trust_email is True
    with pytest.raises(ConfigError, match="PASSPORT_OIDC_TRUST_EMAIL"):
        _settings(tmp_path, **OIDC, PASSPORT_OIDC_TRUST_EMAIL="maybe")
