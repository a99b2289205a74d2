"""Job-family fit: which required skills at which levels do verified badges show? Pure, no DB.

Input: a job family in the shape served at ``/job-families/<id>`` (``passport.catalog.
job_family_document``: ``requirements`` of ``{skill, skillName, minLevel, achievement}``; another
organisation's file may add ``alignment: {targetFramework, targetCode}`` per requirement) and the
reports of verified credentials. Output: a coverage matrix (required skill × required level ×
level shown × freshness) and the gaps.

Only a badge whose report is ``verified`` — signature, model and validity window passed, and not
revoked or suspended (a failed ``status`` makes a report unverified) — counts; the others are
listed with the reason they do not count. How a badge is matched to a requirement:

1. its achievement is the requirement's achievement, or the same catalog entry at another level
   (our catalog names achievements ``<base>/achievements/<skill>-l<level>``);
2. else one of its alignments has the requirement's ``targetFramework`` + ``targetCode``;
3. else an alignment's ``targetCode`` or ``targetName`` equals the skill id or name.

The level shown is what the badge certifies: the rubric level its ``requiredLevel`` names (the
lowest, with several criteria); without one, the lowest level its results reached; without
either, the level in our catalog's achievement id.

An Open Badges 2.0 badge (:class:`verifier.ob2.Ob2Assertion`) counts only through its
BadgeClass's alignments, and only when one names the requirement: its ``targetUrl`` is the
requirement's achievement (or the same catalog skill at another level: that level is shown), or
its ``targetCode`` is one of the skill's framework codes the job family publishes
(``alignment``, with ``targetFramework`` when both give one; ``targetUrl`` when the skill's entry
has no code). A framework code says which skill, not at which level: such a badge is shown
with no level and never meets a minimum. Names are not matched (anyone can name a badge after a
skill).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, TypeVar

from verifier.errors import FormatError
from verifier.model import AchievementCredential
from verifier.ob2 import Ob2Assertion
from verifier.report import Report

__all__ = [
    "Coverage",
    "FitReport",
    "JobFamilyRequirements",
    "Requirement",
    "best_shown",
    "fit",
    "level_of",
    "parse_job_family",
]

_T = TypeVar("_T")

#: A skill's entry in a public framework, as a job family publishes it: (framework, code, url).
FrameworkEntry = tuple[str | None, str | None, str | None]

_CATALOG_ID = re.compile(r"^(?P<base>.*/achievements/)(?P<skill>[a-z0-9][a-z0-9-]*)-l(?P<lvl>\d+)$")


@dataclass(frozen=True, slots=True)
class Requirement:
    skill: str
    skill_name: str
    min_level: int
    achievement: str | None = None
    framework: str | None = None
    code: str | None = None
    #: Every framework entry of the skill (the job family's ``alignment`` list).
    frameworks: tuple[FrameworkEntry, ...] = ()


@dataclass(frozen=True, slots=True)
class JobFamilyRequirements:
    id: str
    name: str
    requirements: tuple[Requirement, ...]


@dataclass(frozen=True, slots=True)
class Coverage:
    """One row of the matrix."""

    requirement: Requirement
    status: Literal["met", "below", "missing"]
    level: int | None = None
    credential_id: str | None = None
    credential_name: str | None = None
    #: Days since the badge's ``validFrom`` (its freshness), and when it stops being valid.
    age_days: int | None = None
    valid_until: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "skill": self.requirement.skill,
            "skillName": self.requirement.skill_name,
            "requiredLevel": self.requirement.min_level,
            "shownLevel": self.level,
            "status": self.status,
            "credential": self.credential_id,
            "credentialName": self.credential_name,
            "ageDays": self.age_days,
            "validUntil": self.valid_until.isoformat() if self.valid_until else None,
        }


@dataclass(frozen=True, slots=True)
class FitReport:
    job_family: JobFamilyRequirements
    rows: tuple[Coverage, ...]
    #: Badges that do not count: (credential id or label, reason).
    not_counted: tuple[tuple[str, str], ...]

    @property
    def gaps(self) -> tuple[Coverage, ...]:
        return tuple(r for r in self.rows if r.status != "met")

    @property
    def fits(self) -> bool:
        return not self.gaps

    def to_dict(self) -> dict[str, Any]:
        return {
            "jobFamily": {"id": self.job_family.id, "name": self.job_family.name},
            "fits": self.fits,
            "coverage": [r.to_dict() for r in self.rows],
            "gaps": [r.to_dict() for r in self.gaps],
            "notCounted": [{"credential": c, "reason": why} for c, why in self.not_counted],
        }


def parse_job_family(document: object) -> JobFamilyRequirements:
    """Read a job-family JSON. Raises :class:`~verifier.errors.FormatError` when unusable."""
    if not isinstance(document, Mapping) or not isinstance(document.get("requirements"), list):
        raise FormatError(
            "The job family must be a JSON object with a list of requirements.",
            code="bad_job_family",
        )
    requirements = []
    for item in document["requirements"]:
        if not isinstance(item, Mapping):
            raise FormatError(
                "Each job-family requirement must be an object.", code="bad_job_family"
            )
        skill, level = item.get("skill"), item.get("minLevel", item.get("min_level"))
        if not isinstance(skill, str) or not isinstance(level, int) or isinstance(level, bool):
            raise FormatError(
                "Each requirement needs a 'skill' (text) and a 'minLevel' (number).",
                code="bad_job_family",
            )
        found = item.get("alignment")
        entries = [
            e for e in (found if isinstance(found, list) else [found]) if isinstance(e, Mapping)
        ]
        alignment: Mapping[str, Any] = entries[0] if entries else {}
        requirements.append(
            Requirement(
                skill=skill,
                skill_name=str(item.get("skillName") or skill),
                min_level=level,
                achievement=_str(item.get("achievement")),
                framework=_str(alignment.get("targetFramework")),
                code=_str(alignment.get("targetCode")),
                frameworks=tuple(
                    (
                        _str(e.get("targetFramework")),
                        _str(e.get("targetCode")),
                        _str(e.get("targetUrl")),
                    )
                    for e in entries
                ),
            )
        )
    return JobFamilyRequirements(
        id=str(document.get("id") or ""),
        name=str(document.get("name") or "Job family"),
        requirements=tuple(requirements),
    )


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _level_of(credential: AchievementCredential) -> int | None:
    achievement = credential.credential_subject.achievement
    levels: dict[str, int] = {}
    required: list[int] = []
    for description in achievement.result_description:
        for rubric in description.rubric_criterion_level:
            if rubric.level is not None and rubric.level.isdigit():
                levels[rubric.id] = int(rubric.level)
        if description.required_level in levels:
            required.append(levels[description.required_level])
    achieved = [
        levels[r.achieved_level]
        for r in credential.credential_subject.result
        if r.achieved_level in levels
    ]
    # What the badge certifies is its required level; results above it per criterion do not
    # raise it (every criterion must reach a level for the badge at that level).
    if required:
        return min(required)
    if achieved:
        return min(achieved)
    match = _CATALOG_ID.match(achievement.id)
    return int(match["lvl"]) if match else None


def level_of(credential: AchievementCredential) -> int | None:
    """The level a badge certifies, by the rule the fit uses (see the module's docstring)."""
    return _level_of(credential)


def _matches(requirement: Requirement, credential: AchievementCredential) -> bool:
    achievement = credential.credential_subject.achievement
    if requirement.achievement and achievement.id == requirement.achievement:
        return True
    wanted = _CATALOG_ID.match(requirement.achievement or "")
    have = _CATALOG_ID.match(achievement.id)
    if wanted and have:
        return (wanted["base"], wanted["skill"]) == (have["base"], have["skill"])
    for alignment in achievement.alignment:
        if (
            requirement.code
            and alignment.target_code == requirement.code
            and requirement.framework in (None, alignment.target_framework)
        ):
            return True
        names = {requirement.skill.lower(), requirement.skill_name.lower()}
        if alignment.target_type != "ext:JobFamily" and (
            (alignment.target_code or "").lower() in names or alignment.target_name.lower() in names
        ):
            return True
    return False


def _ob2_level(requirement: Requirement, badge: Ob2Assertion) -> tuple[bool, int | None]:
    """Whether an OB 2.0 badge's alignments name ``requirement``, and the level they show."""
    wanted = _CATALOG_ID.match(requirement.achievement or "")
    matched = False
    for alignment in badge.credential_subject.achievement.alignment:
        url, code = alignment.target_url, alignment.target_code
        have = _CATALOG_ID.match(url)
        if url == requirement.achievement or (
            wanted and have and (wanted["base"], wanted["skill"]) == (have["base"], have["skill"])
        ):
            return True, int(have["lvl"]) if have else None
        for framework, entry_code, entry_url in requirement.frameworks:
            if entry_code is not None:
                if code == entry_code and (
                    framework is None
                    or alignment.target_framework is None
                    or framework == alignment.target_framework
                ):
                    matched = True
            elif entry_url is not None and url == entry_url:
                matched = True
    return matched, None


def best_shown(
    min_level: int, shown: Iterable[tuple[int, _T]]
) -> tuple[Literal["met", "below", "missing"], tuple[int, _T] | None]:
    """The coverage rule: of the (level, badge) pairs that count for a requirement, the first
    with the highest level is the one shown; it meets the requirement when its level reaches
    ``min_level``. Returns the status and that pair (None when nothing counts)."""
    best: tuple[int, _T] | None = None
    for level, item in shown:
        if best is None or level > best[0]:
            best = (level, item)
    if best is None:
        return "missing", None
    return ("met" if best[0] >= min_level else "below"), best


def fit(
    job_family: JobFamilyRequirements, reports: Sequence[Report], *, now: datetime
) -> FitReport:
    """The coverage matrix of ``job_family`` by the verified badges among ``reports``."""
    counted: list[AchievementCredential] = []
    ob2_badges: list[Ob2Assertion] = []
    not_counted: list[tuple[str, str]] = []
    for report in reports:
        credential = report.credential
        label = getattr(credential, "id", None) or "an unreadable credential"
        if not report.verified:
            first = report.first_failure
            not_counted.append((label, first.message if first else "Not verified."))
        elif isinstance(credential, Ob2Assertion):
            if any(_ob2_level(r, credential)[0] for r in job_family.requirements):
                ob2_badges.append(credential)
            else:
                not_counted.append(
                    (
                        label,
                        "An Open Badges 2.0 badge counts only when its alignments name one of "
                        "the required skills; this one names none.",
                    )
                )
        elif not isinstance(credential, AchievementCredential):
            not_counted.append((label, "Not a badge for an achievement."))
        elif (
            credential.credential_subject.id is None
            and not credential.credential_subject.identifier
        ):
            # Authentic, but it names no recipient (a conformance note): it says nothing of
            # the person whose fit is asked about.
            not_counted.append((label, "It names no recipient, so it shows nothing about them."))
        else:
            counted.append(credential)
    rows = []
    for requirement in job_family.requirements:
        shown: list[tuple[int, AchievementCredential | Ob2Assertion]] = [
            (_level_of(c) or 0, c) for c in counted if _matches(requirement, c)
        ]
        known: dict[int, int | None] = {}
        for badge in ob2_badges:
            matched, ob2_level = _ob2_level(requirement, badge)
            if matched:
                known[id(badge)] = ob2_level
                shown.append((ob2_level or 0, badge))
        status, best = best_shown(requirement.min_level, shown)
        if best is None:
            rows.append(Coverage(requirement, "missing"))
            continue
        level, credential = best
        start: datetime | None = credential.valid_from
        rows.append(
            Coverage(
                requirement,
                status,
                level=known.get(id(credential), level),
                credential_id=credential.id,
                credential_name=credential.name or credential.credential_subject.achievement.name,
                age_days=(now - start).days if start else None,
                valid_until=credential.valid_until,
            )
        )
    return FitReport(job_family, tuple(rows), tuple(not_counted))
