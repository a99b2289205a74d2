"""Which optional e-mail a person wants, and the signed unsubscribe links that turn one off.

Some mail is not optional (a badge revoked, a password reset, an invitation): it is sent
whatever the person chose. The rest belongs to a category in :data:`OPTIONAL_CATEGORIES`, each
with its default (``share_viewed`` is opt-in, the others are on until turned off). A person's
choices are rows of :class:`~passport.jobs.models.MailPreference`; no row means the default.

Every optional message carries a ``List-Unsubscribe`` link (RFC 2369, one-click per RFC 8058)
to ``/unsubscribe/<token>``: the token is the user id and the category signed with
``PASSPORT_SECRET_KEY`` (itsdangerous), so it needs no table and never expires — the worst a
leaked one can do is turn that one kind of mail off, which the person can turn on again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from passport.accounts.models import User
from passport.audit import record_event
from passport.errors import InvalidRequest
from passport.jobs.models import MailPreference

__all__ = [
    "OPTIONAL_CATEGORIES",
    "BadUnsubscribeToken",
    "Unsubscribe",
    "category_of",
    "mail_preferences",
    "read_unsubscribe_token",
    "set_mail_preference",
    "unsubscribe",
    "unsubscribe_token",
    "wants_mail",
]


def N_(message: str) -> str:
    """Mark ``message`` for the catalogs; it is translated where it is shown."""
    return message


#: The optional categories and whether a person gets them before choosing.
OPTIONAL_CATEGORIES: dict[str, bool] = {
    "badge_issued": True,
    "badge_expiring": True,
    "session_reminder": True,
    "share_viewed": False,
    "failed_report": True,
}

#: What each category is, for the preferences page and the unsubscribe page.
CATEGORY_LABELS: dict[str, str] = {
    "badge_issued": N_("A badge was issued to you"),
    "badge_expiring": N_("A badge of yours expires in 30 days, and again in 7 days"),
    "session_reminder": N_("A cohort session of yours is tomorrow (with a calendar file)"),
    "share_viewed": N_("Someone opened one of your share links"),
    "failed_report": N_("Daily report of failed jobs and e-mail (administrators)"),
}

_SALT = "passport.unsubscribe"


class BadUnsubscribeToken(InvalidRequest):
    code = "bad_unsubscribe_link"
    default_message = N_(
        "This unsubscribe link is not valid. Open the link from the e-mail again, or sign in "
        "and choose your e-mail on your notifications page."
    )


def category_of(kind: str) -> str | None:
    """The optional category of a notification kind (None: the kind is not optional). Each
    optional kind is a category of its own (``badge_expiring`` covers the 30- and 7-day mail)."""
    return kind if kind in OPTIONAL_CATEGORIES else None


def _checked(category: str) -> str:
    if category not in OPTIONAL_CATEGORIES:
        raise InvalidRequest(f"There is no optional e-mail called {category!r}.")
    return category


def wants_mail(session: Session, user_id: int | None, category: str) -> bool:
    """Whether the person wants mail of the optional ``category`` (a message to an address
    with no account gets the default)."""
    default = OPTIONAL_CATEGORIES[_checked(category)]
    if user_id is None:
        return default
    row = session.get(MailPreference, (user_id, category))
    return default if row is None else row.enabled


def mail_preferences(session: Session, user_id: int) -> dict[str, bool]:
    """Every optional category with the person's choice (or its default), in page order."""
    chosen = {
        row.category: row.enabled
        for row in session.scalars(select(MailPreference).where(MailPreference.user_id == user_id))
    }
    return {name: chosen.get(name, default) for name, default in OPTIONAL_CATEGORIES.items()}


def set_mail_preference(
    session: Session, user_id: int, category: str, enabled: bool, *, now: datetime | None = None
) -> bool:
    """Record the person's choice for ``category``. Returns whether it changed anything."""
    row = session.get(MailPreference, (user_id, _checked(category)))
    if row is None:
        row = MailPreference(user_id=user_id, category=category, enabled=enabled)
        if now is not None:
            row.updated_at = now
        session.add(row)
        session.flush()
        return enabled != OPTIONAL_CATEGORIES[category]
    if row.enabled == enabled:
        return False
    row.enabled = enabled
    if now is not None:
        row.updated_at = now
    return True


@dataclass(frozen=True, slots=True)
class Unsubscribe:
    """What a valid unsubscribe token names."""

    user_id: int
    category: str


def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=_SALT)


def unsubscribe_token(secret_key: str, user_id: int, category: str) -> str:
    """The signed token of the link that turns ``category`` off for ``user_id``."""
    return str(_serializer(secret_key).dumps([user_id, _checked(category)]))


def read_unsubscribe_token(secret_key: str, token: str) -> Unsubscribe:
    """The user and category a token names; raises :class:`BadUnsubscribeToken` when it was
    not made by us (or names something that does not exist)."""
    try:
        data = _serializer(secret_key).loads(token[:500])
    except BadSignature as exc:
        raise BadUnsubscribeToken() from exc
    if (
        not isinstance(data, list)
        or len(data) != 2
        or not isinstance(data[0], int)
        or data[1] not in OPTIONAL_CATEGORIES
    ):
        raise BadUnsubscribeToken()
    return Unsubscribe(user_id=data[0], category=data[1])


def unsubscribe(session: Session, secret_key: str, token: str, *, now: datetime) -> Unsubscribe:
    """Turn off the category a signed unsubscribe ``token`` names (the link in the mail, or a
    mail client's one-click POST). Doing it twice is harmless. Raises
    :class:`BadUnsubscribeToken` for a token we did not make or an account that is gone."""
    wanted = read_unsubscribe_token(secret_key, token)
    user = session.get(User, wanted.user_id)
    if user is None or user.erased_at is not None:
        raise BadUnsubscribeToken()
    if set_mail_preference(session, user.id, wanted.category, False, now=now):
        record_event(session, user.email, "mail.unsubscribe", wanted.category, at=now)
    return wanted
