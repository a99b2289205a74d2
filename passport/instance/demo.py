"""``passport demo``: a realistic, living program for a first look.

Staff (an admin, two mentors, an assessor), 20 learners, two 7-week micro-mentoring cohorts with
weekly sessions, attendance and mentor notes, and assessments — most passing — whose badges are
issued exactly as in production (Data Integrity by default, a few as VC-JWT). Then two years of
the organisation's HR history (:mod:`passport.outcomes.demo`: about 470 people, six job
families, SRE onboarding cohorts that cut ramp time by about 40 %), imported as ``passport
people import`` does, with the demo's learners linked by e-mail so its own cohorts count too.
And internal mobility (:func:`load_mobility`): a hiring manager, two open roles (SRE and
platform) and some learners who chose to be found, so a role's page ranks candidates with gaps.
Idempotent: a second run changes nothing. Deterministic (a fixed random seed), so screenshots
and tests agree.
"""

from __future__ import annotations

import json
import logging
import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from passport.accounts.models import User
from passport.accounts.users import create_user
from passport.assessments.record import AssessmentInput, EvidenceInput, record_assessment
from passport.catalog.models import AchievementDefinition, JobFamily, Skill
from passport.cohorts.models import (
    Attendance,
    Cohort,
    CohortMember,
    CohortSkill,
    MentoringSession,
    MentorNote,
)
from passport.credentials.issuing import IssueRequest, issue_credential
from passport.errors import ConfigError
from passport.instance.setup import initialise
from passport.mentoring.matching import eligibility, grant_exception
from passport.mentoring.models import MentorProfile, SessionFeedback
from passport.mentoring.recognition import recognise_mentors
from passport.mobility.consent import Consent, set_consent
from passport.mobility.roles import RoleDraft, open_role
from passport.outcomes import people
from passport.outcomes.demo import (
    PRODUCTIVE_DEFINITIONS,
    LinkedLearner,
    events_csv,
    generate_events,
)
from passport.outcomes.models import HRPerson
from passport.services import Services

__all__ = [
    "DEMO_PASSWORD",
    "DemoResult",
    "load_demo",
    "load_mentor_matching",
    "load_mobility",
    "load_people_events",
]

logger = logging.getLogger(__name__)

DEMO_PASSWORD = "demo-password-change-me"  # noqa: S105 - published demo data, not a secret
DOMAIN = "demo.example"

LEARNERS = [
    "Ada Lovelace",
    "Alan Turing",
    "Grace Hopper",
    "Katherine Johnson",
    "Linus Torvalds",
    "Margaret Hamilton",
    "Barbara Liskov",
    "Ken Thompson",
    "Radia Perlman",
    "Dennis Ritchie",
    "Frances Allen",
    "John McCarthy",
    "Hedy Lamarr",
    "Tim Berners-Lee",
    "Shafi Goldwasser",
    "Donald Knuth",
    "Sophie Wilson",
    "Edsger Dijkstra",
    "Adele Goldberg",
    "Leslie Lamport",
]
COHORTS = [
    {
        "name": "SRE Foundations — Spring cohort",
        "description": "Seven weeks of weekly micro-mentoring towards the SRE job family.",
        "skills": ["incident-response-l2", "observability-l2", "linux-administration-l2"],
        "topics": [
            ("On-call and incident roles", "Explain incident roles and run a triage drill."),
            ("SLOs from user journeys", "Derive two SLOs and an error budget for a service."),
            ("Metrics, logs and traces", "Instrument a service and follow one request end to end."),
            ("Linux under load", "Diagnose CPU, memory and I/O saturation on a host."),
            ("Alerting that wakes you for a reason", "Turn a noisy alert into an SLO burn alert."),
            ("Blameless reviews", "Write a post-incident review with contributing factors."),
            ("Game day", "Handle an injected failure as incident commander."),
        ],
        "mentor_note": "Strong triage instincts; practise writing the timeline as you go.",
    },
    {
        "name": "Platform Engineering Fast-track",
        "description": "Kubernetes, infrastructure as code and delivery pipelines in seven weeks.",
        "skills": ["kubernetes-operations-l2", "infrastructure-as-code-l2", "ci-cd-l2"],
        "topics": [
            ("Workloads and rollouts", "Deploy a service with probes, limits and a rollback."),
            ("Debugging pods", "Find the cause of a crash-looping workload."),
            ("Modules, not copies", "Extract a reusable infrastructure module with tests."),
            ("Plan, review, apply", "Run a reviewed change through a plan/apply workflow."),
            ("Pipelines", "Build a pipeline that tests, packages and signs an artefact."),
            ("Progressive delivery", "Release with a canary and an automatic rollback."),
            ("Platform as a product", "Present a golden path and gather developer feedback."),
        ],
        "mentor_note": "Confident with rollouts; slow down and read the plan before every apply.",
    },
]

