"""Log output for operators: plain text or one JSON object per line, never secrets.

``PASSPORT_LOG_FORMAT=json`` (read by :class:`~passport.settings.Settings`) selects
:class:`JsonFormatter`; either way every handler carries a :class:`RedactionFilter`, which
rewrites a record before any formatter sees it. Redacted: bearer tokens and ``Authorization`` /
``Cookie`` values, our API tokens (``sp_…``), share-link tokens in ``/p/<token>`` paths and
password-reset tokens in ``/login/reset/<token>`` paths, compact
JWS/JWTs (a VC-JWT is a full credential), JSON credentials (anything carrying
``credentialSubject`` or a proof), PEM private keys, ``password=``/``secret=``/``token=`` style
pairs and query strings, passwords in database URLs, and the exact values of the configured
secrets (secret key, key-store passphrase) as whole tokens, when they are long enough that
replacing them reveals nothing (:data:`MIN_REDACTED_SECRET`). gunicorn's access log gets the
same treatment; its format (``gunicorn.conf.py``) already leaves out query strings and referrers.
"""

from __future__ import annotations

import json
import logging
import logging.config
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "LOG_FORMATS",
    "MIN_REDACTED_SECRET",
    "JsonFormatter",
    "RedactionFilter",
    "configure_logging",
    "logging_dict",
    "redact",
]

LOG_FORMATS = ("text", "json")
REDACTED = "[redacted]"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Order matters: whole credentials and keys first, then tokens, then key=value pairs.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)", re.S
        ),
        "[redacted private key]",
    ),
    # A compact JWS: base64url header starting with '{"' (eyJ), payload, signature.
    (re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), "[redacted jwt]"),
    (re.compile(r"(?i)\b(bearer)\s+[^\s,;\"']+"), rf"\1 {REDACTED}"),
    (
        re.compile(r"(?i)\b((?:authorization|cookie|set-cookie)\s*[:=]\s*)[^\r\n]+"),
        rf"\1{REDACTED}",
    ),
    (re.compile(r"\bsp_[A-Za-z0-9_-]{8,}"), f"sp_{REDACTED}"),
    (re.compile(r"(/p/)[A-Za-z0-9_-]{8,}"), rf"\1{REDACTED}"),
    (re.compile(r"(/login/reset/)[A-Za-z0-9_-]{8,}"), rf"\1{REDACTED}"),
    # user:password@host in URLs (database URLs, proxies).
    (re.compile(r"(://[^/\s:@]*:)[^@\s/]+@"), rf"\1{REDACTED}@"),
    (
        re.compile(
            r"(?i)\b([\w-]*(?:password|passphrase|secret|token|api[_-]?key|session)[\w-]*)"
            r"(\"?\s*[=:]\s*\"?)[^\s&,;\"']+"
        ),
        rf"\1\2{REDACTED}",
    ),
)
_QUERY = re.compile(r"(/[^\s?\"']*)\?[^\s\"']*")
_CREDENTIAL_MARKERS = ('"credentialSubject"', '"proofValue"', "'credentialSubject'", '"proof"')


def _redact_credential(text: str) -> str:
    """Replace the JSON object span of a logged credential with a placeholder."""
    if not any(marker in text for marker in _CREDENTIAL_MARKERS):
        return text
    start, end = text.find("{"), text.rfind("}")
    if start == -1 or end < start:
        return "[redacted credential]"
    return text[:start] + "[redacted credential]" + text[end + 1 :]


#: Configured secrets shorter than this are not searched for at all. Replacing a short value
#: wherever it occurs reveals it: with a secret key ``x`` every ``x`` in every log line became
#: ``[redacted]`` ("e[redacted]ample"), and the secret could be read off the output. Production
#: refuses such values (:mod:`keys.strength`); a long random value is only ever found where it
#: was logged itself.
MIN_REDACTED_SECRET = 16
_TOKEN_CHAR = r"[A-Za-z0-9_\-]"  # noqa: S105 - a character class, not a password


