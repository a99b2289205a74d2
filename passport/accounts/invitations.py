"""Invitations: a new account without a password gets an e-mail with a link to choose one.

An admin who creates an account (``/admin/users``, ``passport users create --invite``) without
giving it a password calls :func:`invite_user` in the same transaction: it makes a 72-hour
link (:func:`passport.accounts.reset.invitation_link`, the password-reset machinery) and records
an ``invitation`` notification whose URL travels encrypted (``secret=``) and is wiped once sent.
With password login switched off (``PASSPORT_PASSWORD_LOGIN=false``) people sign in through
single sign-on only, so nobody is invited to choose a password.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from passport.accounts.models import User
from passport.accounts.reset import INVITATION_LIFETIME, invitation_link
from passport.jobs.models import Notification
from passport.jobs.notify import notify_person
from passport.jobs.recipients import user_recipient
from passport.services import Services

__all__ = ["invite_user", "set_password_url"]


def set_password_url(services: Services, token: str) -> str:
    """The page where a link's holder chooses a password (the web app's reset page)."""
    return f"{services.settings.public_url}/login/reset/{token}"


def invite_user(
    session: Session, services: Services, user: User, *, inviter_name: str, now: datetime
) -> Notification | None:
    """Mail ``user`` a link to choose their first password. Returns the notification, or None
    when there is nothing to invite to (password login is off, the account has a password,
    or it is deactivated) or no way to send it (production without ``PASSPORT_MAIL_URL``)."""
    settings = services.settings
    if not settings.password_login or (settings.is_production and not settings.mail_url):
        return None
    recipient = user_recipient(user)
    if recipient is None:
        return None
    made = invitation_link(session, user, now=now)
    if made is None:
        return None
    link, link_id = made
    return notify_person(
        session,
        services,
        recipient,
        kind="invitation",
        # The link's id and the time: SQLite may give a deleted row's id again.
        key=f"invitation:{user.id}:{link_id}:{now.isoformat()}",
        context={
            "inviter_name": inviter_name,
            "role": user.role,
            "hours": int(INVITATION_LIFETIME.total_seconds() // 3600),
        },
        secret=set_password_url(services, link.token),
    )
