"""The official Open Badges 3.0 JSON Schemas, as a second opinion after our typed data model.

1EdTech publishes a JSON Schema (draft 2019-09) for ``AchievementCredential`` and
``EndorsementCredential`` (checklist §0, OB-GH ``docs/schema/*.json``; copies with hashes in
``verifier/official_schemas/``). Conformance tools run it, so a credential we call good should
pass it too. Two adjustments, both from the spec:

* JSON-LD compaction turns one-element arrays into single values, and OB 3.0 §A ("Compacted
  document form") says a verifier should accept both; the schema only accepts arrays. So before
  judging, a single value where the schema wants an array is wrapped — one error-driven repair
  at a time, only where the schema itself asked for an array, so nothing else is relaxed.
* VCDM 2.0 §4.10 lets ``credentialStatus`` hold several entries (a badge issued with opt-in
  suspension has a revocation and a suspension entry); the schema allows one object, so each
  entry is judged by the schema's own ``CredentialStatus`` definition, and
  :mod:`verifier.conformance` notes the extra entries (``several_status_entries``).
* The schemas describe VC 2.0 credentials. VC 1.1 OB 3.0 credentials (first ``@context``
  ``https://www.w3.org/2018/credentials/v1``) are left to the data model (1EdTech's VC 1.1
  schema variant is not bundled).

Speed (measured on a bench credential, one core): the ``jsonschema`` library takes ~0.7–1.4 ms
per credential, which cut full VC-JWT verify/s about six-fold; ``jsonschema-rs`` takes ~6 µs.
So the validators are compiled once per process (:func:`_validators`), ``jsonschema-rs`` says
yes to a valid credential and makes the repairs (a credential signed by the JavaScript reference
libraries carries ``"proof": {…}``: about 40 % of its verification time when ``jsonschema``
made them), and only a credential still refused goes to ``jsonschema`` for the repair and the
readable paths (:class:`_Compiled`).
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from importlib import resources
from typing import Any, Final

import jsonschema_rs
from jsonschema import Draft201909Validator
from jsonschema.exceptions import ValidationError, best_match

from verifier.errors import SchemaViolation

__all__ = ["SCHEMA_FILES", "check_official_schema"]

#: File → SHA-256, as recorded in ``verifier/official_schemas/PROVENANCE.md``.
SCHEMA_FILES: Final[Mapping[str, str]] = {
    "ob_v3p0_achievementcredential.json": (
        "5753fb3ecf7d024ed273dd364bd683f483eb47257e718e6618832cf89eb2083a"
    ),
    "ob_v3p0_endorsementcredential.json": (
        "4627e1878848d0192c3f9e26f09ef88a96ad48a46f5fca11b80b679ece0de345"
    ),
}
_VC11_CONTEXT: Final = "https://www.w3.org/2018/credentials/v1"
#: Each repair wraps one value; a real credential needs a handful (proof, type, context …).
_MAX_REPAIRS: Final = 32


@dataclass(frozen=True, slots=True)
class _Compiled:
    """One official schema, compiled by both libraries.

    ``fast`` (jsonschema-rs, Rust) answers yes/no in microseconds and decides every credential
    that passes as it stands; ``reference`` (jsonschema, pure Python, ~100x slower here)
    re-judges only what ``fast`` refused — wrapping single values, then naming the JSON paths.
    So the verdict is the reference library's whenever it differs from a plain pass.
    """

    fast: jsonschema_rs.Draft201909Validator
    reference: Draft201909Validator
    #: One ``credentialStatus`` entry (``$defs/CredentialStatus``), for status lists.
    status_entry: jsonschema_rs.Draft201909Validator


@functools.cache
def _validators() -> tuple[_Compiled, _Compiled]:
    """(achievement credential, endorsement credential) validators, compiled once."""
    loaded = []
    for name, digest in SCHEMA_FILES.items():
        raw = resources.files("verifier").joinpath("official_schemas", name).read_bytes()
        if hashlib.sha256(raw).hexdigest() != digest:  # pragma: no cover - packaging error
            raise RuntimeError(f"bundled schema {name} does not match its recorded hash")
        # (Each file is also a valid draft 2019-09 schema: a test checks the bytes this hash
        # pins, once, instead of every process paying ~0.2 s to check them again at start.)
        schema = json.loads(raw)
        entry = {
            "$schema": schema["$schema"],
            "$ref": "#/$defs/CredentialStatus",
            "$defs": schema["$defs"],
        }
        loaded.append(
            _Compiled(
                jsonschema_rs.Draft201909Validator(schema),
                Draft201909Validator(schema),
                jsonschema_rs.Draft201909Validator(entry),
            )
        )
    return loaded[0], loaded[1]


def _is_vc11(document: Mapping[str, Any]) -> bool:
    context = document.get("@context")
    first = context[0] if isinstance(context, list) and context else context
    return first == _VC11_CONTEXT


def _fast_errors(errors: Iterable[jsonschema_rs.ValidationError]) -> Iterator[Any]:
    """jsonschema-rs errors and, for ``anyOf``/``oneOf`` failures, those of each alternative."""
    for error in errors:
        yield error
        for alternative in getattr(error.kind, "context", None) or ():
            yield from _fast_errors(alternative)


def _fast_wants_array(error: jsonschema_rs.ValidationError) -> bool:
    kind = error.kind
    return (
        isinstance(kind, jsonschema_rs.ValidationErrorKind.Type)
        and "array" in kind.types
        and not isinstance(error.instance, list)
        and bool(error.instance_path)
    )


def _repaired_passes(
    validator: jsonschema_rs.Draft201909Validator, document: Mapping[str, Any]
) -> bool:
    """Whether ``document`` passes once jsonschema-rs's "not an array" values are wrapped.

    The same repair as the reference loop below, guided by the fast validator's errors; False
    leaves the verdict (and the readable paths) to the reference library.
    """
    candidate: Any = document
    for _ in range(_MAX_REPAIRS):
        errors = validator.iter_errors(candidate)
        fixable = next((e for e in _fast_errors(errors) if _fast_wants_array(e)), None)
        if fixable is None:
            return False
        candidate = _wrapped(candidate, list(fixable.instance_path))
        if validator.is_valid(candidate):
            return True
    return False


def _wrapped(node: Any, path: list[str | int]) -> Any:
    """A copy of ``node`` with the value at ``path`` in a one-element array; only the objects
    and arrays on the path are copied (the caller's document is left as it is)."""
    step, *rest = path
    copied = dict(node) if isinstance(node, Mapping) else list(node)
    copied[step] = _wrapped(node[step], rest) if rest else [node[step]]  # type: ignore[index]
    return copied


def _wants_array(error: ValidationError) -> bool:
    expected = error.validator_value
    wanted = expected if isinstance(expected, list) else [expected]
    return (
        error.validator == "type"
        and "array" in wanted
        and not isinstance(error.instance, list)
        and bool(error.absolute_path)
    )


def _with_context(errors: list[ValidationError]) -> list[ValidationError]:
    """The errors and, for ``anyOf``/``oneOf`` failures, the errors of each alternative."""
    out: list[ValidationError] = []
    stack = list(reversed(errors))
    while stack:
        error = stack.pop()
        out.append(error)
        stack.extend(reversed(error.context or []))
    return out


def _wrap(document: MutableMapping[str, Any], error: ValidationError) -> None:
    """Replace the value at the error's path with a one-element array holding it."""
    *parents, last = list(error.absolute_path)
    node: Any = document
    for step in parents:
        node = node[step]
    node[last] = [node[last]]


def _json_path(error: ValidationError) -> str:
    path = "$"
    for step in error.absolute_path:
        path += f"[{step}]" if isinstance(step, int) else f".{step}"
    return path


def _plain(error: ValidationError) -> str:
    """A short, readable reason: the schema's own words, trimmed of long repr dumps."""
    if error.validator == "required":
        return str(error.message).split(" is a required", 1)[0] + " is required"
    if error.validator == "type":
        return f"must be of type {error.validator_value}"
    if error.validator == "enum":
        return "is not one of the allowed values"
    if error.validator == "contains":
        return "does not contain a required value"
    if error.validator == "minItems":
        return "has too few items"
    if error.validator == "additionalProperties":
        return "has properties the schema does not allow"
    message = str(error.message)
    return message if len(message) <= 120 else message[:117] + "…"


def _as_plain_json(value: Any) -> Any:
    """``value`` as plain JSON types: every Mapping a dict, every list or tuple a list."""
    if isinstance(value, Mapping):
        return {key: _as_plain_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_as_plain_json(item) for item in value]
    return value


def check_official_schema(document: Mapping[str, Any], *, endorsement: bool = False) -> None:
    """Validate against the official OB 3.0 JSON Schema; return None when it passes.

    Raises :class:`~verifier.errors.SchemaViolation` (code ``official_schema``) naming the
    JSON path of the first problem, with every problem's path in ``details``.
    """
    if _is_vc11(document):
        return
    if type(document) is not dict:
        # A read-only view (an embedded endorsement as the model keeps it) or another Mapping:
        # jsonschema-rs reads plain JSON types only.
        document = _as_plain_json(document)
    compiled = _validators()[1 if endorsement else 0]
    status = document.get("credentialStatus")
    if isinstance(status, list) and status:
        # VCDM 2.0 §4.10 allows several status entries (a suspendable badge has two);
        # the generated OB schema allows one object. Judge each entry by the schema's own
        # CredentialStatus, then the document with its first entry in the list's place.
        for index, item in enumerate(status):
            if not compiled.status_entry.is_valid(item):
                raise SchemaViolation(
                    "The credential does not match the official Open Badges 3.0 JSON Schema: "
                    f"$.credentialStatus[{index}] is not a valid status entry.",
                    code="official_schema",
                )
        document = {**document, "credentialStatus": status[0]}
    if compiled.fast.is_valid(document) or _repaired_passes(compiled.fast, document):
        return
    validator = compiled.reference
    candidate: MutableMapping[str, Any] = copy.deepcopy(dict(document))
    for _ in range(_MAX_REPAIRS):
        errors = list(validator.iter_errors(candidate))
        if not errors:
            return
        fixable = [e for e in _with_context(errors) if _wants_array(e)]
        if not fixable:
            break
        _wrap(candidate, fixable[0])
    errors = list(validator.iter_errors(candidate))
    first = best_match(errors)  # descends into anyOf/oneOf to the most relevant alternative
    path = _json_path(first)
    raise SchemaViolation(
        f"The credential does not match the official Open Badges 3.0 JSON Schema: {path} "
        f"{_plain(first)}.",
        code="official_schema",
        details={_json_path(e): [_plain(e)] for e in errors},
        hint="Checked against 1EdTech's published "
        + ("EndorsementCredential" if endorsement else "AchievementCredential")
        + " JSON Schema after wrapping single values in arrays.",
    )
