"""Checking what an administrator typed into a catalog form: every problem at once, per field.

A form use case collects :class:`FieldError`s and raises one :class:`CatalogFormError` naming
them all, so the page can show a summary at the top and each message next to its field with the
input kept. Messages are English sentences with ``%(name)s`` placeholders, filled only when
shown, so the web layer can translate the sentence first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from passport.errors import InvalidRequest

__all__ = [
    "ID_PATTERN",
    "CatalogFormError",
    "FieldError",
    "Problems",
]

#: Ids of skills, criteria and job families: lowercase slugs, as in URLs and achievement ids.
ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem: the form field it belongs to, a sentence with placeholders, their values."""

    field: str
    message: str
    values: dict[str, Any] = field(default_factory=dict)
    code: str = "invalid_field"

    def text(self) -> str:
        """The English sentence, placeholders filled."""
        return self.message % self.values if self.values else self.message


class CatalogFormError(InvalidRequest):
    """A catalog form with one or more problems; ``errors`` names each."""

    code = "invalid_form"

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__(
            " ".join(e.text() for e in errors) or "The form has a problem.",
            code=errors[0].code if len(errors) == 1 else "invalid_form",
        )

    def by_field(self) -> dict[str, FieldError]:
        """The first problem of each field."""
        found: dict[str, FieldError] = {}
        for error in self.errors:
            found.setdefault(error.field, error)
        return found


class Problems:
    """Collects :class:`FieldError`s; :meth:`raise_any` raises them together."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(
        self, field_name: str, message: str, code: str = "invalid_field", **values: Any
    ) -> None:
        self.errors.append(FieldError(field_name, message, values, code))

    def text(
        self, field_name: str, value: str, label: str, *, max_length: int, required: bool = False
    ) -> str:
        """``value`` stripped; a problem when it is required and empty, or too long."""
        value = value.strip()
        if required and not value:
            self.add(field_name, "%(label)s is required.", "missing_field", label=label)
        elif len(value) > max_length:
            self.add(
                field_name,
                "%(label)s is longer than %(max)d characters.",
                "field_too_long",
                label=label,
                max=max_length,
            )
        return value

    def slug(self, field_name: str, value: str, label: str) -> str:
        value = value.strip()
        if not value:
            self.add(field_name, "%(label)s is required.", "missing_field", label=label)
        elif not ID_PATTERN.fullmatch(value):
            self.add(
                field_name,
                "%(label)s may use only lowercase letters a–z, digits and hyphens, starting with "
                "a letter or digit (at most 63 characters).",
                "bad_id",
                label=label,
            )
        return value

    def days(self, field_name: str, value: str, *, maximum: int) -> int | None:
        """How many days badges stay valid: a whole number from 1 to ``maximum``, or None when
        left empty (no expiry)."""
        value = value.strip()
        if not value:
            return None
        try:
            days = int(value)
        except ValueError:
            days = 0
        if not 1 <= days <= maximum:
            self.add(
                field_name,
                "Badges valid for must be a whole number of days from 1 to %(max)d, or empty "
                "for no expiry.",
                "bad_number",
                max=maximum,
            )
        return days

    def raise_any(self) -> None:
        if self.errors:
            raise CatalogFormError(list(self.errors))
