"""The outcomes pages: the dashboard (``/admin/outcomes``), the quarterly report
(``/admin/outcomes/report``) and the CSV download (``/admin/outcomes.csv``).

Administrators and analysts only (an analyst sees these pages and nothing of learners'
records). The figures come from :func:`passport.outcomes.measures.compute_outcomes` as an
:class:`~passport.outcomes.report.Outcomes`, where groups of fewer than five people are
already :data:`~passport.outcomes.report.SUPPRESSED`: these views only choose the filters,
round for people (medians to whole days, shares to 1 %, p to 3 decimals) and hand the
charts their data as JSON for ``static/outcomes.js``. ``docs/outcomes.md`` defines each
figure; the one-sentence definitions on the pages say the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from babel import numbers as babel_numbers
from flask import render_template, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from passport.catalog.models import JobFamily, Skill
from passport.errors import InvalidRequest
from passport.mentoring.feedback import template_triage
from passport.outcomes import measures
from passport.outcomes.events import cohort_names
from passport.outcomes.models import PeopleEvent
from passport.outcomes.report import (
    Count,
    Curve,
    FamilyCoverage,
    Filters,
    Group,
    MobilityQuarter,
    Outcomes,
    Retention,
    Suppressed,
    SurvivalGroup,
    TriageRow,
)
from passport.web.admin.common import Page, actor_email, bp, download
from passport.web.context import get_services
from passport.web.i18n import format_date, ngettext, page_language
from passport.web.i18n import gettext as _
from passport.web.sessions import require_role

__all__ = ["OUTCOMES_ROLES", "Choices", "quarter_bounds"]

#: Who sees outcomes (administrators pass every role check).
OUTCOMES_ROLES = ("analyst",)

_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
#: How many quarters the pickers offer, back from the as-of date.
PICKER_QUARTERS = 12
#: Quarters of arrivals the quarterly report looks back over (the chosen one and the three
#: before it): one quarter's hires are too few, and too recent, to follow their ramp time.
REPORT_WINDOW = 4


# -- filters ----------------------------------------------------------------------------------


def quarter_bounds(quarter: str) -> tuple[date, date]:
    """The first and last day of ``"2026-Q1"``; InvalidRequest for anything else."""
    found = _QUARTER.match(quarter)
    if found is None:
        raise InvalidRequest(
            _("Choose a quarter from the list (for example 2026-Q1)."), code="bad_quarter"
        )
    year, number = int(found.group(1)), int(found.group(2))
    if not 1900 <= year <= 9998:
        raise InvalidRequest(
            _("Choose a quarter from the list (for example 2026-Q1)."), code="bad_quarter"
        )
    first = date(year, 3 * number - 2, 1)
    last = date(year + (number == 4), (3 * number) % 12 + 1, 1) - timedelta(days=1)
    return first, last


def quarter_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def last_complete_quarter(today: date) -> str:
    first, _last = quarter_bounds(quarter_of(today))
    return quarter_of(first - timedelta(days=1))


def quarters_before(day: date, count: int) -> list[str]:
    """``count`` quarters ending with the one holding ``day``, newest first."""
    found: list[str] = []
    while len(found) < count:
        quarter = quarter_of(day)
        found.append(quarter)
        day = quarter_bounds(quarter)[0] - timedelta(days=1)
    return found


@dataclass(frozen=True)
class Choices:
    """What the filter form offers: job families (id, name) by name, cohort names."""

    families: tuple[tuple[str, str], ...]
    cohorts: tuple[str, ...]


def filter_choices(db: Session) -> Choices:
    families = db.execute(select(JobFamily.id, JobFamily.name).order_by(JobFamily.name)).all()
    run_here = cohort_names(db).values()
    imported = db.scalars(
        select(PeopleEvent.cohort).where(PeopleEvent.cohort.is_not(None)).distinct()
    )
    cohorts = sorted({*run_here, *(name for name in imported if name)}, key=str.casefold)
    return Choices(tuple((row[0], row[1]) for row in families), tuple(cohorts))


def _arg(name: str, max_length: int = 200) -> str:
    return request.args.get(name, "").strip()[:max_length]


def _date_arg(name: str, label: str) -> date | None:
    text = _arg(name, 40)
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidRequest(
            _("%(field)s must be a date (YYYY-MM-DD).", field=label), code="bad_date"
        ) from None


@dataclass(frozen=True)
class Asked:
    """The dashboard's filters as asked (for the form) and as the measures take them."""

    as_of: date
    filters: Filters
    quarter: str
    form: dict[str, str]


