"""The tables of work that outlives a request: jobs and their parts, notifications (e-mail) and
the record of scheduled runs.

The database, not the queue, is where the state of work lives. The queue (Huey: Redis in
production, a SQLite file in development) only carries "run part 3 of job X now" or "send
notifications 41–90"; a message a worker took and never finished (the worker was killed) is
found again from these rows by the reaper (:mod:`passport.jobs.runner`) and sent again, and
every handler is idempotent, so nothing is lost and nothing is done twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from passport.db import Base, UTCDateTime, utcnow

__all__ = ["JOB_STATUSES", "Job", "JobPart", "MailPreference", "Notification", "ScheduleRun"]

#: The statuses of a job, as the API reports them (issue #18 fixes the names).
JOB_STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")


class Job(Base):
    """One piece of work a person asked for (a bulk issuance): its progress and its result."""

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(12), default="queued", index=True)
    #: Rows (or items) the job will process; how many are done is the sum of its parts'.
    total: Mapped[int] = mapped_column(Integer, default=0)
    #: JSON list of ``{"row", "code", "message"}`` found before the job started (the preview).
    errors: Mapped[str] = mapped_column(Text, default="[]")
    #: Why the job itself failed (``failed`` only): one plain sentence.
    error: Mapped[str | None] = mapped_column(Text)
    #: JSON: what the handler needs besides the parts (assessor, proof format …).
    payload: Mapped[str] = mapped_column(Text, default="{}")
    #: The uploaded file's SHA-256 (the file itself is not kept: its rows are in the parts,
    #: which are emptied once run, so an erased person's address does not linger here).
    source_sha256: Mapped[str | None] = mapped_column(String(64))
    #: Who started it: the user's e-mail, and the API token's name when it came through the API.
    created_by: Mapped[str] = mapped_column(String(320))
    token_name: Mapped[str | None] = mapped_column(String(100))
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    parts: Mapped[list[JobPart]] = relationship(
        back_populates="job", cascade="all, delete-orphan", order_by="JobPart.number"
    )


class JobPart(Base):
    """A slice of a job (a few hundred CSV rows) that one worker runs; parts of one job run on
    many workers at once. ``status``: queued, running, done, failed, cancelled."""

    __tablename__ = "job_parts"

    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(12), default="queued", index=True)
    #: JSON: the part's input (the previewed rows); emptied ("[]") once the part is over.
    payload: Mapped[str] = mapped_column(Text)
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    #: JSON list of row errors met while running.
    errors: Mapped[str] = mapped_column(Text, default="[]")
    #: JSON counters of a finished part (issued, skipped, below the required level).
    counts: Mapped[str] = mapped_column(Text, default="{}")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    #: Set when a worker takes the part and after every batch; a running part whose heartbeat
    #: is older than the lease was lost with its worker and is queued again.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: When a retry is due (after a failure, with backoff); None: now.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    job: Mapped[Job] = relationship(back_populates="parts")


class Notification(Base):
    """One e-mail to one person, written in the same transaction as what it tells about (so it
    exists exactly when that happened), then sent by a job.

    ``key`` makes it unique ("badge_issued:<credential id>"): doing the same thing again makes
    no second message. ``status``: pending, sending, sent, failed, skipped (the person opted
    out, or has no address any more).
    """

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    to: Mapped[str] = mapped_column(String(320))
    locale: Mapped[str] = mapped_column(String(10), default="en")
    #: JSON: what the message says (ids, names, dates); secrets only encrypted, wiped once sent.
    context: Mapped[str] = mapped_column(Text, default="{}")
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: When a worker took it (``sending``): a stale one was lost with its worker.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ScheduleRun(Base):
    """One run of a schedule for one slot ("expiry-reminders", "2026-12-06"): the primary key
    lets exactly one of many workers take it."""

    __tablename__ = "schedule_runs"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    slot: Mapped[str] = mapped_column(String(40), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Error class and sentence when the run failed; the failed-job report lists it.
    error: Mapped[str | None] = mapped_column(Text)


class MailPreference(Base):
    """A person's choice for one optional kind of mail (``category``: ``badge_issued``,
    ``badge_expiring``, ``session_reminder``, ``share_viewed``, ``failed_report``). No row: the
    category's default (:data:`passport.jobs.preferences.OPTIONAL_CATEGORIES`)."""

    __tablename__ = "mail_preferences"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    category: Mapped[str] = mapped_column(String(40), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
