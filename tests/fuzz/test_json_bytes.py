"""``issuer.json_bytes`` (what we store and hand out) against the standard library's JSON."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from issuer import json_bytes
from tests.fuzz.strategies import FUZZ, json_values


def _stdlib(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


@FUZZ
@given(st.dictionaries(st.text(max_size=8), json_values, max_size=6))
def test_json_bytes_reads_back_as_the_stdlib_text_does(document: dict[str, Any]) -> None:
    try:
        expected = _stdlib(document)
    except UnicodeEncodeError:  # a lone surrogate has no UTF-8 form: refused either way
        try:
            json_bytes(document)
        except UnicodeEncodeError:
            return
        raise AssertionError("json_bytes encoded a lone surrogate") from None
    ours = json_bytes(document)
    assert json.loads(ours) == json.loads(expected) == document
    if not _has_numbers(document):
        # Text and structure only (a number's spelling may differ, e.g. 1e+16): the same bytes.
        assert ours == expected


def _has_numbers(value: Any) -> bool:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return False
    if isinstance(value, (int, float)):
        return True
    items = value.values() if isinstance(value, dict) else value
    return any(_has_numbers(item) for item in items)