#: How the HR system knows each cohort's ten learners, in the order of LEARNERS: the job family
#: they were hired into and how many days before the cohort started. SRE Foundations: eight
#: new hires (within 30 days: onboarding participants) and two old hands; the fast-track:
#: experienced engineers upskilling.
COHORT_PEOPLE: dict[str, list[tuple[str, int]]] = {
    "SRE Foundations — Spring cohort": [
        ("sre", days) for days in (3, 6, 9, 12, 16, 20, 24, 28, 240, 410)
    ],
    "Platform Engineering Fast-track": [
        ("platform", 150),
        ("platform", 210),
        ("platform", 330),
        ("platform", 460),
        ("platform", 600),
        ("software", 180),
        ("software", 390),
        ("software", 520),
        ("cloud", 270),
        ("cloud", 640),
    ],
}

#: The assessed task behind each demo badge: what the learner did, for that skill at that level
#: (Practitioner: a typical task done independently, a common failure diagnosed).
EVIDENCE: dict[str, tuple[str, str]] = {
    "incident-response-l2": (
        "Incident drill: checkout latency spike",
        "Led the triage of a simulated checkout latency incident as incident lead: found the "
        "saturated database pool, rolled back the change behind it within 20 minutes, posted "
        "updates every 15 minutes and wrote the blameless review with three follow-up actions.",
    ),
    "observability-l2": (
        "SLO and burn-rate alert for the orders API",
        "Instrumented the orders API with request metrics and traces, derived an availability "
        "and a latency SLO from the checkout journey, and replaced a noisy CPU alert with a "
        "burn-rate alert linked to a runbook.",
    ),
    "linux-administration-l2": (
        "Diagnosing a saturated Linux host",
        "Found why a batch host slowed down (a log partition filling up and swap thrashing) with "
        "standard tools, fixed log rotation, set the service's memory limits in its systemd unit "
        "and applied the SSH and sudo baseline.",
    ),
    "kubernetes-operations-l2": (
        "Rollout and rollback of the catalogue service",
        "Deployed the catalogue service with readiness probes, resource limits and a "
        "horizontal autoscaler, then found a crash-looping pod's missing config map and rolled "
        "back a failed release.",
    ),
    "infrastructure-as-code-l2": (
        "A reusable network module, reviewed plan and apply",
        "Extracted the copied VPC code into a module with inputs, outputs and tests, took the "
        "change through review and plan/apply, and set up a nightly drift check.",
    ),
    "ci-cd-l2": (
        "A pipeline that tests, signs and releases",
        "Built a pipeline that tests, packages and signs a container image with build "
        "provenance, and released it with a canary that rolls back automatically on failing "
        "health checks.",
    ),
}


@dataclass(frozen=True, slots=True)
class DemoResult:
    created: bool
    learners: int = 0
    assessments: int = 0
    badges: int = 0
    people_events: int = 0
    roles: int = 0
    events: int = 0


def _user(session: Session, name: str, role: str) -> User:
    email = f"{name.lower().replace(' ', '.').replace('-', '')}@{DOMAIN}"
    existing = session.scalar(select(User).where(User.email == email))
    return existing or create_user(
        session, email=email, name=name, role=role, password=DEMO_PASSWORD, actor="demo"
    )


