"""``/admin/outbox``: the development outbox (administrators only) — the messages the
development mailer wrote into the instance folder, newest first, and one message's text. When
``PASSPORT_MAIL_URL`` is set the page says which server mail goes to (never its password).
The reading is :mod:`passport.jobs.outbox`.
"""

from __future__ import annotations

from pathlib import Path

from flask import render_template

from passport.errors import NotFound
from passport.jobs.outbox import mail_destination, outbox_entries, outbox_entry
from passport.web.admin.common import bp
from passport.web.context import get_services
from passport.web.sessions import require_role

__all__: list[str] = []


def _folder() -> Path:
    return get_services().settings.instance_path / "outbox"


@bp.get("/outbox")
@require_role("admin")
def outbox() -> str:
    settings = get_services().settings
    return render_template(
        "admin/outbox.html",
        destination=mail_destination(settings.mail_url),
        production=settings.is_production,
        rows=outbox_entries(_folder()),
    )


@bp.get("/outbox/<name>")
@require_role("admin")
def outbox_message(name: str) -> str:
    entry = outbox_entry(_folder(), name[:200])
    if entry is None:
        raise NotFound("There is no message of that name in the outbox.", code="no_such_message")
    return render_template("admin/outbox_message.html", entry=entry)
