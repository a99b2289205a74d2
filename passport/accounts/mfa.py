"""Optional two-factor sign-in: time-based one-time codes (TOTP, RFC 6238) and recovery codes.

Enrolment: :func:`new_secret` makes a secret the person's authenticator app reads from a QR
code (:func:`provisioning_uri`, :func:`qr_data_uri`) or types in; :func:`enable_totp` stores it
once the person proves it with a code, and returns ten one-time recovery codes, shown once and
stored as SHA-256 only.

Sign-in: after a correct password, :func:`verify_second_factor` accepts a current code (the
time step before and after are allowed for clock drift) or an unused recovery code. A code
works once: the time step of the last accepted code is stored (``users.totp_last_counter``)
and no code of that step or an earlier one is accepted again (RFC 6238 §5.2).

The secret is stored encrypted (AES-256-GCM; the key is derived with HKDF-SHA256 from
``PASSPORT_SECRET_KEY``), so a copy of the database alone does not give the codes away.
Changing ``PASSPORT_SECRET_KEY`` therefore makes every enrolled secret unreadable: those people
sign in with a recovery code, or an admin turns their second factor off
(:func:`disable_totp_for`), and they enrol again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime
from urllib.parse import urlsplit

import pyotp
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from passport.accounts.models import RecoveryCode, User
from passport.accounts.passwords import password_matches
from passport.audit import record_event
from passport.db import claim
from passport.errors import InvalidRequest

__all__ = [
    "RECOVERY_CODES",
    "decrypt_secret",
    "disable_totp",
    "disable_totp_for",
    "enable_totp",
    "encrypt_secret",
    "has_totp",
    "issuer_label",
    "new_secret",
    "provisioning_uri",
    "qr_data_uri",
    "renew_recovery_codes",
    "unused_recovery_codes",
    "verify_second_factor",
]

RECOVERY_CODES = 10
_PREFIX = "v1:"
_STEP = 30
BAD_CODE = "That code is not right (or was used already); enter the current code from your app."


def _key(secret_key: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"skill-passport totp secret v1"
    ).derive(secret_key.encode("utf-8"))


def encrypt_secret(secret: str, secret_key: str) -> str:
    """``secret`` sealed for the ``users.totp_secret`` column."""
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(_key(secret_key)).encrypt(nonce, secret.encode("ascii"), b"totp")
    return _PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def decrypt_secret(stored: str, secret_key: str) -> str | None:
    """The secret in ``stored``, or None when it cannot be read (another secret key)."""
    if not stored.startswith(_PREFIX):
        return None
    try:
        raw = base64.urlsafe_b64decode(stored[len(_PREFIX) :])
        return AESGCM(_key(secret_key)).decrypt(raw[:12], raw[12:], b"totp").decode("ascii")
    except (InvalidTag, ValueError):
        return None


def new_secret() -> str:
    """A fresh random TOTP secret (base32, 160 bits as RFC 4226 recommends)."""
    return pyotp.random_base32(length=32)


def provisioning_uri(secret: str, email: str, issuer: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def qr_data_uri(uri: str) -> str:
    """A QR code of ``uri`` as an SVG ``data:`` URI (for an ``<img>``; no inline markup)."""
    from passport.credentials.exports import qr_svg

    return "data:image/svg+xml;base64," + base64.b64encode(qr_svg(uri)).decode("ascii")


def has_totp(user: User) -> bool:
    """Whether the user signs in with a second factor."""
    return bool(user.totp_secret)


def _matching_counter(secret: str, code: str, now: datetime, after: int | None) -> int | None:
    """The time step whose code is ``code`` (now, or one step either side), if unused."""
    digits = "".join(code.split())
    if not (len(digits) == 6 and digits.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // _STEP
    for counter in (current, current - 1, current + 1):
        if after is not None and counter <= after:
            continue
        if hmac.compare_digest(totp.generate_otp(counter), digits):
            return counter
    return None


def _recovery_hash(code: str) -> str:
    normal = "".join(code.split()).replace("-", "").lower()
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()


def _new_recovery_codes(db: Session, user: User, now: datetime) -> list[str]:
    db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        # 64 bits, so a copy of the unsalted hashes cannot be searched through offline.
        raw = secrets.token_hex(8)
        codes.append("-".join(raw[i : i + 4] for i in range(0, 16, 4)))
        db.add(RecoveryCode(user_id=user.id, code_hash=_recovery_hash(raw), created_at=now))
    return codes


def enable_totp(
    db: Session, user: User, secret: str, code: str, *, now: datetime, secret_key: str
) -> list[str]:
    """Turn the second factor on with ``secret`` once ``code`` proves the app has it.

    Returns the recovery codes (shown once). Raises :class:`~passport.errors.InvalidRequest`
    (``bad_mfa_code``) when the code does not match.
    """
    counter = _matching_counter(secret, code, now, None)
    if counter is None:
        raise InvalidRequest(BAD_CODE, code="bad_mfa_code")
    user.totp_secret = encrypt_secret(secret, secret_key)
    user.totp_last_counter = counter
    codes = _new_recovery_codes(db, user, now)
    record_event(db, user.email, "mfa.enable", user.email, at=now)
    db.flush()
    return codes


def verify_second_factor(
    db: Session, user: User, code: str, *, now: datetime, secret_key: str
) -> str:
    """Check a sign-in's second factor; returns ``totp`` or ``recovery_code`` (which was used).

    Raises :class:`~passport.errors.InvalidRequest` (``bad_mfa_code``) otherwise.
    """
    secret = decrypt_secret(user.totp_secret or "", secret_key)
    if secret is not None:
        counter = _matching_counter(secret, code, now, user.totp_last_counter)
        if counter is not None and _claim_counter(db, user, counter):
            return "totp"
    if len(code) <= 40:
        row = db.scalar(
            select(RecoveryCode).where(
                RecoveryCode.user_id == user.id,
                RecoveryCode.code_hash == _recovery_hash(code),
                RecoveryCode.used_at.is_(None),
            )
        )
        if row is not None and _claim_recovery_code(db, row, now):
            record_event(db, user.email, "mfa.recovery_code_used", user.email, at=now)
            db.flush()
            return "recovery_code"
    raise InvalidRequest(BAD_CODE, code="bad_mfa_code")


# A code works once even when two requests bring it at the same moment: each claim is one
# conditional UPDATE, and only the request whose UPDATE changed the row may go on (the other's
# earlier read is stale by then).


def _claim_counter(db: Session, user: User, counter: int) -> bool:
    db.flush()  # the user's pending changes first, so the UPDATE below sees them
    return claim(
        db,
        user,
        or_(User.totp_last_counter.is_(None), User.totp_last_counter < counter),
        totp_last_counter=counter,
    )


def _claim_recovery_code(db: Session, row: RecoveryCode, now: datetime) -> bool:
    return claim(db, row, RecoveryCode.used_at.is_(None), used_at=now)


def disable_totp_for(db: Session, user: User, *, actor: str, now: datetime) -> None:
    """Turn the user's second factor off and forget their recovery codes (audited)."""
    user.totp_secret = None
    user.totp_last_counter = None
    db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    record_event(db, actor, "mfa.disable", user.email, at=now)
    db.flush()


