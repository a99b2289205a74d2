"""URL converters with bounds, registered on the app in place of Werkzeug's own.

A database id is a signed 32-bit integer on PostgreSQL (``Integer`` columns) and a 64-bit one on
SQLite; a number in a path beyond that is not an id of anything, and handing it to the database
made SQLite raise ``OverflowError`` and PostgreSQL ``NumericValueOutOfRange`` (finding 14 of
issue 17: a 500). ``<int:…>`` now matches 1 to :data:`MAX_ID` only, so anything else is simply a
URL that names nothing: 404, whichever route it is.
"""

from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter, Map, ValidationError

__all__ = ["MAX_ID", "BoundedIntegerConverter"]

#: The largest id a row of ours can have on every database we run on (PostgreSQL ``integer``).
MAX_ID = 2**31 - 1


class BoundedIntegerConverter(IntegerConverter):
    """``<int:…>``: a positive whole number up to :data:`MAX_ID` (or the route's own bounds).

    ASCII digits only: Werkzeug's ``\\d+`` also matches other scripts' digits, and ``int()``
    reads ``/admin/users/٣`` as user 3.
    """

    regex = r"[0-9]+"

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = 1,
        max: int | None = MAX_ID,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits, min, max, signed)

    def to_python(self, value: str) -> Any:
        # Werkzeug's pattern allows any number of digits; refuse absurd lengths before int().
        if len(value) > len(str(MAX_ID)) + 1:
            raise ValidationError()
        return super().to_python(value)
