"""Bulk assessment results from CSV: a preview with per-row errors, then idempotent issuing.

Columns (header row required): ``email``, ``achievement``, and either ``level`` (one level for
every rubric criterion) or ``levels`` (``criterion=level;…``); optional ``evidence_url``,
``evidence_narrative``, ``evidence_name``, ``assessed_at`` (ISO date or date-time), ``row_id``.

Each row has an idempotency key — ``row_id`` when given, else a hash of what the row says — so
uploading the same file again issues nothing twice. Rows are committed in batches, each row in
its own savepoint: a row that fails is reported and rolled back alone; nothing is half-issued.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from issuer import IssuerError, new_credential_id
from passport.accounts.models import User
from passport.assessments.models import Assessment
from passport.assessments.record import (
    AssessmentInput,
    EvidenceInput,
    PreparedAssessment,
    finish_assessment,
    prepare_assessment,
    record_assessment,
    validate_levels,
)
from passport.catalog.models import AchievementDefinition
from passport.credentials.issuing import (
    DEFAULT_FORMAT,
    pin_holders,
    pinned_get,
    pinned_holders,
)
from passport.credentials.models import Issuer
from passport.credentials.status import (
    apply_reserved_counts,
    release_statuses,
    reserve_statuses,
)
from passport.errors import InvalidRequest, PassportError
from passport.jobs.recipients import pin_holder_recipients
from passport.services import Services
from passport.textfiles import decode_text_file
from verifier import normalize_email

__all__ = ["MAX_ROWS", "BulkPreview", "BulkResult", "RowError", "commit_rows", "preview_csv"]

logger = logging.getLogger(__name__)

MAX_ROWS = 10_000
MAX_BYTES = 8 * 1024 * 1024
REQUIRED = ("email", "achievement")


@dataclass(frozen=True, slots=True)
class RowError:
    row: int  # 1-based line number in the file (the header is row 1)
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class BulkRow:
    row: int
    email: str
    achievement_id: str
    levels: dict[str, int]
    key: str
    evidence: tuple[EvidenceInput, ...] = ()
    assessed_at: datetime | None = None


@dataclass(slots=True)
class BulkPreview:
    rows: list[BulkRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    already_imported: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(slots=True)
class BulkResult:
    issued: int = 0
    failed_assessments: int = 0
    skipped: int = 0
    errors: list[RowError] = field(default_factory=list)
    credential_ids: list[str] = field(default_factory=list)
    stopped: bool = False


def _decode(data: bytes) -> str:
    return decode_text_file(data, max_bytes=MAX_BYTES)


def _rows(text: str) -> Iterator[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing or ("level" not in header and "levels" not in header):
        raise InvalidRequest(
            "The CSV needs the columns email, achievement and level (or levels); "
            f"it has: {', '.join(header) or 'no header'}.",
            code="bad_columns",
        )
    reader.fieldnames = header
    for record in reader:
        if reader.line_num - 1 > MAX_ROWS:
            raise InvalidRequest(
                f"At most {MAX_ROWS} rows per upload; split the file.", code="too_many_rows"
            )
        if None in record:
            yield reader.line_num, {"__extra__": "1"}
            continue
        yield reader.line_num, {k: (v or "").strip() for k, v in record.items()}


def _is_number(text: str) -> bool:
    # str.isdigit() is also true for "²" and "①", which int() refuses; isdecimal() is exactly
    # the digits int() reads.
    return text.isdecimal()


def _levels(record: dict[str, str]) -> dict[str, int]:
    if record.get("levels"):
        out: dict[str, int] = {}
        for part in record["levels"].split(";"):
            name, _, value = part.partition("=")
            if not name.strip() or not _is_number(value.strip()):
                raise InvalidRequest(f"'{part}' is not criterion=level.", code="bad_levels")
            out[name.strip()] = int(value)
        return out
    level = record.get("level", "")
    if not _is_number(level):
        raise InvalidRequest(f"Level {level!r} is not a number.", code="bad_levels")
    return {"*": int(level)}


def _assessed_at(value: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidRequest(f"assessed_at {value!r} is not an ISO date.", code="bad_date") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _key(record: dict[str, str], email: str, levels: dict[str, int]) -> str:
    if record.get("row_id"):
        return f"csv-row:{record['row_id'][:150]}"
    material = "\x1f".join(
        [
            email,
            record["achievement"],
            ";".join(f"{k}={v}" for k, v in sorted(levels.items())),
            record.get("assessed_at", ""),
            record.get("evidence_url", ""),
            record.get("evidence_narrative", ""),
        ]
    )
    return "csv:" + hashlib.sha256(material.encode("utf-8")).hexdigest()


def preview_csv(session: Session, data: bytes) -> BulkPreview:
    """Check every row without issuing anything. Errors name the row and the reason."""
    text = _decode(data)
    preview = BulkPreview()
    learners = {row.email: row.role for row in session.execute(select(User.email, User.role))}
    achievements: dict[str, AchievementDefinition | None] = {}
    seen: dict[str, int] = {}
    for number, record in _rows(text):
        if "__extra__" in record:
            preview.errors.append(
                RowError(number, "bad_row", "The row has more cells than the header.")
            )
            continue
        try:
            email = normalize_email(record["email"])
            if learners.get(email) != "learner":
                raise InvalidRequest(
                    f"No learner is registered with e-mail {email!r}.", code="unknown_learner"
                )
            aid = record["achievement"]
            if aid not in achievements:
                achievements[aid] = session.get(AchievementDefinition, aid)
            achievement = achievements[aid]
            if achievement is None:
                raise InvalidRequest(f"Unknown achievement {aid!r}.", code="unknown_achievement")
            levels = validate_levels(achievement, session, _levels(record))
            below = [c for c, lvl in levels.items() if lvl < (achievement.level or 1)]
            if below:
                raise InvalidRequest(
                    f"Level below the required {achievement.level} for {', '.join(below)}.",
                    code="below_required",
                )
            key = _key(record, email, levels)
            if key in seen:
                raise InvalidRequest(f"Duplicate of row {seen[key]}.", code="duplicate_row")
            seen[key] = number
            evidence: tuple[EvidenceInput, ...] = ()
            if record.get("evidence_url") or record.get("evidence_narrative"):
                evidence = (
                    EvidenceInput(
                        name=record.get("evidence_name") or None,
                        narrative=record.get("evidence_narrative") or None,
                        url=record.get("evidence_url") or None,
                    ),
                )
            if (
                evidence
                and evidence[0].url
                and not evidence[0].url.startswith(("https://", "http://"))
            ):
                raise InvalidRequest("evidence_url must start with https://.", code="bad_url")
            row = BulkRow(
                number,
                email,
                aid,
                levels,
                key,
                evidence,
                _assessed_at(record.get("assessed_at", "")),
            )
        except InvalidRequest as exc:
            preview.errors.append(RowError(number, exc.code, exc.message))
            continue
        preview.rows.append(row)
    keys = [r.key for r in preview.rows]
    done: set[str] = set()
    for start in range(0, len(keys), 500):
        done.update(
            k
            for k in session.scalars(
                select(Assessment.idempotency_key).where(
                    Assessment.idempotency_key.in_(keys[start : start + 500])
                )
            )
            if k
        )
    preview.already_imported = [r.row for r in preview.rows if r.key in done]
    return preview


#: Rows per transaction (and per progress report).
DEFAULT_BATCH_SIZE = 200


def commit_rows(
    services: Services,
    preview: BulkPreview,
    *,
    assessor: str,
    now: datetime,
    proof_format: str = DEFAULT_FORMAT,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Callable[[int, int], None] | None = None,
    stop: Callable[[], bool] | None = None,
    result: BulkResult | None = None,
) -> BulkResult:
    """Issue the previewed rows in batches, one transaction per batch.

    ``progress``, when given, is called after each batch is committed with the number of rows
    done so far and the total (the CLI reports it; a 50,000-row file takes minutes).
    ``stop``, when given, is asked before each batch; when it says yes the rest is left
    undone and ``result.stopped`` is set (a cancelled job: rows issued so far stay issued).
    ``result``, when given, is filled as the batches go (a job reads its errors so far).

    A batch looks its idempotency keys up in one query (rows issued before are skipped),
    loads or creates its learners' holder records together, reserves its status-list entries
    together, checks and builds every row, stores the assessments in one flush, then issues
    each badge. A row that fails is reported and undone alone (its assessment deleted, its
    status entries given back). Should the batch's final write fail (a duplicate that raced in,
    say), the batch is rolled back as a whole and done again row by row, each row in its own
    savepoint, so every row ends issued exactly once or reported.
    """
    result = result if result is not None else BulkResult()
    rows = preview.rows
    for start in range(0, len(rows), batch_size):
        if stop is not None and stop():
            result.stopped = True
            break
        batch = rows[start : start + batch_size]
        outcome = BulkResult()
        try:
            with services.session() as session:
                _issue_batch(session, services, batch, outcome, assessor, now, proof_format)
        except IntegrityError:
            logger.info("bulk batch at row %s raced another writer; redoing row by row", start)
            outcome = BulkResult()
            with services.session() as session:
                _issue_rows(session, services, batch, outcome, assessor, now, proof_format)
        _merge(result, outcome)
        if progress is not None:
            progress(start + len(batch), len(rows))
    return result


def _merge(result: BulkResult, outcome: BulkResult) -> None:
    result.issued += outcome.issued
    result.failed_assessments += outcome.failed_assessments
    result.skipped += outcome.skipped
    result.errors.extend(outcome.errors)
    result.credential_ids.extend(outcome.credential_ids)


def _input(
    row: BulkRow,
    assessor: str,
    proof_format: str,
    credential_id: str | None,
    *,
    key_checked: bool = True,
) -> AssessmentInput:
    return AssessmentInput(
        learner_email=row.email,
        achievement_id=row.achievement_id,
        levels=row.levels,
        assessor=assessor,
        evidence=row.evidence,
        idempotency_key=row.key,
        assessed_at=row.assessed_at,
        proof_format=proof_format,
        key_checked=key_checked,
        credential_id=credential_id,
    )


def _new_rows(session: Session, batch: list[BulkRow], result: BulkResult) -> list[BulkRow]:
    """The rows whose idempotency key is not stored yet (the others count as skipped)."""
    done = set(
        session.scalars(
            select(Assessment.idempotency_key).where(
                Assessment.idempotency_key.in_([row.key for row in batch])
            )
        )
    )
    todo = [row for row in batch if row.key not in done]
    result.skipped += len(batch) - len(todo)
    return todo


def _issue_batch(
    session: Session,
    services: Services,
    batch: list[BulkRow],
    result: BulkResult,
    assessor: str,
    now: datetime,
    proof_format: str,
) -> None:
    todo = _new_rows(session, batch, result)
    pin_holders(session, {row.email for row in todo})
    pin_holder_recipients(session, pinned_holders(session))
    reserved = _reserve(session, services, todo)
    prepared: list[tuple[BulkRow, PreparedAssessment]] = []
    unused: list[str] = []
    for row in todo:
        try:
            data = _input(row, assessor, proof_format, reserved.get(row.key))
            prepared.append((row, prepare_assessment(session, data, now=now)))
        except PassportError as exc:
            result.errors.append(RowError(row.row, exc.code, exc.message))
            unused.extend(_as_list(reserved.get(row.key)))
    session.add_all(p.assessment for _, p in prepared)
    session.flush()  # one multi-row INSERT; IntegrityError → the caller redoes row by row
    for row, item in prepared:
        try:
            outcome = finish_assessment(session, services, item, now=now)
        except (PassportError, IssuerError) as exc:
            result.errors.append(RowError(row.row, exc.code, exc.message))
            session.delete(item.assessment)  # its evidence goes with it (cascade)
            unused.extend(_as_list(reserved.get(row.key)))
            continue
        if outcome.credential_id != reserved.get(row.key):
            unused.extend(_as_list(reserved.get(row.key)))
        _count(result, outcome)
    # Last, both: they lock the lists' rows until the commit (reserve_statuses says why).
    apply_reserved_counts(session)
    release_statuses(session, unused)


def _issue_rows(
    session: Session,
    services: Services,
    batch: list[BulkRow],
    result: BulkResult,
    assessor: str,
    now: datetime,
    proof_format: str,
) -> None:
    """The careful path: each row in its own savepoint, its own idempotency check."""
    for row in batch:
        try:
            with session.begin_nested():
                data = _input(row, assessor, proof_format, None, key_checked=False)
                outcome = record_assessment(session, services, data, now=now)
        except (PassportError, IssuerError) as exc:
            result.errors.append(RowError(row.row, exc.code, exc.message))
            continue
        _count(result, outcome)


def _as_list(value: str | None) -> list[str]:
    return [] if value is None else [value]


def _reserve(session: Session, services: Services, rows: list[BulkRow]) -> dict[str, str]:
    """Credential ids for the rows, with their status entries reserved (row key -> id)."""
    by_issuer: dict[int, list[str]] = {}
    ids: dict[str, str] = {}
    for row in rows:
        achievement = pinned_get(session, AchievementDefinition, row.achievement_id)
        if achievement is None:
            continue  # the row will report it
        ids[row.key] = new_credential_id()
        by_issuer.setdefault(achievement.issuer_id, []).append(ids[row.key])
    for issuer_id, credential_ids in by_issuer.items():
        issuer = pinned_get(session, Issuer, issuer_id)
        assert issuer is not None  # foreign key
        reserve_statuses(session, services, issuer, credential_ids)
    return ids


def _count(result: BulkResult, outcome: Any) -> None:
    if not outcome.created:
        result.skipped += 1
    elif outcome.credential_id:
        result.issued += 1
        result.credential_ids.append(outcome.credential_id)
    else:
        result.failed_assessments += 1
