"""Shared hypothesis settings and strategies for the fuzz suite.

Every property runs with a bounded number of examples, no per-example deadline and a fixed seed
(``derandomize``), so CI sees the same inputs on every run and the suite stays within its time
budget; no example database is written.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

T = TypeVar("T")

#: Cheap properties (pure parsing).
FUZZ = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)
#: Properties that verify, sign or touch the database per example.
FUZZ_SLOW = settings(FUZZ, max_examples=120)

#: Strings that have broken date, URL, e-mail and type handling elsewhere.
TRICKY_STRINGS = (
    "",
    " ",
    "\x00",
    "\ud800",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
    "9999-12-31T23:59:59Z",
    "2026-02-30T00:00:00Z",
    "2026-06-01T12:00:00",
    "2026-06-01",
    "99999-01-01T00:00:00Z",
    "did:web:issuer.example",
    "did:key:z",
    "did:key:z6Mk",
    "urn:uuid:",
    "https://",
    "https://[::1",
    "http://127.0.0.1:5000/p/",
    "mailto:",
    "sha256$",
    "VerifiableCredential",
    "OpenBadgeCredential",
    "AchievementCredential",
    "EndorsementCredential",
    "ClrCredential",
    "VerifiablePresentation",
    "EnvelopedVerifiableCredential",
    "https://www.w3.org/ns/credentials/v2",
    "https://www.w3.org/2018/credentials/v1",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    "DataIntegrityProof",
    "eddsa-rdfc-2022",
    "BitstringStatusListEntry",
    "²",
    "٣",
    "ｚ",
    "\u202e",
)

_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from(TRICKY_STRINGS)
)
_keys = st.text(max_size=8) | st.sampled_from(
    ["id", "type", "@context", "issuer", "proof", "credentialSubject", "name", "validFrom"]
)

#: Any value JSON can carry (no NaN: JSON has none).
json_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=4),
    max_leaves=24,
)
#: Python values a caller might pass where parsed JSON is expected (NaN and infinities too).
python_values = st.recursive(
    _scalars | st.floats(),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(_keys, inner, max_size=4)
    ),
    max_leaves=24,
)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def b64json(value: Any) -> str:
    return b64(json.dumps(value, separators=(",", ":")).encode())


def _containers(doc: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths to every dict and list inside ``doc`` (``doc`` itself first)."""
    found: list[tuple[Any, ...]] = [path]
    items = doc.items() if isinstance(doc, dict) else enumerate(doc)
    for key, child in items:
        if isinstance(child, (dict, list)):
            found.extend(_containers(child, (*path, key)))
    return found


@st.composite
def mutated(draw: st.DrawFn, doc: Any, values: st.SearchStrategy[Any] = json_values) -> Any:
    """A deep copy of ``doc`` with one to three members replaced, added or removed."""
    doc = json.loads(json.dumps(doc))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_containers(doc)))
        node = doc
        for key in path:
            node = node[key]
        action = draw(st.sampled_from(["set", "delete", "add"]))
        if isinstance(node, dict):
            keys = sorted(node)
            if action == "add" or not keys:
                node[draw(_keys)] = draw(values)
            elif action == "delete":
                del node[draw(st.sampled_from(keys))]
            else:
                node[draw(st.sampled_from(keys))] = draw(values)
        elif isinstance(node, list):
            if action == "add" or not node:
                node.insert(draw(st.integers(0, len(node))), draw(values))
            elif action == "delete":
                del node[draw(st.integers(0, len(node) - 1))]
            else:
                node[draw(st.integers(0, len(node) - 1))] = draw(values)
    return doc


@st.composite
def reshaped(draw: st.DrawFn, doc: Any) -> Any:
    """A deep copy of ``doc`` with one to three members swapped between a single value and a
    list: a value ``v`` becomes ``[v]``, a one-item list ``[v]`` becomes ``v``, a longer list its
    first item."""
    doc = json.loads(json.dumps(doc))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_containers(doc)))
        node = doc
        for key in path:
            node = node[key]
        keys = sorted(node) if isinstance(node, dict) else list(range(len(node)))
        if not keys:
            continue
        key = draw(st.sampled_from(keys))
        value = node[key]
        node[key] = value[0] if isinstance(value, list) and value else [value]
    return doc


@st.composite
def mutated_text(draw: st.DrawFn, text: str, alphabet: st.SearchStrategy[str]) -> str:
    """``text`` with one to four characters flipped, inserted or deleted."""
    chars = list(text)
    for _ in range(draw(st.integers(1, 4))):
        action = draw(st.sampled_from(["flip", "insert", "delete"]))
        if action == "insert" or not chars:
            chars.insert(draw(st.integers(0, len(chars))), draw(alphabet))
        elif action == "delete":
            del chars[draw(st.integers(0, len(chars) - 1))]
        else:
            chars[draw(st.integers(0, len(chars) - 1))] = draw(alphabet)
    return "".join(chars)


def returns_or_raises(
    call: Callable[[], T], errors: type[Exception] | tuple[type[Exception], ...]
) -> T | Exception:
    """What ``call`` returns, or the error of the allowed kinds it raised (anything else escapes).

    A raised error must carry a stable ``code`` (what API clients and the report branch on).
    """
    try:
        return call()
    except errors as exc:
        if not getattr(exc, "code", None):
            raise AssertionError(f"{type(exc).__name__} without a code") from exc
        return exc
