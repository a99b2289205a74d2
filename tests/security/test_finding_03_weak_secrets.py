"""Finding 3: production accepted trivial secrets and an http public URL, and redaction of a
one-letter secret revealed it.

Reproduced: ``PASSPORT_SECRET_KEY=x``, ``PASSPORT_KEY_PASSPHRASE=x`` and an ``http://`` public
URL started fine; with ``changeme`` the key was guessed offline from a cookie. With ``x`` every
``x`` in the logs became ``[redacted]``. Now ``Settings.from_env`` (hence ``passport init`` and
``make serve``'s gunicorn) refuses each with a one-line reason that says how to make a good one,
and redaction only replaces long secrets as whole tokens.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from passport.errors import ConfigError
from passport.logs import redact
from passport.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = secrets.token_urlsafe(32)
GOOD_PASSPHRASE = secrets.token_urlsafe(32)
GOOD = {
    "PASSPORT_ENV": "production",
    "PASSPORT_PUBLIC_URL": "https://badges.example.org",
    "PASSPORT_SECRET_KEY": GOOD_KEY,
    "PASSPORT_KEY_PASSPHRASE": GOOD_PASSPHRASE,
}
MAKE_ONE = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"

WEAK = [
    ("PASSPORT_SECRET_KEY", "x", MAKE_ONE),
    ("PASSPORT_SECRET_KEY", "changeme", MAKE_ONE),
    ("PASSPORT_SECRET_KEY", "s" * 64, MAKE_ONE),
    ("PASSPORT_SECRET_KEY", "0123456789abcdef" * 4, MAKE_ONE),
    ("PASSPORT_SECRET_KEY", "my-company-passport-secret-key-2026", MAKE_ONE),
    ("PASSPORT_KEY_PASSPHRASE", "x", MAKE_ONE),
    ("PASSPORT_KEY_PASSPHRASE", "changeme", MAKE_ONE),
    ("PASSPORT_KEY_PASSPHRASE", "p" * 40, MAKE_ONE),
    ("PASSPORT_KEY_PASSPHRASE", "Tr0ub4dor&3", MAKE_ONE),
    # 85 bits by its alphabet, but short and guessable; under 16 characters redaction skips it
    ("PASSPORT_KEY_PASSPHRASE", "Password12345!", MAKE_ONE),
    ("PASSPORT_KEY_PASSPHRASE", "Summer2024!abc", MAKE_ONE),
    ("PASSPORT_PUBLIC_URL", "http://badges.example.org", "https://"),
    ("PASSPORT_PUBLIC_URL", "http://127.0.0.1:8000", "https://"),
    ("PASSPORT_PUBLIC_URL", "badges.example.org", "https://"),
]


@pytest.mark.parametrize(("name", "value", "advice"), WEAK)
def test_production_settings_refuse_a_weak_value(
    tmp_path: Path, name: str, value: str, advice: str
) -> None:
    env = {**GOOD, "PASSPORT_INSTANCE_PATH": str(tmp_path), name: value}
    with pytest.raises(ConfigError) as refused:
        Settings.from_env(env)
    message = refused.value.message
    assert name in message and advice in message
    assert "\n" not in message  # one line
    assert value not in message or name == "PASSPORT_PUBLIC_URL"  # a secret is never echoed


def test_generated_values_are_accepted(tmp_path: Path) -> None:
    for _ in range(50):
        env = {
            **GOOD,
            "PASSPORT_INSTANCE_PATH": str(tmp_path),
            "PASSPORT_SECRET_KEY": secrets.token_urlsafe(32),
            "PASSPORT_KEY_PASSPHRASE": secrets.token_urlsafe(16),
        }
        assert Settings.from_env(env).is_production
    hexed = {**env, "PASSPORT_SECRET_KEY": secrets.token_hex(32)}
    diceware = {**env, "PASSPORT_KEY_PASSPHRASE": "onyx gravel tundra quill meadow sprocket"}
    assert Settings.from_env(hexed).is_production and Settings.from_env(diceware).is_production


def _environment(tmp_path: Path, **changes: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PASSPORT_")}
    env.update(GOOD, PASSPORT_INSTANCE_PATH=str(tmp_path / "instance"), **changes)
    return env


@pytest.mark.parametrize(("name", "value", "advice"), [WEAK[0], WEAK[5], WEAK[9]])
def test_make_serve_refuses_with_one_line(
    tmp_path: Path, name: str, value: str, advice: str
) -> None:
    """``make serve`` runs ``passport init`` then gunicorn: both stop with the one-line reason."""
    env = _environment(tmp_path, **{name: value})
    passport = str(Path(sys.executable).parent / "passport")
    init = subprocess.run(
        [passport, "init"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert init.returncode != 0
    assert "Traceback" not in init.stderr
    (line,) = [x for x in init.stderr.splitlines() if x.strip()]
    assert name in line and advice in line
    gunicorn = subprocess.run(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            "gunicorn.conf.py",
            "--check-config",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert gunicorn.returncode != 0
    assert "Traceback" not in gunicorn.stderr
    assert name in gunicorn.stderr and advice in gunicorn.stderr
    assert not (tmp_path / "instance").exists()  # nothing was created


def test_every_passphrase_production_accepts_is_long_enough_to_redact() -> None:
    from passport.logs import MIN_REDACTED_SECRET
    from passport.settings import MIN_PASSPHRASE_CHARS

    assert MIN_PASSPHRASE_CHARS >= MIN_REDACTED_SECRET
    line = f"opening the key store with {GOOD_PASSPHRASE}"
    assert GOOD_PASSPHRASE not in redact(line, secrets=(GOOD_PASSPHRASE,))


def test_redaction_of_a_one_letter_secret_reveals_nothing() -> None:
    line = "example: exit after text export"
    # Before, every 'x' became '[redacted]': "e[redacted]ample", which spells the secret out.
    assert redact(line, secrets=("x", "x")) == line
    assert "[redacted]" not in redact("changeme is a word: changemeplease", secrets=("changeme",))


def test_a_long_secret_is_redacted_as_a_whole_token_only() -> None:
    assert GOOD_KEY not in redact(f"key={GOOD_KEY}!", secrets=(GOOD_KEY,))
    assert GOOD_KEY not in redact(f"the key {GOOD_KEY} leaked", secrets=(GOOD_KEY,))
    longer = f"A{GOOD_KEY}B"  # another token that merely contains it is left alone
    assert redact(f"token {longer}", secrets=(GOOD_KEY,)) == f"token {longer}"
