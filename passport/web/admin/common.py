"""What every admin page shares: the blueprint, form-field parsing with plain errors, paging,
the acting user and the audit call, downloads."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import Blueprint, Response, g, request
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as WerkzeugResponse

from passport.audit import record_event
from passport.catalog.achievements import LEVEL_NAMES
from passport.errors import InvalidRequest
from passport.web.context import get_services
from passport.web.i18n import from_local
from passport.web.i18n import gettext as _
from verifier import normalize_email

__all__ = ["bp"]


bp = Blueprint("admin", __name__, url_prefix="/admin")

Page = str | tuple[str, int] | WerkzeugResponse

PAGE_SIZE = 50


def actor_email() -> str:
    email: str = g.user.email
    return email[:200]


def audit_event(db: Session, action: str, subject: object, detail: object = None) -> None:
    """An audit event by the signed-in user, now."""
    record_event(db, actor_email(), action, subject, detail, at=get_services().now())


def form_text(name: str, label: str, *, max_length: int, required: bool = False) -> str:
    value = request.form.get(name, "").strip()
    if required and not value:
        raise InvalidRequest(f"{label} is required.", code="missing_field")
    if len(value) > max_length:
        raise InvalidRequest(
            f"{label} is longer than {max_length} characters.", code="field_too_long"
        )
    return value


def form_int(value: str | None, label: str, *, low: int, high: int) -> int:
    try:
        number = int((value or "").strip())
    except ValueError:
        raise InvalidRequest(f"{label} must be a whole number.", code="bad_number") from None
    if not low <= number <= high:
        raise InvalidRequest(f"{label} must be from {low} to {high}.", code="bad_number")
    return number


def form_level(value: str | None, label: str) -> int:
    return form_int(value, label, low=min(LEVEL_NAMES), high=max(LEVEL_NAMES))


def form_date(value: str | None, label: str) -> date:
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        raise InvalidRequest(f"{label} must be a date (YYYY-MM-DD).", code="bad_date") from None


def form_datetime(value: str | None, label: str) -> datetime:
    try:
        parsed = datetime.fromisoformat((value or "").strip())
    except ValueError:
        raise InvalidRequest(
            f"{label} must be a date and time (YYYY-MM-DD HH:MM).", code="bad_datetime"
        ) from None
    # A typed time is on the reader's clock (their zone, else the organisation's), stored UTC.
    return from_local(parsed)


#: The highest page number a list link may ask for: 20 rows a page, so far past any list we
#: keep; a larger ``page=`` reads as the last page instead of an offset the database refuses.
MAX_PAGE = 1_000_000


def page_number() -> int:
    """The ``page=`` of the query string, between 1 and :data:`MAX_PAGE` (every list's parser).

    Not a number, zero or negative: page 1. Beyond :data:`MAX_PAGE` (``page=10**30``, which
    made the database overflow, finding 14 of issue 17): :data:`MAX_PAGE`, which every list
    then clamps to its last page.
    """
    text = request.args.get("page", "1").strip()
    if not text.isascii() or not text.isdigit():
        return 1
    if len(text) > len(str(MAX_PAGE)):
        return MAX_PAGE
    return min(max(int(text), 1), MAX_PAGE)


@dataclass(frozen=True, slots=True)
class Pager:
    """One page of a list: which page, how many pages and rows, and the query it keeps."""

    page: int
    pages: int
    total: int
    #: The list's other query arguments (its search), kept on the page links.
    args: dict[str, str]

    @property
    def offset(self) -> int:
        return (self.page - 1) * PAGE_SIZE

    @property
    def limit(self) -> int:
        return PAGE_SIZE


def pager(total: int, *keep: str) -> Pager:
    """The page asked for (clamped to the last page) of ``total`` rows; ``keep`` names the
    query arguments (the search) the page links carry on."""
    pages = max(math.ceil(total / PAGE_SIZE), 1)
    args = {name: request.args.get(name, "").strip() for name in keep}
    return Pager(min(page_number(), pages), pages, total, {k: v for k, v in args.items() if v})


def search_text(name: str = "q", *, max_length: int = 200) -> str:
    """A search box's text from the query string (trimmed and cut to ``max_length``)."""
    return request.args.get(name, "").strip()[:max_length]


def like_pattern(text: str) -> str:
    """``%text%`` for a case-insensitive LIKE, with the wildcards in ``text`` escaped (``\\``)."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def count_rows(db: Session, model: Any, *where: Any) -> int:
    return int(db.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def download(body: str, *, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def problem(exc: InvalidRequest, *, email: str = "") -> str:
    """The error's sentence in the page's language.

    The domains (Flask-free) write their messages in English; the errors these pages answer
    most are known here by code and translated, the rest are shown as the domain wrote them.
    ``email`` is the address the form was about (for the sentences that name it).
    """
    address = normalize_email(email)
    sentences = {
        "last_admin": lambda: _(
            "This is the last active administrator. Make another user an administrator "
            "first, so someone can still manage this instance."
        ),
        "unknown_learner": lambda: _(
            "No learner has the e-mail address %(email)s. Check the spelling (the list "
            "suggests known learners as you type), or tick “Invite this person as a new "
            "learner” to create their account.",
            email=address,
        ),
        "deactivated_learner": lambda: _(
            "The account of %(email)s is deactivated; an administrator can reactivate it "
            "on the Users page.",
            email=address,
        ),
        "duplicate_user": lambda: _("A user with e-mail %(email)s already exists.", email=address),
        "missing_learner": lambda: _("Enter the learner's e-mail address."),
        "not_a_mentor": lambda: _(
            "The session's mentor must be a mentor of this cohort or an administrator."
        ),
        "bad_skill": lambda: _(
            "Choose both the skill and the level the session teaches, or neither."
        ),
        "unknown_skill": lambda: _("There is no such skill."),
        "bad_level": lambda: _("The level must be from 1 to 4."),
        "self_assessment": lambda: _(
            "You cannot assess yourself: another assessor has to record this assessment (an "
            "administrator can allow self-assessment in the organisation settings)."
        ),
        "bad_email": lambda: _("This is not an e-mail address (name@example.org)."),
        # The password policy's sentences are all in SHOWN_TRANSLATED.
        "weak_password": lambda: _(exc.message),
        "bad_dates": lambda: _("The end date is before the start date."),
        "user_erased": lambda: _("This account was erased; it cannot be reactivated."),
        "no_reason": lambda: _("A reason is required; it goes into the audit log."),
    }
    known = sentences.get(exc.code)
    return known() if known is not None else exc.message