def disable_totp(
    db: Session, user: User, *, password: str, code: str, now: datetime, secret_key: str
) -> None:
    """The person turns their own second factor off: their password (when the account has
    one) and a current code (or a recovery code). An account that signs in only through single
    sign-on has no password, so for it the code alone is the proof. Raises
    :class:`~passport.errors.InvalidRequest` (``wrong_password`` or ``bad_mfa_code``)."""
    if user.password_hash and not password_matches(user.password_hash, password):
        raise InvalidRequest("That is not your current password.", code="wrong_password")
    verify_second_factor(db, user, code, now=now, secret_key=secret_key)
    disable_totp_for(db, user, actor=user.email, now=now)


def renew_recovery_codes(
    db: Session, user: User, code: str, *, now: datetime, secret_key: str
) -> list[str]:
    """Replace the user's recovery codes (the old ones stop working) once a current code (or
    a recovery code) proves it is them; returns the new codes, to show once."""
    verify_second_factor(db, user, code, now=now, secret_key=secret_key)
    codes = _new_recovery_codes(db, user, now)
    record_event(db, user.email, "mfa.recovery_codes_renewed", user.email, at=now)
    db.flush()
    return codes


def unused_recovery_codes(db: Session, user: User) -> int:
    """How many recovery codes the user has left."""
    return len(
        db.scalars(
            select(RecoveryCode.id).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        ).all()
    )


def issuer_label(public_url: str) -> str:
    """The name the authenticator app shows beside the account."""
    return f"Skill Passport ({urlsplit(public_url).hostname or 'localhost'})"