def load_demo(services: Services) -> DemoResult:
    """Load the demo program (after ``passport init``); idempotent.

    Raises :class:`~passport.errors.ConfigError` (``demo_in_production``) in production: the
    demo's accounts share a published password, and its badges would be signed with the
    organisation's real key.
    """
    if services.settings.is_production:
        raise ConfigError(
            "The demo program is never loaded in production: its accounts share a published "
            "password and its badges would carry your real signature (use PASSPORT_ENV="
            "development for a trial instance).",
            code="demo_in_production",
        )
    initialise(services)
    rng = random.Random(20261126)  # noqa: S311 - deterministic demo data, not security
    with services.session() as session:
        if session.scalar(select(User).where(User.email == f"admin@{DOMAIN}")) is not None:
            loaded_before = True
        else:
            loaded_before = False
    if loaded_before:
        # A demo loaded before the outcome measures (or the open roles) existed gets them now.
        load_materials_demo(services)  # standard materials (issue #21)
        load_freshness(services)
        result = DemoResult(
            created=False,
            people_events=load_people_events(services),
            roles=load_mobility(services),
            events=load_events(services),
        )
        load_mentor_matching(services)
        return result
    with services.session() as session:
        admin = create_user(
            session,
            email=f"admin@{DOMAIN}",
            name="Program Admin",
            role="admin",
            password=DEMO_PASSWORD,
            actor="demo",
        )
        assessor = _user(session, "Ana Assessor", "assessor")
        mentors = [_user(session, "Mo Mentor", "mentor"), _user(session, "Mei Mentor", "mentor")]
        learners = [_user(session, name, "learner") for name in LEARNERS]
        today = services.now().date()
        for index, spec in enumerate(COHORTS):
            start = today - timedelta(weeks=9 - 2 * index)
            cohort = Cohort(
                name=spec["name"],
                description=spec["description"],
                starts_on=start,
                ends_on=start + timedelta(weeks=7),
            )
            session.add(cohort)
            session.flush()
            members = learners[index * 10 : index * 10 + 10]
            cohort.members.append(CohortMember(user_id=mentors[index].id, role="mentor"))
            for learner in members:
                cohort.members.append(CohortMember(user_id=learner.id, role="learner"))
            for achievement_id in spec["skills"]:
                cohort.target_skills.append(CohortSkill(achievement_id=achievement_id))
            for week, (title, outcome) in enumerate(spec["topics"]):
                starts = datetime.combine(
                    start + timedelta(weeks=week), time(15, 0), tzinfo=services.now().tzinfo
                )
                meeting = MentoringSession(
                    title=title, learning_outcome=outcome, starts_at=starts, minutes=60
                )
                cohort.sessions.append(meeting)
                if starts.date() <= today:
                    for learner in members:
                        meeting.attendance.append(
                            Attendance(user_id=learner.id, present=rng.random() > 0.15)
                        )
            session.add(
                MentorNote(
                    cohort_id=cohort.id,
                    author_id=mentors[index].id,
                    learner_id=members[0].id,
                    text=spec["mentor_note"],
                )
            )
        session.flush()
        del admin
        cohort_ids = [c.id for c in session.scalars(select(Cohort).order_by(Cohort.id))]
        skills = {s.id: s for s in session.scalars(select(Skill))}
    assessments = badges = 0
    for index, spec in enumerate(COHORTS):
        for n, learner in enumerate(learners[index * 10 : index * 10 + 10]):
            for k, achievement_id in enumerate(spec["skills"]):
                skill_id = achievement_id.rsplit("-l", 1)[0]
                criteria = [c["id"] for c in json.loads(skills[skill_id].criteria)]
                passing = (n + k) % 5 != 4
                levels = {c: 2 + (rng.random() > 0.6) for c in criteria}
                if not passing:
                    levels[criteria[-1]] = 1
                when = services.now() - timedelta(days=rng.randint(1, 20))
                with services.session() as session:
                    outcome = record_assessment(
                        session,
                        services,
                        AssessmentInput(
                            learner_email=learner.email,
                            achievement_id=achievement_id,
                            levels=levels,
                            assessor=assessor.email,
                            cohort_id=cohort_ids[index],
                            idempotency_key=f"demo:{learner.email}:{achievement_id}",
                            assessed_at=when,
                            proof_format="vc-jwt" if (n + k) % 7 == 3 else "data-integrity",
                            evidence=[
                                EvidenceInput(
                                    name=EVIDENCE[achievement_id][0],
                                    narrative=EVIDENCE[achievement_id][1],
                                )
                            ],
                        ),
                        now=services.now(),
                    )
                assessments += 1
                badges += outcome.credential_id is not None
    load_materials_demo(services)  # standard materials (issue #21)
    fresh = load_freshness(services)
    _demo_endorsement(services, mentor_id=mentors[0].id, learner_email=learners[0].email)
    result = DemoResult(
        created=True,
        learners=len(learners),
        assessments=assessments + fresh,
        badges=badges + fresh,
        people_events=load_people_events(services),
        roles=load_mobility(services),
        events=load_events(services),
    )
    load_mentor_matching(services)
    return result