def dashboard_filters(choices: Choices, today: date) -> Asked:
    """Read and check the dashboard's GET form; InvalidRequest with a plain sentence."""
    form = {
        name: _arg(name, 64 if name != "cohort" else 220)
        for name in ("job_family", "cohort", "quarter", "since", "until", "as_of")
    }
    family = form["job_family"] or None
    if family is not None and family not in dict(choices.families):
        raise InvalidRequest(_("Choose a job family from the list."), code="unknown_job_family")
    cohort = form["cohort"] or None
    if cohort is not None and cohort not in choices.cohorts:
        raise InvalidRequest(_("Choose a cohort from the list."), code="unknown_cohort")
    as_of = _date_arg("as_of", _("As of")) or today
    if as_of > today:
        raise InvalidRequest(_("The as-of date cannot be in the future."), code="future_date")
    since = _date_arg("since", _("Period from"))
    until = _date_arg("until", _("Period until"))
    if form["quarter"]:
        since, until = quarter_bounds(form["quarter"])
    if since is not None and until is not None and until < since:
        raise InvalidRequest(_("The end date is before the start date."), code="bad_dates")
    filters = Filters(job_family=family, cohort=cohort, since=since, until=until)
    return Asked(as_of=as_of, filters=filters, quarter=form["quarter"], form=form)


# -- presentation -----------------------------------------------------------------------------


def is_suppressed(value: object) -> bool:
    return isinstance(value, Suppressed)


def pct(value: float | None) -> str:
    """A share for people: whole percent in the page's language ("41%", "41 %")."""
    if value is None:
        return "—"
    # the locale's own whole-percent pattern ("41%", "41 %")
    text: str = babel_numbers.format_percent(value, locale=page_language())
    return text


def pvalue(value: float | None) -> str:
    if value is None:
        return "—"
    if value < 0.001:
        return "< " + _decimal(0.001)
    return _decimal(value)


def one_decimal(value: float | None) -> str:
    """A mean for people, with one decimal in the page's language ("4.2", "4,2")."""
    if value is None:
        return "—"
    text: str = babel_numbers.format_decimal(value, "0.0", locale=page_language())
    return text


def _decimal(value: float) -> str:
    text: str = babel_numbers.format_decimal(value, "0.000", locale=page_language())
    return text


def days(value: float | None) -> str:
    """A number of days, rounded to whole days; "not reached" for None."""
    if value is None:
        return _("not reached")
    whole = round(value)
    return str(ngettext("%(num)d day", "%(num)d days", whole))


def interval(low: float | None, high: float | None) -> str:
    """A 95 % interval of days ("35–48"), an open end "not reached"."""
    if low is None and high is None:
        return _("not reached")
    shown_low = str(round(low)) if low is not None else _("not reached")
    shown_high = str(round(high)) if high is not None else _("not reached")
    return f"{shown_low}–{shown_high}"


def reduction(value: float | None) -> str:
    """The change of the participants' median against the others' ("41% shorter")."""
    if value is None:
        return "—"
    if value >= 0:
        return _("%(share)s shorter", share=pct(value / 100))
    return _("%(share)s longer", share=pct(-value / 100))


#: Chart colours: each at least 4.5:1 on white, and each group drawn differently besides
#: (solid or dashed lines, point shapes), so colour is never the only cue.
PALETTE = ("#1f5fa8", "#a34400", "#2e7d32", "#7b1fa2", "#b3261e", "#00695c", "#5d4037")
POINT_STYLES = ("circle", "triangle", "rect", "rectRot", "star", "crossRot", "rectRounded")


def _round(values: tuple[float, ...]) -> list[float]:
    return [round(v, 4) for v in values]


def _curve(curve: Curve) -> dict[str, list[float]]:
    return {
        "days": _round(curve.days),
        "estimate": _round(curve.estimate),
        "low": _round(curve.low),
        "high": _round(curve.high),
    }


def _km_chart(groups: list[tuple[str, Group]], x_label: str, y_label: str) -> dict[str, Any]:
    series = []
    for index, (label, group) in enumerate(groups):
        if isinstance(group, SurvivalGroup):
            series.append(
                {
                    "label": label,
                    "color": PALETTE[index % len(PALETTE)],
                    "dashed": index % 2 == 1,
                    "curve": _curve(group.curve),
                }
            )
    return {
        "type": "km",
        "xLabel": x_label,
        "yLabel": y_label,
        "bandLabel": _("95% band"),
        "series": series,
    }


def ramp_labels() -> tuple[str, str]:
    return _("Joined a cohort within 30 days"), _("Other hires")


