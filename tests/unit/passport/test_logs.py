"""passport.logs: JSON lines, and no secret, token or credential ever reaches a handler."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from passport.logs import JsonFormatter, RedactionFilter, logging_dict, redact

SECRET_KEY = "s3cr3t-flask-key-value-0123456789"
PASSPHRASE = "correct horse battery staple"
API_TOKEN = "sp_Zm9vYmFyYmF6cXV4cXV1eHh5enp5MTIzNDU2Nzg5MEFC"
SHARE_TOKEN = "q1w2e3r4t5y6u7i8o9p0aAsSdDfFgGhHjJkKlLzZxXc"
JWT = (
    "eyJhbGciOiJFUzI1NiIsImtpZCI6ImsxIn0"
    ".eyJ2YyI6eyJjcmVkZW50aWFsU3ViamVjdCI6eyJpZCI6ImRpZDpleGFtcGxlOjEifX19"
    ".c2lnbmF0dXJlLWJ5dGVzLWhlcmU"
)
CREDENTIAL = json.dumps(
    {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "credentialSubject": {"id": "mailto:ada@example.org", "achievement": {"name": "SRE"}},
        "proof": {"type": "DataIntegrityProof", "proofValue": "z3FXQjecWufY46yg5abdVZsXqLhx"},
    }
)
PEM = (
    "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIGjMF8GCSqGSIb3DQEFDTBSMDEGCSqGSIb3\n"
    "-----END ENCRYPTED PRIVATE KEY-----"
)

# (what is logged, the secret part that must not survive)
HOSTILE = [
    ("Authorization: Bearer " + API_TOKEN, API_TOKEN),
    ("header authorization=Bearer abc.def-ghi_jkl", "abc.def-ghi_jkl"),
    ("token was bearer tok_1234567890abcdef", "tok_1234567890abcdef"),
    ("created API token " + API_TOKEN, API_TOKEN[3:]),
    (f"GET /p/{SHARE_TOKEN} 200", SHARE_TOKEN),
    (f"GET /p/{SHARE_TOKEN}/badges/1 200", SHARE_TOKEN),
    (f"POST /login/reset/{SHARE_TOKEN} 303", SHARE_TOKEN),
    ("verify " + JWT, JWT.split(".")[2]),
    ("verify " + JWT, JWT.split(".")[1]),
    ("received credential " + CREDENTIAL, "z3FXQjecWufY46yg5abdVZsXqLhx"),
    ("received credential " + CREDENTIAL, "ada@example.org"),
    ("key file " + PEM, "MIGjMF8GCSqGSIb3DQEFDTBSMDEGCSqGSIb3"),
    ("engine postgresql+psycopg://app:pg-pass-42@db.internal/passport", "pg-pass-42"),
    ("GET /verify?token=abcdef123456&x=1", "abcdef123456"),
    ("GET /login?next=/admin&password=hunter22", "hunter22"),
    ("settings password=hunter22 user=ana", "hunter22"),
    ('{"password": "hunter22"}', "hunter22"),
    ("PASSPORT_KEY_PASSPHRASE=" + PASSPHRASE, PASSPHRASE),
    ("Cookie: passport=eyJfZnJlc2giOmZhbHNlfQ.Zx.sig", "eyJfZnJlc2giOmZhbHNlfQ"),
    ("api_key: ak-0987654321", "ak-0987654321"),
    (f"the configured key is {SECRET_KEY}!", SECRET_KEY),
    (f"passphrase given: {PASSPHRASE}", "battery staple"),
]


@pytest.mark.parametrize(("message", "secret"), HOSTILE)
def test_redact_removes(message: str, secret: str) -> None:
    assert secret not in redact(message, secrets=(SECRET_KEY, PASSPHRASE))


@pytest.mark.parametrize(
    "harmless",
    [
        "issued urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427 to holder 7",
        "GET /api/v1/verify 200 12ms",
        "key rotated: retired kid 3Zf0sYc6n4x7w0wq2V9w4Dd0hC5PjBvYQk7hC2e5xXk",
    ],
)
def test_redact_keeps_ordinary_lines(harmless: str) -> None:
    assert redact(harmless) == harmless


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactionFilter(secrets=(SECRET_KEY, PASSPHRASE)))
    logger = logging.getLogger("tests.passport.logging")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_lines_carry_level_logger_message_and_extras(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = captured
    logger.info("issued %s credentials", 3, extra={"holder_id": 7})
    (line,) = lines(stream)
    assert line["level"] == "INFO"
    assert line["logger"] == "tests.passport.logging"
    assert line["message"] == "issued 3 credentials"
    assert line["holder_id"] == 7
    assert str(line["time"]).endswith("+00:00")


def test_secrets_in_arguments_extras_and_tracebacks_never_reach_the_output(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = captured
    for message, _ in HOSTILE:
        logger.warning("seen: %s", message)
    logger.info("request", extra={"authorization": "Bearer " + API_TOKEN, "body": CREDENTIAL})
    try:
        raise ValueError(f"could not decrypt with {PASSPHRASE} for {JWT}")
    except ValueError:
        logger.exception("failed for share /p/%s", SHARE_TOKEN)
    output = stream.getvalue()
    for _, secret in HOSTILE:
        assert secret not in output
    assert API_TOKEN[3:] not in output and SHARE_TOKEN not in output
    assert PASSPHRASE not in output and SECRET_KEY not in output
    records = lines(stream)
    assert len(records) == len(HOSTILE) + 2
    assert "ValueError" in str(records[-1]["exception"])


def test_gunicorn_access_atoms_become_fields_without_tokens(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = captured
    atoms = {"h": "127.0.0.1", "m": "GET", "U": f"/p/{SHARE_TOKEN}", "s": 200, "B": 512, "M": 3}
    logger.info('%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms %(missing)s', atoms)
    (line,) = lines(stream)
    assert SHARE_TOKEN not in stream.getvalue()
    assert line["method"] == "GET" and line["status"] == 200 and line["duration_ms"] == 3
    assert line["path"] == "/p/[redacted]"
    assert line["message"] == '127.0.0.1 "GET /p/[redacted]" 200 512 3ms -'


def test_logging_dict_puts_the_filter_on_the_one_handler() -> None:
    config = logging_dict("json", secrets=(SECRET_KEY,))
    assert config["handlers"]["stderr"]["filters"] == ["redact"]
    assert config["formatters"]["passport"] == {"()": JsonFormatter}
    assert set(config["loggers"]) == {"gunicorn.error", "gunicorn.access"}
    assert "format" in logging_dict("text")["formatters"]["passport"]
    with pytest.raises(ValueError, match="log format"):
        logging_dict("xml")
