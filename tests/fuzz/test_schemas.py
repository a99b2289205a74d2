"""Fuzzing :func:`verifier.schemas.load_credential`: a credential or a SchemaError, nothing else."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from verifier import SchemaError, load_credential

from .strategies import FUZZ, json_values, mutated, python_values, returns_or_raises


def loaded_or_schema_error(data: object) -> None:
    returns_or_raises(lambda: load_credential(data), SchemaError)


@FUZZ
@given(python_values)
def test_any_value_loads_or_raises_schema_error(data: object) -> None:
    loaded_or_schema_error(data)


@FUZZ
@given(st.data())
def test_a_mutated_credential_loads_or_raises_schema_error(
    credential: dict[str, Any], data: st.DataObject
) -> None:
    loaded_or_schema_error(data.draw(mutated(credential)))


@FUZZ
@given(st.data())
def test_a_credential_with_one_field_replaced_loads_or_raises_schema_error(
    credential: dict[str, Any], data: st.DataObject
) -> None:
    # One top-level or nested field at a time reaches deeper than several mutations at once.
    document = dict(credential)
    name = data.draw(st.sampled_from(sorted(document)))
    if isinstance(document[name], dict) and data.draw(st.booleans()):
        inner = dict(document[name])
        inner[data.draw(st.sampled_from(sorted(inner)))] = data.draw(json_values)
        document[name] = inner
    else:
        document[name] = data.draw(json_values)
    loaded_or_schema_error(document)