def retention_labels() -> tuple[str, str]:
    return _("Cohort learners"), _("Comparison group")


def charts(outcomes: Outcomes) -> dict[str, Any]:
    """Every chart's data, by the id of its canvas (``data-chart``), for outcomes.js."""
    found: dict[str, Any] = {}
    participants, others = ramp_labels()
    for index, ramp in enumerate(outcomes.ramp_time.values()):
        found[f"ramp-{index}"] = _km_chart(
            [(participants, ramp.participants), (others, ramp.others)],
            _("Days since hire"),
            _("Share not yet productive"),
        )
    learners, comparison = retention_labels()
    tables = (("retention", outcomes.retention), ("cohort", outcomes.retention_by_cohort))
    for prefix, table in tables:
        for index, retention in enumerate(table.values()):
            found[f"{prefix}-{index}"] = _km_chart(
                [(learners, retention.participants), (comparison, retention.others)],
                _("Days since the cohort's completion"),
                _("Share still employed"),
            )
    quarters = sorted({q for cells in outcomes.mobility.values() for q in cells})
    series = []
    for index, (family, cells) in enumerate(outcomes.mobility.items()):
        points = []
        for quarter in quarters:
            cell = cells.get(quarter)
            points.append(round(cell.rate, 4) if isinstance(cell, MobilityQuarter) else None)
        series.append(
            {
                "label": outcomes.family_names.get(family, family),
                "color": PALETTE[index % len(PALETTE)],
                "pointStyle": POINT_STYLES[index % len(POINT_STYLES)],
                "rates": points,
            }
        )
    if quarters:
        found["mobility"] = {
            "type": "mobility",
            "quarters": quarters,
            "xLabel": _("Quarter"),
            "yLabel": _("Internal mobility rate"),
            "series": series,
        }
    return found


def coverage_table(outcomes: Outcomes, skill_names: dict[str, str]) -> dict[str, Any]:
    """The heat map, a row per required skill (by name) and a column per job family (so six
    families fit a page where twenty skills would not): each cell a count (or suppressed),
    its share of the family's population and a colour step 1..5, or not required."""
    families = list(outcomes.coverage)
    skills = sorted(
        {skill for coverage in outcomes.coverage.values() for skill in coverage.by_skill},
        key=lambda skill: str(skill_names.get(skill, skill)).casefold(),
    )
    rows = []
    for skill in skills:
        cells: list[dict[str, Any]] = []
        for family in families:
            coverage = outcomes.coverage[family]
            if skill not in coverage.by_skill:
                cells.append({"family": family, "required": False})
                continue
            count = coverage.by_skill[skill]
            population = coverage.population
            share = None
            if isinstance(count, int) and isinstance(population, int) and population:
                share = count / population
            step = 0 if share is None else min(int(share * 5) + 1, 5)
            cells.append(
                {"family": family, "required": True, "count": count, "share": share, "step": step}
            )
        rows.append({"skill": skill, "name": skill_names.get(skill, skill), "cells": cells})
    return {"families": families, "rows": rows}


def mobility_table(outcomes: Outcomes) -> dict[str, Any]:
    """Mobility as a quarter-by-family table (a row per quarter, oldest first; a column per
    job family); a cell is a MobilityQuarter, or SUPPRESSED (fewer than 5 arrivals, none
    included; None, a quarter the measures did not list, reads the same)."""
    families = list(outcomes.mobility)
    quarters = sorted({q for cells in outcomes.mobility.values() for q in cells})
    rows = [
        {
            "quarter": q,
            "partial": quarter_bounds(q)[1] > outcomes.as_of,  # not over on the as-of date
            "cells": [outcomes.mobility[f].get(q) for f in families],
        }
        for q in quarters
    ]
    return {"families": families, "rows": rows}


def _template_helpers() -> dict[str, Any]:
    return {
        "suppressed": is_suppressed,
        "pct": pct,
        "one_decimal": one_decimal,
        "pvalue": pvalue,
        "share_at": _share_at,
        "days": days,
        "interval": interval,
        "reduction": reduction,
        "ramp_labels": ramp_labels(),
        "retention_labels": retention_labels(),
    }


def _skill_names(db: Session) -> dict[str, str]:
    return {row[0]: row[1] for row in db.execute(select(Skill.id, Skill.name))}


# -- the quarterly report's sentences ---------------------------------------------------------


def fewer_than_five() -> str:
    return _("fewer than 5")


