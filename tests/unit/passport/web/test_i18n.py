"""Every sentence a translated page marks with _("…") has its German; none is left over."""

from __future__ import annotations

import re
from pathlib import Path

from passport.web.i18n import GERMAN

TEMPLATES = Path(__file__).parents[4] / "passport" / "web" / "templates"
#: The templates whose every marked sentence must be translated.
TRANSLATED = ("base.html", "verify_request.html", "verify.html", "_container_checks.html")
MARKED = re.compile(r"""_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")


def marked(name: str) -> set[str]:
    source = (TEMPLATES / name).read_text("utf-8")
    return {double or single for double, single in MARKED.findall(source)}


def test_every_marked_sentence_has_its_german() -> None:
    missing = {name: sorted(m for m in marked(name) if m not in GERMAN) for name in TRANSLATED}
    assert all(not found for found in missing.values()), missing


def test_marked_sentences_are_found() -> None:
    assert "Request a presentation from a candidate" in marked("verify_request.html")
    # The container checks both verify pages show are one include since issue #16.
    assert len(marked("verify_request.html") | marked("_container_checks.html")) >= 20


def test_placeholders_survive_translation() -> None:
    for english, german in GERMAN.items():
        assert re.findall(r"%\(\w+\)s", english) == re.findall(r"%\(\w+\)s", german), english
