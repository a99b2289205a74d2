"""The staff dashboard: counts of what the program holds."""

from __future__ import annotations

from flask import g, render_template

from passport.accounts.models import User
from passport.accounts.users import STAFF_ROLES
from passport.assessments.models import Assessment
from passport.catalog.models import JobFamily, Skill
from passport.cohorts.models import (
    Cohort,
    CohortMember,
)
from passport.credentials.models import IssuedCredential
from passport.web.admin.common import (
    Page,
    bp,
    count_rows,
)
from passport.web.context import get_services
from passport.web.sessions import require_role

__all__: list[str] = []


@bp.get("/")
@require_role(*STAFF_ROLES)
def dashboard() -> Page:
    services = get_services()
    with services.session() as db:
        counts = {
            "job_families": count_rows(db, JobFamily),
            "skills": count_rows(db, Skill),
            "cohorts": count_rows(db, Cohort),
            "learners": count_rows(db, User, User.role == "learner"),
            "assessments": count_rows(db, Assessment),
            "badges": count_rows(db, IssuedCredential),
        }
        my_cohorts = count_rows(
            db,
            CohortMember,
            CohortMember.user_id == g.user.id,
            CohortMember.role == "mentor",
        )
        return render_template("admin/dashboard.html", counts=counts, my_cohorts=my_cohorts)
