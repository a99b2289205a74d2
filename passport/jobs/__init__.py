"""Work that outlives a request: the job queue (Huey), bulk issuance as a job, notifications by
e-mail, and the schedules (expiry reminders, status lists, clean-up), run by ``passport worker``.

The database holds the state of every job, part and e-mail; the queue only carries messages
that say what to run next (:mod:`passport.jobs.queue`).
"""

from __future__ import annotations

__all__: list[str] = []
