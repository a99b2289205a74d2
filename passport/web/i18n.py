"""Page languages (English, German) with Flask-Babel, and dates, times and numbers for people.

Every page follows the visitor's language, chosen in this order:

1. ``?lang=en``/``?lang=de`` on the request (the language links), remembered in the session;
2. the language remembered in the session from such a link earlier;
3. the logged-in user's setting (``users.locale``, on their preferences page);
4. the browser's ``Accept-Language`` (best match of en/de; the answer then says
   ``Vary: Accept-Language``), else English.

Logging in starts a fresh session, so the saved setting applies from then on until the person
clicks a language link. Every HTML answer says ``Content-Language``; base.html puts the same code
in ``<html lang>``.

Sentences are marked where they are written — templates ``_("… %(name)s …", name=x)`` and
``ngettext("%(num)d badge", "%(num)d badges", n)`` (Jinja's newstyle gettext: formatted and
autoescaped), Python ``gettext``/``ngettext`` from this module — and translated through the gettext
catalogs in ``passport/translations/<lang>/LC_MESSAGES/messages.po`` (``babel.cfg`` says what is
extracted; ``scripts/i18n_fill.py`` extracts, updates, fills and compiles; ``make catalogs``
compiles the ``.mo`` files, which are built, not committed).

Times are stored in UTC and shown in the reader's zone: the user's (``users.time_zone``), else the
organisation's (``/admin/settings``), else UTC. The ``date``, ``datetime`` and ``number`` template
filters format with Babel for the page's locale; ``datetime`` names the zone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import flask_babel
from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, Response, g, has_request_context, request, session
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

__all__ = [
    "LANGUAGES",
    "SHOWN_TRANSLATED",
    "TRANSLATIONS",
    "compile_catalogs",
    "format_date",
    "format_datetime",
    "format_number",
    "from_local",
    "gettext",
    "ngettext",
    "page_language",
    "page_time_zone",
    "register",
    "use_language",
]

logger = logging.getLogger(__name__)

LANGUAGES: Final = ("en", "de")
DEFAULT_LANGUAGE: Final = "en"
#: The gettext catalogs: ``<lang>/LC_MESSAGES/messages.po`` (and the compiled ``.mo``).
TRANSLATIONS: Final = Path(__file__).parents[1] / "translations"
#: Where a language link's choice is remembered.
SESSION_KEY: Final = "lang"


def N_(message: str) -> str:
    """Mark ``message`` for the catalogs; it is translated where it is shown."""
    return message


#: Sentences made outside the web layer (errors, the verifier's checks) that pages pass through
#: ``_()`` when they show them. Marked here so extraction keeps them in the catalogs; a test
#: checks that each is still written, word for word, somewhere in the code.
SHOWN_TRANSLATED: Final = (
    # passport.accounts.separation, shown on the bulk import's row errors
    N_(
        "You cannot assess yourself: another assessor has to record this assessment (an "
        "administrator can allow self-assessment in the organisation settings)."
    ),
    # passport.errors / passport.verifying.requests, shown on /verify/request
    N_("This page did not make that presentation request (or it was deleted); make a new one."),
    N_("This presentation request has expired; make a new one and ask the candidate again."),
    N_(
        "A presentation was already checked against this request; a second one may be a "
        "replay. Make a new request."
    ),
    N_(
        "This is not a presentation. Paste or upload what the candidate's wallet made for this "
        "request (a Verifiable Presentation, as JSON or as a JWT)."
    ),
    N_("Send the credential as a file or in the 'credential' field."),
    N_(
        "The presentation is not signed by its holder, so it does not answer your request: it "
        "could be a copy made for someone else."
    ),
    # verifier.containers: the holder's proof
    N_("The presentation is signed by its holder."),
    N_("The presentation was made for another request (its challenge differs)."),
    N_("The presentation was made for another verifier (its domain differs)."),
    # passport.catalog: form problems (FieldError sentences) and the achievement types
    N_("%(label)s is required."),
    N_("%(label)s is longer than %(max)d characters."),
    N_(
        "%(label)s may use only lowercase letters a–z, digits and hyphens, starting with a "
        "letter or digit (at most 63 characters)."
    ),
    N_("The criterion's name"),
    N_("The criterion's id"),
    N_("A skill needs at least one rubric criterion, described at every level."),
    N_("A skill with the id %(id)s already exists; choose another id."),
    N_(
        "Badges valid for must be a whole number of days from 1 to %(max)d, or empty for no expiry."
    ),
    N_("Two criteria have the id %(id)s; each criterion needs its own."),
    N_("The rubric has levels 1 to %(n)d only."),
    N_("Describe %(criterion)s at level %(level)d."),
    N_("The description of %(criterion)s at level %(level)d is longer than 1000 characters."),
    N_("The reference URL must start with https:// (or http://)."),
    N_("There is no skill %(id)s."),
    N_("Choose a level from %(low)d to %(high)d."),
    N_("A job family with the id %(id)s already exists; choose another id."),
    N_("A job family needs at least one required skill."),
    N_("The skill %(name)s is retired; bring it back before a job family requires it."),
    N_("The skill %(id)s is listed twice; keep one row per skill."),
    N_("%(id)s is already required by this job family."),
    N_("Criteria"),
    N_("Choose the skill this achievement certifies."),
    N_("Choose a type from the list."),
    N_("The skill %(name)s is retired; bring it back before certifying it."),
    N_(
        "Badges were issued for this achievement (%(count)d), so what it certifies (skill and "
        "level) cannot change. Create a new achievement instead."
    ),
    N_(
        "Assessments or cohorts name this achievement, so what it certifies (skill and level) "
        "cannot change. Create a new achievement instead."
    ),
    N_(
        "%(name)s already has a retired achievement at level %(level)d (%(id)s); bring it back "
        "instead."
    ),
    N_("%(name)s already has an achievement at level %(level)d (%(id)s); edit that one instead."),
    N_("Competency"),
    N_("Micro-credential"),
    N_("Certificate"),
    N_("Certificate of completion"),
    N_("Certification"),
    N_("Course"),
    N_("Assessment"),
    N_("Award"),
    N_("Licence"),
    N_("No job family with that id."),
    N_("Nothing readable was handed over."),
    N_("Not verified."),
    # passport.accounts.oidc / .sso / passport.errors: single sign-on, shown on /login
    N_("Single sign-on did not complete. Try again."),
    N_(
        "The identity provider could not be reached. Try again in a moment; if it keeps "
        "happening, tell your program's administrator."
    ),
    N_(
        "The identity provider's answer could not be verified, so nobody was signed in. "
        "Start again from the login page."
    ),
    N_(
        "The identity provider's configuration names a different issuer; ask your program's"
        " administrator to check the single sign-on settings."
    ),
    N_(
        "The identity provider refused the sign-in. Try again; if it keeps happening, tell "
        "your program's administrator."
    ),
    N_(
        "This sign-in was not started here, or it was already used. Start again from the "
        "login page."
    ),
    N_(
        "The sign-in came back with a state that does not match the one we sent, so it may "
        "not be yours. Start again from the login page."
    ),
    N_("The sign-in took too long. Start again from the login page."),
    N_("The identity provider sent no authorization code. Start again from the login page."),
    N_("The sign-in answer came from a different identity provider."),
    N_(
        "The identity provider sent no ID token; ask your program's administrator to check "
        "that the 'openid' scope is allowed."
    ),
    N_("The identity provider's user information is about someone else."),
    N_("The sign-in was cancelled or refused at the identity provider."),
    N_(
        "The identity provider did not accept this sign-in's code (it may have been used "
        "already). Start again from the login page."
    ),
    N_(
        "The identity provider did not tell us your e-mail address, so we cannot find your "
        "account. Ask your program's administrator."
    ),
    N_(
        "The identity provider has not verified your e-mail address, so we cannot match it "
        "to an account. Ask your program's administrator."
    ),
    N_(
        "There is no account for your e-mail address here, and accounts are not made "
        "automatically for its domain. Ask your program's administrator for one."
    ),
    N_(
        "This account is deactivated, so it cannot sign in. If you need access again, ask "
        "your program's administrator."
    ),
    N_(
        "The identity provider's e-mail address for you cannot be used here. Ask your "
        "program's administrator."
    ),
    N_(
        "Your e-mail address belongs to an account that signs in with another identity-"
        "provider account. Ask your program's administrator."
    ),
    # passport.accounts: shown on the account pages
    N_("This account was erased."),
    # passport.accounts.passwords.PASSWORD_PROBLEMS: why a new password is refused
    N_("Passwords need at least 12 characters; a few unrelated words make a good one."),
    N_("Passwords can have at most 256 characters."),
    N_(
        "This password is on the list of common and breached passwords that attackers try "
        "first; choose another one."
    ),
    N_("The password must not be your e-mail address or your name."),
    N_(
        "The password must not be one character or a short group repeated, or a plain run "
        "such as 123456789012."
    ),
    # passport.accounts.mfa and passport.accounts.reset, shown on the sign-in pages
    N_("That code is not right (or was used already); enter the current code from your app."),
    N_("That is not your current password."),
    N_(
        "This password-reset link is not valid any more: it was used, replaced by a newer one, "
        "or it expired. Ask for a new link."
    ),
    # the rubric levels of the starter catalog (passport/catalog/data/it_catalog.json)
    N_("Foundation"),
    N_("Practitioner"),
    N_("Advanced"),
    N_("Expert"),
)


# -- catalogs ---------------------------------------------------------------------------------


def compile_catalogs(directory: Path = TRANSLATIONS, *, force: bool = False) -> list[Path]:
    """Compile every ``messages.po`` under ``directory`` whose ``.mo`` is missing or older.

    Fuzzy entries are left out (as ``pybabel compile`` does). Returns the files written.
    """
    written: list[Path] = []
    for po_path in sorted(directory.glob("*/LC_MESSAGES/messages.po")):
        mo_path = po_path.with_suffix(".mo")
        if not force and mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as source:
            catalog = read_po(source, locale=po_path.parents[1].name)
        with mo_path.open("wb") as target:
            write_mo(target, catalog, use_fuzzy=False)
        written.append(mo_path)
    return written


# -- who is reading ---------------------------------------------------------------------------


def _reader() -> tuple[str | None, str | None]:
    """The logged-in user's ``(locale, time_zone)`` settings, read once per request."""
    cached: tuple[str | None, str | None] | None = g.get("i18n_reader")
    if cached is not None:
        return cached
    found: tuple[str | None, str | None] = (None, None)
    user_id = session.get("user_id")
    if isinstance(user_id, int):
        from passport.accounts.models import User
        from passport.web.context import get_services

        try:
            with get_services().sessions() as db:
                row = db.execute(
                    select(User.locale, User.time_zone).where(User.id == user_id)
                ).first()
        except SQLAlchemyError:  # the page still renders (the error pages too), in defaults
            logger.warning("could not read the user's language and time zone", exc_info=True)
            row = None
        if row is not None:
            found = (row.locale, row.time_zone)
    g.i18n_reader = found
    return found


