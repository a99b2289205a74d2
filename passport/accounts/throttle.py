"""Growing delays after failed sign-in attempts, per account and per address, for every worker.

What is counted, and under which key (the keys never hold an e-mail address in clear):

- password logins: ``account:<sha256 of the normalised e-mail>`` and ``ip:<address>`` (an IPv6
  address counts by its /64, see :func:`address_key`);
- password logins from a browser with a valid device token for the account (see
  :func:`device_key`): ``device:<sha256 of the token id>`` instead of the account key, so an
  attacker who keeps an account locked does not lock its owner out of their own devices;
- second-factor codes: ``mfa:<user id>`` and ``ip:<address>``;
- password-reset requests (every request counts, not only failures): ``reset:<sha256 of the
  e-mail>`` and ``reset-ip:<address>``.

A key may fail :attr:`ThrottlePolicy.free_failures` times (5 for an account, 20 for an address,
which many people may share behind one NAT); each failure after that refuses the key for a
delay that doubles — 1 s, 2 s, 4 s … capped at 15 minutes — and an attempt made while a key is
refused is answered :class:`~passport.errors.TooManyAttempts` (HTTP 429 with ``Retry-After``)
without looking at the password, so it neither counts nor reveals anything. A success resets
the account's counter (not the address's); a counter forgets itself a day after its last
failure. Unknown e-mail addresses are counted exactly like known ones, so a refusal says
nothing about whether an account exists.

Storage is shared by every worker: Redis when ``PASSPORT_REDIS_URL`` is set (one hash per key
that expires by itself), else the ``login_throttle`` table. When Redis cannot be reached the
database is used instead (logged): throttling never silently turns off.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import case, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from passport.accounts.models import LoginThrottle
from passport.errors import TooManyAttempts
from verifier import normalize_email

__all__ = [
    "ACCOUNT_POLICY",
    "ADDRESS_POLICY",
    "DEVICE_LIFETIME",
    "DatabaseThrottleStore",
    "RedisThrottleStore",
    "Throttle",
    "ThrottleKey",
    "ThrottlePolicy",
    "ThrottleStore",
    "account_key",
    "address_key",
    "device_key",
    "mfa_key",
    "new_device_token",
    "reset_keys",
]

logger = logging.getLogger(__name__)

#: How long a counter is remembered after its last failure.
FORGET_AFTER = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    """How many failures are free, the first delay after them and the longest one (seconds)."""

    free_failures: int = 5
    first_delay: int = 1
    max_delay: int = 15 * 60

    def delay(self, failures: int) -> int:
        """Seconds a key is refused after its ``failures``-th failure (0: not refused)."""
        over = failures - self.free_failures
        if over <= 0:
            return 0
        return min(self.max_delay, self.first_delay * (1 << min(over - 1, 30)))


ACCOUNT_POLICY = ThrottlePolicy(free_failures=5)
ADDRESS_POLICY = ThrottlePolicy(free_failures=20)


@dataclass(frozen=True, slots=True)
class ThrottleKey:
    """One counter: its storage key and its policy."""

    key: str
    policy: ThrottlePolicy


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:40]


def _email(email: str) -> str:
    try:
        return normalize_email(email)
    except ValueError:
        return email.strip().lower()


def account_key(email: str) -> ThrottleKey:
    """The counter of password logins for ``email`` (normalised; existing or not)."""
    return ThrottleKey(f"account:{_digest(_email(email))}", ACCOUNT_POLICY)


def _client(address: str | None) -> str:
    """The part of a client address that is counted: an IPv4 address as it is, an IPv6 one by
    its /64 (one subscriber usually gets a whole /64, so counting single addresses would give
    them 2**64 fresh allowances); an IPv4-mapped IPv6 address as the IPv4 address."""
    text = (address or "?")[:60]
    try:
        parsed = ipaddress.ip_address(text)
    except ValueError:
        return text
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def address_key(address: str | None) -> ThrottleKey:
    """The counter of failed attempts from one client address (an IPv6 address: its /64)."""
    return ThrottleKey(f"ip:{_client(address)}", ADDRESS_POLICY)


#: How long a device token lets its browser past an account's lock.
DEVICE_LIFETIME = timedelta(days=180)


def _device_mac(ident: str, expires: int, email: str, secret_key: str) -> str:
    account = account_key(email).key
    message = f"skill-passport device v1|{ident}|{expires}|{account}".encode()
    return hmac.new(secret_key.encode("utf-8"), message, hashlib.sha256).hexdigest()


def new_device_token(email: str, *, secret_key: str, now: datetime) -> str:
    """A device token for a browser that just signed in to ``email``'s account (the OWASP
    "device cookie"): a random id, its expiry and an HMAC binding both to the account."""
    ident = secrets.token_urlsafe(16)
    expires = int((now + DEVICE_LIFETIME).timestamp())
    return f"{ident}.{expires}.{_device_mac(ident, expires, email, secret_key)}"


def device_key(
    token: str | None, email: str, *, secret_key: str, now: datetime
) -> ThrottleKey | None:
    """The counter of a browser that brings a valid, unexpired device token for ``email``'s
    account (``device:<id>``), or None for no token, another account's, a forged or an
    expired one.

    A sign-in with a device token is counted under this key instead of the account's, so an
    attacker who keeps the account locked (by failing on purpose) does not lock out the person
    on the devices they used before; a stolen token is itself throttled by this key.
    """
    if not token or len(token) > 200:
        return None
    ident, _, rest = token.partition(".")
    expires_text, _, mac = rest.partition(".")
    if not (ident and expires_text.isdigit() and mac):
        return None
    expires = int(expires_text)
    if expires <= now.timestamp():
        return None
    if not hmac.compare_digest(_device_mac(ident, expires, email, secret_key), mac):
        return None
    return ThrottleKey(f"device:{_digest(ident)}", ACCOUNT_POLICY)


def mfa_key(user_id: int) -> ThrottleKey:
    """The counter of second-factor codes for one user."""
    return ThrottleKey(f"mfa:{user_id}", ACCOUNT_POLICY)


def reset_keys(email: str, address: str | None) -> list[ThrottleKey]:
    """The counters of password-reset requests: per e-mail (3 free) and per address (10)."""
    return [
        ThrottleKey(f"reset:{_digest(_email(email))}", ThrottlePolicy(free_failures=3)),
        ThrottleKey(f"reset-ip:{_client(address)}", ThrottlePolicy(free_failures=10)),
    ]


class ThrottleStore(Protocol):
    """Where counters live; each method is atomic for one key across workers."""

    def locked_until(self, key: str, now: datetime) -> datetime | None:
        """Until when ``key`` is refused (None: it is not)."""

    def add_failure(self, key: str, policy: ThrottlePolicy, now: datetime) -> int:
        """Count one failure; refuse the key for the policy's delay. Returns the count."""

    def clear(self, key: str) -> None:
        """Forget ``key``'s failures."""


