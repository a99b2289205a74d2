"""PASSPORT_MAIL_URL: what is read from it, and what production refuses."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from passport.errors import ConfigError
from passport.mail import OutboxMailer, SmtpMailer, mailer_for, parse_mail_url
from passport.settings import Settings


def test_the_three_schemes_with_their_default_ports_and_encoded_credentials() -> None:
    assert parse_mail_url("smtp://127.0.0.1").port == 25
    assert parse_mail_url("smtp+starttls://mail.example.org").port == 587
    server = parse_mail_url("smtps://app%40example.org:p%3Ass@mail.example.org:2465")
    assert (server.scheme, server.host, server.port) == ("smtps", "mail.example.org", 2465)
    assert (server.username, server.password) == ("app@example.org", "p:ss")


@pytest.mark.parametrize(
    "url", ["http://mail.example.org", "smtp://", "mail.example.org:25", "smtp://host:port"]
)
def test_unusable_urls_are_config_errors(url: str) -> None:
    with pytest.raises(ConfigError, match="PASSPORT_MAIL_URL"):
        parse_mail_url(url)


def _production(tmp_path: Path, mail_url: str) -> Settings:
    return Settings.from_env(
        {
            "PASSPORT_INSTANCE_PATH": str(tmp_path),
            "PASSPORT_PUBLIC_URL": "https://passport.example.org",
            # production refuses weak secrets (finding 3): random ones, as an operator makes them
            "PASSPORT_SECRET_KEY": secrets.token_urlsafe(32),
            "PASSPORT_KEY_PASSPHRASE": secrets.token_urlsafe(32),
            "PASSPORT_MAIL_URL": mail_url,
        }
    )


def test_production_refuses_plain_smtp_to_another_host(tmp_path: Path) -> None:
    """A reset link is a credential: never across a network in clear text."""
    with pytest.raises(ConfigError, match="smtps:// or smtp\\+starttls://"):
        _production(tmp_path, "smtp://mail.example.org:25")
    assert _production(tmp_path, "smtp://127.0.0.1:25").mail_url == "smtp://127.0.0.1:25"
    assert _production(tmp_path, "smtp+starttls://u:p@mail.example.org").mail_url


def test_which_mailer(tmp_path: Path) -> None:
    common = {"mail_from": "", "public_url": "https://p.example.org", "instance_path": tmp_path}
    smtp = mailer_for(mail_url="smtps://mail.example.org", production=True, **common)
    assert isinstance(smtp, SmtpMailer) and smtp.sender == "Skill Passport <no-reply@p.example.org>"
    assert mailer_for(mail_url=None, production=True, **common) is None
    outbox = mailer_for(mail_url=None, production=False, **common)
    assert isinstance(outbox, OutboxMailer) and outbox.folder == tmp_path / "outbox"
