"""Bulk CSV results: a preview that locates every problem, then issuing exactly once."""

from __future__ import annotations

import pytest

from passport.accounts.users import create_user
from passport.assessments.bulk import MAX_ROWS, commit_rows, preview_csv
from passport.credentials.models import IssuedCredential
from passport.errors import InvalidRequest
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


@pytest.mark.parametrize(
    ("header", "cell"),
    [("level", "\u00b2"), ("level", "\u2460"), ("levels", "triage=\u00b2")],
)
def test_digits_int_cannot_read_are_a_row_error(
    services: Services, learners: list[str], header: str, cell: str
) -> None:
    # Found by tests/fuzz: "²" and "①" pass str.isdigit() but int() raised ValueError.
    text = f"email,achievement,{header}\nada@example.com,incident-response-l2,{cell}\n"
    result = preview(services, text)
    assert [(e.row, e.code) for e in result.errors] == [(2, "bad_levels")]


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
        # Found by tests/fuzz: on PostgreSQL a NUL in a cell raised DataError from the query.
        (HEADER.encode() + b"ada@example.com,incident\x00-response-l2,2,x\n", "bad_encoding"),
        (b"email,achievement,level,row_id\nada@example.com,ci-cd-l2,2,\x00\n", "bad_encoding"),
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


# -- The batch path: reserved status entries, a row that fails, a writer that races -----------


def _status_books_balance(services: Services) -> tuple[int, int]:
    """(credentials issued, status entries); and every list's ``used`` equals its entries."""
    from sqlalchemy import func, select

    from passport.credentials.models import StatusEntry, StatusList

    with services.session() as session:
        issued = session.scalar(select(func.count()).select_from(IssuedCredential)) or 0
        entries = session.scalar(select(func.count()).select_from(StatusEntry)) or 0
        for status_list in session.scalars(select(StatusList)):
            counted = session.scalar(
                select(func.count())
                .select_from(StatusEntry)
                .where(StatusEntry.status_list_id == status_list.id)
            )
            assert status_list.used == counted, status_list.id
        # every entry belongs to a stored credential
        orphans = session.scalar(
            select(func.count())
            .select_from(StatusEntry)
            .where(StatusEntry.credential_id.not_in(select(IssuedCredential.id)))
        )
        assert orphans == 0
    return issued, entries


def _many(learners: list[str], count: int) -> str:
    achievements = ["incident-response-l2", "observability-l2", "ci-cd-l2"]
    lines = [HEADER.strip()]
    for i in range(count):
        lines.append(f"{learners[i % 3]},{achievements[i % 3]},2,task {i}")
    return "\n".join(lines) + "\n"


def test_batches_issue_each_row_once_with_one_status_entry_per_purpose(
    services: Services, learners: list[str]
) -> None:
    text = _many(learners, 9)
    reported: list[tuple[int, int, int]] = []

    def progress(done: int, total: int) -> None:
        with services.session() as session:  # each call comes after its batch is committed
            stored = session.query(IssuedCredential).count()
        reported.append((done, total, stored))

    result = commit_rows(
        services,
        preview(services, text),
        assessor="bulk@example.com",
        now=services.now(),
        batch_size=4,
        progress=progress,
    )
    assert (result.issued, result.skipped, result.errors) == (9, 0, [])
    assert reported == [(4, 9, 4), (8, 9, 8), (9, 9, 9)]
    assert len(set(result.credential_ids)) == 9
    issued, entries = _status_books_balance(services)
    assert issued == 9
    assert entries == 9 * len(services.settings.status_purposes)
    # each credential carries exactly the entries stored for it
    from passport.credentials.models import StatusEntry

    with services.session() as session:
        for credential_id in result.credential_ids:
            record = session.get(IssuedCredential, credential_id)
            assert record is not None
            stored = {
                (e.status_list_id, e.index)
                for e in session.query(StatusEntry).filter_by(credential_id=credential_id)
            }
            text_ = record.content.decode()
            for list_id, index in stored:
                assert f"/status/{list_id}#{index}" in text_


def test_a_row_that_fails_to_issue_is_undone_alone(
    services: Services, learners: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import passport.assessments.record as assessments
    from issuer import IssuerError
    from passport.assessments.models import Assessment
    from passport.audit import AuditEvent

    real = assessments.issue_credential

    def failing_for_grace(session, services_, request, *, now):  # type: ignore[no-untyped-def]
        if request.recipient_email == "grace@example.com":
            raise IssuerError("The signing device refused (fault injected by the test).")
        return real(session, services_, request, now=now)

    monkeypatch.setattr(assessments, "issue_credential", failing_for_grace)
    result = commit(services, _many(learners, 6))
    assert result.issued == 4
    assert sorted(e.row for e in result.errors) == [4, 7]  # grace's rows (header is row 1)
    assert {e.code for e in result.errors} == {IssuerError("x").code}
    issued, entries = _status_books_balance(services)
    assert (issued, entries) == (4, 4 * len(services.settings.status_purposes))
    with services.session() as session:
        assert session.query(Assessment).count() == 4  # grace's assessments were undone
        recorded = session.query(AuditEvent).filter_by(action="assessment.record").count()
        assert recorded == 4
    monkeypatch.setattr(assessments, "issue_credential", real)
    again = commit(services, _many(learners, 6))  # the fixed retry issues only what is missing
    assert (again.issued, again.skipped, again.errors) == (2, 4, [])
    assert _status_books_balance(services) == (6, 6 * len(services.settings.status_purposes))


def test_a_batch_whose_write_fails_is_redone_row_by_row(
    services: Services, learners: list[str]
) -> None:
    """A key stored by another writer after the batch's lookup makes the batch's one flush fail
    (unique idempotency key). Two rows with one key in a batch meet the same constraint the
    same way, on SQLite too (where a second writer would wait for our lock instead).
    """
    from dataclasses import replace

    previewed = preview(services, _many(learners, 5))
    twin = replace(previewed.rows[3], key=previewed.rows[1].key)
    previewed.rows[3] = twin
    result = commit_rows(services, previewed, assessor="bulk@example.com", now=services.now())
    # row by row: the twin finds the first one's key stored and is skipped, nothing is lost
    assert (result.issued, result.skipped, result.errors) == (4, 1, [])
    assert _status_books_balance(services) == (4, 4 * len(services.settings.status_purposes))
