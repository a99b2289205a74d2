"""Authenticity and conformance, separated (issue #15).

``verified`` answers "is this authentic and current?": readable, signed by a key its issuer
controls, inside its validity window, not revoked. Whether the issuer followed every rule of the
Open Badges 3.0 data model is a second question, answered by the ``conformance`` check, which never
decides ``verified``. A hiring manager shown "Not verified" reads "forged"; a badge whose issuer
gave its logo as a URL string instead of an Image object is not forged.

:func:`review_credential` loads a credential into the typed model (:mod:`verifier.schemas`) and,
where the model refuses a value whose meaning is nevertheless plain, reads it as what it plainly
means and records a :class:`~verifier.report.Deviation` with the value's JSON path:

* ``image_not_object`` — an ``image`` given as a URL string: the image at that URL.
* ``achievement_type_not_ext`` — an ``achievementType`` that is neither an OB 3.0 term nor
  ``ext:``-prefixed (``Program``, ``Module``): the extension term ``ext:<value>``.
* ``missing_type`` — a nested object whose ``type`` lacks its class (``Profile``,
  ``Achievement`` …): an object of that class (where it sits already says which).

After loading it records what the model accepts but OB 3.0 does not:

* ``no_subject_identifier`` — a subject with neither ``id`` nor ``identifier``: authentic, but
  it names no recipient, so it proves what was awarded, not to whom (the ``recipient`` check
  cannot match it, fit reports do not count it).
* ``several_status_entries`` — more than one ``credentialStatus`` entry (VC 2.0 allows it; OB
  3.0 says [0..1]).
* ``official_schema`` — each further error of the official 1EdTech JSON Schema
  (:mod:`verifier.official_schema`), with its path.

Everything else the model refuses stays a failure of ``schema``: a deviation that makes the claim
ambiguous or unsafe (no achievement name, a date without a time zone, an unknown context, a
wrong JSON type …). ``docs/decisions.md`` ("Authentic, with notes") gives the reason for each.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from verifier.errors import SchemaViolation
from verifier.model import AnyCredential, ClrCredential, EndorsementCredential
from verifier.official_schema import check_official_schema
from verifier.report import Deviation
from verifier.schema_fields import ACHIEVEMENT_TYPES, MSG_NOT_OBJECT, SCHEME_PATTERN, VC2_CONTEXT
from verifier.schemas import load_credential

__all__ = ["ReviewedCredential", "review_credential"]

#: Each round repairs every benign value the model named; nesting can hide one behind another
#: (an achievement inside an endorsement inside …), so allow a few rounds, never unbounded.
_MAX_ROUNDS: Final = 8
#: A document with more deviations than this is reported with the first ones only.
_MAX_DEVIATIONS: Final = 50

#: The message the model gives for an unknown achievementType (EnumField's own wording).
_ACHIEVEMENT_TYPE_MESSAGE: Final = (
    "is not a known achievement type; use a listed value or an ext: extension term."
)
#: A value that can stand as an extension term once prefixed (EXT_TERM without "ext:").
_EXT_BODY: Final = re.compile(r"[A-Za-z0-9._-]{1,64}\Z")
#: Classes whose missing ``type`` entry is read from where the object sits. The credential's own
#: types (VerifiableCredential, OpenBadgeCredential …) are never supplied: they say what it is.
_NESTED_CLASSES: Final = frozenset(
    {
        "Profile",
        "Achievement",
        "AchievementSubject",
        "Alignment",
        "Evidence",
        "Result",
        "ResultDescription",
        "RubricCriterionLevel",
        "EndorsementSubject",
        "ClrSubject",
    }
)
_MUST_INCLUDE: Final = re.compile(r'must include "([A-Za-z]+)"\.\Z')

Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class ReviewedCredential:
    """A credential as the model reads it, and the deviations that reading passed over."""

    credential: AnyCredential
    deviations: tuple[Deviation, ...]


def review_credential(document: Mapping[str, Any]) -> ReviewedCredential:
    """Load ``document`` into the model, reading benign deviations as notes.

    Raises :class:`~verifier.errors.SchemaViolation` for what stays a failure of ``schema``;
    its message then names a real problem, never one that was read as a note.
    """
    candidate: Mapping[str, Any] = document
    found: dict[str, Deviation] = {}
    credential: AnyCredential | None = None
    for _ in range(_MAX_ROUNDS):
        try:
            credential = load_credential(candidate)
            break
        except SchemaViolation as exc:
            repaired = False
            for path, message in _leaves(exc.details):
                repair = _repair(candidate, path, message)
                if repair is None:
                    continue
                deviation, value = repair
                if deviation.path in found:
                    continue  # already repaired: a loop would never end
                candidate = _replaced(candidate, path, value)
                found[deviation.path] = deviation
                repaired = True
            if not repaired:
                raise
    if credential is None:
        # Still refused after the last round: the model's own error, for what remains.
        credential = load_credential(candidate)
    deviations = list(found.values())
    # The official schema judges the document as read, so a repaired value is reported once.
    deviations.extend(_after_loading(credential, candidate))
    return ReviewedCredential(credential, tuple(deviations[:_MAX_DEVIATIONS]))


# -- repairs before loading -----------------------------------------------------------------


def _leaves(details: Mapping[Any, Any]) -> Iterator[tuple[Path, str]]:
    """(path, message) for every message in marshmallow's nested error dict; ``_schema`` keys
    stand for the object itself."""
    stack: list[tuple[Path, Any]] = [((), details)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, Mapping):
            for key, value in reversed(list(node.items())):
                stack.append((path if key == "_schema" else (*path, key), value))
        elif isinstance(node, list | tuple):
            for item in reversed(node):
                stack.append((path, item))
        elif isinstance(node, str):
            yield path, node


def _value_at(document: Any, path: Path) -> Any:
    node = document
    for step in path:
        if isinstance(step, int):
            present = isinstance(node, list | tuple) and 0 <= step < len(node)
        else:
            present = isinstance(node, Mapping) and step in node
        if not present:
            return _ABSENT
        node = node[step]
    return node


_ABSENT: Final = object()


def _repair(document: Mapping[str, Any], path: Path, message: str) -> tuple[Deviation, Any] | None:
    """The deviation and the value to read in its place, when ``message`` at ``path`` is one
    of the benign deviations; None otherwise."""
    if not path:
        return None
    value = _value_at(document, path)
    if value is _ABSENT:
        return None
    where = json_path(path)
    last = path[-1]
    if last == "image" and message == MSG_NOT_OBJECT and _is_uri(value):
        return (
            Deviation(
                where,
                "image_not_object",
                "The image is given as a URL string; Open Badges 3.0 wants an Image object "
                '({"id": …, "type": "Image"}). Read as the image at that URL.',
            ),
            {"id": value, "type": "Image"},
        )
    if last == "achievementType" and message == _ACHIEVEMENT_TYPE_MESSAGE:
        if type(value) is str and _EXT_BODY.match(value) and value not in ACHIEVEMENT_TYPES:
            return (
                Deviation(
                    where,
                    "achievement_type_not_ext",
                    f'The achievement type "{value}" is not an Open Badges 3.0 term and lacks '
                    f'the "ext:" prefix of an extension. Read as "ext:{value}".',
                ),
                f"ext:{value}",
            )
        return None
    match = _MUST_INCLUDE.match(message)
    if last == "type" and len(path) >= 2 and match and match.group(1) in _NESTED_CLASSES:
        name = match.group(1)
        if type(value) is str:
            return _missing_type(where, name), [value, name]
        if type(value) in (list, tuple) and all(type(item) is str for item in value):
            return _missing_type(where, name), [*value, name]
    return None


def _missing_type(where: str, name: str) -> Deviation:
    return Deviation(
        where,
        "missing_type",
        f'The type does not include "{name}", which Open Badges 3.0 requires here. Read as a '
        f"{name}, which is what this property holds.",
    )


def _is_uri(value: Any) -> bool:
    return (
        type(value) is str
        and SCHEME_PATTERN(value) is not None
        and value.isprintable()
        and " " not in value
    )


def _replaced(node: Any, path: Path, value: Any) -> Any:
    """A copy of ``node`` with ``value`` at ``path``; only the containers on the path are copied,
    so the caller's document (the one whose signature held) is left as it is."""
    step, *rest = path
    if isinstance(node, Mapping):
        copied: Any = dict(node)
    else:
        copied = list(node)
    copied[step] = _replaced(node[step], tuple(rest), value) if rest else value
    return copied


