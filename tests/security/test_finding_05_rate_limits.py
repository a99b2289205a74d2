"""Finding 5: rate limits were per worker without Redis (no warning), and off entirely when
Redis was configured but unreachable.

Now production with several workers, a limit on and no ``PASSPORT_REDIS_URL`` refuses to start
(one line), development warns, and an unreachable Redis makes every limited category fail
closed (503 ``rate_limit_unavailable``) with a loud log line. Per-account lockout belongs to
the accounts slice.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from passport.errors import ConfigError
from passport.instance.setup import initialise
from passport.settings import DevelopmentWarning, Settings
from passport.web import create_app
from passport.web.context import get_services

ROOT = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path, **changes: str) -> dict[str, str]:
    return {
        "PASSPORT_ENV": "production",
        "PASSPORT_INSTANCE_PATH": str(tmp_path / "instance"),
        "PASSPORT_PUBLIC_URL": "https://badges.example.org",
        "PASSPORT_SECRET_KEY": secrets.token_urlsafe(32),
        "PASSPORT_KEY_PASSPHRASE": secrets.token_urlsafe(32),
        **changes,
    }


def test_production_with_workers_and_no_redis_refuses(tmp_path: Path) -> None:
    settings = Settings.from_env(_env(tmp_path, PASSPORT_WORKERS="2"))
    with pytest.raises(ConfigError, match="PASSPORT_REDIS_URL") as refused:
        settings.check_serving()
    assert "\n" not in refused.value.message
    # Each way out is accepted: shared counters, one worker, or no limits at all.
    for fix in (
        {"PASSPORT_REDIS_URL": "redis://127.0.0.1:6379/0"},
        {"PASSPORT_WORKERS": "1"},
        {"PASSPORT_RATE_LIMITS": "off"},
    ):
        Settings.from_env(_env(tmp_path, **{"PASSPORT_WORKERS": "2", **fix})).check_serving()


def test_make_serve_refuses_several_workers_without_redis(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PASSPORT_")}
    env.update(_env(tmp_path, PASSPORT_WORKERS="3"))
    done = subprocess.run(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--check-config", "wsgi:app"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "PASSPORT_WORKERS=3" in lines[0]


def test_development_with_workers_and_memory_counters_only_warns(tmp_path: Path) -> None:
    settings = Settings.from_env(_env(tmp_path, PASSPORT_ENV="development", PASSPORT_WORKERS="2"))
    with pytest.warns(DevelopmentWarning, match="PASSPORT_REDIS_URL"):
        settings.check_serving()


def test_unreachable_redis_fails_closed_for_every_limited_category(settings: Settings) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(
        settings.with_overrides(
            rate_limits="verify=100/minute;login=100/minute;api=100/minute",
            redis_url=f"redis://127.0.0.1:{port}/0",
        )
    )
    services = get_services(app)
    try:
        initialise(services)
        client = app.test_client()
        verify = client.post("/api/v1/verify", json={})
        login = client.post("/login", data={"email": "a@example.org", "password": "guess"})
        api = client.post("/api/v1/credentials", json={}, headers={"Authorization": "Bearer x"})
        for answer in (verify, login, api):
            assert answer.status_code == 503
        assert verify.get_json()["error"]["code"] == "rate_limit_unavailable"
        assert b"rate_limit_unavailable" in login.data
    finally:
        services.engine.dispose()