def _organisation_time_zone() -> str:
    from passport.accounts.preferences import DEFAULT_TIME_ZONE, org_time_zone
    from passport.web.context import get_services

    try:
        with get_services().sessions() as db:
            return org_time_zone(db)
    except SQLAlchemyError:
        logger.warning("could not read the organisation's time zone", exc_info=True)
        return DEFAULT_TIME_ZONE


def _select_locale() -> str:
    """Flask-Babel's locale selector: see the module's docstring for the order."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        if session.get(SESSION_KEY) != asked:
            session[SESSION_KEY] = asked
        return str(asked)
    remembered = session.get(SESSION_KEY)
    if remembered in LANGUAGES:
        return str(remembered)
    chosen, _zone = _reader()
    if chosen in LANGUAGES:
        return str(chosen)
    g.i18n_negotiated = True
    return request.accept_languages.best_match(LANGUAGES, default=DEFAULT_LANGUAGE) or "en"


def _select_time_zone() -> str:
    """The reader's zone name: theirs, else the organisation's, else UTC."""
    _locale, own = _reader()
    if own:
        try:
            ZoneInfo(own)
        except (ZoneInfoNotFoundError, ValueError):
            own = None
    return own or _organisation_time_zone()


def page_language() -> str:
    """The language of the page being rendered (``en`` outside a request)."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    locale = flask_babel.get_locale()
    return DEFAULT_LANGUAGE if locale is None else locale.language


