"""Rate limits: verify, login and the token API are limited per client address; 429 carries our
error body and Retry-After; ``off`` lifts them; counters live in memory or in Redis."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis

from passport.accounts.tokens import create_token
from passport.errors import ConfigError
from passport.instance.setup import initialise
from passport.settings import DEFAULT_RATE_LIMITS, Settings, parse_rate_limits
from passport.web import create_app
from passport.web.context import get_services

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
LIMITS = "verify=3/minute;login=2/minute;api=2/minute"


def _redis_reachable() -> bool:
    try:
        with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _app(settings: Settings, **changes: object) -> Iterator[Flask]:
    app = create_app(settings.with_overrides(**changes))
    services = get_services(app)
    initialise(services)
    yield app
    services.engine.dispose()


@pytest.fixture
def limited_app(settings: Settings) -> Iterator[Flask]:
    yield from _app(settings, rate_limits=LIMITS)


def _client(app: Flask, address: str = "192.0.2.10") -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _verify(client: FlaskClient) -> int:
    return client.post("/api/v1/verify", json={"not": "a credential"}).status_code


def _assert_limited(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 429
    assert response.get_json() == {
        "error": {
            "code": "rate_limited",
            "message": "Too many requests from your address; wait a little and try again.",
        }
    }
    assert 1 <= int(response.headers["Retry-After"]) <= 60


def test_verify_api_is_limited_with_json_429_and_retry_after(limited_app: Flask) -> None:
    client = _client(limited_app)
    assert [_verify(client) for _ in range(3)] == [200, 200, 200]
    _assert_limited(client.post("/api/v1/verify", json={"not": "a credential"}))


def test_limits_are_per_client_address(limited_app: Flask) -> None:
    first, second = _client(limited_app, "192.0.2.1"), _client(limited_app, "192.0.2.2")
    assert [_verify(first) for _ in range(4)][-1] == 429
    assert _verify(second) == 200


def test_verify_page_shares_the_verify_bucket_and_get_is_not_counted(
    limited_app: Flask,
) -> None:
    client = _client(limited_app)
    for _ in range(5):
        assert client.get("/verify").status_code == 200
    with client.session_transaction() as session:
        session["csrf_token"] = "t"
    form = {"credential": "not a credential", "csrf_token": "t"}
    assert client.post("/verify", data=form).status_code == 200
    assert _verify(client) == 200
    assert client.post("/verify", data=form).status_code == 200
    limited = client.post("/verify", data=form, headers={"Accept": "text/html"})
    assert limited.status_code == 429
    assert "Retry-After" in limited.headers
    _assert_limited(client.post("/api/v1/verify", json={}))


def test_login_is_limited_even_without_a_csrf_token(limited_app: Flask) -> None:
    client = _client(limited_app)
    assert client.get("/login").status_code == 200
    codes = [
        client.post("/login", data={"email": "x@example.com", "password": "guess"}).status_code
        for _ in range(3)
    ]
    assert codes == [403, 403, 429]
    # The login page itself stays reachable.
    assert client.get("/login").status_code == 200


def test_token_api_is_limited(limited_app: Flask) -> None:
    with get_services(limited_app).session() as session:
        token = create_token(
            session,
            "limits",
            scopes=["credentials:issue", "credentials:status", "assessments:write"],
            actor="test",
        )
    client = _client(limited_app)
    auth = {"Authorization": f"Bearer {token}"}
    body = {"reason": "test"}
    codes = [
        client.post("/api/v1/credentials/nope/revoke", json=body, headers=auth).status_code,
        client.post("/api/v1/assessments", json={}, headers=auth).status_code,
    ]
    assert codes == [404, 400]
    _assert_limited(client.post("/api/v1/credentials", json={}, headers=auth))
    # Verification has its own bucket.
    assert _verify(client) == 200


def test_off_means_no_limit(settings: Settings) -> None:
    for app in _app(settings, rate_limits="off"):
        client = _client(app)
        assert {_verify(client) for _ in range(30)} == {200}
        assert "passport.limiter" not in app.extensions


def test_one_category_can_be_turned_off(settings: Settings) -> None:
    for app in _app(settings, rate_limits="verify=off;login=1/minute"):
        client = _client(app)
        assert {_verify(client) for _ in range(20)} == {200}


def test_the_suite_runs_unthrottled(app: Flask) -> None:
    # tests/conftest.py turns the limits off; a test asks for them explicitly.
    assert "passport.limiter" not in app.extensions
    client = _client(app)
    assert {_verify(client) for _ in range(70)} == {200}


def test_limits_are_read_from_the_environment(tmp_path) -> None:  # type: ignore[no-untyped-def]
    base = {"PASSPORT_ENV": "test", "PASSPORT_INSTANCE_PATH": str(tmp_path)}
    assert Settings.from_env(base, require_secrets=False).rate_limit_rules == DEFAULT_RATE_LIMITS
    env = {**base, "PASSPORT_RATE_LIMITS": LIMITS, "PASSPORT_REDIS_URL": "redis://127.0.0.1:6379"}
    settings = Settings.from_env(env, require_secrets=False)
    assert settings.rate_limit_rules == {
        "verify": "3/minute",
        "login": "2/minute",
        "api": "2/minute",
    }
    assert settings.redis_url == "redis://127.0.0.1:6379"
    off = Settings.from_env({**base, "PASSPORT_RATE_LIMITS": "OFF"}, require_secrets=False)
    assert set(off.rate_limit_rules.values()) == {None}


@pytest.mark.parametrize(
    "spec",
    ["verify", "verify=", "search=1/minute", "verify=lots", "verify=60/fortnight"],
)
def test_a_broken_limit_stops_start_up(spec: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError):
        parse_rate_limits(spec)
    env = {"PASSPORT_ENV": "test", "PASSPORT_INSTANCE_PATH": str(tmp_path)}
    with pytest.raises(ConfigError):
        Settings.from_env({**env, "PASSPORT_RATE_LIMITS": spec}, require_secrets=False)


@pytest.mark.skipif(not _redis_reachable(), reason="Redis is not reachable on 127.0.0.1:6379")
def test_redis_storage_is_shared_between_app_instances(settings: Settings) -> None:
    """Two apps (two workers) count in the same Redis: the limit holds across them."""
    url = f"redis://{REDIS_HOST}:{REDIS_PORT}/0"
    address = f"198.51.100.{uuid.uuid4().int % 250 + 1}"
    first = create_app(settings.with_overrides(rate_limits=LIMITS, redis_url=url))
    initialise(get_services(first))
    second = create_app(settings.with_overrides(rate_limits=LIMITS, redis_url=url))
    redis = Redis.from_url(url)
    try:
        one, two = _client(first, address), _client(second, address)
        assert [_verify(one), _verify(two), _verify(one)] == [200, 200, 200]
        _assert_limited(two.post("/api/v1/verify", json={}))
        ours = list(redis.scan_iter(match=f"*{address}*"))
        assert ours  # the counters are in Redis, not in either process
    finally:
        # Only this test's keys: others (load tests, other workers) may share this Redis.
        for key in redis.scan_iter(match=f"*{address}*"):
            redis.delete(key)
        redis.close()
        get_services(first).engine.dispose()
        get_services(second).engine.dispose()


def test_unreachable_redis_fails_closed(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """An unreachable counter store must not switch the limits off (finding 5 of issue 17):
    limited requests get 503 ``rate_limit_unavailable`` and the log says so loudly; requests
    outside the limited categories are served as usual."""
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    for app in _app(settings, rate_limits=LIMITS, redis_url=f"redis://127.0.0.1:{port}/0"):
        client = _client(app)
        with caplog.at_level("ERROR", logger="passport.web.security"):
            answers = [
                client.post("/api/v1/verify", json={"not": "a credential"}) for _ in range(3)
            ]
        assert {a.status_code for a in answers} == {503}
        assert answers[0].get_json()["error"]["code"] == "rate_limit_unavailable"
        assert answers[0].headers["Retry-After"] == "5"
        assert "RATE LIMITS FAIL CLOSED" in caplog.text
        assert str(port) not in caplog.text  # the class name only, no address
        assert client.get("/verify").status_code == 200  # not a limited request


def test_behind_a_proxy_the_forwarded_client_address_is_limited(settings: Settings) -> None:
    """PASSPORT_PROXY_HOPS=1: each client behind the proxy has its own bucket; without it a
    client's X-Forwarded-For is not believed (all share the connecting address's bucket)."""
    for hops, second_client_status in ((1, 200), (0, 429)):
        for app in _app(settings, rate_limits=LIMITS, proxy_hops=hops):
            proxy = _client(app, "127.0.0.1")

            def verify(client_address: str, proxy: FlaskClient = proxy) -> int:
                return proxy.post(
                    "/api/v1/verify",
                    json={"not": "a credential"},
                    headers={"X-Forwarded-For": client_address},
                ).status_code

            assert [verify("198.51.100.1") for _ in range(4)][-1] == 429
            assert verify("198.51.100.2") == second_client_status


def test_proxy_hops_are_read_from_the_environment(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from passport.errors import ConfigError

    base = {"PASSPORT_ENV": "test", "PASSPORT_INSTANCE_PATH": str(tmp_path)}
    hops = {**base, "PASSPORT_PROXY_HOPS": "1"}
    assert Settings.from_env(hops, require_secrets=False).proxy_hops == 1
    assert Settings.from_env(base, require_secrets=False).proxy_hops == 0
    for bad in ("lots", "-1", "9"):
        with pytest.raises(ConfigError):
            Settings.from_env({**base, "PASSPORT_PROXY_HOPS": bad}, require_secrets=False)
