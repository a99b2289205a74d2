"""Build or buy, per job family (``/hiring/pipeline``, ``/hiring/pipeline/<family>``): openings
against the people ready now, within one cohort and in a cohort now, the recommendation in one
sentence, and the skills whose cohort would unlock the most ready candidates.

The figures come from :mod:`passport.mobility.pipeline`, where every count of people is
already a shown value (below 5: suppressed); this module only words them. ``docs/mobility.md``
defines each figure; the one-sentence definitions on the page say the same.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from flask import render_template

from passport.mobility.pipeline import FamilyPipeline, all_pipelines, family_pipeline
from passport.outcomes.report import Count, Suppressed
from passport.web.context import get_services
from passport.web.hiring.common import HIRING_ROLES, bp
from passport.web.i18n import format_date, format_number, ngettext
from passport.web.i18n import gettext as _
from passport.web.sessions import require_role

__all__ = ["count_text", "decision_text", "pipeline_sentence"]


def count_text(count: Count) -> str:
    """A count of people as shown: the number, or "fewer than 5"."""
    return _("fewer than 5") if isinstance(count, Suppressed) else format_number(count)


def decision_text(pipeline: FamilyPipeline) -> str:
    """The recommendation in a few words ("train", "hire for 3 openings")."""
    if pipeline.decision == "no_open_roles":
        return _("no open roles")
    if pipeline.decision == "move_internally":
        return _("move internally")
    if pipeline.decision == "train":
        return _("train")
    if pipeline.hire_for is not None:
        return ngettext("hire for %(num)d opening", "hire for %(num)d openings", pipeline.hire_for)
    return _("hire")


def pipeline_sentence(pipeline: FamilyPipeline, day: Callable[[date], str] = format_date) -> str:
    """The recommendation with the numbers it rests on, as shown ("4 openings, fewer than 5
    ready now, 6 within one cohort starting Jan 11, 2027: train"); ``day`` words the date."""
    openings = ngettext("%(num)d opening", "%(num)d openings", pipeline.openings)
    ready = _("%(count)s ready now", count=count_text(pipeline.ready_now))
    if pipeline.next_cohort is not None:
        within = _(
            "%(count)s within one cohort starting %(date)s",
            count=count_text(pipeline.within_one_cohort),
            date=day(pipeline.next_cohort.starts_on),
        )
    else:
        within = _(
            "%(count)s within one cohort (none scheduled)",
            count=count_text(pipeline.within_one_cohort),
        )
    return _(
        "%(openings)s, %(ready)s, %(within)s: %(decision)s",
        openings=openings,
        ready=ready,
        within=within,
        decision=decision_text(pipeline),
    )


def _helpers() -> dict[str, object]:
    return {"count_text": count_text, "sentence": pipeline_sentence}


@bp.get("/pipeline")
@require_role(*HIRING_ROLES)
def pipeline() -> str:
    """Every active job family's build-or-buy figures."""
    services = get_services()
    with services.session() as session:
        pipelines = all_pipelines(session, services.now())
    return render_template("hiring/pipeline_index.html", pipelines=pipelines, **_helpers())


@bp.get("/pipeline/<family_id>")
@require_role(*HIRING_ROLES)
def pipeline_family(family_id: str) -> str:
    """One job family's figures (NotFound ``unknown_job_family``)."""
    services = get_services()
    with services.session() as session:
        found = family_pipeline(session, family_id, now=services.now())
    return render_template("hiring/pipeline_family.html", p=found, **_helpers())