class DatabaseThrottleStore:
    """Counters in the ``login_throttle`` table (each call its own short transaction)."""

    def __init__(self, sessions: Callable[[], Session]) -> None:
        self._sessions = sessions

    def locked_until(self, key: str, now: datetime) -> datetime | None:
        with self._sessions() as db:
            row = db.get(LoginThrottle, key)
            if row is None or row.locked_until is None or row.locked_until <= now:
                return None
            return row.locked_until

    def add_failure(self, key: str, policy: ThrottlePolicy, now: datetime) -> int:
        with self._sessions() as db, db.begin():
            # One INSERT … ON CONFLICT DO UPDATE (SQLite and PostgreSQL): atomic, so two
            # workers never both read the same count.
            dialect = db.get_bind().dialect.name
            insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
            row = LoginThrottle
            stale = row.updated_at < now - FORGET_AFTER
            statement = (
                insert(row)
                .values(key=key, failures=1, updated_at=now)
                .on_conflict_do_update(
                    index_elements=[row.key],
                    set_={
                        "failures": case((stale, 1), else_=row.failures + 1),
                        "locked_until": case((stale, None), else_=row.locked_until),
                        "updated_at": now,
                    },
                )
                .returning(row.failures)
            )
            failures = int(db.execute(statement).scalar_one())
            delay = policy.delay(failures)
            if delay:
                db.execute(
                    update(LoginThrottle)
                    .where(LoginThrottle.key == key)
                    .values(locked_until=now + timedelta(seconds=delay))
                )
            return failures

    def clear(self, key: str) -> None:
        with self._sessions() as db, db.begin():
            row = db.get(LoginThrottle, key)
            if row is not None:
                db.delete(row)

    def rows(self) -> list[LoginThrottle]:
        """Every counter (tests, diagnostics)."""
        with self._sessions() as db:
            return list(db.scalars(select(LoginThrottle)))