def ramp_group_text(group: Group) -> str:
    """ "41 days (95% CI 35–48; 57 hires, 49 reached productive)"."""
    if not isinstance(group, SurvivalGroup):
        return _("fewer than 5 hires")
    return _(
        "%(median)s (95%% CI %(interval)s; %(hires)s, %(events)s reached productive)",
        median=days(group.median_days),
        interval=interval(group.ci_low, group.ci_high),
        hires=ngettext("%(num)d hire", "%(num)d hires", group.n),
        events=group.events,
    )


def ramp_sentence(family: str, participants: Group, others: Group, change: float | None) -> str:
    text = _(
        "Median ramp time for new %(family)s hires who joined a cohort within 30 days: "
        "%(participants)s, against %(others)s for the other hires.",
        family=family,
        participants=ramp_group_text(participants),
        others=ramp_group_text(others),
    )
    if change is not None:
        text += " " + _("Change: %(change)s.", change=reduction(change))
    return text


def _share_at(value: float | None) -> str:
    return pct(value) if value is not None else _("not yet known")


def retention_group_text(group: Group) -> str:
    """ "92% after 180 days and 85% after 365 days (40 people, 6 left)"; a share nobody has
    been followed long enough for is said to be not yet known, never guessed."""
    if not isinstance(group, SurvivalGroup):
        return _("fewer than 5 people")
    people = ngettext("%(num)d person", "%(num)d people", group.n)
    if group.at180 is None:
        return _(
            "not yet followed for 180 days (%(people)s, %(left)s left)",
            people=people,
            left=group.events,
        )
    if group.at365 is None:
        return _(
            "%(at180)s after 180 days, not yet followed for 365 days (%(people)s, %(left)s left)",
            at180=pct(group.at180),
            people=people,
            left=group.events,
        )
    return _(
        "%(at180)s after 180 days and %(at365)s after 365 days (%(people)s, %(left)s left)",
        at180=pct(group.at180),
        at365=pct(group.at365),
        people=people,
        left=group.events,
    )


def retention_sentence(subject: str, retention: Retention) -> str:
    text = _(
        "%(subject)s — still employed: cohort learners %(learners)s; comparison group %(others)s.",
        subject=subject,
        learners=retention_group_text(retention.participants),
        others=retention_group_text(retention.others),
    )
    if retention.logrank_p is not None:
        text += " " + _("Log-rank test: p = %(p)s.", p=pvalue(retention.logrank_p))
    return text


def coverage_sentence(family: str, coverage: FamilyCoverage) -> str:
    if not isinstance(coverage.population, int):
        return _("%(family)s: fewer than 5 badge holders.", family=family)
    return _(
        "%(family)s: of the organisation's %(population)s badge holders, %(ready)s are ready "
        "now and "
        "%(within)s are within one cohort.",
        family=family,
        population=coverage.population,
        ready=_count(coverage.ready_now),
        within=_count(coverage.within_one_cohort),
    )


def _count(value: Count) -> str:
    return str(value) if isinstance(value, int) else fewer_than_five()


def triage_sentence(row: TriageRow, skill: str) -> str:
    text = _(
        "Cohort %(cohort)s, %(skill)s: %(passed)s of %(assessed)s assessed learners passed.",
        cohort=row.cohort,
        skill=skill,
        passed=pct(row.pass_rate),
        assessed=row.assessed,
    )
    if row.criteria:
        worst = row.criteria[0]
        text += " " + _(
            "Least often met: %(criterion)s (%(share)s at the required level).",
            criterion=worst.criterion,
            share=pct(worst.met_rate),
        )
    return text


def mobility_sentence(family: str, cell: MobilityQuarter | Suppressed | None) -> str:
    if not isinstance(cell, MobilityQuarter):
        return _("%(family)s: fewer than 5 arrivals this quarter.", family=family)
    text = _(
        "%(family)s: %(rate)s of arrivals were internal moves (%(internal)s moves, "
        "%(external)s outside hires).",
        family=family,
        rate=pct(cell.rate),
        internal=cell.internal,
        external=cell.external,
    )
    if cell.badged_moves is not None:
        text += " " + _(
            "%(share)s of the moves were by people whose badges already met every required level.",
            share=pct(cell.badged_moves),
        )
    return text


# -- views ------------------------------------------------------------------------------------


def _today() -> date:
    """Today in the organisation's time zone (the measures' own default as-of date)."""
    services = get_services()
    with services.session() as db:
        return measures.default_as_of(db, services.now())


def _read(db: Session, as_of: date, filters: Filters, today: date) -> Outcomes:
    """The figures for the signed-in admin or analyst, audited (``outcomes.read``)."""
    return measures.read_outcomes(
        db, actor=actor_email(), as_of=as_of, filters=filters, today=today, now=get_services().now()
    )


