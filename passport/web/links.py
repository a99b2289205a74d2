"""Which URLs from data may become links: ``http:`` and ``https:`` only (the ``safe_href`` filter).

Credentials someone uploads, catalogs an admin imports and evidence an assessor types all carry
URLs we put into ``href`` (finding 8 of issue 17: a ``javascript:`` URL from an uploaded
credential was a live link on /verify). Every template that links to a URL from data passes it
through ``|safe_href``, which gives the URL back only when it is an absolute ``http(s)`` URL with
a host, and ``""`` otherwise, so the template shows it as text. Control characters, spaces and
backslashes are refused first: browsers strip or reinterpret them (``java\\tscript:``,
``/\\\\evil``), so what we parsed would not be what the browser follows.
"""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = ["LINK_SCHEMES", "safe_href"]

LINK_SCHEMES = frozenset({"http", "https"})


def safe_href(value: object) -> str:
    """``value`` when it is an absolute http(s) URL with a host, else ``""``."""
    if not isinstance(value, str) or not value or len(value) > 4096:
        return ""
    if any(ord(ch) <= 0x20 or 0x7F <= ord(ch) <= 0x9F or ch == "\\" for ch in value):
        return ""
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        return ""
    if parts.scheme.lower() not in LINK_SCHEMES or not host:
        return ""
    return value