#: The demo's standalone events: (title, outcome, skill, level, format, shadow slot, capacity,
#: days from today, hour in Europe/Berlin, minutes, place, meeting link).
EVENTS: tuple[
    tuple[str, str, str, int, str, str | None, int | None, int, int, int, str | None, str | None],
    ...,
] = (
    (
        "Reading a flame graph",
        "Find the hot path of a slow service in a CPU profile.",
        "observability",
        2,
        "pairing",
        None,
        4,
        3,
        10,
        45,
        "Room Ada, 2nd floor",
        None,
    ),
    (
        "Shadowing the primary on-call",
        "Follow a real page from alert to resolution and write its timeline.",
        "incident-response",
        3,
        "shadow",
        "Primary on-call, Tuesday day shift",
        2,
        6,
        9,
        90,
        None,
        "https://meet.demo.example/on-call-shadow",
    ),
    (
        "Blameless incident reviews",
        "Run a review that finds contributing factors, not culprits.",
        "incident-response",
        2,
        "talk",
        None,
        None,
        9,
        14,
        30,
        None,
        "https://meet.demo.example/incident-reviews",
    ),
    (
        "Your first Terraform module",
        "Turn copied network code into a tested module with inputs and outputs.",
        "infrastructure-as-code",
        2,
        "hands_on",
        None,
        8,
        12,
        13,
        60,
        "Lab 1",
        None,
    ),
)


def load_events(services: Services) -> int:
    """Standalone events for the demo (one nearly full with a waitlist, one shadow rotation)
    and a target job family for the demo learner; idempotent. Returns the events made."""
    from passport.mentoring.events import EventDraft, create_event, set_target, sign_up

    now = services.now()
    with services.session() as session:
        if session.scalar(select(MentoringSession.id).where(MentoringSession.cohort_id.is_(None))):
            return 0
        mentor = session.scalar(select(User).where(User.email == f"mo.mentor@{DOMAIN}"))
        learners = list(
            session.scalars(
                select(User)
                .where(User.role == "learner", User.email.like(f"%@{DOMAIN}"))
                .order_by(User.id)
            )
        )
        admin = session.scalar(select(User).where(User.email == f"admin@{DOMAIN}"))
        if mentor is None or admin is None or not learners:
            return 0
        # An event's mentor must be eligible (issue #21): Mo teaches these by exception where
        # no badge of his covers the level.
        highest: dict[str, int] = {}
        for event in EVENTS:
            highest[event[2]] = max(highest.get(event[2], 0), event[3])
        for skill, level in sorted(highest.items()):
            if not eligibility(session, mentor, skill, level, now=now).eligible:
                grant_exception(
                    session,
                    admin,
                    user_id=mentor.id,
                    skill_id=skill,
                    max_level=level,
                    reason="Runs the demo's events for this skill.",
                    now=now,
                )
        made = []
        for (
            title,
            outcome,
            skill,
            level,
            form,
            slot,
            capacity,
            days,
            hour,
            minutes,
            place,
            url,
        ) in EVENTS:
            day = (now + timedelta(days=days)).date()
            made.append(
                create_event(
                    session,
                    services,
                    mentor,
                    EventDraft(
                        title=title,
                        learning_outcome=outcome,
                        skill_id=skill,
                        level=level,
                        format=form,
                        starts_local=datetime.combine(day, time(hour, 0)),
                        minutes=minutes,
                        time_zone="Europe/Berlin",
                        capacity=capacity,
                        shadow_slot=slot,
                        place=place,
                        meeting_url=url,
                    ),
                    now=now,
                )
            )
        # The flame-graph pairing: nearly full, then full with two people waiting.
        for learner in learners[1:7]:
            sign_up(session, services, made[0].id, learner, now=now)
        sign_up(session, services, made[1].id, learners[0], now=now)
        sign_up(session, services, made[2].id, learners[0], now=now)
        set_target(session, learners[0], "sre", now=now)
    return len(made)


#: Skills that stay fresh (issue #21): Ada's badges outside her cohort and outside the SRE
#: family's requirements (so her SRE fit stays what the cohort gave her), assessed long ago —
#: (achievement, days before it expires, renewed days ago or None). One was renewed (her
#: passport shows it with its history); one expires soon (the banner, and the stale-soon list).
FRESHNESS: list[tuple[str, int, int | None]] = [
    ("ci-cd-l2", 10, 2),
    ("secure-coding-l2", 20, None),
]
#: What Ada did for the badges above that the cohorts' evidence does not cover.
FRESHNESS_EVIDENCE: dict[str, tuple[str, str]] = {
    "secure-coding-l2": (
        "Fixing an injection flaw in the orders API",
        "Found a SQL injection in a search endpoint during review, replaced string building "
        "with bound parameters, added a regression test and a linter rule that flags it.",
    ),
}


