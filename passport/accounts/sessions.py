"""Server-side browser sessions: what they hold, where they live, when they end.

A browser holds only an opaque random id (256 bits, :func:`new_session_id`); the server keeps
the session under the id's SHA-256, so a copy of the store opens no session. The store is the
database (table ``user_sessions``) or, when ``PASSPORT_REDIS_URL`` is set, Redis: one small
protocol, :class:`SessionStore`, with :class:`DatabaseSessionStore` and
:class:`RedisSessionStore`. :func:`install_store` picks one for a ``sessionmaker``, and
:func:`session_store` finds it again from any database session, so a use case that only holds
``db`` (deactivating a user, a SCIM request) ends the right sessions.

A session ends when it is unused for the idle timeout (``PASSPORT_SESSION_IDLE_MINUTES``, 60 by
default), at the absolute timeout after it began (``PASSPORT_SESSION_MAX_HOURS``, 12), at
logout, and through :func:`end_user_sessions`: password change (the others), role change,
deactivation, erasure, or the person ending them on "My sessions". Activity renews the idle
timeout without a write on every request: ``last_seen_at`` moves at most once a minute
(:data:`TOUCH_EVERY`). The web layer (``passport.web.sessions``) turns this into Flask's
``session`` object and serialises its contents; here they are an opaque string.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import delete, or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from passport.accounts.models import User, UserSession
from passport.audit import record_event
from passport.db import utcnow
from passport.errors import NotFound
from passport.settings import Settings

__all__ = [
    "STORE_ERRORS",
    "TOUCH_EVERY",
    "DatabaseSessionStore",
    "RedisSessionStore",
    "SessionStore",
    "StoredSession",
    "Timeouts",
    "end_other_session",
    "end_user_sessions",
    "hash_session_id",
    "install_store",
    "live_session",
    "new_session_id",
    "purge_expired_sessions",
    "session_handle",
    "session_store",
    "user_sessions",
]

logger = logging.getLogger(__name__)

#: ``last_seen_at`` moves at most this often: activity renews the idle timeout without a write
#: per request.
TOUCH_EVERY = timedelta(minutes=1)
#: What a store may raise when it cannot be reached (the web layer then serves no session).
STORE_ERRORS: tuple[type[Exception], ...] = (SQLAlchemyError, RedisError)
#: The key in ``Session.info`` under which :func:`install_store` leaves the store.
_STORE_INFO_KEY = "passport.session_store"
_USER_AGENT_CHARS = 200
_IP_CHARS = 45


def new_session_id() -> str:
    """A fresh session id for a cookie: 32 random bytes (256 bits), URL-safe."""
    return secrets.token_urlsafe(32)


def hash_session_id(session_id: str) -> str:
    """What the store keys a session by: the id's SHA-256 (hex)."""
    return hashlib.sha256(session_id.encode("utf-8", "surrogatepass")).hexdigest()


def session_handle(record: StoredSession) -> str:
    """A short name of a session for its owner's "My sessions" form (never the cookie's id)."""
    return record.id_hash[:32]


@dataclass(frozen=True, slots=True)
class Timeouts:
    """When sessions end: ``idle`` after the last activity, ``absolute`` after they began."""

    idle: timedelta
    absolute: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> Timeouts:
        return cls(
            idle=timedelta(minutes=settings.session_idle_minutes),
            absolute=timedelta(hours=settings.session_max_hours),
        )


@dataclass(frozen=True, slots=True)
class StoredSession:
    """One session as a store keeps it; ``data`` is the web layer's serialised contents."""

    id_hash: str
    user_id: int | None
    data: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    ip: str | None = None
    user_agent: str | None = None
    method: str | None = None

    @classmethod
    def begin(
        cls,
        session_id: str,
        *,
        now: datetime,
        timeouts: Timeouts,
        data: str,
        user_id: int | None = None,
        ip: str | None = None,
        user_agent: str | None = None,
        method: str | None = None,
    ) -> StoredSession:
        """A new session for ``session_id``, starting ``now`` (device details trimmed)."""
        return cls(
            id_hash=hash_session_id(session_id),
            user_id=user_id,
            data=data,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timeouts.absolute,
            ip=(ip or None) and ip[:_IP_CHARS],
            user_agent=(user_agent or "").strip()[:_USER_AGENT_CHARS] or None,
            method=method,
        )

    def is_live(self, now: datetime, timeouts: Timeouts) -> bool:
        """Whether the session is within both its idle and its absolute timeout at ``now``."""
        return now < self.expires_at and now - self.last_seen_at < timeouts.idle

    def needs_touch(self, now: datetime) -> bool:
        """Whether ``last_seen_at`` is old enough to be written again."""
        return now - self.last_seen_at >= TOUCH_EVERY


