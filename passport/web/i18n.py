"""Page languages: English, and German on the pages translated so far.

A page opts in by calling :func:`use_language` (its view); the others stay English, so a page
never mixes languages under one ``lang``. The language is the visitor's choice (``?lang=de`` or
``?lang=en`` on the page's own links) or else the browser's ``Accept-Language``. Templates mark
every sentence with ``_("…")`` — the form gettext tools (``pybabel extract``) read — and
:data:`GERMAN` holds the German of each; a test checks that every marked sentence of a
translated template has its German here. ``_("… %(name)s …", name=value)`` fills placeholders
after translating.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Final

from flask import Flask, Response, g, request

__all__ = [
    "GERMAN",
    "LANGUAGES",
    "format_date",
    "format_datetime",
    "format_number",
    "gettext",
    "ngettext",
    "page_language",
    "register",
    "use_language",
]

LANGUAGES: Final = ("en", "de")

#: English sentence → German, for every sentence of the translated pages.
GERMAN: Final[dict[str, str]] = {
    # base.html
    "Skill Passport": "Skill Passport",
    "Verify a badge": "Abzeichen prüfen",
    "Issuer DID": "DID des Ausstellers",
    "Keys (JWKS)": "Schlüssel (JWKS)",
    "My account": "Mein Konto",
    "Log in": "Anmelden",
    "Open Badges 3.0 · W3C Verifiable Credentials": (
        "Open Badges 3.0 · W3C Verifiable Credentials"
    ),
    # verify.html: the way to the presentation request
    "Ask a candidate for a presentation": "Eine Präsentation bei einer Person anfragen",
    "Their wallet signs their badges for a challenge only you know, so a copy made for "
    "someone else is refused.": (
        "Die Wallet der Person signiert ihre Abzeichen für eine Challenge, die nur Sie "
        "kennen; eine Kopie, die für jemand anderen erstellt wurde, wird abgelehnt."
    ),
    "Request a presentation": "Präsentation anfragen",
    # verify_request.html
    "Request a presentation · Skill Passport": "Präsentation anfragen · Skill Passport",
    "Language": "Sprache",
    "Request a presentation from a candidate": "Eine Präsentation bei einer Person anfragen",
    "Make a request, let the candidate scan its QR code with their wallet (or send them the "
    "text below), then paste or upload the presentation their wallet makes. It must be signed "
    "for this request: a presentation made for another request, or shown before, is refused.": (
        "Erstellen Sie eine Anfrage, lassen Sie die Person den QR-Code mit ihrer Wallet "
        "scannen (oder schicken Sie ihr den Text unten) und fügen Sie dann die Präsentation "
        "ein, die ihre Wallet erstellt, oder laden Sie sie hoch. Sie muss für diese Anfrage "
        "signiert sein: Eine Präsentation für eine andere Anfrage oder eine schon einmal "
        "gezeigte wird abgelehnt."
    ),
    "Make a new request": "Neue Anfrage erstellen",
    "Make a request": "Anfrage erstellen",
    "Your request": "Ihre Anfrage",
    "Valid until %(time)s UTC (15 minutes), for one presentation.": (
        "Gültig bis %(time)s UTC (15 Minuten), für eine Präsentation."
    ),
    "QR code of the presentation request; its text follows below.": (
        "QR-Code der Präsentationsanfrage; sein Text steht darunter."
    ),
    "Challenge": "Challenge",
    "Domain": "Domain",
    "The request as text (a W3C Verifiable Presentation Request)": (
        "Die Anfrage als Text (ein W3C Verifiable Presentation Request)"
    ),
    "Paste the presentation (JSON or JWT)": "Präsentation einfügen (JSON oder JWT)",
    "…or upload it as a file": "…oder als Datei hochladen",
    "Check the presentation": "Präsentation prüfen",
    "Presentation verified: it answers your request": (
        "Präsentation geprüft: Sie beantwortet Ihre Anfrage"
    ),
    "Presentation not verified": "Präsentation nicht bestätigt",
    "Checked against the challenge %(challenge)s for %(domain)s. The request is now used up.": (
        "Geprüft mit der Challenge %(challenge)s für %(domain)s. Die Anfrage ist damit verbraucht."
    ),
    "Passed": "Bestanden",
    "Failed": "Fehlgeschlagen",
    "Unknown": "Unbekannt",
    "Error code": "Fehlercode",
    "The badges in it, one by one": "Die enthaltenen Abzeichen, eines nach dem anderen",
    # passport.errors messages shown on the page
    "This page did not make that presentation request (or it was deleted); make a new one.": (
        "Diese Seite hat diese Präsentationsanfrage nicht erstellt (oder sie wurde gelöscht); "
        "erstellen Sie eine neue."
    ),
    "This presentation request has expired; make a new one and ask the candidate again.": (
        "Diese Präsentationsanfrage ist abgelaufen; erstellen Sie eine neue und fragen Sie "
        "die Person erneut."
    ),
    "A presentation was already checked against this request; a second one may be a "
    "replay. Make a new request.": (
        "Mit dieser Anfrage wurde bereits eine Präsentation geprüft; eine zweite könnte eine "
        "Wiederholung sein. Erstellen Sie eine neue Anfrage."
    ),
    "This is not a presentation. Paste or upload what the candidate's wallet made for this "
    "request (a Verifiable Presentation, as JSON or as a JWT).": (
        "Das ist keine Präsentation. Fügen Sie ein, was die Wallet der Person für diese "
        "Anfrage erstellt hat (eine Verifiable Presentation als JSON oder JWT), oder laden "
        "Sie es hoch."
    ),
    "Send the credential as a file or in the 'credential' field.": (
        "Fügen Sie die Präsentation ein oder laden Sie sie als Datei hoch."
    ),
    # the container check that only this page makes (passport.verifying.requests)
    "The presentation is not signed by its holder, so it does not answer your request: it "
    "could be a copy made for someone else.": (
        "Die Präsentation ist nicht von ihrer Inhaberin oder ihrem Inhaber signiert und "
        "beantwortet Ihre Anfrage daher nicht: Sie könnte eine Kopie sein, die für jemand "
        "anderen erstellt wurde."
    ),
    # verifier.containers messages about the holder's proof
    "The presentation is signed by its holder.": (
        "Die Präsentation ist von ihrer Inhaberin oder ihrem Inhaber signiert."
    ),
    "The presentation was made for another request (its challenge differs).": (
        "Die Präsentation wurde für eine andere Anfrage erstellt (ihre Challenge weicht ab)."
    ),
    "The presentation was made for another verifier (its domain differs).": (
        "Die Präsentation wurde für eine andere prüfende Stelle erstellt (ihre Domain weicht ab)."
    ),
}


def page_language() -> str:
    """The language of the page being rendered (``en`` unless its view chose another)."""
    language: str = g.get("page_lang", "en")
    return language


def use_language() -> str:
    """Render this request's page in the visitor's language; return it."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        language: str = asked
    else:
        language = request.accept_languages.best_match(LANGUAGES, default="en") or "en"
    g.page_lang = language
    return language


