"""Server-side sessions through the browser path, "My sessions", password change, account
deletion (erasure) from the admin pages and the CLI, and the race-free last-admin check."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from passport.accounts.models import User, UserSession
from passport.accounts.sessions import Timeouts, hash_session_id, user_sessions
from passport.accounts.users import create_user, set_user_active, user_by_email
from passport.audit import AuditEvent
from passport.credentials.models import Holder
from passport.errors import InvalidRequest
from passport.services import Services
from passport.settings import Settings
from passport.web import create_app
from passport.web.context import get_services
from tests.conftest import drop_all_tables
from tests.functional.test_admin import HTML, PASSWORD, csrf, login, make_user
from tests.unit.passport.accounts.test_sessions import _redis

COOKIE = "passport"


def _session_rows(services: Services) -> int:
    with services.session() as db:
        return int(db.scalar(select(func.count()).select_from(UserSession)) or 0)


def _sign_in(app: Flask, email: str, agent: str = "Firefox") -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = agent
    response = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf(client)}
    )
    assert response.status_code == 302, response.data
    return client


def test_an_anonymous_get_without_a_cookie_stores_nothing(
    client: FlaskClient, services: Services
) -> None:
    for path in ("/", "/job-families", "/health", "/.well-known/did.json", "/?lang=xx"):
        response = client.get(path, headers=HTML)
        assert "Set-Cookie" not in response.headers, path
    assert _session_rows(services) == 0
    # A form page needs a CSRF token: that is stored, once, and the cookie carries only an id.
    client.get("/verify", headers=HTML)
    assert _session_rows(services) == 1
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None and len(cookie.value) >= 43
    assert cookie.http_only and cookie.same_site == "Lax"
    client.get("/login", headers=HTML)
    assert _session_rows(services) == 1


def test_login_starts_a_new_session_id(app: Flask, services: Services) -> None:
    make_user(services, "fix@example.org", "learner")
    client = app.test_client()
    token = csrf(client)
    planted = client.get_cookie(COOKIE)
    assert planted is not None
    client.post(
        "/login", data={"email": "fix@example.org", "password": PASSWORD, "csrf_token": token}
    )
    after = client.get_cookie(COOKIE)
    assert after is not None and after.value != planted.value
    with services.session() as db:
        assert db.get(UserSession, hash_session_id(planted.value)) is None
        row = db.get(UserSession, hash_session_id(after.value))
        assert row is not None and row.method == "password"
        assert row.user_id == user_by_email(db, "fix@example.org").id


def test_secure_mode_keeps_the_host_prefixed_cookie(settings: Settings) -> None:
    app = create_app(settings.with_overrides(public_url="https://passport.example"))
    services = get_services(app)
    from passport.instance.setup import initialise

    if services.engine.dialect.name != "sqlite":
        drop_all_tables(settings.database_url)
    initialise(services)
    response = app.test_client().get("/login", headers=HTML)
    header = response.headers["Set-Cookie"]
    assert header.startswith("__Host-passport=")
    assert "Secure" in header and "HttpOnly" in header and "SameSite=Lax" in header
    assert "Path=/" in header and "Domain" not in header
    services.engine.dispose()


def test_my_sessions_lists_and_ends_other_sessions(app: Flask, services: Services) -> None:
    make_user(services, "many@example.org", "learner")
    laptop = _sign_in(app, "many@example.org", "Laptop browser")
    phone = _sign_in(app, "many@example.org", "Phone browser")
    tablet = _sign_in(app, "many@example.org", "Tablet browser")
    page = laptop.get("/my/sessions", headers=HTML)
    assert page.status_code == 200
    text = page.data.decode()
    assert "Laptop browser" in text and "Phone browser" in text and "Tablet browser" in text
    assert text.count("This session") == 1
    handles = re.findall(r'name="session" value="([0-9a-f]+)"', text)
    assert len(handles) == 2
    token = re.search(r'name="csrf_token" value="([^"]+)"', text).group(1)  # type: ignore[union-attr]
    # no CSRF token: refused
    assert laptop.post("/my/sessions/end", data={"session": handles[0]}).status_code == 403
    done = laptop.post("/my/sessions/end", data={"session": handles[0], "csrf_token": token})
    assert done.status_code == 302
    alive = [c.get("/my/preferences", headers=HTML).status_code for c in (phone, tablet)]
    assert sorted(alive) == [200, 302]
    laptop.post("/my/sessions/end", data={"all": "1", "csrf_token": token})
    assert phone.get("/my/preferences", headers=HTML).status_code == 302
    assert tablet.get("/my/preferences", headers=HTML).status_code == 302
    assert laptop.get("/my/preferences", headers=HTML).status_code == 200
    # a handle that names nothing
    gone = laptop.post("/my/sessions/end", data={"session": "0" * 32, "csrf_token": token})
    assert gone.status_code == 302
    assert "has ended already" in laptop.get("/my/sessions", headers=HTML).data.decode()


def test_my_sessions_in_german(app: Flask, services: Services) -> None:
    make_user(services, "de@example.org", "learner")
    client = _sign_in(app, "de@example.org")
    page = client.get("/my/sessions?lang=de", headers=HTML).data.decode()
    assert "Ihre Sitzungen" in page and "Diese Sitzung" in page


def test_change_password_page(app: Flask, services: Services) -> None:
    make_user(services, "pw@example.org", "mentor")
    laptop, phone = _sign_in(app, "pw@example.org"), _sign_in(app, "pw@example.org")
    page = laptop.get("/my/password", headers=HTML)
    text = page.data.decode()
    assert 'autocomplete="current-password"' in text and 'autocomplete="new-password"' in text
    token = csrf(laptop, "/my/password")
    wrong = laptop.post(
        "/my/password",
        data={
            "csrf_token": token,
            "current_password": "not it",
            "new_password": "a fine new passphrase",
            "confirm_password": "a fine new passphrase",
        },
    )
    assert wrong.status_code == 400 and "current password is not correct" in wrong.data.decode()
    short = laptop.post(
        "/my/password",
        data={
            "csrf_token": token,
            "current_password": PASSWORD,
            "new_password": "short",
            "confirm_password": "short",
        },
    )
    assert short.status_code == 400 and 'aria-invalid="true"' in short.data.decode()
    ok = laptop.post(
        "/my/password",
        data={
            "csrf_token": token,
            "current_password": PASSWORD,
            "new_password": "a fine new passphrase",
            "confirm_password": "a fine new passphrase",
        },
    )
    assert ok.status_code == 302
    assert laptop.get("/my/preferences", headers=HTML).status_code == 200
    assert phone.get("/my/preferences", headers=HTML).status_code == 302
    fresh = app.test_client()
    relog = fresh.post(
        "/login",
        data={
            "email": "pw@example.org",
            "password": "a fine new passphrase",
            "csrf_token": csrf(fresh),
        },
    )
    assert relog.status_code == 302


def test_admin_deletes_a_learner_their_badge_still_verifies(
    app: Flask, client: FlaskClient, services: Services, api_token: str
) -> None:
    issued = client.post(
        "/api/v1/credentials",
        json={"achievement": "incident-response-l2", "recipient": "gone@example.org"},
        headers={"Authorization": f"Bearer {api_token}"},
    ).get_json()
    make_user(services, "gone@example.org", "learner", name="Grace Gone")
    learner = _sign_in(app, "gone@example.org")
    admin = app.test_client()
    token = login(admin, services, "boss@example.org", "admin")
    with services.session() as db:
        user_id = user_by_email(db, "gone@example.org").id
    confirm = admin.get(f"/admin/users/{user_id}/delete", headers=HTML)
    assert confirm.status_code == 200
    text = confirm.data.decode()
    assert "Grace Gone" in text and "stays valid" in text and "cannot be undone" in text
    done = admin.post(f"/admin/users/{user_id}/delete", data={"csrf_token": token})
    assert done.status_code == 302
    assert learner.get("/my/preferences", headers=HTML).status_code == 302
    listing = admin.get("/admin/users", headers=HTML).data.decode()
    assert "Deleted" in listing and "gone@example.org" not in listing
    with services.session() as db:
        user = db.get(User, user_id)
        assert user is not None and user.erased_at is not None
        assert re.fullmatch(r"erased-[0-9a-f]{16}@invalid", user.email)
        assert user.password_hash is None and user.name != "Grace Gone"
        holder = db.get(Holder, user.holder_id)
        assert holder is not None and holder.email == user.email and holder.name is None
        logged = " ".join(
            f"{e.actor} {e.subject} {e.detail}" for e in db.scalars(select(AuditEvent))
        )
        assert "gone@example.org" not in logged and "Grace Gone" not in logged
        assert user.email in logged
    report = client.post("/api/v1/verify", json=issued["credential"]).get_json()
    assert report["verified"] is True, report
    page = client.get(f"/credentials/{issued['id']}", headers=HTML)
    assert page.status_code == 200
    # no log-in with the old address; no reactivation
    relog = app.test_client()
    bad = relog.post(
        "/login",
        data={"email": "gone@example.org", "password": PASSWORD, "csrf_token": csrf(relog)},
    )
    assert bad.status_code == 401
    admin.post(f"/admin/users/{user_id}/active", data={"csrf_token": token, "active": "1"})
    with services.session() as db:
        user = db.get(User, user_id)
        assert user is not None and user.deactivated_at is not None


def test_the_last_admin_cannot_be_deleted(app: Flask, services: Services) -> None:
    admin = app.test_client()
    token = login(admin, services, "only@example.org", "admin")
    with services.session() as db:
        user_id = user_by_email(db, "only@example.org").id
    admin.post(f"/admin/users/{user_id}/delete", data={"csrf_token": token})
    with services.session() as db:
        assert db.get(User, user_id).erased_at is None  # type: ignore[union-attr]
    page = admin.get(f"/admin/users/{user_id}", headers=HTML).data.decode()
    assert "last active administrator" in page


def test_two_admins_deactivating_each_other_at_once_leave_one(services: Services) -> None:
    """Both requests count one other active admin; only one may win (the lock serialises)."""
    with services.session() as db:
        for email in ("a1@example.org", "a2@example.org"):
            create_user(db, email=email, name=email, role="admin", password=PASSWORD)
    for _ in range(3):
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def deactivate(email: str, barrier: threading.Barrier, outcomes: list[str]) -> None:
            try:
                with services.session() as db:
                    user = user_by_email(db, email)
                    barrier.wait()
                    set_user_active(db, user, active=False, actor="t", now=services.now())
                outcomes.append("done")
            except InvalidRequest as exc:
                outcomes.append(exc.code)

        threads = [
            threading.Thread(target=deactivate, args=(e, barrier, outcomes))
            for e in ("a1@example.org", "a2@example.org")
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert sorted(outcomes) == ["done", "last_admin"]
        with services.session() as db:
            active = db.scalars(
                select(User).where(User.role == "admin", User.deactivated_at.is_(None))
            ).all()
            assert len(active) == 1
            for user in db.scalars(select(User).where(User.role == "admin")):
                user.deactivated_at = None  # again, from two active admins


def test_sessions_in_redis_when_configured(settings: Settings) -> None:
    client_ = _redis()
    if client_ is None:
        pytest.skip("no Redis on 127.0.0.1:6379")
    app = create_app(settings.with_overrides(redis_url="redis://127.0.0.1:6379/0"))
    services = get_services(app)
    from passport.accounts.sessions import RedisSessionStore
    from passport.instance.setup import initialise

    if services.engine.dialect.name != "sqlite":
        drop_all_tables(settings.database_url)
    initialise(services)
    prefix = f"test-{secrets.token_hex(8)}:"
    store = RedisSessionStore(client_, prefix=prefix)
    services.sessions.configure(info={"passport.session_store": store})
    try:
        make_user(services, "r@example.org", "learner")
        browser = _sign_in(app, "r@example.org")
        assert _session_rows(services) == 0
        assert list(client_.scan_iter(f"{prefix}s:*"))
        assert browser.get("/my/preferences", headers=HTML).status_code == 200
        with services.session() as db:
            user = user_by_email(db, "r@example.org")
            timeouts = Timeouts.from_settings(services.settings)
            assert len(user_sessions(db, user.id, now=services.now(), timeouts=timeouts)) == 1
            set_user_active(db, user, active=False, actor="t", now=services.now())
        assert not list(client_.scan_iter(f"{prefix}s:*"))
    finally:
        keys = list(client_.scan_iter(f"{prefix}*"))
        if keys:
            client_.delete(*keys)
        client_.close()
        services.engine.dispose()


# -- the command line ---------------------------------------------------------------------------

PASSPORT = str(Path(sys.executable).parent / "passport")


def _run(
    env: dict[str, str], *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PASSPORT, *args], env=env, input=stdin, capture_output=True, text=True, timeout=120
    )


def test_cli_users_lifecycle(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PASSPORT_ENV": "development",
        "PASSPORT_INSTANCE_PATH": str(tmp_path / "instance"),
        "PASSPORT_PUBLIC_URL": "http://127.0.0.1:5998",
    }
    env.pop("PASSPORT_DATABASE_URL", None)
    env.pop("PASSPORT_REDIS_URL", None)
    assert _run(env, "init").returncode == 0
    for email, role in (
        ("root@example.org", "admin"),
        ("cli@example.org", "assessor"),
        ("hire@example.org", "hiring_manager"),
    ):
        made = _run(
            env, "users", "create", "--email", email, "--role", role, "--password", PASSWORD
        )
        assert made.returncode == 0, made.stderr
    listed = _run(env, "users", "list")
    assert "cli@example.org\tassessor\tactive\tcli@example.org" in listed.stdout
    assert "hire@example.org\thiring_manager\tactive" in listed.stdout
    assert _run(env, "users", "set-role", "hire@example.org", "analyst").returncode == 0
    assert "hire@example.org\tanalyst\tactive" in _run(env, "users", "list").stdout
    assert _run(env, "users", "set-role", "cli@example.org", "mentor").returncode == 0
    assert _run(env, "users", "deactivate", "cli@example.org").returncode == 0
    assert "cli@example.org\tmentor\tdeactivated" in _run(env, "users", "list").stdout
    assert _run(env, "users", "reactivate", "cli@example.org").returncode == 0
    weak = _run(env, "users", "set-password", "cli@example.org", stdin="short\nshort\n")
    assert weak.returncode == 1 and "12 characters" in weak.stderr
    good = _run(
        env,
        "users",
        "set-password",
        "cli@example.org",
        stdin="another long passphrase\nanother long passphrase\n",
    )
    assert good.returncode == 0, good.stderr
    unknown = _run(env, "users", "deactivate", "nobody@example.org")
    assert unknown.returncode == 1 and "no user with e-mail nobody@example.org" in unknown.stderr
    last = _run(env, "users", "delete", "root@example.org", "--yes")
    assert last.returncode == 1 and "last active administrator" in last.stderr
    unconfirmed = _run(env, "users", "delete", "cli@example.org")
    assert unconfirmed.returncode == 2 and "--yes" in unconfirmed.stderr
    erased = _run(env, "users", "delete", "cli@example.org", "--yes")
    assert erased.returncode == 0, erased.stderr
    after = _run(env, "users", "list").stdout
    assert "cli@example.org" not in after and "\terased\t" in after


def test_an_unreachable_redis_signs_nobody_in_and_breaks_no_page(settings: Settings) -> None:
    """Sessions in Redis, Redis away: pages still answer (no 500), nobody is let in."""
    app = create_app(settings.with_overrides(redis_url="redis://127.0.0.1:1/0"))
    services = get_services(app)
    from passport.instance.setup import initialise

    if services.engine.dialect.name != "sqlite":
        drop_all_tables(settings.database_url)
    initialise(services)
    try:
        make_user(services, "down@example.org", "learner")
        client = app.test_client()
        assert client.get("/login", headers=HTML).status_code == 200
        assert client.get_cookie(COOKIE) is None  # nothing could be stored
        client.set_cookie(COOKIE, "x" * 43)
        assert client.get("/", headers=HTML).status_code == 200
        response = client.get("/passport", headers=HTML)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
        refused = client.post("/login", data={"email": "down@example.org", "password": PASSWORD})
        assert refused.status_code == 403  # no CSRF token could be kept: refused, not let in
    finally:
        services.engine.dispose()