def load_freshness(services: Services) -> int:
    """Ada's renewed and soon-expiring badges (idempotent); how many assessments it recorded."""
    ada = f"ada.lovelace@{DOMAIN}"
    made = 0
    now = services.now()
    for achievement_id, days_left, renewed in FRESHNESS:
        with services.session() as session:
            definition = session.get(AchievementDefinition, achievement_id)
            skill = session.get(Skill, definition.skill_id) if definition else None
            if definition is None or skill is None or not definition.valid_for_days:
                continue
            criteria = [c["id"] for c in json.loads(skill.criteria)]
            valid_days = definition.valid_for_days
        issued = now - timedelta(days=valid_days - days_left)
        evidence = FRESHNESS_EVIDENCE.get(achievement_id) or EVIDENCE[achievement_id]
        times = [("first", issued)] + (
            [("renewal", now - timedelta(days=renewed))] if renewed else []
        )
        for label, at in times:
            with services.session() as session:
                outcome = record_assessment(
                    session,
                    services,
                    AssessmentInput(
                        learner_email=ada,
                        achievement_id=achievement_id,
                        levels={c: 2 for c in criteria},
                        assessor=f"ana.assessor@{DOMAIN}",
                        idempotency_key=f"demo:fresh:{achievement_id}:{label}",
                        assessed_at=at,
                        evidence=[EvidenceInput(name=evidence[0], narrative=evidence[1])],
                    ),
                    now=at,
                )
            made += outcome.created
    return made


#: Mo Mentor's own did:key in the demo: a fixed, valid Ed25519 did:key whose key nobody holds.
DEMO_MENTOR_DID = "did:key:z6MkiGSQgAb2JHkQyqNMvCnS31k5QrkPpqHKhTBU2NVk7HZn"


def _demo_endorsement(services: Services, *, mentor_id: int, learner_email: str) -> None:
    """Mo Mentor endorses the first learner's newest badge, so the pages show one."""
    from passport.credentials.models import Holder, IssuedCredential
    from passport.mentoring.endorsements import endorse_badge, set_mentor_did

    with services.session() as session:
        mentor = session.get(User, mentor_id)
        record = session.scalar(
            select(IssuedCredential)
            .join(Holder, Holder.id == IssuedCredential.holder_id)
            .where(Holder.email == learner_email, IssuedCredential.revoked_at.is_(None))
            .order_by(IssuedCredential.issued_at.desc())
        )
        if mentor is None or record is None:
            return
        endorse_badge(
            session,
            services,
            credential_id=record.id,
            mentor=mentor,
            comment="Ran our incident review calmly: a clear timeline, and every follow-up "
            "had an owner by the end of the call.",
            now=services.now(),
            actor="demo",
        )
        # Mo also registers a did:key of their own (its private key is nobody's: a demo), so
        # the endorse page offers the form for endorsements signed in a wallet.
        set_mentor_did(session, services, mentor, DEMO_MENTOR_DID, actor="demo", now=services.now())


def load_people_events(services: Services) -> int:
    """Give the demo's job families their definition of productive, and import two years of
    people events (unless people are already held); returns the events imported.

    The rows go through :func:`passport.outcomes.people.parse_csv` and
    :func:`~passport.outcomes.people.import_events`, as ``passport people import`` sends
    them. The demo's learners are linked by e-mail to people hired before their cohort
    started, so the service's cohorts count as their ``cohort_started``/``cohort_completed``.
    """
    now = services.now()
    with services.session() as session:
        for family in session.scalars(select(JobFamily)):
            if family.productive_definition is None and family.id in PRODUCTIVE_DEFINITIONS:
                family.productive_definition = PRODUCTIVE_DEFINITIONS[family.id]
        if session.scalar(select(HRPerson.id).limit(1)) is not None:
            return 0
        linked: list[LinkedLearner] = []
        for name, hr in COHORT_PEOPLE.items():
            cohort = session.scalar(select(Cohort).where(Cohort.name == name))
            if cohort is None:
                continue
            emails = session.scalars(
                select(User.email)
                .join(CohortMember, CohortMember.user_id == User.id)
                .where(CohortMember.cohort_id == cohort.id, CohortMember.role == "learner")
                .order_by(CohortMember.user_id)
            )
            linked.extend(
                LinkedLearner(email, family, cohort.starts_on, days)
                for email, (family, days) in zip(emails, hr, strict=False)
            )
        today = people.org_today(session, now)
        data = events_csv(generate_events(today, linked=linked)).encode()
        parsed = people.parse_csv(data, today=today, job_families=people.job_family_ids(session))
        if parsed.errors:  # a catalog changed by hand: import what still fits
            logger.warning("demo people events: %d rows refused", len(parsed.errors))
        result = people.import_events(
            session, parsed.rows, secret_key=services.settings.secret_key, now=now, actor="demo"
        )
        return result.imported


