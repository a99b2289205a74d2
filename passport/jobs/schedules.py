"""Scheduled work, run once per slot across every worker.

Each worker's Huey scheduler sends a ``tick`` every minute; :func:`run_due` then tries, for each
schedule, to insert the row ``(name, slot)`` into ``schedule_runs`` — the slot being the minute,
hour or day the schedule is due in. The primary key lets exactly one insert succeed, on SQLite
and PostgreSQL alike, so with M workers each schedule runs once per slot, never twice (a lock in
the database, as issue #18 asks; it needs no clock agreement beyond the slot's width). A run that
raises records its error on its row; the failed-job report lists it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError

from passport.jobs.models import ScheduleRun
from passport.services import Services

if TYPE_CHECKING:
    from passport.jobs.queue import JobQueue

__all__ = ["SCHEDULES", "Periodic", "run_due", "slot_for"]

logger = logging.getLogger(__name__)

PERIODS = ("minute", "hour", "day")


@dataclass(frozen=True, slots=True)
class Periodic:
    name: str
    period: str  # minute, hour or day
    run: Callable[[Services, JobQueue, datetime], object]
    #: Minute of the hour or hour of the day it becomes due (0: at the start of the slot).
    offset: int = 0


def slot_for(period: str, now: datetime, offset: int = 0) -> str | None:
    """The slot ``now`` falls in, or None while the schedule is not yet due in this slot."""
    if period == "minute":
        return now.strftime("%Y-%m-%dT%H:%M")
    if period == "hour":
        return now.strftime("%Y-%m-%dT%H") if now.minute >= offset else None
    if period == "day":
        return now.strftime("%Y-%m-%d") if now.hour >= offset else None
    raise ValueError(f"unknown period {period!r}")


def _reap(services: Services, queue: JobQueue, now: datetime) -> object:
    from passport.jobs.runner import reap

    return reap(services, queue, now)


def _forget_old_runs(services: Services, queue: JobQueue, now: datetime) -> object:
    """Periodic rows older than 90 days say nothing any more."""
    with services.session() as session:
        session.execute(
            delete(ScheduleRun).where(ScheduleRun.started_at < now - timedelta(days=90))
        )
    return None


#: Every schedule, in the order a tick runs them. Other modules add theirs to this tuple's
#: source, not at run time, so every worker runs the same list.
SCHEDULES: tuple[Periodic, ...] = (
    Periodic("reaper", "minute", _reap),
    Periodic("forget-old-runs", "day", _forget_old_runs, offset=3),
)


def run_due(
    services: Services,
    queue: JobQueue,
    *,
    now: datetime,
    schedules: tuple[Periodic, ...] | None = None,
) -> list[str]:
    """Run every schedule due at ``now`` that no other worker took for its slot. Returns the
    names this call ran."""
    ran: list[str] = []
    for schedule in schedules if schedules is not None else _all_schedules():
        slot = slot_for(schedule.period, now, schedule.offset)
        if slot is None:
            continue
        try:
            with services.session() as session:
                session.add(ScheduleRun(name=schedule.name, slot=slot, started_at=now))
        except IntegrityError:
            continue  # another worker has this slot
        error: str | None = None
        try:
            schedule.run(services, queue, now)
        except Exception as exc:  # the task boundary: record it, go on
            logger.exception("schedule %s (%s) failed", schedule.name, slot)
            error = f"{type(exc).__name__}: {exc}"[:1000]
        with services.session() as session:
            session.execute(
                update(ScheduleRun)
                .where(ScheduleRun.name == schedule.name, ScheduleRun.slot == slot)
                .values(finished_at=services.now(), error=error)
            )
        ran.append(schedule.name)
    return ran


def _all_schedules() -> tuple[Periodic, ...]:
    from passport.jobs import scheduled

    return SCHEDULES + scheduled.SCHEDULES
