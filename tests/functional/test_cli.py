"""The `passport` command as a user runs it: real processes, a real instance folder."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from passport.accounts.mfa import enable_totp, has_totp
from passport.accounts.models import User
from tests.conftest import drop_all_tables

PASSPORT = str(Path(sys.executable).parent / "passport")


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("cli") / "instance"
    env = {
        **os.environ,
        "PASSPORT_ENV": "development",
        "PASSPORT_INSTANCE_PATH": str(folder),
        "PASSPORT_PUBLIC_URL": "http://127.0.0.1:5999",
    }
    env.pop("PASSPORT_DATABASE_URL", None)
    if os.environ.get("PASSPORT_TEST_DATABASE_URL"):
        env["PASSPORT_DATABASE_URL"] = os.environ["PASSPORT_TEST_DATABASE_URL"]
        drop_all_tables(env["PASSPORT_DATABASE_URL"])
    first = run(env, "init")
    assert first.returncode == 0, first.stderr
    assert "created key" in first.stdout
    return env


def run(
    env: dict[str, str], *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PASSPORT, *args], env=env, input=stdin, capture_output=True, text=True, timeout=120
    )


def test_init_is_idempotent(instance: dict[str, str]) -> None:
    before = run(instance, "keys", "list").stdout
    again = run(instance, "init")
    assert again.returncode == 0
    assert "created key" not in again.stdout
    assert run(instance, "keys", "list").stdout == before


def test_achievements_lists_id_tab_name(instance: dict[str, str]) -> None:
    lines = run(instance, "achievements").stdout.splitlines()
    assert "incident-response-l2\tIncident response — Practitioner" in lines
    assert all(line.count("\t") == 1 for line in lines)


def test_issue_pipe_verify_exits_zero(instance: dict[str, str]) -> None:
    pipeline = subprocess.run(
        f"'{PASSPORT}' issue --achievement incident-response-l2 --recipient ada@example.com "
        f"--format jwt | '{PASSPORT}' verify -",
        shell=True,  # a real pipe, as the issue describes it
        env=instance,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert pipeline.returncode == 0, pipeline.stdout + pipeline.stderr
    assert "VERIFIED" in pipeline.stdout


def test_data_integrity_is_the_default_and_verifies(
    instance: dict[str, str], tmp_path: Path
) -> None:
    issued = run(instance, "issue", "--achievement", "threat-modeling-l2", "--recipient", "c@d.e")
    assert issued.returncode == 0, issued.stderr
    credential = json.loads(issued.stdout)
    assert credential["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"
    path = tmp_path / "badge.json"
    path.write_text(issued.stdout)
    assert run(instance, "verify", str(path)).returncode == 0
    credential["name"] = "Threat Modeling — Expert"
    path.write_text(json.dumps(credential))
    result = run(instance, "verify", "--json", str(path))
    assert result.returncode == 1
    assert json.loads(result.stdout)["checks"][2]["code"] == "bad_signature"


def test_ecdsa_rdfc_2019_on_request_verifies(instance: dict[str, str], tmp_path: Path) -> None:
    issued = run(
        instance,
        "issue",
        "--format",
        "di",
        "--suite",
        "ecdsa-rdfc-2019",
        "--achievement",
        "threat-modeling-l2",
        "--recipient",
        "e@f.g",
    )
    assert issued.returncode == 0, issued.stderr
    credential = json.loads(issued.stdout)
    (proof,) = credential["proof"]
    assert proof["cryptosuite"] == "ecdsa-rdfc-2019"
    path = tmp_path / "ecdsa.json"
    path.write_text(issued.stdout)
    assert run(instance, "verify", str(path)).returncode == 0
    credential["name"] = "Threat Modeling — Expert"
    path.write_text(json.dumps(credential))
    result = run(instance, "verify", "--json", str(path))
    assert result.returncode == 1
    signature = next(c for c in json.loads(result.stdout)["checks"] if c["id"] == "signature")
    assert signature["code"] == "bad_signature"


def test_a_suite_for_a_jwt_is_a_clear_error(instance: dict[str, str]) -> None:
    args = ["--achievement", "threat-modeling-l2", "--recipient", "e@f.g"]
    result = run(instance, "issue", "--format", "jwt", "--suite", "ecdsa-rdfc-2019", *args)
    assert result.returncode == 1
    assert "only be chosen for Data Integrity" in result.stderr
    assert "Traceback" not in result.stderr
    result = run(instance, "issue", "--suite", "ecdsa-sd-2023", *args)
    assert result.returncode == 2  # not one of the choices
    assert "Traceback" not in result.stderr


def _issue(instance: dict[str, str]) -> str:
    result = run(
        instance,
        "issue",
        "--format",
        "jwt",
        "--achievement",
        "observability-l2",
        "--recipient",
        "b@example.com",
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_one_changed_character_in_the_payload_fails_the_signature(instance: dict[str, str]) -> None:
    head, payload, sig = _issue(instance).split(".")
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    tampered = raw.replace(b"Observability", b"Observabilitx", 1)
    assert len(tampered) == len(raw) and tampered != raw
    token = f"{head}.{base64.urlsafe_b64encode(tampered).decode().rstrip('=')}.{sig}"
    result = run(instance, "verify", "--json", "-", stdin=token)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    signature = next(c for c in report["checks"] if c["id"] == "signature")
    assert signature["status"] == "failed" and signature["code"] == "bad_signature"


def test_verify_unreadable_input_exits_two(instance: dict[str, str], tmp_path: Path) -> None:
    assert run(instance, "verify", str(tmp_path / "missing.jwt")).returncode == 2
    assert run(instance, "verify", "-", stdin="hello world").returncode == 2
    assert run(instance, "verify", "--now", "yesterday", "-", stdin="x").returncode == 2


def test_verify_expired_at_a_later_time_exits_one(instance: dict[str, str]) -> None:
    token = _issue(instance)
    result = run(instance, "verify", "--now", "2100-01-01T00:00:00Z", "--json", "-", stdin=token)
    assert result.returncode == 1
    window = next(c for c in json.loads(result.stdout)["checks"] if c["id"] == "validity_window")
    assert window["code"] == "expired"


def test_verify_several_files_reports_each(instance: dict[str, str], tmp_path: Path) -> None:
    good = tmp_path / "good.jwt"
    good.write_text(_issue(instance))
    bad = tmp_path / "bad.jwt"
    bad.write_text("not a credential")
    result = run(instance, "verify", "--json", str(good), str(bad))
    assert result.returncode == 2
    reports = json.loads(result.stdout)
    assert [r["verified"] for r in reports] == [True, False]


def test_verify_without_an_instance_uses_the_verifier_alone(tmp_path: Path) -> None:
    env = {**os.environ, "PASSPORT_INSTANCE_PATH": str(tmp_path / "none")}
    env.pop("PASSPORT_ENV", None)  # production, and no secrets: verify needs none
    env.pop("PASSPORT_DATABASE_URL", None)
    vector = Path(__file__).parents[1] / "assets" / "ob3" / "spec-basic.jwt"
    result = run(env, "verify", "--offline", "--json", str(vector))
    report = json.loads(result.stdout)
    # Offline, the issuer's JWKS cannot be fetched: the signature is unknown, never "valid".
    assert result.returncode == 1
    signature = next(c for c in report["checks"] if c["id"] == "signature")
    assert signature["status"] == "could_not_check" and signature["code"] == "key_unreachable"
    assert not (tmp_path / "none").exists()


def test_keys_jwks_and_did(instance: dict[str, str]) -> None:
    jwks = json.loads(run(instance, "keys", "jwks").stdout)
    did = json.loads(run(instance, "keys", "did").stdout)
    assert did["id"] == "did:web:127.0.0.1%3A5999"
    assert sorted(k["alg"] for k in jwks["keys"]) == ["ES256", "EdDSA", "RS256"]


def _payload(token: str) -> dict:  # type: ignore[type-arg]
    part = token.strip().split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))  # type: ignore[no-any-return]


def test_issue_rs256_suspendable_jwt_then_suspend(instance: dict[str, str]) -> None:
    issued = run(
        instance,
        *("issue", "--achievement", "incident-response-l2", "--recipient", "rs@example.com"),
        *("--format", "jwt", "--alg", "RS256", "--suspendable"),
    )
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip()
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header["alg"] == "RS256"
    payload = _payload(token)
    assert [e["statusPurpose"] for e in payload["credentialStatus"]] == ["revocation", "suspension"]
    assert run(instance, "verify", "-", stdin=token).returncode == 0
    suspended = run(instance, "suspend", payload["jti"], "--reason", "under review")
    assert suspended.returncode == 0, suspended.stderr
    assert run(instance, "verify", "-", stdin=token).returncode == 1


def test_suspending_a_badge_issued_without_suspension_is_a_clear_error(
    instance: dict[str, str],
) -> None:
    issued = run(
        instance,
        *("issue", "--achievement", "incident-response-l2", "--recipient", "one@example.com"),
        *("--format", "jwt"),
    )
    assert issued.returncode == 0, issued.stderr
    payload = _payload(issued.stdout)
    assert payload["credentialStatus"]["statusPurpose"] == "revocation"  # one object
    refused = run(instance, "suspend", payload["jti"], "--reason", "under review")
    assert refused.returncode == 1
    assert "cannot be suspended" in refused.stderr and "[not_suspendable]" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_alg_is_for_jwt_only(instance: dict[str, str]) -> None:
    refused = run(
        instance,
        *("issue", "--achievement", "incident-response-l2", "--recipient", "a@b.cd"),
        *("--alg", "RS256"),
    )
    assert refused.returncode == 1
    assert "[bad_alg]" in refused.stderr and "Traceback" not in refused.stderr


def test_issue_unknown_achievement_is_a_clear_error(instance: dict[str, str]) -> None:
    result = run(instance, "issue", "--achievement", "nope", "--recipient", "a@b.c")
    assert result.returncode == 1
    assert "No achievement with id 'nope'" in result.stderr
    assert "Traceback" not in result.stderr


def test_production_without_secrets_refuses_to_start(tmp_path: Path) -> None:
    env = {**os.environ, "PASSPORT_INSTANCE_PATH": str(tmp_path / "prod")}
    for name in (
        "PASSPORT_ENV",
        "PASSPORT_SECRET_KEY",
        "PASSPORT_KEY_PASSPHRASE",
        "PASSPORT_PUBLIC_URL",
    ):
        env.pop(name, None)
    result = run(env, "init")
    assert result.returncode == 1
    assert "PASSPORT_SECRET_KEY" in result.stderr and "Traceback" not in result.stderr


def test_a_database_command_before_init_says_to_run_init(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PASSPORT_ENV": "development",
        "PASSPORT_INSTANCE_PATH": str(tmp_path / "instance"),
        "PASSPORT_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
    }
    done = run(env, "achievements")
    assert done.returncode == 1
    assert "Error: The database has no tables yet: run `passport init` first." in done.stderr
    assert "Traceback" not in done.stderr


def test_missing_tables_are_named_on_postgresql_too() -> None:
    url = os.environ.get("PASSPORT_TEST_DATABASE_URL")
    if not url:
        pytest.skip("PASSPORT_TEST_DATABASE_URL is not set (CI runs this on PostgreSQL)")
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import DBAPIError

    from passport.cli import database_problem

    engine = create_engine(url)
    try:
        with pytest.raises(DBAPIError) as caught, engine.connect() as connection:
            connection.execute(text("SELECT 1 FROM no_such_table_here"))
    finally:
        engine.dispose()
    assert database_problem(caught.value) == (
        "The database has no tables yet: run `passport init` first."
    )


def test_tokens_create_list_revoke(instance: dict[str, str]) -> None:
    made = run(
        instance,
        "tokens",
        "create",
        "cli-lms",
        "--scope",
        "assessments:write",
        "--scope",
        "read",
        "--expires",
        "30",
    )
    assert made.returncode == 0, made.stderr
    # Only the token on stdout, so that `TOKEN=$(passport tokens create …)` works.
    assert made.stdout.count("\n") == 1 and made.stdout.startswith("sp_")
    token = made.stdout.strip()
    listed = run(instance, "tokens", "list")
    assert listed.returncode == 0, listed.stderr
    assert token not in listed.stdout
    header, *rows = listed.stdout.splitlines()
    assert header.split()[:2] == ["NAME", "SCOPES"] and "LAST USED" in header
    (row,) = [r for r in rows if r.startswith("cli-lms ")]
    assert "assessments:write,read" in row and row.split()[-1] == "active"
    assert "never" in row  # not used yet
    revoked = run(instance, "tokens", "revoke", "cli-lms")
    assert revoked.returncode == 0 and revoked.stdout.strip() == "revoked cli-lms"
    (row,) = [r for r in run(instance, "tokens", "list").stdout.splitlines() if "cli-lms" in r]
    assert row.split()[-1] == "revoked"
    again = run(instance, "tokens", "revoke", "cli-lms")
    assert again.returncode == 0 and "already revoked" in again.stdout


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["create", "no-scope"], "at least one scope"),
        (["create", "bad-scope", "--scope", "root"], "Unknown scope 'root'"),
        (["create", "bad-expiry", "--scope", "read", "--expires", "0"], "1 to 3650 days"),
        (["revoke", "never-made"], "No token is named 'never-made'"),
    ],
)
def test_tokens_bad_input_is_a_clear_error(
    instance: dict[str, str], args: list[str], says: str
) -> None:
    result = run(instance, "tokens", *args)
    assert result.returncode == 1
    assert result.stdout == ""
    assert says in result.stderr and "Traceback" not in result.stderr


def test_tokens_create_refuses_a_taken_name(instance: dict[str, str]) -> None:
    assert run(instance, "tokens", "create", "twice", "--scope", "read").returncode == 0
    second = run(instance, "tokens", "create", "twice", "--scope", "read")
    assert second.returncode == 1 and second.stdout == ""
    assert "already exists" in second.stderr


def test_users_mfa_off_turns_a_lost_second_factor_off(instance: dict[str, str]) -> None:
    """The database is written directly for the enrolment (the CLI has no enrol command)."""
    made = run(
        instance,
        "users",
        "create",
        "--email",
        "lost.phone@example.com",
        "--role",
        "learner",
        "--password",
        "a phone in the lake",
    )
    assert made.returncode == 0, made.stderr
    url = instance.get("PASSPORT_DATABASE_URL") or (
        f"sqlite:///{Path(instance['PASSPORT_INSTANCE_PATH']) / 'passport.sqlite3'}"
    )
    engine = create_engine(url)
    secret = pyotp.random_base32()
    with Session(engine) as db, db.begin():
        user = db.scalar(select(User).where(User.email == "lost.phone@example.com"))
        assert user is not None
        enable_totp(
            db, user, secret, pyotp.TOTP(secret).now(), now=datetime.now(UTC), secret_key="k"
        )
    off = run(instance, "users", "mfa-off", "Lost.Phone@example.com")
    assert off.returncode == 0 and "turned off" in off.stdout, off.stderr
    with Session(engine) as db:
        user = db.scalar(select(User).where(User.email == "lost.phone@example.com"))
        assert user is not None and not has_totp(user)
    engine.dispose()
    unknown = run(instance, "users", "mfa-off", "nobody@example.com")
    assert unknown.returncode == 1 and "No user" in unknown.stderr