def _secret_pattern(secret: str) -> re.Pattern[str]:
    """Match ``secret`` as a whole token only: never inside a longer word or token, so that a
    replacement cannot tell which characters of ordinary text a secret shares."""
    return re.compile(rf"(?<!{_TOKEN_CHAR}){re.escape(secret)}(?!{_TOKEN_CHAR})")


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Return ``text`` with secrets, tokens and credentials replaced by placeholders.

    ``secrets`` are exact values (whole tokens, at least :data:`MIN_REDACTED_SECRET`
    characters; shorter ones are ignored, see there).
    """
    for secret in secrets:
        if len(secret) >= MIN_REDACTED_SECRET:
            text = _secret_pattern(secret).sub(REDACTED, text)
    text = _redact_credential(text)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return _QUERY.sub(r"\1?[query redacted]", text)


def _redact_value(value: Any, secrets: tuple[str, ...]) -> Any:
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, bytes | bytearray):
        return redact(bytes(value).decode("utf-8", "replace"), secrets)
    if isinstance(value, Mapping):
        return {k: _redact_value(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_redact_value(v, secrets) for v in value)
    if isinstance(value, int | float | bool) or value is None:
        return value
    return redact(repr(value), secrets)


class _Atoms(dict[str, Any]):
    """A redacted argument mapping; a missing atom formats as '-' (as gunicorn's own)."""

    def __missing__(self, key: str) -> str:
        return "-"


class RedactionFilter(logging.Filter):
    """Rewrites each record so that no handler can write a secret (see the module docstring).

    ``secrets`` are exact values to remove wherever they appear (the configured secret key and
    passphrase). The message is rendered once and replaced by its redacted form; a record whose
    arguments are a mapping (gunicorn's access log atoms) keeps a redacted mapping so
    :class:`JsonFormatter` can emit its fields. Extra attributes and exception text are redacted
    too. The filter never drops a record.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = tuple(s for s in secrets if s)

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_passport_redacted", False):
            return True
        args = record.args
        if isinstance(args, Mapping):
            record.args = _Atoms(_redact_value(args, self._secrets))
            record.msg = redact(str(record.msg), self._secrets)
        else:
            try:
                message = record.getMessage()
            except (TypeError, ValueError):  # a bad format string: keep its pieces, redacted
                message = f"{record.msg} {args!r}"
            record.msg = redact(message, self._secrets)
            record.args = None
        for key, value in list(vars(record).items()):
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                setattr(record, key, _redact_value(value, self._secrets))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self._secrets)
            record.exc_info = None  # the redacted text is what gets printed
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self._secrets)
        record._passport_redacted = True
        return True


_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
}

# gunicorn access-log atoms worth a field of their own (gunicorn's glogging names).
_ACCESS_FIELDS = {
    "h": "remote_addr",
    "m": "method",
    "U": "path",
    "s": "status",
    "B": "bytes",
    "M": "duration_ms",
}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``time``, ``level``, ``logger``, ``message`` and extras.

    Records from ``gunicorn.access`` also get ``method``, ``path``, ``status``, ``bytes``,
    ``duration_ms`` and ``remote_addr``. Run it behind :class:`RedactionFilter`.
    """

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if isinstance(record.args, Mapping):
            for atom, name in _ACCESS_FIELDS.items():
                if atom in record.args and record.args[atom] not in (None, "-"):
                    out[name] = record.args[atom]
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_") and key not in out:
                out[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            out["exception"] = record.exc_text
        if record.stack_info:
            out["stack"] = record.stack_info
        return json.dumps(out, ensure_ascii=False, default=str)


def logging_dict(
    log_format: str,
    *,
    secrets: Iterable[str] = (),
    level: str = "INFO",
    text_format: str = TEXT_FORMAT,
) -> dict[str, Any]:
    """A :func:`logging.config.dictConfig` mapping: root and gunicorn loggers to stderr.

    Raises ValueError for a format outside :data:`LOG_FORMATS`.
    """
    if log_format not in LOG_FORMATS:
        raise ValueError(f"log format must be one of {', '.join(LOG_FORMATS)}")
    formatter: dict[str, Any] = (
        {"()": JsonFormatter} if log_format == "json" else {"format": text_format}
    )
    handler = {
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
        "formatter": "passport",
        "filters": ["redact"],
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"redact": {"()": RedactionFilter, "secrets": tuple(secrets)}},
        "formatters": {"passport": formatter},
        "handlers": {"stderr": handler},
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            name: {"level": level, "handlers": ["stderr"], "propagate": False}
            for name in ("gunicorn.error", "gunicorn.access")
        },
    }


def configure_logging(
    log_format: str,
    *,
    secrets: Iterable[str] = (),
    level: str = "INFO",
    text_format: str = TEXT_FORMAT,
) -> None:
    """Install :func:`logging_dict` (the ``passport`` command calls this once it has settings)."""
    logging.config.dictConfig(
        logging_dict(log_format, secrets=secrets, level=level, text_format=text_format)
    )
