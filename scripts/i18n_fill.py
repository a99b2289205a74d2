"""Bring the gettext catalogs up to date, fill in translations from JSON files, compile.

Usage (from the repository root, with the project's virtualenv)::

    .venv/bin/python scripts/i18n_fill.py                         # extract, update, compile
    .venv/bin/python scripts/i18n_fill.py de-verify.json de-*.json  # … and fill German from JSON
    make translations JSON="translations/de-*.json"                 # the same through make

Steps:

1. **extract** every marked sentence (``babel.cfg``: ``passport/**.py`` and the Jinja templates)
   into a template in memory — no ``.pot`` file is kept;
2. **update** ``passport/translations/{en,de}/LC_MESSAGES/messages.po`` from it: new sentences are
   added empty, sentences no longer in the code are dropped, nothing is guessed (no fuzzy
   matching: a fuzzy entry would fail the catalog tests anyway);
3. **fill** the German catalog from each JSON file given, in order (a later file wins):
   ``{"English": "Deutsch", "%(num)d badge|||%(num)d badges": ["%(num)d Abzeichen", …]}`` —
   a plural's key is ``singular|||plural`` and its value the list of German forms. A sentence
   that is no longer in the code is reported and skipped; placeholders must match;
4. **compile** the ``.mo`` files (``make catalogs`` does only this step).

It ends by listing the German sentences still untranslated (exit status 1 if any, 0 otherwise),
the same check ``tests/unit/passport/web/test_i18n.py`` makes.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "babel.cfg"
TRANSLATIONS = ROOT / "passport" / "translations"
LOCALES = ("en", "de")
PLURAL_SEPARATOR = "|||"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]")
WIDTH = 100


def extract(root: Path = ROOT, config: Path = CONFIG) -> Catalog:
    """Every marked sentence in the code and templates (as ``pybabel extract -F babel.cfg``)."""
    with config.open(encoding="utf-8") as source:
        method_map, options_map = parse_mapping_cfg(source, filename=str(config))
    template = Catalog(project="skill-passport", fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
        str(root), method_map, options_map, strip_comment_tags=True
    ):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def catalog_path(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"


def read_catalog(locale: str) -> Catalog:
    path = catalog_path(locale)
    if not path.exists():
        return Catalog(locale=locale, project="skill-passport", fuzzy=False)
    with path.open("rb") as source:
        return read_po(source, locale=locale)


def write_catalog(catalog: Catalog, locale: str) -> None:
    path = catalog_path(locale)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as target:
        # No locations and sorted entries: parallel branches touching the catalog merge cleanly.
        write_po(target, catalog, width=WIDTH, no_location=True, sort_output=True)


def update(catalog: Catalog, template: Catalog) -> Catalog:
    """``catalog`` with exactly the sentences of ``template``; existing translations kept."""
    # Catalog.update adopts the template's new Message objects: give each catalog its own.
    template = copy.deepcopy(template)
    catalog.update(
        template, no_fuzzy_matching=True, update_header_comment=False, update_creation_date=False
    )
    catalog.obsolete.clear()
    for message in catalog:
        if message.id:
            message.flags.discard("fuzzy")
    catalog.fuzzy = False
    return catalog


def _key(english: str) -> str | tuple[str, str]:
    if PLURAL_SEPARATOR in english:
        singular, plural = english.split(PLURAL_SEPARATOR, 1)
        return (singular, plural)
    return english


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def fill(catalog: Catalog, files: Iterable[Path]) -> list[str]:
    """Set German translations from JSON files; returns the problems found (and skipped)."""
    problems: list[str] = []
    for path in files:
        entries = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(entries, dict):
            problems.append(f"{path}: not a JSON object")
            continue
        for english, german in entries.items():
            key = _key(english)
            message: Message | None = catalog.get(key[0] if isinstance(key, tuple) else key)
            if message is None:
                problems.append(f"{path.name}: not in the code (skipped): {english!r}")
                continue
            if isinstance(key, tuple):
                forms = [german] * 2 if isinstance(german, str) else list(german)
                if not isinstance(message.id, tuple) or len(forms) != catalog.num_plurals:
                    problems.append(f"{path.name}: plural mismatch (skipped): {english!r}")
                    continue
                expected = [_placeholders(key[0]), _placeholders(key[1])]
                if any(_placeholders(form) not in expected for form in forms):
                    problems.append(f"{path.name}: placeholders differ (skipped): {english!r}")
                    continue
                message.string = tuple(forms)
            else:
                if not isinstance(german, str) or isinstance(message.id, tuple):
                    problems.append(f"{path.name}: singular/plural mismatch (skipped): {english!r}")
                    continue
                if _placeholders(german) != _placeholders(english):
                    problems.append(f"{path.name}: placeholders differ (skipped): {english!r}")
                    continue
                message.string = german
            message.flags.discard("fuzzy")
    return problems


def untranslated(catalog: Catalog) -> list[str]:
    """The sentences of ``catalog`` with an empty translation (any plural form)."""
    missing = []
    for message in catalog:
        if not message.id:
            continue
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(forms):
            missing.append(message.id[0] if isinstance(message.id, tuple) else message.id)
    return missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("json", nargs="*", type=Path, help="German translations to fill in")
    parser.add_argument("--no-compile", action="store_true", help="leave the .mo files alone")
    args = parser.parse_args(argv)

    template = extract()
    print(f"extracted {len(template)} sentences")
    catalogs = {locale: update(read_catalog(locale), template) for locale in LOCALES}
    problems = fill(catalogs["de"], args.json)
    for locale, catalog in catalogs.items():
        write_catalog(catalog, locale)
    for problem in problems:
        print(f"warning: {problem}", file=sys.stderr)
    if not args.no_compile:
        sys.path.insert(0, str(ROOT))
        from passport.web.i18n import compile_catalogs

        for written in compile_catalogs(TRANSLATIONS, force=True):
            print(f"compiled {written.relative_to(ROOT)}")
    missing = untranslated(catalogs["de"])
    for english in missing:
        print(f"untranslated (de): {english!r}", file=sys.stderr)
    print(f"German: {len(template) - len(missing)} of {len(template)} sentences translated")
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