# Count, then lock, in one step on the Redis server (no read-modify-write between workers).
_REDIS_FAIL = """
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
local delay = 0
local over = failures - tonumber(ARGV[1])
if over > 0 then
  delay = math.min(tonumber(ARGV[3]), tonumber(ARGV[2]) * 2 ^ math.min(over - 1, 30))
  redis.call('HSET', KEYS[1], 'locked_until', tonumber(ARGV[4]) + delay)
end
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[5]))
return failures
"""


class RedisThrottleStore:
    """Counters in Redis (``<prefix>throttle:<key>`` hashes that expire a day after the last
    failure); falls back to ``fallback`` when Redis does not answer."""

    def __init__(self, client: Any, fallback: ThrottleStore, *, prefix: str = "passport:") -> None:
        self._redis = client
        self._fallback = fallback
        self._prefix = prefix
        self._fail = client.register_script(_REDIS_FAIL)

    @classmethod
    def from_url(cls, url: str, fallback: ThrottleStore, *, prefix: str = "passport:") -> Any:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        return cls(client, fallback, prefix=prefix)

    def _name(self, key: str) -> str:
        return f"{self._prefix}throttle:{key}"

    def _redis_down(self, exc: Exception) -> None:
        logger.warning("login throttle: Redis unavailable (%s); counting in the database", exc)

    def locked_until(self, key: str, now: datetime) -> datetime | None:
        from redis.exceptions import RedisError

        try:
            raw = self._redis.hget(self._name(key), "locked_until")
        except RedisError as exc:
            self._redis_down(exc)
            return self._fallback.locked_until(key, now)
        if raw is None:
            return self._fallback_lock(key, now)
        until = datetime.fromtimestamp(float(raw), tz=now.tzinfo)
        return until if until > now else self._fallback_lock(key, now)

    def _fallback_lock(self, key: str, now: datetime) -> datetime | None:
        # Failures counted in the database during a Redis outage still hold.
        return self._fallback.locked_until(key, now)

    def add_failure(self, key: str, policy: ThrottlePolicy, now: datetime) -> int:
        from redis.exceptions import RedisError

        try:
            failures = self._fail(
                keys=[self._name(key)],
                args=[
                    policy.free_failures,
                    policy.first_delay,
                    policy.max_delay,
                    now.timestamp(),
                    int(FORGET_AFTER.total_seconds()),
                ],
            )
        except RedisError as exc:
            self._redis_down(exc)
            return self._fallback.add_failure(key, policy, now)
        return int(failures)

    def clear(self, key: str) -> None:
        from redis.exceptions import RedisError

        try:
            self._redis.delete(self._name(key))
        except RedisError as exc:
            self._redis_down(exc)
        self._fallback.clear(key)


class Throttle:
    """The use cases: refuse a throttled attempt, count a failure, forget after a success."""

    def __init__(self, store: ThrottleStore) -> None:
        self.store = store

    def check(self, keys: Iterable[ThrottleKey], *, now: datetime) -> None:
        """Raise :class:`~passport.errors.TooManyAttempts` if any key is refused now."""
        waits = [until for k in keys if (until := self.store.locked_until(k.key, now)) is not None]
        if waits:
            seconds = int((max(waits) - now).total_seconds() + 0.999)
            raise TooManyAttempts(seconds)

    def fail(self, keys: Iterable[ThrottleKey], *, now: datetime) -> None:
        """Count one failed attempt against every key."""
        for k in keys:
            self.store.add_failure(k.key, k.policy, now)

    def attempt(self, keys: Iterable[ThrottleKey], *, now: datetime) -> None:
        """For actions where every request counts (reset mails): check, then count."""
        keys = list(keys)
        self.check(keys, now=now)
        self.fail(keys, now=now)

    def succeed(self, key: ThrottleKey) -> None:
        """A correct password or code: the account's counter starts again."""
        self.store.clear(key.key)


def make_throttle(redis_url: str | None, sessions: Callable[[], Session]) -> Throttle:
    """The throttle for a deployment: Redis when configured (database as its fallback), else
    the database."""
    database = DatabaseThrottleStore(sessions)
    if redis_url:
        return Throttle(RedisThrottleStore.from_url(redis_url, database))
    return Throttle(database)