def gettext(message: str, **values: object) -> str:
    """``message`` in the page's language, placeholders filled (``%(name)s``)."""
    text = GERMAN.get(message, message) if page_language() == "de" else message
    return text % values if values else text


def ngettext(singular: str, plural: str, num: int, **values: object) -> str:
    """The singular or plural form for ``num`` (``%(num)d`` is filled in too)."""
    text = gettext(singular if num == 1 else plural)
    return text % {"num": num, **values}


def format_date(value: date | datetime | None) -> str:
    """A date (or a datetime's date) for people; empty for None."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    return value.isoformat()


def format_datetime(value: datetime | None) -> str:
    """A point in time for people; empty for None."""
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M UTC")


def format_number(value: float) -> str:
    return f"{value:,}"


def _content_language(response: Response) -> Response:
    if "page_lang" in g:
        response.headers["Content-Language"] = g.page_lang
        response.vary.add("Accept-Language")
    return response


def register(app: Flask) -> None:
    """Give templates ``_`` and ``page_language``; label translated answers."""
    app.jinja_env.globals.update(
        _=gettext, gettext=gettext, ngettext=ngettext, page_language=page_language
    )
    app.jinja_env.filters.update(date=format_date, datetime=format_datetime, number=format_number)
    app.after_request(_content_language)
