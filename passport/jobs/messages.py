"""The text of each notification, rendered in the person's language.

:func:`render` turns a :class:`~passport.jobs.models.Notification` into a
:class:`~passport.mail.MailMessage` — a plain-text part and the same as simple HTML, both from
the Jinja templates in ``passport/jobs/templates/mail/`` (``<kind>.txt``, ``<kind>.html``) —
or None when the person opted out of that kind of mail (:mod:`passport.jobs.preferences`) or
their account was erased. Raises LookupError for a kind it does not know.

Rendering needs no Flask: a plain :class:`jinja2.Environment` per language with the i18n
extension and the same gettext catalogs the pages use (``passport/translations``). The language
is the notification's ``locale`` (the user's stored one, else English); dates and times are
formatted with Babel in that language and in the person's time zone (theirs, else the
organisation's). Links start at ``PASSPORT_PUBLIC_URL``.

Optional mail (a category in :data:`~passport.jobs.preferences.OPTIONAL_CATEGORIES`) carries
``List-Unsubscribe`` with a signed one-click link and ``List-Unsubscribe-Post`` (RFC 8058), and
says in its footer why the person gets it and how to stop it. Mail a person cannot turn off (a
badge revoked, a password reset) carries neither.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import dates as babel_dates
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from jinja2 import Environment, FileSystemLoader, TemplateError, select_autoescape
from sqlalchemy.orm import Session

from passport.accounts.models import User
from passport.accounts.preferences import org_time_zone
from passport.jobs.models import Notification
from passport.jobs.notify import open_secret
from passport.jobs.preferences import category_of, unsubscribe_token, wants_mail
from passport.mail import Attachment, MailMessage
from passport.mentoring.calendar import attachment_method, build_calendar, event_from_context
from passport.services import Services

__all__ = ["KINDS", "TEMPLATES", "render", "translate"]

#: The mail templates (``mail/<kind>.txt`` and ``mail/<kind>.html``).
TEMPLATES = Path(__file__).parent / "templates"
TRANSLATIONS = Path(__file__).parents[1] / "translations"
LANGUAGES = ("en", "de")


def N_(message: str) -> str:
    """Mark ``message`` for the catalogs; it is translated when the mail is rendered."""
    return message


#: Every kind this module renders, with its subject (formatted with the template context).
SUBJECTS: dict[str, str] = {
    "badge_issued": N_("Your badge is here: %(achievement_name)s"),
    "badge_revoked": N_("Your badge was revoked: %(achievement_name)s"),
    "badge_suspended": N_("Your badge was suspended: %(achievement_name)s"),
    "badge_reinstated": N_("Your badge is valid again: %(achievement_name)s"),
    "badge_expiring": N_("Your badge expires in %(days)s days: %(achievement_name)s"),
    "session_reminder": N_("Tomorrow: %(title)s"),
    "share_viewed": N_("Someone opened your share link"),
    "role_application": N_("New application: %(title)s"),
    "password_reset": N_("Reset your Skill Passport password"),
    "invitation": N_("You are invited to Skill Passport"),
    # OpenID4VCI (passport.wallets.oid4vci): the transaction code of a wallet offer.
    "wallet_tx_code": N_("Your code to add a badge to your wallet"),
    "failed_report": N_("Skill Passport: failed jobs and e-mail"),
    # Micro-mentoring events (passport.mentoring.events): one template, ``mail/_event``.
    "event_signup": N_("You have a seat: %(title)s"),
    "event_waitlisted": N_("You are on the waitlist: %(title)s"),
    "event_promoted": N_("A seat is yours now: %(title)s"),
    "event_changed": N_("Event changed: %(title)s"),
    "event_cancelled": N_("Event cancelled: %(title)s"),
    "event_signup_cancelled": N_("Your place is cancelled: %(title)s"),
}
KINDS = tuple(SUBJECTS)
#: Kinds that share one template (the three changes of a badge's status).
_TEMPLATE_OF = {
    "badge_revoked": "_badge_status",
    "badge_suspended": "_badge_status",
    "badge_reinstated": "_badge_status",
    **{
        kind: "_event"
        for kind in (
            "event_signup",
            "event_waitlisted",
            "event_promoted",
            "event_changed",
            "event_cancelled",
            "event_signup_cancelled",
        )
    },
}

#: What each role is called in an invitation.
ROLE_NAMES = {
    "admin": N_("an administrator"),
    "assessor": N_("an assessor"),
    "mentor": N_("a mentor"),
    "hiring_manager": N_("a hiring manager"),
    "analyst": N_("an analyst"),
    "learner": N_("a learner"),
}


@dataclass(frozen=True, slots=True)
class _Language:
    env: Environment
    translations: NullTranslations


def _catalog(locale: str) -> NullTranslations:
    """The compiled catalog when it is up to date, else the ``.po`` compiled in memory (a
    worker need not have run ``make catalogs``)."""
    folder = TRANSLATIONS / locale / "LC_MESSAGES"
    po_path, mo_path = folder / "messages.po", folder / "messages.mo"
    if mo_path.exists() and (
        not po_path.exists() or mo_path.stat().st_mtime >= po_path.stat().st_mtime
    ):
        with mo_path.open("rb") as handle:
            return Translations(fp=handle)
    if not po_path.exists():
        return NullTranslations()
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(fp=buffer)


def translate(services: Services, locale: str, message: str) -> str:
    """``message`` (marked with ``N_``) in ``locale`` (``en`` or ``de``; anything else is
    English), from the catalogs the e-mail uses: for domain text sent outside a request."""
    return _language(services, locale if locale in LANGUAGES else "en").translations.gettext(
        message
    )


def _language(services: Services, locale: str) -> _Language:
    """The template environment of ``locale`` (made once per services, one per language so
    threads rendering different languages never share gettext functions)."""
    cache: dict[str, _Language] = services.extensions.setdefault("jobs.mail_languages", {})
    language = cache.get(locale)
    if language is None:
        env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        env.policies["ext.i18n.trimmed"] = True
        translations = _catalog(locale)
        env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
        language = _Language(env=env, translations=translations)
        cache[locale] = language
    return language


def _zone(session: Session, user: User | None) -> ZoneInfo:
    for name in ((user.time_zone if user else None), org_time_zone(session)):
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def _parsed(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _formatters(locale: str, zone: ZoneInfo) -> tuple[Callable[[Any], str], Callable[[Any], str]]:
    def date_text(value: Any) -> str:
        moment = _parsed(value)
        if moment is None:
            return str(value or "")
        return str(babel_dates.format_date(moment.astimezone(zone), "long", locale=locale))

    def datetime_text(value: Any) -> str:
        moment = _parsed(value)
        if moment is None:
            return str(value or "")
        local = moment.astimezone(zone)
        day = babel_dates.format_date(local, "full", locale=locale)
        time = babel_dates.format_time(local, "short", locale=locale)
        return f"{day}, {time} ({zone.key})"

    return date_text, datetime_text


def render(
    services: Services, session: Session, row: Notification, context: dict[str, Any]
) -> MailMessage | None:
    """The message for ``row`` (None: the person does not want it, or their account is
    deactivated or gone). Raises LookupError for a kind without templates."""
    if row.kind not in SUBJECTS:
        raise LookupError(f"no message for notifications of kind {row.kind!r}")
    user = session.get(User, row.user_id) if row.user_id is not None else None
    if row.user_id is not None and (
        user is None or user.erased_at is not None or user.deactivated_at is not None
    ):
        return None  # checked again at sending: mail may wait behind a bulk job or a retry
    category = category_of(row.kind)
    if category is not None and not wants_mail(session, row.user_id, category):
        return None
    locale = row.locale if row.locale in LANGUAGES else "en"
    language = _language(services, locale)
    settings = services.settings
    base = settings.public_url.rstrip("/")
    date_text, datetime_text = _formatters(locale, _zone(session, user))
    gettext = language.translations.gettext

    unsubscribe_url = None
    if category is not None and user is not None:
        token = unsubscribe_token(settings.secret_key, user.id, category)
        unsubscribe_url = f"{base}/unsubscribe/{token}"
    values: dict[str, Any] = {
        "c": context,
        "kind": row.kind,
        "locale": locale,
        "name": user.name if user is not None else "",
        "base": base,
        "preferences_url": f"{base}/my/notifications",
        "unsubscribe_url": unsubscribe_url,
        "optional": category is not None,
        "date": date_text,
        "datetime": datetime_text,
        "secret_url": open_secret(settings.secret_key, context) or "",
        "role_name": gettext(ROLE_NAMES.get(str(context.get("role")), ROLE_NAMES["learner"])),
    }
    credential_id = context.get("credential_id")
    if credential_id:
        values["badge_url"] = f"{base}/credentials/{quote(str(credential_id), safe=':/')}"
        values["passport_url"] = f"{base}/passport"
        # "Add to wallet" (OpenID4VCI): a page that makes a fresh offer, never an offer itself
        # (offers expire in minutes; mail may be read days later).
        values["wallet_url"] = (
            f"{base}/passport/badges/{quote(str(credential_id), safe=':')}/wallet"
        )
    if context.get("achievement_id"):
        values["achievement_url"] = f"{base}/achievements/{quote(str(context['achievement_id']))}"
    if context.get("skill_id"):
        # The events page filtered to the skill at the badge's level or above (docs/mentoring).
        skill = quote(str(context["skill_id"]), safe="")
        values["events_url"] = f"{base}/events?skill={skill}&level={int(context.get('level') or 1)}"
    values["subject"] = gettext(SUBJECTS[row.kind]) % {
        key: context.get(key, "") for key in ("achievement_name", "days", "title")
    }
    name = _TEMPLATE_OF.get(row.kind, row.kind)
    try:
        text = language.env.get_template(f"mail/{name}.txt").render(values)
        html = language.env.get_template(f"mail/{name}.html").render(values)
    except (TemplateError, TypeError, ValueError) as exc:
        # A context without what its kind needs ("%(hours)d" of nothing): the notification
        # fails with this sentence in the failed list instead of stopping the worker.
        raise LookupError(f"the {row.kind} message cannot be written: {exc}") from exc
    headers: tuple[tuple[str, str], ...] = ()
    if unsubscribe_url is not None:
        headers = (
            ("List-Unsubscribe", f"<{unsubscribe_url}>"),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        )
    attachments: tuple[Attachment, ...] = ()
    if attachment_method(row.kind, context) is not None:
        attachments = (
            session_calendar(
                context,
                base=base,
                now=services.now(),
                kind=row.kind,
                db=session,
                attendee=row.to,
                role=user.role if user is not None else "learner",
            ),
        )
    return MailMessage(
        to=row.to,
        subject=" ".join(values["subject"].split()),
        text=text,
        html=html,
        headers=headers,
        attachments=attachments,
    )


def session_calendar(
    context: dict[str, Any],
    *,
    base: str,
    now: datetime,
    kind: str = "session_reminder",
    db: Session | None = None,
    attendee: str | None = None,
    role: str = "learner",
) -> Attachment:
    """The ``.ics`` file of a session (RFC 5545, one VEVENT, built by
    :func:`passport.mentoring.calendar.build_calendar`). Its UID stays the same for the
    session, so a calendar that imported an earlier mail updates the event; its METHOD follows
    ``kind`` (CANCEL when the context says ``cancelled``). With ``db`` the session is read at
    send time, so the file carries its zone and SEQUENCE as they are now."""
    method = attachment_method(kind, context) or "PUBLISH"
    event = event_from_context(context, base=base, db=db, role=role)
    data = build_calendar([event], base=base, now=now, method=method, attendee=attendee)
    # RFC 6047 §2.4: an iMIP part names its method in the Content-Type as well.
    return Attachment(
        filename="session.ics", content_type=f"text/calendar; method={method}", data=data
    )
