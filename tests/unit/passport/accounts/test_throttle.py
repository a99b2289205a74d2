"""Growing delays after failures, in the database and in Redis (both shared by workers)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import redis

from passport.accounts.throttle import (
    ACCOUNT_POLICY,
    DatabaseThrottleStore,
    RedisThrottleStore,
    Throttle,
    ThrottlePolicy,
    ThrottleStore,
    account_key,
    address_key,
    device_key,
    new_device_token,
    reset_keys,
)
from passport.errors import TooManyAttempts
from passport.services import Services

T0 = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
REDIS_URL = "redis://127.0.0.1:6379/0"


def test_the_delay_doubles_from_one_second_to_fifteen_minutes() -> None:
    policy = ThrottlePolicy(free_failures=5)
    assert [policy.delay(n) for n in range(1, 9)] == [0, 0, 0, 0, 0, 1, 2, 4]
    assert policy.delay(15) == 512 and policy.delay(16) == 900 and policy.delay(10_000) == 900


def _redis_or_skip() -> redis.Redis:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    except redis.exceptions.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    return client


@pytest.fixture(params=["database", "redis"])
def store(request: pytest.FixtureRequest, services: Services) -> Iterator[ThrottleStore]:
    database = DatabaseThrottleStore(services.sessions)
    if request.param == "database":
        yield database
        return
    client = _redis_or_skip()
    prefix = f"test-{secrets.token_hex(8)}:"
    yield RedisThrottleStore(client, database, prefix=prefix)
    for key in client.scan_iter(match=f"{prefix}*"):
        client.delete(key)
    client.close()


def _refused_for(throttle: Throttle, email: str, now: datetime) -> int | None:
    try:
        throttle.check([account_key(email)], now=now)
    except TooManyAttempts as exc:
        return exc.retry_after
    return None


def test_five_failures_are_free_then_each_one_doubles_the_wait(store: ThrottleStore) -> None:
    throttle = Throttle(store)
    keys = [account_key("Ada@Example.com")]
    for _ in range(5):
        throttle.fail(keys, now=T0)
    assert _refused_for(throttle, "ada@example.com", T0) is None
    throttle.fail(keys, now=T0)  # the 6th
    assert _refused_for(throttle, "ADA@example.com", T0) == 1  # normalised e-mail
    assert _refused_for(throttle, "ada@example.com", T0 + timedelta(seconds=1)) is None
    throttle.fail(keys, now=T0 + timedelta(seconds=1))
    assert _refused_for(throttle, "ada@example.com", T0 + timedelta(seconds=1)) == 2
    for n in range(30):
        throttle.fail(keys, now=T0 + timedelta(seconds=2 + n))
    assert _refused_for(throttle, "ada@example.com", T0 + timedelta(seconds=31)) == 900
    throttle.succeed(keys[0])
    assert _refused_for(throttle, "ada@example.com", T0 + timedelta(seconds=31)) is None


def test_a_counter_forgets_itself_after_a_quiet_day(services: Services) -> None:
    """(In Redis the hash expires a day after its last failure: EXPIRE, Redis's own clock.)"""
    throttle = Throttle(DatabaseThrottleStore(services.sessions))
    keys = [account_key("lin@example.com")]
    for _ in range(6):
        throttle.fail(keys, now=T0)
    assert _refused_for(throttle, "lin@example.com", T0) == 1
    later = T0 + timedelta(days=1, seconds=1)
    throttle.fail(keys, now=later)
    assert _refused_for(throttle, "lin@example.com", later) is None


def test_an_address_has_its_own_larger_allowance(store: ThrottleStore) -> None:
    throttle = Throttle(store)
    for n in range(20):
        throttle.fail([account_key(f"user{n}@example.com"), address_key("192.0.2.7")], now=T0)
    throttle.check([address_key("192.0.2.7")], now=T0)  # 20 are free
    throttle.fail([address_key("192.0.2.7")], now=T0)
    with pytest.raises(TooManyAttempts):
        throttle.check([account_key("someone.new@example.com"), address_key("192.0.2.7")], now=T0)
    throttle.check([address_key("198.51.100.1")], now=T0)


def test_two_workers_share_the_counters(services: Services) -> None:
    """Two throttles over the same database (two gunicorn workers) see each other's counts."""
    one = Throttle(DatabaseThrottleStore(services.sessions))
    two = Throttle(DatabaseThrottleStore(services.sessions))
    keys = [account_key("mo@example.com")]
    for worker in [one, two, one, two, one, two]:
        worker.fail(keys, now=T0)
    assert _refused_for(one, "mo@example.com", T0) == 1
    assert _refused_for(two, "mo@example.com", T0) == 1


def test_an_unreachable_redis_counts_in_the_database(services: Services) -> None:
    """Redis away: the throttle does not switch off, it falls back to the shared table."""
    database = DatabaseThrottleStore(services.sessions)
    dead = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    throttle = Throttle(RedisThrottleStore(dead, database, prefix="unused:"))
    keys = [account_key("ada@example.com")]
    for _ in range(ACCOUNT_POLICY.free_failures + 1):
        throttle.fail(keys, now=T0)
    assert _refused_for(throttle, "ada@example.com", T0) == 1
    assert [row.failures for row in database.rows()] == [6]
    assert all("ada" not in row.key for row in database.rows())  # no e-mail in clear


def test_an_ipv6_client_is_counted_by_its_slash_64() -> None:
    # One subscriber gets a whole /64: every address in it shares one counter.
    first = address_key("2001:db8:1:2:aaaa::1")
    assert first == address_key("2001:db8:1:2:ffff:ffff:ffff:ffff")
    assert first.key == "ip:2001:db8:1:2::/64"
    assert first != address_key("2001:db8:1:3::1")  # the next /64 is someone else
    assert address_key("::ffff:192.0.2.7") == address_key("192.0.2.7")  # IPv4-mapped
    assert address_key("192.0.2.7").key == "ip:192.0.2.7"
    assert address_key("192.0.2.8") != address_key("192.0.2.7")  # IPv4 stays per address
    assert (
        address_key(None).key == "ip:?" and address_key("not an address").key == "ip:not an address"
    )
    [_, by_address] = reset_keys("ada@example.com", "2001:db8:1:2::5")
    assert by_address == reset_keys("ada@example.com", "2001:db8:1:2::6")[1]


def test_a_device_token_holds_for_its_account_until_it_expires() -> None:
    token = new_device_token("Ada@Example.com", secret_key="k" * 32, now=T0)
    key = device_key(token, "ada@example.com", secret_key="k" * 32, now=T0)
    assert key is not None and key.key.startswith("device:") and key.policy == ACCOUNT_POLICY
    assert token.split(".")[0] not in key.key  # only a digest of the id is stored
    late = T0 + timedelta(days=181)
    assert device_key(token, "ada@example.com", secret_key="k" * 32, now=late) is None
    assert device_key(token, "eve@example.com", secret_key="k" * 32, now=T0) is None
    assert device_key(token, "ada@example.com", secret_key="x" * 32, now=T0) is None
    ident, expires, mac = token.split(".")
    longer = f"{ident}.{int(expires) + 10**6}.{mac}"  # a later expiry is not signed
    for bad in (longer, "", None, "a.b", "a.b.c", token + "0", "x" * 300):
        assert device_key(bad, "ada@example.com", secret_key="k" * 32, now=T0) is None