class SessionStore(Protocol):
    """Where sessions live. Each method takes the caller's database session; a store that keeps
    nothing in the database ignores it (the database store then shares its transaction)."""

    def get(self, db: Session, id_hash: str) -> StoredSession | None:
        """The session stored under ``id_hash``, expired or not; None if there is none."""

    def put(self, db: Session, record: StoredSession) -> None:
        """Store ``record``, replacing the one under the same hash."""

    def update(self, db: Session, record: StoredSession) -> bool:
        """Store ``record`` only if its session still exists (a request that was running while
        the session was ended must not bring it back); returns whether it did."""

    def touch(self, db: Session, record: StoredSession, at: datetime) -> None:
        """Record activity at ``at`` (``last_seen_at``)."""

    def delete(self, db: Session, id_hashes: Iterable[str]) -> int:
        """Remove these sessions; returns how many there were."""

    def of_user(self, db: Session, user_id: int) -> list[StoredSession]:
        """Every stored session of ``user_id`` (live or not)."""

    def purge(self, db: Session, *, now: datetime, timeouts: Timeouts) -> int:
        """Remove sessions past a timeout; returns how many."""


def _record(row: UserSession) -> StoredSession:
    return StoredSession(
        id_hash=row.id_hash,
        user_id=row.user_id,
        data=row.data,
        created_at=row.created_at,
        last_seen_at=row.last_seen_at,
        expires_at=row.expires_at,
        ip=row.ip,
        user_agent=row.user_agent,
        method=row.method,
    )


