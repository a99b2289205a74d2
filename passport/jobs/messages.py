"""The text of each notification, rendered in the person's language.

:func:`render` turns a :class:`~passport.jobs.models.Notification` into a
:class:`~passport.mail.MailMessage`, or None when the person opted out of that kind of mail.
Raises LookupError for a kind it does not know.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from passport.jobs.models import Notification
from passport.mail import MailMessage
from passport.services import Services

__all__ = ["render"]


def render(
    services: Services, session: Session, row: Notification, context: dict[str, Any]
) -> MailMessage | None:
    """The message for ``row`` (None: the person does not want it)."""
    base = services.settings.public_url
    if row.kind == "badge_issued":
        url = f"{base}/credentials/{context['credential_id']}"
        name = context.get("achievement_name", "")
        return MailMessage(
            to=row.to,
            subject=f"Your badge is here: {name}",
            text=f"You earned the badge {name}.\n\nSee it here: {url}\n",
        )
    raise LookupError(f"no message for notifications of kind {row.kind!r}")
