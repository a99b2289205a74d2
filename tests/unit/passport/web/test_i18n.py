"""The gettext catalogs are complete and clean, and the formatting filters speak the locale.

The catalog tests extract the marked sentences from the code and templates in-process (Babel's
extract API with ``babel.cfg``, as ``scripts/i18n_fill.py`` does), so a sentence marked but not
translated fails here — run ``scripts/i18n_fill.py de-….json`` to fill the German.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from types import ModuleType

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from flask import Flask

from passport.web import i18n

ROOT = Path(__file__).parents[4]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def _fill_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("i18n_fill", ROOT / "scripts" / "i18n_fill.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("i18n_fill", module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def extracted() -> Catalog:
    catalog: Catalog = _fill_script().extract()
    return catalog


def catalog(locale: str) -> Catalog:
    path = i18n.TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as source:
        return read_po(source, locale=locale)


def _text(message_id: str | tuple[str, ...]) -> str:
    return message_id[0] if isinstance(message_id, tuple) else message_id


def test_extraction_finds_templates_python_and_marked_messages(extracted: Catalog) -> None:
    ids = {_text(message.id) for message in extracted if message.id}
    assert "Request a presentation from a candidate" in ids  # a template
    assert "QR code of the presentation request; its text follows below." in ids  # a view
    assert set(i18n.SHOWN_TRANSLATED) <= ids  # N_() marks
    assert len(ids) >= 40


def test_every_extracted_sentence_has_its_german(extracted: Catalog) -> None:
    german = catalog("de")
    missing = []
    for message in extracted:
        if not message.id:
            continue
        found = german.get(message.id)
        forms = () if found is None else found.string
        forms = forms if isinstance(forms, tuple) else (forms,)
        if found is None or not forms or not all(forms) or found.fuzzy:
            missing.append(_text(message.id))
    assert not missing, (
        f"{len(missing)} sentences have no German in de/messages.po "
        "(fill them with scripts/i18n_fill.py):\n" + "\n".join(sorted(missing))
    )


@pytest.mark.parametrize("locale", ["en", "de"])
def test_no_fuzzy_entries(locale: str) -> None:
    fuzzy = [_text(message.id) for message in catalog(locale) if message.id and message.fuzzy]
    assert not fuzzy, f"fuzzy entries in {locale}/messages.po: {fuzzy}"


@pytest.mark.parametrize("locale", ["en", "de"])
def test_catalogs_hold_only_sentences_of_the_code(locale: str, extracted: Catalog) -> None:
    left_over = [
        _text(message.id)
        for message in catalog(locale)
        if message.id and extracted.get(message.id) is None
    ]
    assert not left_over, f"{locale}/messages.po has sentences no longer in the code: {left_over}"
    assert not catalog(locale).obsolete


def test_placeholders_survive_translation() -> None:
    for message in catalog("de"):
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = {tuple(sorted(PLACEHOLDER.findall(text))) for text in ids}
        for form in filter(None, forms):
            assert tuple(sorted(PLACEHOLDER.findall(form))) in wanted, message.id


@pytest.mark.parametrize("locale", ["en", "de"])
def test_catalogs_pass_the_checks_pybabel_compile_makes(locale: str) -> None:
    # `make catalogs` runs `pybabel compile`, which refuses a catalog whose placeholders it reads
    # differently in the two languages (a "95% intervals" reads as a "% i" placeholder).
    problems = [
        (message.id, [str(e) for e in errors]) for message, errors in catalog(locale).check()
    ]
    assert problems == []


def _string_constants() -> set[str]:
    found: set[str] = set()
    for package in ("passport", "verifier"):
        for path in (ROOT / package).rglob("*.py"):
            if path.name == "i18n.py":
                continue
            for node in ast.walk(ast.parse(path.read_text("utf-8"))):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    found.add(node.value)
    return found


def test_sentences_shown_translated_are_still_written_somewhere() -> None:
    """SHOWN_TRANSLATED copies sentences made elsewhere: a changed original goes untranslated."""
    from passport.catalog.achievements import LEVEL_NAMES

    constants = _string_constants() | set(LEVEL_NAMES.values())  # level names live in JSON
    stale = [text for text in i18n.SHOWN_TRANSLATED if text not in constants]
    assert not stale, stale


def test_compile_catalogs_builds_missing_mo(tmp_path: Path) -> None:
    messages = tmp_path / "de" / "LC_MESSAGES"
    messages.mkdir(parents=True)
    source = i18n.TRANSLATIONS / "de" / "LC_MESSAGES" / "messages.po"
    (messages / "messages.po").write_bytes(source.read_bytes())
    assert i18n.compile_catalogs(tmp_path) == [messages / "messages.mo"]
    assert i18n.compile_catalogs(tmp_path) == []  # up to date: nothing to do


# -- formatting -------------------------------------------------------------------------------


@pytest.fixture
def app() -> Flask:
    app = Flask(__name__)
    app.secret_key = "test"
    i18n.register(app)
    return app


def _format(app: Flask, language: str, zone: str, call: object) -> str:
    with app.test_request_context(f"/?lang={language}"):
        from flask import g

        g.i18n_time_zone = zone
        assert callable(call)
        result: str = call()
        return result


def test_dates_numbers_and_times_follow_locale_and_zone(app: Flask) -> None:
    moment = datetime(2026, 12, 6, 23, 30, tzinfo=UTC)
    assert _format(app, "en", "UTC", lambda: i18n.format_date(date(2026, 12, 6))) == "Dec 6, 2026"
    assert _format(app, "de", "UTC", lambda: i18n.format_date(date(2026, 12, 6))) == "6. Dez. 2026"
    # The date of a point in time is the reader's date: already the 7th in Berlin.
    assert _format(app, "de", "Europe/Berlin", lambda: i18n.format_date(moment)) == "7. Dez. 2026"
    assert (
        _format(app, "de", "Europe/Berlin", lambda: i18n.format_datetime(moment))
        == "7. Dez. 2026, 00:30 CET"
    )
    english = _format(app, "en", "America/New_York", lambda: i18n.format_datetime(moment))
    assert english.replace("\u202f", " ") == "Dec 6, 2026, 6:30 PM EST"
    assert _format(app, "en", "UTC", lambda: i18n.format_datetime(moment)).endswith("UTC")
    # Naive datetimes are UTC.
    naive = datetime(2026, 6, 1, 12, 0)
    assert _format(app, "de", "Europe/Berlin", lambda: i18n.format_datetime(naive)).endswith(
        "14:00 CEST"
    )
    assert _format(app, "en", "UTC", lambda: i18n.format_number(1234.5)) == "1,234.5"
    assert _format(app, "de", "UTC", lambda: i18n.format_number(1234.5)) == "1.234,5"
    assert _format(app, "en", "UTC", lambda: i18n.format_date(None)) == ""
    assert _format(app, "en", "UTC", lambda: i18n.format_datetime(None)) == ""


def test_a_typed_time_is_read_on_the_readers_clock(app: Flask) -> None:
    typed = datetime(2026, 12, 6, 10, 0)
    stored = _format(app, "de", "Europe/Berlin", lambda: i18n.from_local(typed))
    assert stored == datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
    aware = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
    assert _format(app, "de", "Europe/Berlin", lambda: i18n.from_local(aware)) == aware
    assert i18n.from_local(typed) == datetime(2026, 12, 6, 10, 0, tzinfo=UTC)  # no request: UTC


def test_outside_a_request_everything_is_english_and_utc() -> None:
    assert i18n.page_language() == "en"
    assert i18n.gettext("Passed") == "Passed"
    assert i18n.ngettext("%(num)d badge", "%(num)d badges", 2) == "2 badges"
    assert i18n.format_date(datetime(2026, 12, 6, 23, 30, tzinfo=UTC)) == "Dec 6, 2026"


def test_gettext_translates_and_fills_placeholders(app: Flask) -> None:
    with app.test_request_context("/?lang=de"):
        assert i18n.use_language() == "de"
        assert i18n.gettext("Passed") == "Bestanden"
        assert i18n.gettext(
            "Valid until %(time)s (15 minutes), for one presentation.", time="09:15"
        ) == ("Gültig bis 09:15 (15 Minuten), für eine Präsentation.")
        # Not in the catalog: English, the right form.
        assert i18n.ngettext("%(num)d test apple", "%(num)d test apples", 1) == "1 test apple"
        assert i18n.ngettext("%(num)d test apple", "%(num)d test apples", 2) == "2 test apples"
        # gettext("") is the catalog's header: an empty message (a missing reason) stays empty.
        assert i18n.gettext("") == ""
        assert app.jinja_env.from_string("[{{ _(none or '') }}]").render() == "[]"


def test_templates_use_newstyle_gettext_with_autoescape(app: Flask) -> None:
    with app.test_request_context("/?lang=de"):
        template = app.jinja_env.from_string(
            '{{ _("Checked against the challenge %(challenge)s for %(domain)s. '
            'The request is now used up.", challenge="<b>", domain="x") }}'
            '|{{ ngettext("%(num)d test apple", "%(num)d test apples", 3) }}'
        )
        html = template.render()
    assert html.startswith("Geprüft mit der Challenge &lt;b&gt; für x.")
    assert html.endswith("|3 test apples")


def test_sentences_made_elsewhere_are_escaped_and_may_hold_percent(app: Flask) -> None:
    """``_(error.message)`` may quote what someone typed: it is text, never markup."""
    with app.test_request_context("/?lang=de"):
        template = app.jinja_env.from_string(
            "{{ _(message) }}|{{ _('100% done') }}|{{ _('Passed') }}|{{ gettext('Passed') }}"
        )
        html = template.render(message='Unknown role "<script>x</script>" at 50%')
    assert html == (
        "Unknown role &#34;&lt;script&gt;x&lt;/script&gt;&#34; at 50%|100% done|Bestanden|Bestanden"
    )


# -- scripts/i18n_fill.py ---------------------------------------------------------------------


def _template() -> Catalog:
    template = Catalog(fuzzy=False)
    template.add("Save settings")
    template.add(("%(num)d badge", "%(num)d badges"))
    template.add("Hello %(name)s")
    return template


def test_fill_sets_singulars_and_plurals_and_reports_the_rest(tmp_path: Path) -> None:
    script = _fill_script()
    german = script.update(Catalog(locale="de", fuzzy=False), _template())
    english = script.update(Catalog(locale="en", fuzzy=False), _template())
    translations = tmp_path / "de-test.json"
    translations.write_text(
        """{"Save settings": "Einstellungen speichern",
            "%(num)d badge|||%(num)d badges": ["%(num)d Abzeichen", "%(num)d Abzeichen"],
            "Hello %(name)s": "Hallo %(nom)s",
            "Gone from the code": "Weg"}""",
        encoding="utf-8",
    )
    problems = script.fill(german, [translations])
    assert german.get("Save settings").string == "Einstellungen speichern"
    assert german.get("%(num)d badge").string == ("%(num)d Abzeichen", "%(num)d Abzeichen")
    assert script.untranslated(german) == ["Hello %(name)s"]
    assert len(problems) == 2
    assert "placeholders differ" in problems[0] and "not in the code" in problems[1]
    # Each catalog has its own entries: filling German leaves English untouched.
    assert not english.get("Save settings").string


def test_update_drops_what_the_code_no_longer_marks() -> None:
    script = _fill_script()
    catalog = Catalog(locale="de", fuzzy=False)
    catalog.add("Save settings", "Einstellungen speichern")
    catalog.add("Old sentence", "Alter Satz")
    updated = script.update(catalog, _template())
    assert updated.get("Save settings").string == "Einstellungen speichern"
    assert updated.get("Old sentence") is None and not updated.obsolete
    assert not any(message.fuzzy for message in updated if message.id)