@bp.get("/outcomes")
@require_role(*OUTCOMES_ROLES)
def outcomes() -> Page:
    """The dashboard: every measure, filtered by the GET form, charts with their tables."""
    services = get_services()
    today = _today()
    with services.session() as db:
        choices = filter_choices(db)
        try:
            asked = dashboard_filters(choices, today)
            # the measures check the filters again (a cohort renamed since the form was drawn)
            found = _read(db, asked.as_of, asked.filters, today)
        except InvalidRequest as exc:
            page = render_template(
                "admin/outcomes.html",
                error=exc.message,
                choices=choices,
                form={name: _arg(name) for name in request.args},
                quarters=quarters_before(today, PICKER_QUARTERS),
                today=today,
                **_template_helpers(),
            )
            return page, 400
        skill_names = _skill_names(db)
        templates = template_triage(db, now=services.now())
    query = {k: v for k, v in asked.form.items() if v}
    return render_template(
        "admin/outcomes.html",
        error=None,
        outcomes=found,
        choices=choices,
        form=asked.form,
        query=query,
        quarters=quarters_before(today, PICKER_QUARTERS),
        today=today,
        charts=charts(found),
        coverage=coverage_table(found, skill_names),
        mobility=mobility_table(found),
        skill_names=skill_names,
        names=found.family_names,
        templates=templates,
        **_template_helpers(),
    )


@bp.get("/outcomes.csv")
@require_role(*OUTCOMES_ROLES)
def outcomes_csv() -> Page:
    """The dashboard's figures (same filters) as CSV, suppression kept."""
    services = get_services()
    today = _today()
    with services.session() as db:
        asked = dashboard_filters(filter_choices(db), today)
        found = _read(db, asked.as_of, asked.filters, today)
    body = measures.outcomes_csv(found)
    return download(body, mimetype="text/csv", filename=f"outcomes-{asked.as_of}.csv")


@bp.get("/outcomes/report")
@require_role(*OUTCOMES_ROLES)
def outcomes_report() -> Page:
    """The quarterly report: each measure in a sentence, with its sample size and interval,
    as of the quarter's last day, over the arrivals and cohorts of the four quarters up to it.
    Print it (print CSS: A4, no navigation) for a PDF."""
    services = get_services()
    today = _today()
    chosen = _arg("quarter", 10) or last_complete_quarter(today)
    # Only quarters that have ended: the report refuses the current one.
    offered = quarters_before(quarter_bounds(last_complete_quarter(today))[1], PICKER_QUARTERS)
    with services.session() as db:
        choices = filter_choices(db)
        family = _arg("job_family", 64) or None
        try:
            first, last = quarter_bounds(chosen)
            if last > today:
                raise InvalidRequest(
                    _("Choose a quarter that has ended."), code="quarter_not_ended"
                )
            if family is not None and family not in dict(choices.families):
                raise InvalidRequest(
                    _("Choose a job family from the list."), code="unknown_job_family"
                )
            since = quarter_bounds(quarters_before(last, REPORT_WINDOW)[-1])[0]
            filters = Filters(job_family=family, since=since, until=last)
            found = _read(db, last, filters, today)
        except InvalidRequest as exc:
            page = render_template(
                "admin/outcomes_report.html",
                error=exc.message,
                quarters=offered,
                chosen=chosen,
                choices=choices,
                family=family,
            )
            return page, 400
        skill_names = _skill_names(db)
    names = found.family_names
    cohort_names = list(found.retention_by_cohort)
    return render_template(
        "admin/outcomes_report.html",
        error=None,
        outcomes=found,
        quarters=offered,
        chosen=chosen,
        choices=choices,
        family=family,
        first=first,
        last=last,
        since=since,
        window_start=format_date(since),
        window_end=format_date(last),
        ramp=[
            ramp_sentence(names.get(key, key), r.participants, r.others, r.reduction_pct)
            for key, r in found.ramp_time.items()
        ],
        retention=[
            retention_sentence(names.get(key, key), r) for key, r in found.retention.items()
        ],
        retention_cohorts=[
            retention_sentence(name, found.retention_by_cohort[name]) for name in cohort_names
        ],
        coverage=[coverage_sentence(names.get(key, key), c) for key, c in found.coverage.items()],
        triage=[
            triage_sentence(row, skill_names.get(row.skill, row.skill)) for row in found.triage
        ],
        mobility=[
            mobility_sentence(names.get(key, key), cells.get(chosen))
            for key, cells in found.mobility.items()
        ],
        **_template_helpers(),
    )