#: The demo's hiring manager (``hiring.manager@demo.example``).
HIRING_MANAGER = "Hiring Manager"
HIRING_MANAGER_ROLE = "hiring_manager"

#: The open roles: each starts from its job family's levels, lowered where the demo's cohorts
#: teach (Practitioner), so the first candidates meet some skills and fall short on others.
ROLES_OPENED = [
    RoleDraft(
        title="Site Reliability Engineer",
        job_family="sre",
        openings=2,
        team="Reliability",
        location="Berlin or remote",
        levels={"linux-administration": 2, "incident-response": 2, "observability": 2},
    ),
    RoleDraft(
        title="Platform Engineer",
        job_family="platform",
        openings=1,
        team="Developer Platform",
        location="Remote (EU)",
        levels={"kubernetes-operations": 2, "infrastructure-as-code": 2, "ci-cd": 2},
    ),
]

#: Who chose to be found, and for what (None: every job family). The others did not opt in.
DISCOVERABLE: dict[str, tuple[str, ...] | None] = {
    "Ada Lovelace": None,
    "Alan Turing": None,
    "Grace Hopper": ("sre",),
    "Katherine Johnson": ("sre",),
    "Margaret Hamilton": None,
    "Barbara Liskov": ("platform",),
    "Ken Thompson": ("platform",),
    "Frances Allen": None,
    "Hedy Lamarr": ("platform",),
}


def load_mobility(services: Services) -> int:
    """The hiring manager, the open roles and the learners' consent to be found (unless the
    hiring manager exists already); returns the roles opened."""
    now = services.now()
    with services.session() as session:
        email = f"{HIRING_MANAGER.lower().replace(' ', '.')}@{DOMAIN}"
        if session.scalar(select(User.id).where(User.email == email)) is not None:
            return 0
        manager = _user(session, HIRING_MANAGER, HIRING_MANAGER_ROLE)
        session.flush()
        for name, families in DISCOVERABLE.items():
            learner = session.scalar(
                select(User).where(User.email == f"{name.lower().replace(' ', '.')}@{DOMAIN}")
            )
            if learner is not None:
                set_consent(
                    session, learner.id, Consent(True, families), actor=learner.email, now=now
                )
        for draft in ROLES_OPENED:
            open_role(session, draft, actor=manager.email, user_id=manager.id, now=now)
        return len(ROLES_OPENED)


#: Mentor matching in the demo: Mo holds a badge one level above his cohort's incident-response
#: target; Mei teaches hers by an administrator's exception.
MENTOR_BADGES = {"Mo Mentor": "incident-response-l3"}
MENTOR_EXCEPTIONS = {
    "Mei Mentor": ("kubernetes-operations", 3, "Ran the platform team's clusters for four years.")
}


def _demo_user(session: Session, name: str) -> User | None:
    return session.scalar(
        select(User).where(User.email == f"{name.lower().replace(' ', '.')}@{DOMAIN}")
    )


