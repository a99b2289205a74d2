"""Single-use secrets stay single-use when two requests bring them at the same moment.

A reset link, a recovery code and a TOTP time step were read, then marked used: two requests
could both read "unused" before either wrote. Each is now claimed with one conditional UPDATE.
The races are made certain here, not left to timing: two database sessions whose reads happen
before either claims (a session's already-loaded row is stale, exactly as in a real race), and
for the recovery code two threads held at a barrier right after their SELECT.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

import pyotp
import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from passport.accounts.mfa import enable_totp, new_secret, verify_second_factor
from passport.accounts.models import PasswordReset, User
from passport.accounts.passwords import password_matches
from passport.accounts.reset import complete_reset, request_reset, reset_for
from passport.accounts.users import create_user
from passport.errors import InvalidRequest
from passport.services import Services

EMAIL = "ada@example.com"
PASSWORD = "analytical engine notes"


def _user(services: Services) -> int:
    with services.session() as db:
        return create_user(db, email=EMAIL, name="Ada", role="learner", password=PASSWORD).id


def _enrolled(services: Services) -> tuple[int, str, list[str], datetime]:
    user_id = _user(services)
    secret, now = new_secret(), services.now()
    with services.session() as db:
        user = db.get(User, user_id)
        assert user is not None
        codes = enable_totp(
            db,
            user,
            secret,
            pyotp.TOTP(secret).at(now),
            now=now,
            secret_key=services.settings.secret_key,
        )
    return user_id, secret, codes, now


def test_a_reset_link_sets_one_password_when_two_requests_race(services: Services) -> None:
    _user(services)
    now = services.now()
    with services.session() as db:
        link = request_reset(db, EMAIL, now=now)
        assert link is not None
        token = link.token
    with services.sessions() as first, services.sessions() as second:
        # The second request has read the link (unused) and holds it, as a request does.
        read = reset_for(second, token, now=now)
        assert read.used_at is None
        complete_reset(first, token, "the first new passphrase", now=now)
        first.commit()
        with pytest.raises(InvalidRequest) as refused:
            complete_reset(second, token, "the second new passphrase", now=now)
        second.rollback()
    assert refused.value.code == "reset_link_invalid"
    with services.sessions() as db:
        user = db.scalar(select(User).where(User.email == EMAIL))
        assert user is not None and user.password_hash is not None
        assert password_matches(user.password_hash, "the first new passphrase")
        assert all(r.used_at is not None for r in db.scalars(select(PasswordReset)))


def test_a_weak_password_leaves_the_link_usable(services: Services) -> None:
    _user(services)
    now = services.now()
    with services.session() as db:
        link = request_reset(db, EMAIL, now=now)
        assert link is not None
    with pytest.raises(InvalidRequest), services.session() as db:
        complete_reset(db, link.token, "password1234", now=now)
    with services.session() as db:
        reset_for(db, link.token, now=now)  # still usable: the claim was rolled back


def test_a_totp_code_signs_in_once_when_two_requests_race(services: Services) -> None:
    user_id, secret, _codes, now = _enrolled(services)
    code = pyotp.TOTP(secret).at(now.timestamp() + 30)  # the next step: not used yet
    key = services.settings.secret_key
    with services.sessions() as first, services.sessions() as second:
        racer = second.get(User, user_id)  # loaded before the first request claims the step
        assert racer is not None
        winner = first.get(User, user_id)
        assert winner is not None
        assert verify_second_factor(first, winner, code, now=now, secret_key=key) == "totp"
        first.commit()
        with pytest.raises(InvalidRequest):
            verify_second_factor(second, racer, code, now=now, secret_key=key)
        second.rollback()


def _after_select_of(services: Services, table: str, parties: int) -> Any:
    """Hold each of ``parties`` threads right after its SELECT from ``table`` until all have
    read, so every one of them reads before any writes."""
    barrier = threading.Barrier(parties, timeout=10)

    def hold(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and f"FROM {table}" in statement:
            barrier.wait()

    event.listen(services.engine, "after_cursor_execute", hold)
    return hold


def test_a_recovery_code_signs_in_once_when_two_threads_race(services: Services) -> None:
    user_id, _secret, codes, now = _enrolled(services)
    key = services.settings.secret_key
    outcomes: list[str] = []

    def sign_in() -> None:
        db: Session
        try:
            with services.session() as db:
                user = db.get(User, user_id)
                assert user is not None
                outcomes.append(verify_second_factor(db, user, codes[0], now=now, secret_key=key))
        except InvalidRequest as exc:
            outcomes.append(exc.code)

    hold = _after_select_of(services, "recovery_codes", 2)
    try:
        threads = [threading.Thread(target=sign_in) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        event.remove(services.engine, "after_cursor_execute", hold)
    assert sorted(outcomes) == ["bad_mfa_code", "recovery_code"]