# -- notes after loading ----------------------------------------------------------------------


def _after_loading(credential: AnyCredential, document: Mapping[str, Any]) -> Iterator[Deviation]:
    subject = credential.credential_subject
    named = getattr(subject, "id", None) is not None or bool(getattr(subject, "identifier", ()))
    if not named and not isinstance(credential, EndorsementCredential):
        yield Deviation(
            "$.credentialSubject",
            "no_subject_identifier",
            "The subject has neither an id nor an identifier, so the credential names no "
            "recipient: it shows what was awarded, not to whom.",
        )
    status = document.get("credentialStatus")
    if isinstance(status, list | tuple) and len(status) > 1:
        yield Deviation(
            "$.credentialStatus",
            "several_status_entries",
            f"The credential has {len(status)} status entries; Open Badges 3.0 allows one. "
            "Each was checked.",
        )
    if isinstance(credential, ClrCredential) or credential.vc_version != "2.0":
        return  # the official schemas describe VC 2.0 Open Badges only
    if _first_context(document) != VC2_CONTEXT:
        return
    try:
        check_official_schema(document, endorsement=isinstance(credential, EndorsementCredential))
    except SchemaViolation as exc:
        for where, messages in exc.details.items():
            if not isinstance(where, str):
                continue
            text = messages[0] if isinstance(messages, list) and messages else "does not match"
            yield Deviation(
                where,
                "official_schema",
                f"The official Open Badges 3.0 JSON Schema says: {where} {text}.",
            )
        if not exc.details:
            yield Deviation("$", "official_schema", exc.message)


def _first_context(document: Mapping[str, Any]) -> object:
    context = document.get("@context")
    return context[0] if isinstance(context, list | tuple) and context else context


_PLAIN_KEY: Final = re.compile(r"@?[A-Za-z_][A-Za-z0-9_]{0,63}\Z")


def json_path(path: Path) -> str:
    """``$.issuer.image``, ``$.endorsement[0].name``; odd property names quoted."""
    out = "$"
    for step in path:
        if isinstance(step, int):
            out += f"[{step}]"
        elif _PLAIN_KEY.match(step):
            out += f".{step}"
        else:
            text = step if len(step) <= 40 else step[:40] + "..."
            out += f"[{json.dumps(text)}]"
    return out
