"""Text files people upload (CSV exports from spreadsheets and HR systems): bytes to text,
with one clear error for what is not a UTF-8 text file of a sane size.

Shared by the bulk assessment CSV (:mod:`passport.assessments.bulk`) and the people events
import (:mod:`passport.outcomes.people`), so both refuse the same files in the same words.
"""

from __future__ import annotations

from passport.errors import InvalidRequest

__all__ = ["decode_text_file"]


def decode_text_file(data: bytes, *, max_bytes: int) -> str:
    """``data`` as text (UTF-8, a byte-order mark dropped). Raises
    :class:`~passport.errors.InvalidRequest` ``too_large`` over ``max_bytes``, and
    ``bad_encoding`` naming the row for bytes that are not UTF-8 or a NUL character (no
    spreadsheet writes NUL into text, and PostgreSQL refuses it in a query parameter)."""
    if len(data) > max_bytes:
        raise InvalidRequest(
            f"The file is larger than {max_bytes // (1024 * 1024)} MiB; split it.", code="too_large"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InvalidRequest(
            f"Row {line} is not UTF-8 text (the file mixes encodings); save it as UTF-8.",
            code="bad_encoding",
        ) from exc
    nul = text.find("\0")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        raise InvalidRequest(
            f"Row {line} contains a NUL character, so this is not a text file; save it as UTF-8.",
            code="bad_encoding",
        )
    return text
