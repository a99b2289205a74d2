"""What admins see of the work: jobs, failed jobs and e-mail, and who may read a job."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from passport.jobs.models import Job, Notification

__all__ = ["failed_notifications", "get_job", "job_counts", "recent_jobs"]


def get_job(session: Session, job_id: str) -> Job | None:
    if not job_id or len(job_id) > 32:
        return None
    return session.get(Job, job_id)


def recent_jobs(session: Session, *, failed_only: bool = False, limit: int = 50) -> list[Job]:
    """The newest jobs first (only failed ones when asked)."""
    query = select(Job).order_by(Job.created_at.desc()).limit(limit)
    if failed_only:
        query = query.where(Job.status == "failed")
    return list(session.scalars(query))


def failed_notifications(session: Session, *, limit: int = 200) -> list[Notification]:
    """E-mail that could not be sent after every try, newest first."""
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.status == "failed")
            .order_by(Notification.created_at.desc())
            .limit(limit)
        )
    )


def job_counts(session: Session) -> dict[str, int]:
    """How many jobs are in each status."""
    rows = session.execute(select(Job.status, func.count()).group_by(Job.status)).all()
    return {status: int(count) for status, count in rows}
