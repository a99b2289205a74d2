"""A person's page language and time zone, and the organisation's time zone.

Times are stored in UTC; pages show them in the reader's zone: the user's own
(``users.time_zone``), else the organisation's (``org_settings`` key ``time_zone``, set by an
administrator), else UTC. The page language is the user's ``users.locale`` when set (else the
web layer negotiates it). Zones are IANA names, checked against
:func:`zoneinfo.available_timezones`.

Error messages are English sentences marked with :func:`N_` so ``pybabel extract`` puts them in
the catalogs; the web layer shows them translated.
"""

from __future__ import annotations

import functools
from datetime import datetime
from zoneinfo import available_timezones

from sqlalchemy.orm import Session

from passport.accounts.models import OrgSetting, User
from passport.audit import record_event
from passport.errors import InvalidRequest, NotFound

__all__ = [
    "DEFAULT_TIME_ZONE",
    "LOCALES",
    "N_",
    "checked_locale",
    "checked_time_zone",
    "org_time_zone",
    "set_org_time_zone",
    "set_user_preferences",
    "time_zone_names",
]

#: The languages pages are written in.
LOCALES = ("en", "de")
DEFAULT_TIME_ZONE = "UTC"
ORG_TIME_ZONE_KEY = "time_zone"


def N_(message: str) -> str:
    """Mark ``message`` for the catalogs without translating it here (no Flask in this layer)."""
    return message


UNKNOWN_TIME_ZONE = N_(
    "That is not a time zone we know. Choose one from the list, like Europe/Berlin or UTC."
)
UNKNOWN_LOCALE = N_("Choose English or Deutsch as the language.")


@functools.cache
def time_zone_names() -> tuple[str, ...]:
    """Every IANA zone name this machine knows, sorted (for a pick list)."""
    return tuple(sorted(name for name in available_timezones() if "/" in name or name == "UTC"))


def checked_time_zone(value: str | None, *, optional: bool = False) -> str | None:
    """``value`` as a known IANA zone name; None for empty when ``optional``.

    Raises :class:`InvalidRequest` (``unknown_time_zone``) otherwise.
    """
    name = (value or "").strip()
    if not name and optional:
        return None
    if name not in available_timezones():
        raise InvalidRequest(UNKNOWN_TIME_ZONE, code="unknown_time_zone")
    return name


def checked_locale(value: str | None, *, optional: bool = False) -> str | None:
    """``value`` as one of :data:`LOCALES`; None for empty when ``optional``."""
    name = (value or "").strip()
    if not name and optional:
        return None
    if name not in LOCALES:
        raise InvalidRequest(UNKNOWN_LOCALE, code="unknown_locale")
    return name


def org_time_zone(session: Session) -> str:
    """The organisation's time zone (UTC until an administrator sets one)."""
    row = session.get(OrgSetting, ORG_TIME_ZONE_KEY)
    if row is None or row.value not in available_timezones():
        return DEFAULT_TIME_ZONE
    return row.value


def set_org_time_zone(session: Session, value: str | None, *, actor: str, at: datetime) -> str:
    """Set the organisation's time zone; returns the checked name. Audited."""
    name = checked_time_zone(value) or DEFAULT_TIME_ZONE
    row = session.get(OrgSetting, ORG_TIME_ZONE_KEY)
    old = None if row is None else row.value
    if row is None:
        session.add(OrgSetting(key=ORG_TIME_ZONE_KEY, value=name))
    else:
        row.value = name
    if old != name:
        record_event(
            session, actor, "org.time_zone", ORG_TIME_ZONE_KEY, {"from": old, "to": name}, at=at
        )
    return name


def set_user_preferences(
    session: Session, user_id: int, *, locale: str | None, time_zone: str | None
) -> User:
    """Set a user's page language and time zone (empty: the browser's / the organisation's)."""
    checked_locale_value = checked_locale(locale, optional=True)
    checked_zone = checked_time_zone(time_zone, optional=True)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.", code="user_not_found")
    user.locale = checked_locale_value
    user.time_zone = checked_zone
    return user
