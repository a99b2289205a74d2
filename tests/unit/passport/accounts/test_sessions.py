"""The session stores (database and Redis: one protocol, the same tests), timeouts, and ending a
user's sessions. Redis tests use a key prefix of their own and remove what they wrote."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import func, select

from passport.accounts.models import UserSession
from passport.accounts.sessions import (
    DatabaseSessionStore,
    RedisSessionStore,
    SessionStore,
    StoredSession,
    Timeouts,
    end_other_session,
    end_user_sessions,
    hash_session_id,
    live_session,
    new_session_id,
    purge_expired_sessions,
    session_handle,
    session_store,
    user_sessions,
)
from passport.accounts.users import create_user
from passport.audit import AuditEvent
from passport.errors import ConfigError, NotFound
from passport.services import Services
from passport.settings import Settings

REDIS_URL = "redis://127.0.0.1:6379/0"
TIMEOUTS = Timeouts(idle=timedelta(minutes=60), absolute=timedelta(hours=12))


def _redis() -> Redis | None:
    client = Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except RedisError:
        return None
    return client


@pytest.fixture(params=["database", "redis"])
def store(request: pytest.FixtureRequest, services: Services) -> Iterator[SessionStore]:
    """Each store, installed where :func:`session_store` finds it."""
    if request.param == "database":
        chosen: SessionStore = DatabaseSessionStore()
        services.sessions.configure(info={"passport.session_store": chosen})
        yield chosen
        return
    client = _redis()
    if client is None:
        pytest.skip("no Redis on 127.0.0.1:6379")
    prefix = f"test-{secrets.token_hex(8)}:"
    chosen = RedisSessionStore(client, prefix=prefix)
    services.sessions.configure(info={"passport.session_store": chosen})
    try:
        yield chosen
    finally:
        keys = list(client.scan_iter(f"{prefix}*"))
        if keys:
            client.delete(*keys)
        client.close()


def _user(services: Services, email: str = "p@example.org") -> int:
    with services.session() as db:
        return create_user(
            db, email=email, name="P", role="learner", password="a long enough password"
        ).id


def _begin(
    services: Services, user_id: int | None, now: datetime, *, agent: str = "Firefox"
) -> str:
    session_id = new_session_id()
    with services.session() as db:
        session_store(db).put(
            db,
            StoredSession.begin(
                session_id,
                now=now,
                timeouts=TIMEOUTS,
                data='{"user_id": 1}',
                user_id=user_id,
                ip="127.0.0.1",
                user_agent=agent,
                method="password",
            ),
        )
    return session_id


def test_ids_are_256_bits_and_only_their_hash_is_stored(
    store: SessionStore, services: Services
) -> None:
    now = datetime.now(UTC)
    session_id = _begin(services, None, now)
    assert len(session_id) >= 43  # 32 bytes, base64url
    with services.session() as db:
        assert store.get(db, session_id) is None
        record = store.get(db, hash_session_id(session_id))
        assert record is not None and record.data == '{"user_id": 1}'
        assert record.expires_at == now + TIMEOUTS.absolute


def test_idle_and_absolute_timeouts(store: SessionStore, services: Services) -> None:
    now = datetime.now(UTC)
    idle_one, busy_one = _begin(services, None, now), _begin(services, None, now)
    with services.session() as db:
        later = now + timedelta(minutes=59)
        assert live_session(db, idle_one, now=later, timeouts=TIMEOUTS) is not None
        record = live_session(db, busy_one, now=later, timeouts=TIMEOUTS)
        assert record is not None and record.needs_touch(later)
        store.touch(db, record, later)
    with services.session() as db:
        # 61 minutes after the last activity: idle
        after_idle = now + timedelta(minutes=61)
        assert live_session(db, idle_one, now=after_idle, timeouts=TIMEOUTS) is None
        assert store.get(db, hash_session_id(idle_one)) is None  # removed when found expired
        assert live_session(db, busy_one, now=after_idle, timeouts=TIMEOUTS) is not None
    with services.session() as db:
        # kept busy all day, it still ends 12 hours after it began
        record = store.get(db, hash_session_id(busy_one))
        assert record is not None
        store.touch(db, record, now + timedelta(hours=11, minutes=59))
    with services.session() as db:
        at_end = now + timedelta(hours=12)
        assert live_session(db, busy_one, now=at_end, timeouts=TIMEOUTS) is None


def test_touch_is_throttled() -> None:
    now = datetime.now(UTC)
    record = StoredSession.begin("x", now=now, timeouts=TIMEOUTS, data="{}")
    assert not record.needs_touch(now + timedelta(seconds=59))
    assert record.needs_touch(now + timedelta(seconds=60))


def test_end_user_sessions_keeps_one_and_audits(store: SessionStore, services: Services) -> None:
    now = datetime.now(UTC)
    user_id, other_id = _user(services), _user(services, "o@example.org")
    keep = _begin(services, user_id, now)
    _begin(services, user_id, now, agent="Phone")
    _begin(services, user_id, now, agent="Tablet")
    theirs = _begin(services, other_id, now)
    with services.session() as db:
        assert len(user_sessions(db, user_id, now=now, timeouts=TIMEOUTS)) == 3
        assert end_user_sessions(db, user_id, reason="password_change", keep=keep) == 2
    with services.session() as db:
        left = user_sessions(db, user_id, now=now, timeouts=TIMEOUTS)
        assert [r.id_hash for r in left] == [hash_session_id(keep)]
        assert live_session(db, theirs, now=now, timeouts=TIMEOUTS) is not None
        event = db.scalars(select(AuditEvent).where(AuditEvent.action == "user.sessions_end")).one()
        assert event.subject == "p@example.org"
        assert '"password_change"' in (event.detail or "")
        assert end_user_sessions(db, user_id, reason="logout") == 1
        assert user_sessions(db, user_id, now=now, timeouts=TIMEOUTS) == []


def test_end_other_session_by_handle_never_the_current_one(
    store: SessionStore, services: Services
) -> None:
    now = datetime.now(UTC)
    user_id = _user(services)
    current = _begin(services, user_id, now)
    other = _begin(services, user_id, now, agent="Phone")
    with services.session() as db:
        mine = store.get(db, hash_session_id(current))
        theirs = store.get(db, hash_session_id(other))
        assert mine is not None and theirs is not None
        with pytest.raises(NotFound):
            end_other_session(
                db, user_id, session_handle(mine), current=current, now=now, timeouts=TIMEOUTS
            )
        with pytest.raises(NotFound):  # another user's handle names nothing of theirs
            end_other_session(
                db, user_id + 1, session_handle(theirs), current=None, now=now, timeouts=TIMEOUTS
            )
        end_other_session(
            db, user_id, session_handle(theirs), current=current, now=now, timeouts=TIMEOUTS
        )
        assert store.get(db, hash_session_id(other)) is None
        assert store.get(db, hash_session_id(current)) is not None


def test_the_database_store_purges_expired_rows(services: Services) -> None:
    services.sessions.configure(info={"passport.session_store": DatabaseSessionStore()})
    now = datetime.now(UTC)
    _begin(services, None, now - timedelta(hours=2))
    fresh = _begin(services, None, now)
    with services.session() as db:
        assert purge_expired_sessions(db, now=now, timeouts=TIMEOUTS) == 1
        assert db.scalar(select(func.count()).select_from(UserSession)) == 1
        assert live_session(db, fresh, now=now, timeouts=TIMEOUTS) is not None


def test_the_device_is_trimmed() -> None:
    record = StoredSession.begin(
        "x", now=datetime.now(UTC), timeouts=TIMEOUTS, data="{}", user_agent="A" * 1000, ip=""
    )
    assert record.user_agent == "A" * 200
    assert record.ip is None


def test_timeouts_come_from_the_settings(tmp_path: Path) -> None:
    base = {
        "PASSPORT_ENV": "development",
        "PASSPORT_INSTANCE_PATH": str(tmp_path / "instance"),
        "PASSPORT_SECRET_KEY": "k" * 43,
        "PASSPORT_KEY_PASSPHRASE": "p" * 43,
    }
    default = Timeouts.from_settings(Settings.from_env(base))
    assert default == Timeouts(idle=timedelta(minutes=60), absolute=timedelta(hours=12))
    chosen = Settings.from_env(
        {**base, "PASSPORT_SESSION_IDLE_MINUTES": "15", "PASSPORT_SESSION_MAX_HOURS": "8"}
    )
    assert Timeouts.from_settings(chosen) == Timeouts(
        idle=timedelta(minutes=15), absolute=timedelta(hours=8)
    )
    for bad in ("0", "soon"):
        with pytest.raises(ConfigError, match="PASSPORT_SESSION_IDLE_MINUTES"):
            Settings.from_env({**base, "PASSPORT_SESSION_IDLE_MINUTES": bad})


def test_an_ended_session_is_not_brought_back_by_a_request_still_running(
    store: SessionStore, services: Services
) -> None:
    """A request that read the session before it was ended saves its changes with ``update``:
    the session stays ended."""
    now = datetime.now(UTC)
    user_id = _user(services)
    session_id = _begin(services, user_id, now)
    with services.session() as db:
        record = store.get(db, hash_session_id(session_id))
        assert record is not None
        changed = replace(record, data='{"user_id": 1, "csrf_token": "t"}')
        assert store.update(db, changed) is True
        assert end_user_sessions(db, user_id, reason="role_change") == 1
        assert store.update(db, changed) is False
        store.touch(db, changed, now + timedelta(minutes=5))
        assert store.get(db, hash_session_id(session_id)) is None
        assert user_sessions(db, user_id, now=now, timeouts=TIMEOUTS) == []


class _Redis6Commands:
    """A Redis client that refuses what Redis 6 lacks (``EXPIRE … GT|NX|XX|LT``, Redis 7.0),
    as a 6.x server would; every other command goes to the real server."""

    def __init__(self, client: Redis) -> None:
        self._client = client

    def __getattr__(self, name: str) -> object:
        return getattr(self._client, name)

    def pipeline(self) -> object:
        pipe = self._client.pipeline()
        real_expire = pipe.expire

        def expire(name: str, time: int, **options: bool) -> object:
            if any(options.values()):
                raise RedisError("ERR wrong number of arguments for 'expire' command")
            return real_expire(name, time)

        pipe.expire = expire  # type: ignore[method-assign]
        return pipe


def test_the_redis_store_keeps_to_redis_6_and_its_index_outlives_every_session(
    services: Services,
) -> None:
    """Debian 11, Ubuntu 22.04 and RHEL 9 ship Redis 6: login must work there too."""
    client = _redis()
    if client is None:
        pytest.skip("no Redis on 127.0.0.1:6379")
    prefix = f"test-{secrets.token_hex(8)}:"
    index_ttl = int(TIMEOUTS.absolute.total_seconds()) + 60
    chosen = RedisSessionStore(
        _Redis6Commands(client),  # type: ignore[arg-type]
        prefix=prefix,
        index_ttl=index_ttl,
    )
    services.sessions.configure(info={"passport.session_store": chosen})
    try:
        user_id = _user(services)
        first = _begin(services, user_id, datetime.now(UTC))
        record_key = f"{prefix}s:{hash_session_id(first)}"
        user_key = f"{prefix}u:{user_id}"
        assert 0 < client.ttl(record_key) <= client.ttl(user_key) <= index_ttl
        with services.session() as db:
            record = chosen.get(db, hash_session_id(first))
            assert record is not None and chosen.update(db, record)
        assert client.ttl(record_key) <= client.ttl(user_key)
        with services.session() as db:
            assert end_user_sessions(db, user_id, reason="test") == 1
            assert chosen.get(db, hash_session_id(first)) is None
    finally:
        keys = list(client.scan_iter(f"{prefix}*"))
        if keys:
            client.delete(*keys)
        client.close()