def use_language() -> str:
    """Kept for the views that called it before every page was translated: the language."""
    return page_language()


def page_time_zone() -> tzinfo:
    """The zone times are shown in on this page (UTC outside a request)."""
    if not has_request_context():
        return UTC
    name: str | None = g.get("i18n_time_zone")
    if name is None:
        name = _select_time_zone()
        g.i18n_time_zone = name
    return UTC if name == "UTC" else ZoneInfo(name)


def page_time_zone_name() -> str:
    """The IANA name of :func:`page_time_zone` (``Europe/Berlin``, ``UTC``), for form labels."""
    return str(page_time_zone())


def to_local(value: datetime) -> datetime:
    """A stored (UTC) time on the reader's clock, e.g. to prefill a form they will edit."""
    return value.astimezone(page_time_zone())


def from_local(value: datetime) -> datetime:
    """A time a person typed (naive: on their clock, in :func:`page_time_zone`) as UTC, for
    storing; an aware ``value`` is only converted."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=page_time_zone())
    return value.astimezone(UTC)


def _locale() -> Locale:
    return Locale.parse(page_language())


# -- translating ------------------------------------------------------------------------------


def gettext(message: str, **values: object) -> str:
    """``message`` in the page's language, placeholders filled (``%(name)s``).

    An empty message stays empty (gettext would answer the catalog's header for it).
    """
    if not message:
        return message
    text: str = flask_babel.gettext(message, **values)
    return text


def ngettext(singular: str, plural: str, num: int, **values: object) -> str:
    """The right plural form for ``num`` in the page's language (``%(num)d`` is filled too)."""
    text: str = flask_babel.ngettext(singular, plural, num, **values)
    return text


# -- formatting -------------------------------------------------------------------------------


def _local(value: datetime) -> datetime:
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value
    return aware.astimezone(page_time_zone())


def format_date(value: date | datetime | None) -> str:
    """A date for people ("Dec 6, 2026", "6. Dez. 2026"); a datetime's date in the reader's zone;
    empty for None."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = _local(value).date()
    text: str = babel_dates.format_skeleton("yMMMd", value, locale=_locale())
    return text


def format_datetime(value: datetime | None) -> str:
    """A point in time in the reader's zone, with the zone's abbreviation
    ("Dec 6, 2026, 10:07 AM CET", "6. Dez. 2026, 10:07 CET"); empty for None."""
    if value is None:
        return ""
    local = _local(value)
    locale = _locale()
    day = babel_dates.format_skeleton("yMMMd", local, locale=locale)
    time = babel_dates.format_time(local, "short", locale=locale)
    zone = local.tzname() or "UTC"
    pattern = str(locale.datetime_formats.get("medium", "{1}, {0}")).replace("'", "")
    return pattern.replace("{1}", day).replace("{0}", f"{time} {zone}")


def format_number(value: float) -> str:
    """A number with the locale's separators ("1,234.5", "1.234,5")."""
    text: str = babel_numbers.format_decimal(value, locale=_locale())
    return text


@pass_context
def _template_gettext(context: Context, message: str, **values: object) -> str:
    if not message:  # gettext("") is the catalog's header
        return message
    text: str = flask_babel.get_translations().ugettext(message)
    if not values:
        return text
    if context.eval_ctx.autoescape:
        return escape(text) % values
    return text % values


@pass_context
def _template_ngettext(
    context: Context, singular: str, plural: str, num: int, **values: object
) -> str:
    text: str = flask_babel.get_translations().ungettext(singular, plural, num)
    values.setdefault("num", num)
    if context.eval_ctx.autoescape:
        return escape(text) % values
    return text % values


# -- wiring -----------------------------------------------------------------------------------


def _content_language(response: Response) -> Response:
    """HTML answers say their language; negotiated ones vary by Accept-Language."""
    if response.mimetype == "text/html":
        response.headers["Content-Language"] = page_language()
        if g.get("i18n_negotiated"):
            response.vary.add("Accept-Language")
    return response


def register(app: Flask) -> None:
    """Set up Flask-Babel (catalogs, locale and zone selectors, Jinja's newstyle gettext) and the
    ``date``, ``datetime`` and ``number`` filters; label every HTML answer with its language."""
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    missing = [
        lang
        for lang in LANGUAGES
        if lang != DEFAULT_LANGUAGE
        and not (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.mo").exists()
    ]
    if missing:
        logger.warning(
            "no compiled catalog for %s: pages stay English (run `make catalogs`)",
            ", ".join(missing),
        )
    flask_babel.Babel(app, locale_selector=_select_locale, timezone_selector=_select_time_zone)
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    # Jinja's own newstyle callables wrap every translation in Markup and always apply ``%``:
    # a sentence made elsewhere (``_(error.message)``, which may quote what someone typed) would
    # reach the page unescaped, and a lone "%" would raise. Ours treat every sentence as text
    # (escaped; markup belongs in the template around it, or in a Markup placeholder value) and
    # format only when given values.
    app.jinja_env.globals.update(gettext=_template_gettext, ngettext=_template_ngettext)
    from passport.web import preferences

    app.jinja_env.globals.update(
        page_language=page_language,
        page_time_zone_name=page_time_zone_name,
        preference_choices=preferences.preference_choices,
    )
    filters: dict[str, Callable[..., str]] = {
        "date": format_date,
        "datetime": format_datetime,
        "number": format_number,
    }
    app.jinja_env.filters.update(filters)
    app.after_request(_content_language)
    app.register_blueprint(preferences.bp)
