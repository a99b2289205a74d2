"""Fuzzing the passport's own parsers of outside input: bulk CSV upload and share tokens.

Contract: :func:`passport.bulk.preview_csv` returns a preview (problems as row errors) or raises
:class:`~passport.errors.InvalidRequest`; :func:`passport.sharing.open_share_link` returns the
live link or raises ``NotFound`` / ``ShareLinkGone`` — never anything else, against a real
database.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from passport.accounts.users import create_user
from passport.assessments.bulk import BulkPreview, preview_csv
from passport.credentials.models import Holder
from passport.errors import InvalidRequest, NotFound, ShareLinkGone
from passport.services import Services
from passport.sharing.links import hash_token, open_share_link
from passport.sharing.models import ShareLink

from .strategies import FUZZ_SLOW, TRICKY_STRINGS, mutated_text, returns_or_raises

LEARNERS = ("ada@example.com", "alan@example.com")
COLUMNS = (
    "email",
    "achievement",
    "level",
    "levels",
    "assessed_at",
    "evidence_url",
    "evidence_name",
    "evidence_narrative",
    "row_id",
    "EMAIL ",
    "extra",
)
CELLS = st.sampled_from(
    (
        *LEARNERS,
        " ALAN@Example.com ",
        "incident-response-l2",
        "observability-l3",
        "juggling",
        "1",
        "2",
        "3",
        "9",
        "-1",
        "²",
        "٣",
        "a=2;b=3",
        "=;=",
        "x=²",
        "https://evidence.example/1",
        "javascript:alert(1)",
        "2026-01-01",
        "2026-13-45T99:00:00Z",
        '"',
        "\r\n",
        *TRICKY_STRINGS,
    )
) | st.text(max_size=12)

#: Level cells: digits by str.isdigit() that int() may or may not read.
LEVELS = st.sampled_from(["1", "2", "3", "4", " 3 ", "0", "-1", "²", "٣", "３", "", "3.0", "1e1"])

_TOKEN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


@pytest.fixture
def learners(services: Services) -> Services:
    with services.session() as session:
        for email in LEARNERS:
            create_user(session, email=email, name=email, role="learner", password=None)
    return services


@st.composite
def csv_files(draw: st.DrawFn, *, plausible: bool = False) -> bytes:
    """A CSV upload; ``plausible`` ones have the right columns and rows of known learners and
    achievements, so they get past the early checks to the level, date and evidence parsing."""
    header = draw(st.lists(st.sampled_from(COLUMNS), min_size=0, max_size=6))
    if plausible or draw(st.booleans()):
        header = ["email", "achievement", "level", *header]
    cells = st.lists(CELLS, max_size=len(header) + 2)
    if plausible:
        cells = st.builds(
            lambda email, achievement, level, rest: [email, achievement, level, *rest],
            st.sampled_from(LEARNERS),
            st.sampled_from(["incident-response-l2", "observability-l3", "ci-cd\x00-l2"]),
            LEVELS | CELLS,
            st.lists(CELLS, max_size=len(header) - 3),
        )
    rows = draw(st.lists(cells, max_size=6))
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, quoting=draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL])))
    writer.writerow(header)
    writer.writerows(rows)
    text = buffer.getvalue().replace("\ud800", "?")
    if draw(st.integers(0, 4)) == 0:
        text = draw(mutated_text(text, st.sampled_from(',"\r\n\x00;=') | st.characters()))
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "utf-16", "cp1252"]))
    return text.encode(encoding, "surrogatepass" if encoding.startswith("utf") else "replace")


def preview_or_invalid_request(services: Services, data: bytes) -> None:
    with services.session() as session:
        result = returns_or_raises(lambda: preview_csv(session, data), InvalidRequest)
        assert isinstance(result, (BulkPreview, InvalidRequest))
        session.rollback()  # a preview writes nothing


@FUZZ_SLOW
@given(csv_files())
def test_preview_of_built_csv_returns_or_raises_invalid_request(
    learners: Services, data: bytes
) -> None:
    preview_or_invalid_request(learners, data)


@FUZZ_SLOW
@given(csv_files(plausible=True))
def test_preview_of_plausible_csv_returns_or_raises_invalid_request(
    learners: Services, data: bytes
) -> None:
    preview_or_invalid_request(learners, data)


@FUZZ_SLOW
@given(
    st.binary()
    | st.text().map(lambda t: t.encode("utf-8", "surrogatepass"))
    | st.text().map(lambda t: ("email,achievement,level\n" + t).encode("utf-8", "replace"))
)
def test_preview_of_any_bytes_returns_or_raises_invalid_request(
    learners: Services, data: bytes
) -> None:
    preview_or_invalid_request(learners, data)


@pytest.fixture
def live_token(services: Services) -> tuple[Services, str, str]:
    """A live, a revoked and an expired link for a holder: (services, live token, dead token)."""
    live, revoked = "L" * 43, "R" * 43
    now = services.now()
    with services.session() as session:
        holder = Holder(email="fuzz@example.com")
        session.add(holder)
        session.flush()
        for token, revoked_at, expires_at in (
            (live, None, now + timedelta(days=7)),
            (revoked, now, now + timedelta(days=7)),
            ("E" * 43, None, now - timedelta(days=1)),
        ):
            session.add(
                ShareLink(
                    holder_id=holder.id,
                    token_hash=hash_token(token),
                    expires_at=expires_at,
                    revoked_at=revoked_at,
                )
            )
        session.commit()
    return services, live, revoked


@FUZZ_SLOW
@given(st.data())
def test_open_share_link_returns_or_raises_its_errors(
    live_token: tuple[Services, str, str], data: st.DataObject
) -> None:
    services, live, revoked = live_token
    token = data.draw(
        st.text()
        | st.text(alphabet=_TOKEN_ALPHABET, min_size=42, max_size=44)
        | mutated_text(live, st.sampled_from(_TOKEN_ALPHABET + "\n\x00/%.=") | st.characters())
        | st.sampled_from(["E" * 43, revoked, live + "\n", " " + live, live.lower()])
    )
    with services.session() as session:
        link = returns_or_raises(
            lambda: open_share_link(session, token, now=services.now()), (NotFound, ShareLinkGone)
        )
        if isinstance(link, ShareLink):  # only the live token opens anything
            assert token == live and link.token_hash == hash_token(live)