class DatabaseSessionStore:
    """Sessions in the ``user_sessions`` table, in the caller's transaction."""

    def get(self, db: Session, id_hash: str) -> StoredSession | None:
        row = db.get(UserSession, id_hash)
        return None if row is None else _record(row)

    def put(self, db: Session, record: StoredSession) -> None:
        row = db.get(UserSession, record.id_hash)
        if row is None:
            row = UserSession(id_hash=record.id_hash)
            db.add(row)
        row.user_id = record.user_id
        row.data = record.data
        row.created_at = record.created_at
        row.last_seen_at = record.last_seen_at
        row.expires_at = record.expires_at
        row.ip = record.ip
        row.user_agent = record.user_agent
        row.method = record.method
        db.flush()

    def update(self, db: Session, record: StoredSession) -> bool:
        if db.get(UserSession, record.id_hash) is None:
            return False
        self.put(db, record)
        return True

    def touch(self, db: Session, record: StoredSession, at: datetime) -> None:
        row = db.get(UserSession, record.id_hash)
        if row is not None:
            row.last_seen_at = at
            db.flush()

    def delete(self, db: Session, id_hashes: Iterable[str]) -> int:
        wanted = list(id_hashes)
        if not wanted:
            return 0
        rows = db.scalars(select(UserSession).where(UserSession.id_hash.in_(wanted))).all()
        for row in rows:
            db.delete(row)
        db.flush()
        return len(rows)

    def of_user(self, db: Session, user_id: int) -> list[StoredSession]:
        rows = db.scalars(select(UserSession).where(UserSession.user_id == user_id))
        return [_record(row) for row in rows]

    def purge(self, db: Session, *, now: datetime, timeouts: Timeouts) -> int:
        result = db.execute(
            delete(UserSession).where(
                or_(
                    UserSession.expires_at <= now,
                    UserSession.last_seen_at <= now - timeouts.idle,
                )
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)


def _dump(record: StoredSession) -> str:
    return json.dumps(
        {
            "user_id": record.user_id,
            "data": record.data,
            "created_at": record.created_at.isoformat(),
            "last_seen_at": record.last_seen_at.isoformat(),
            "expires_at": record.expires_at.isoformat(),
            "ip": record.ip,
            "user_agent": record.user_agent,
            "method": record.method,
        }
    )


def _load(id_hash: str, raw: bytes | str) -> StoredSession | None:
    try:
        fields: dict[str, Any] = json.loads(raw)
        return StoredSession(
            id_hash=id_hash,
            user_id=fields["user_id"],
            data=fields["data"],
            created_at=datetime.fromisoformat(fields["created_at"]),
            last_seen_at=datetime.fromisoformat(fields["last_seen_at"]),
            expires_at=datetime.fromisoformat(fields["expires_at"]),
            ip=fields.get("ip"),
            user_agent=fields.get("user_agent"),
            method=fields.get("method"),
        )
    except (ValueError, KeyError, TypeError):
        logger.warning("an unreadable session in Redis was ignored")
        return None


class RedisSessionStore:
    """Sessions in Redis: ``<prefix>s:<hash>`` holds one session as JSON, expiring by itself;
    ``<prefix>u:<user id>`` is the set of a user's session hashes (stale members are dropped
    when read). Commands are those of Redis 6.0 (``SET … KEEPTTL``); no ``EXPIRE … GT/NX``,
    which needs 7.0 while long-term-support distributions still ship 6.x.

    ``index_ttl`` (seconds) is how long a user's index outlives its last write: at least the
    longest a session can live (``PASSPORT_SESSION_MAX_HOURS``), so the index never expires
    before a session it names.
    """

    def __init__(
        self, client: Redis, *, prefix: str = "passport:session:", index_ttl: int = 13 * 3600
    ) -> None:
        self._client = client
        self._prefix = prefix
        self._index_ttl = index_ttl

    def _key(self, id_hash: str) -> str:
        return f"{self._prefix}s:{id_hash}"

    def _user_key(self, user_id: int) -> str:
        return f"{self._prefix}u:{user_id}"

    def _ttl(self, record: StoredSession) -> int:
        # Redis forgets a session at its absolute end; the idle timeout is checked on reading.
        remaining = (record.expires_at - utcnow()).total_seconds()
        return max(1, int(remaining) + 1)

    def get(self, db: Session, id_hash: str) -> StoredSession | None:
        raw = self._client.get(self._key(id_hash))
        return None if raw is None else _load(id_hash, raw)  # type: ignore[arg-type]

    def put(self, db: Session, record: StoredSession) -> None:
        ttl = self._ttl(record)
        pipe = self._client.pipeline()
        pipe.set(self._key(record.id_hash), _dump(record), ex=ttl)
        if record.user_id is not None:
            user_key = self._user_key(record.user_id)
            pipe.sadd(user_key, record.id_hash)
            # The index outlives every session in it (each lives at most index_ttl).
            pipe.expire(user_key, self._index_ttl)
        pipe.execute()

    def update(self, db: Session, record: StoredSession) -> bool:
        # XX: only if the key is still there; its expiry stays (the absolute end is unchanged).
        done = self._client.set(self._key(record.id_hash), _dump(record), xx=True, keepttl=True)
        if done and record.user_id is not None:
            user_key = self._user_key(record.user_id)
            pipe = self._client.pipeline()
            pipe.sadd(user_key, record.id_hash)
            pipe.expire(user_key, self._index_ttl)
            pipe.execute()
        return bool(done)

    def touch(self, db: Session, record: StoredSession, at: datetime) -> None:
        self.update(db, replace(record, last_seen_at=at))

    def delete(self, db: Session, id_hashes: Iterable[str]) -> int:
        count = 0
        for id_hash in id_hashes:
            record = self.get(db, id_hash)
            pipe = self._client.pipeline()
            pipe.delete(self._key(id_hash))
            if record is not None and record.user_id is not None:
                pipe.srem(self._user_key(record.user_id), id_hash)
            deleted = pipe.execute()[0]
            count += int(deleted)
        return count

    def of_user(self, db: Session, user_id: int) -> list[StoredSession]:
        user_key = self._user_key(user_id)
        hashes = sorted(
            h.decode() if isinstance(h, bytes) else str(h)
            for h in self._client.smembers(user_key)  # type: ignore[union-attr]
        )
        if not hashes:
            return []
        raws = self._client.mget([self._key(h) for h in hashes])
        found: list[StoredSession] = []
        gone: list[str] = []
        for id_hash, raw in zip(hashes, raws, strict=True):  # type: ignore[arg-type]
            record = None if raw is None else _load(id_hash, raw)
            if record is None or record.user_id != user_id:
                gone.append(id_hash)
            else:
                found.append(record)
        if gone:
            self._client.srem(user_key, *gone)
        return found

    def purge(self, db: Session, *, now: datetime, timeouts: Timeouts) -> int:
        return 0  # Redis expires sessions by itself


def install_store(sessions: sessionmaker[Session], settings: Settings) -> SessionStore:
    """Choose the store ``settings`` configure (Redis when ``PASSPORT_REDIS_URL`` is set) and
    leave it in every database session ``sessions`` makes, for :func:`session_store`."""
    store: SessionStore
    if settings.redis_url:
        client = Redis.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=2)
        store = RedisSessionStore(client, index_ttl=settings.session_max_hours * 3600 + 60)
    else:
        store = DatabaseSessionStore()
    sessions.configure(info={_STORE_INFO_KEY: store})
    return store


