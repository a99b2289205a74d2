"""Staff pages under ``/admin``: dashboard, catalog, cohorts, assessments, badges, audit, users,
API tokens.

Every view is guarded by :func:`passport.web.sessions.require_role` (administrators pass all):

* any staff (admin, assessor, mentor) reads the dashboard, job families, skills and badges;
* only administrators change the catalog, manage users and API tokens and read the audit log;
* mentors manage the cohorts they mentor (creating a cohort makes them its mentor);
* assessors and administrators record assessments — a pass issues the badge.

One module per domain registers its views on the one blueprint. Form problems
(:class:`~passport.errors.InvalidRequest`) are shown on the page; everything else goes to the
application's error handlers. Every change leaves an audit event.
"""

from __future__ import annotations

from passport.web.admin import assessments, badges, catalog, cohorts, dashboard, users
from passport.web.admin.common import bp

__all__ = ["bp"]

# Skills going stale (/admin/freshness and its CSV), on a line of its own too.
# Endorsing badges (/admin/badges/<id>/endorse), on a line of its own so branches merge cleanly.
from passport.web.admin import endorsements as endorsements
from passport.web.admin import freshness as freshness

# Bulk issuance and the jobs pages (/admin/bulk, /admin/jobs), on a line of their own too.
from passport.web.admin import jobs as jobs

# The organisation's settings (/admin/settings), on a line of its own so that branches adding
# views to the lines above and below merge cleanly.
# The development mail outbox (/admin/outbox), on a line of its own for the same reason.
from passport.web.admin import outbox as outbox

# Outcomes (/admin/outcomes, its quarterly report and CSV), on a line of its own too.
from passport.web.admin import outcomes as outcomes

# People events from the HR system (/admin/people), on a line of its own for the same reason.
from passport.web.admin import people as people
from passport.web.admin import settings as settings

# Session templates and programs (/admin/templates, /admin/programs), on a line of its own too.
from passport.web.admin import templates_admin as templates_admin

# API tokens (/admin/tokens), on a line of its own for the same reason.
from passport.web.admin import tokens as tokens

#: The modules whose views are registered on :data:`bp` (kept referenced so the imports stay).
VIEWS = (assessments, badges, catalog, cohorts, dashboard, users)
