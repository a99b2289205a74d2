"""Bulk CSV results: a preview that locates every problem, then issuing exactly once."""

from __future__ import annotations

import pytest

from passport.auth import create_user
from passport.bulk import MAX_ROWS, commit_rows, preview_csv
from passport.errors import InvalidRequest
from passport.models import IssuedCredential
from passport.services import Services

HEADER = "email,achievement,level,evidence_narrative\n"


@pytest.fixture
def learners(services: Services) -> list[str]:
    emails = ["ada@example.com", "alan@example.com", "grace@example.com"]
    with services.session() as session:
        for email in emails:
            create_user(session, email=email, name=email, role="learner", password=None)
    return emails


def preview(services: Services, text: str | bytes):  # type: ignore[no-untyped-def]
    data = text.encode() if isinstance(text, str) else text
    with services.session() as session:
        return preview_csv(session, data)


def commit(services: Services, text: str):  # type: ignore[no-untyped-def]
    return commit_rows(
        services, preview(services, text), assessor="bulk@example.com", now=services.now()
    )


GOOD = (
    HEADER
    + "ada@example.com,incident-response-l2,2,Led the game day\n"
    + "ALAN@Example.com ,observability-l3,3,Built the SLO dashboard\n"
)


def test_good_rows_issue_badges_once(services: Services, learners: list[str]) -> None:
    first = commit(services, GOOD)
    assert (first.issued, first.skipped, first.errors) == (2, 0, [])
    again = commit(services, GOOD)  # the same file uploaded again
    assert (again.issued, again.skipped) == (0, 2)
    assert preview(services, GOOD).already_imported == [2, 3]
    with services.session() as session:
        assert session.query(IssuedCredential).count() == 2


def test_each_bad_row_is_located_and_explained(services: Services, learners: list[str]) -> None:
    text = (
        HEADER
        + "ada@example.com,incident-response-l2,2,ok\n"  # row 2: fine
        + "nobody@example.com,incident-response-l2,2,x\n"  # row 3: unknown learner
        + "alan@example.com,juggling-l2,2,x\n"  # row 4: unknown achievement
        + "alan@example.com,incident-response-l3,2,x\n"  # row 5: below required
        + "alan@example.com,incident-response-l2,7,x\n"  # row 6: no such level
        + "ada@example.com,incident-response-l2,2,ok\n"  # row 7: duplicate of row 2
        + "grace@example.com,incident-response-l2,two,x\n"  # row 8: not a number
    )
    result = preview(services, text)
    assert [(e.row, e.code) for e in result.errors] == [
        (3, "unknown_learner"),
        (4, "unknown_achievement"),
        (5, "below_required"),
        (6, "unknown_level"),
        (7, "duplicate_row"),
        (8, "bad_levels"),
    ]
    assert [r.row for r in result.rows] == [2]


def test_levels_per_criterion(services: Services, learners: list[str]) -> None:
    text = (
        "email,achievement,levels\n"
        "ada@example.com,incident-response-l2,triage=3;communication=2;review=2\n"
    )
    result = commit(services, text)
    assert result.issued == 1


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"name,skill\nx,y\n", "bad_columns"),
        (b"", "bad_columns"),
        (
            HEADER.encode()
            + "ada@example.com,incident-response-l2,2,caf\u00e9\n".encode("latin-1"),
            "bad_encoding",
        ),
    ],
)
def test_unusable_files_are_refused_whole(
    services: Services, learners: list[str], data: bytes, code: str
) -> None:
    with pytest.raises(InvalidRequest) as caught:
        preview(services, data)
    assert caught.value.code == code


def test_too_many_rows(services: Services, learners: list[str]) -> None:
    rows = "".join(f"ada@example.com,incident-response-l2,2,r{i}\n" for i in range(MAX_ROWS + 1))
    with pytest.raises(InvalidRequest) as caught:
        preview(services, HEADER + rows)
    assert caught.value.code == "too_many_rows"


def test_a_row_with_extra_cells(services: Services, learners: list[str]) -> None:
    result = preview(services, HEADER + "ada@example.com,incident-response-l2,2,x,surprise\n")
    assert [(e.row, e.code) for e in result.errors] == [(2, "bad_row")]


def test_bom_and_crlf_are_fine(services: Services, learners: list[str]) -> None:
    data = b"\xef\xbb\xbf" + GOOD.replace("\n", "\r\n").encode()
    assert len(preview(services, data).rows) == 2