def session_store(db: Session) -> SessionStore:
    """The store :func:`install_store` chose for ``db`` (the database when none was)."""
    store: SessionStore | None = db.info.get(_STORE_INFO_KEY)
    return store if store is not None else DatabaseSessionStore()


def live_session(
    db: Session, session_id: str, *, now: datetime, timeouts: Timeouts
) -> StoredSession | None:
    """The live session a cookie's id names, or None; a session past a timeout is removed."""
    store = session_store(db)
    record = store.get(db, hash_session_id(session_id))
    if record is None:
        return None
    if not record.is_live(now, timeouts):
        store.delete(db, [record.id_hash])
        return None
    return record


def user_sessions(
    db: Session, user_id: int, *, now: datetime, timeouts: Timeouts
) -> list[StoredSession]:
    """The user's live sessions, most recently active first."""
    live = [r for r in session_store(db).of_user(db, user_id) if r.is_live(now, timeouts)]
    return sorted(live, key=lambda r: (r.last_seen_at, r.created_at), reverse=True)


def end_user_sessions(db: Session, user_id: int, *, reason: str, keep: str | None = None) -> int:
    """End every session of ``user_id`` except the one whose cookie id is ``keep``.

    ``reason`` (``logout``, ``password_change``, ``role_change``, ``deactivated``, ``erased``,
    ``user_request`` …) goes into the audit log when any session ended. Returns how many ended.
    """
    store = session_store(db)
    kept = hash_session_id(keep) if keep else None
    ended = store.delete(db, [r.id_hash for r in store.of_user(db, user_id) if r.id_hash != kept])
    if ended:
        user = db.get(User, user_id)
        subject = user.email if user is not None else str(user_id)
        record_event(
            db,
            "system",
            "user.sessions_end",
            subject,
            {"reason": reason, "sessions": ended},
            at=utcnow(),
        )
    return ended


def end_other_session(
    db: Session,
    user_id: int,
    handle: str,
    *,
    current: str | None,
    now: datetime,
    timeouts: Timeouts,
) -> None:
    """End the user's session named ``handle`` (:func:`session_handle`), never the current one.

    Raises :class:`~passport.errors.NotFound` when the user has no such other session.
    """
    current_hash = hash_session_id(current) if current else None
    for record in user_sessions(db, user_id, now=now, timeouts=timeouts):
        if record.id_hash != current_hash and handle and session_handle(record) == handle:
            session_store(db).delete(db, [record.id_hash])
            user = db.get(User, user_id)
            record_event(
                db,
                user.email if user is not None else "system",
                "user.sessions_end",
                user.email if user is not None else str(user_id),
                {"reason": "user_request", "sessions": 1},
                at=now,
            )
            return
    raise NotFound("That session has ended already.", code="unknown_session")


def purge_expired_sessions(db: Session, *, now: datetime, timeouts: Timeouts) -> int:
    """Remove every stored session past a timeout (the database store; Redis expires them)."""
    return session_store(db).purge(db, now=now, timeouts=timeouts)