def load_mentor_matching(services: Services) -> int:
    """Mentors for the matching pages (unless done before): each cohort's sessions led by its
    mentor and teaching its first target skill, the mentors' badge and exception, and feedback
    from the learners who came; then the mentoring badges due. Returns the feedback stored."""
    now = services.now()
    rng = random.Random(20261207)  # noqa: S311 - deterministic demo data, not security
    with services.session() as session:
        mo = _demo_user(session, "Mo Mentor")
        admin = session.scalar(select(User).where(User.email == f"admin@{DOMAIN}"))
        # Done before when the feedback is there (Mo's profile alone is no sign: the demo
        # endorsement makes it first, as his endorser identity).
        if mo is None or admin is None or session.scalar(select(SessionFeedback).limit(1)):
            return 0
        profile = session.get(MentorProfile, mo.id) or MentorProfile(user_id=mo.id)
        profile.hours_per_month, profile.max_learners_per_cohort = 10, 5
        session.add(profile)
        for name, achievement in MENTOR_BADGES.items():
            mentor = _demo_user(session, name)
            if mentor is not None:
                issue_credential(
                    session,
                    services,
                    IssueRequest(
                        achievement_id=achievement,
                        recipient_email=mentor.email,
                        recipient_name=mentor.name,
                        reason="Assessed before the program started (demo).",
                        actor="demo",
                    ),
                    now=now,
                )
        for name, (skill, level, reason) in MENTOR_EXCEPTIONS.items():
            mentor = _demo_user(session, name)
            if mentor is not None:
                grant_exception(
                    session,
                    admin,
                    user_id=mentor.id,
                    skill_id=skill,
                    max_level=level,
                    reason=reason,
                    now=now,
                )
        stored = 0
        for cohort in session.scalars(select(Cohort).order_by(Cohort.id)):
            mentor_ids = [m.user_id for m in cohort.members if m.role == "mentor"]
            targets = sorted(cohort.target_skills, key=lambda t: t.achievement_id)
            if not mentor_ids or not targets:
                continue
            target = next(
                (t for t in targets if t.achievement_id.startswith(("incident", "kubernetes"))),
                targets[0],
            )
            for meeting in cohort.sessions:
                if meeting.mentor_id is not None:
                    continue
                meeting.mentor_id = mentor_ids[0]
                meeting.skill_id = target.achievement.skill_id
                meeting.level = target.achievement.level
                if meeting.starts_at + timedelta(minutes=meeting.minutes) > now:
                    continue
                for row in meeting.attendance:
                    if row.present and rng.random() < 0.8:
                        useful = rng.choice((3, 4, 4, 5, 5))
                        session.add(
                            SessionFeedback(
                                session_id=meeting.id,
                                user_id=row.user_id,
                                outcome="yes" if useful >= 4 else rng.choice(("partly", "no")),
                                usefulness=useful,
                                comment=rng.choice(
                                    (None, None, "More hands-on time, please.", "Clear and useful.")
                                ),
                                created_at=meeting.starts_at + timedelta(hours=2),
                            )
                        )
                        stored += 1
        session.flush()
        recognise_mentors(session, services, now=now)
        return stored


def load_materials_demo(services: Services) -> None:
    """The starter session templates and the "SRE foundations, 7 weeks" program; a cohort made
    from it starting next Monday (Berlin time, mentored by Mo Mentor); and a second version of
    one template, so its page lists that cohort's sessions as using the old version.
    Idempotent: does nothing once a cohort made from a program exists."""
    from passport.mentoring.materials import load_starter_materials
    from passport.mentoring.templates import (
        cohort_from_program,
        list_programs,
        list_templates,
        update_template,
        version_content,
    )

    now = services.now()
    with services.session() as session:
        load_starter_materials(session, now=now)
        admin = session.scalar(select(User).where(User.email == f"admin@{DOMAIN}"))
        mentor = session.scalar(select(User).where(User.email == f"mo.mentor@{DOMAIN}"))
        programs = [p for p in list_programs(session) if p.name == "SRE foundations, 7 weeks"]
        made = session.scalar(select(Cohort.id).where(Cohort.program_id.is_not(None)).limit(1))
        if admin is None or not programs or made is not None:
            return
        today = now.date()
        cohort = cohort_from_program(
            session,
            admin,
            program_id=programs[0].id,
            name="SRE foundations — Autumn cohort",
            starts_on=today + timedelta(days=7 - today.weekday()),
            at=time(10, 0),
            time_zone="Europe/Berlin",
            now=now,
        )
        if mentor is not None:
            cohort.members.append(CohortMember(user_id=mentor.id, role="mentor"))
        for template, version in list_templates(session):
            if version.title == "Lead the triage of an incident":
                content = version_content(version).as_dict()
                content["minutes"] = 60
                content["agenda"] = (
                    "10 min: severities and roles. 40 min: a replayed incident, you in the "
                    "lead. 10 min: debrief with the status updates you posted."
                )
                update_template(session, template.id, "system", content=content, now=now)
