"""The schedules of the notifications and clean-up work (expiry reminders, session reminders,
status-list republication, share-link clean-up, the failed-job report).

Each is a :class:`~passport.jobs.schedules.Periodic`; :func:`passport.jobs.schedules.run_due`
runs them once per slot across every worker.
"""

from __future__ import annotations

from passport.jobs.schedules import Periodic

__all__ = ["SCHEDULES"]

SCHEDULES: tuple[Periodic, ...] = ()
