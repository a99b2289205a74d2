"""The verify page's answer, result first: one verdict over every badge handed over, and a card
per badge (name, level, issuer, holder, dates, state), read from the verifier's reports.

Flask-free: the page (``passport.web.public``) turns this into sentences in the visitor's
language; the JSON API keeps reporting the checks and their codes unchanged.

A badge's state is the first of: revoked, suspended (its ``status`` check), expired, not yet
valid (its ``validity_window``), not issued to the e-mail entered (its ``recipient`` check,
which a mismatch fails, as in the API), otherwise not verified; a verified badge is
``verified``, or ``notes`` when its conformance check lists deviations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from verifier.containers import ContainerReport
from verifier.fit import level_of
from verifier.model import AchievementCredential
from verifier.ob2 import Ob2Assertion
from verifier.report import Report

__all__ = ["BadgeCard", "BadgeState", "Binding", "Verdict", "verdict_of"]

BadgeState = Literal[
    "verified",
    "notes",
    "revoked",
    "suspended",
    "expired",
    "not_yet_valid",
    "not_theirs",
    "not_verified",
]
#: The holder check of one badge: the e-mail entered matched, did not, could not be compared
#: (the badge names its recipient otherwise), or no e-mail was entered.
Binding = Literal["match", "mismatch", "unchecked", "none"]

_STATUS_STATES: dict[str, BadgeState] = {"revoked": "revoked", "suspended": "suspended"}
_WINDOW_STATES: dict[str, BadgeState] = {"expired": "expired", "not_yet_valid": "not_yet_valid"}


@dataclass(frozen=True, slots=True)
class BadgeCard:
    """One badge as a hiring manager reads it."""

    report: Report
    #: The achievement's name (the credential's, for a CLR); None when unreadable.
    name: str | None
    level: int | None
    issuer: str | None
    issued: datetime | None
    expires: datetime | None
    state: BadgeState
    binding: Binding
    #: Why it is not verified, in the verifier's words (None when verified).
    problem: str | None
    #: Its issuer is one this service knows or trusts (else the name is the issuer's claim).
    issuer_known: bool = True

    @property
    def verified(self) -> bool:
        return self.state in ("verified", "notes")


@dataclass(frozen=True, slots=True)
class Verdict:
    """Everything the verdict sentence says, counted over the badges handed over."""

    cards: tuple[BadgeCard, ...]
    #: A failed check of what held the badges (a presentation's signature, a CLR's proof, a
    #: revoked share link …), in the verifier's words; None when nothing around them failed.
    container_problem: str | None
    email_given: bool
    #: Where the badges came from: a share link of this service, a badge page of ours, or None.
    source: str | None = None
    #: The holder's name, when they shared it (a share link shows it with the badges).
    holder_name: str | None = None

    @property
    def total(self) -> int:
        return len(self.cards)

    @property
    def verified_count(self) -> int:
        return sum(1 for c in self.cards if c.verified)

    @property
    def verified(self) -> bool:
        return (
            bool(self.cards)
            and self.container_problem is None
            and all(c.verified for c in self.cards)
        )

    @property
    def issuers(self) -> tuple[str, ...]:
        """The issuers' names, each once, in the order their badges came."""
        return tuple(dict.fromkeys(c.issuer for c in self.cards if c.issuer))

    def count(self, state: BadgeState) -> int:
        return sum(1 for c in self.cards if c.state == state)

    def bound(self, binding: Binding) -> int:
        return sum(1 for c in self.cards if c.binding == binding)

    @property
    def with_notes(self) -> int:
        return self.count("notes")

    @property
    def all_current(self) -> bool:
        """No badge revoked, suspended, expired or not yet valid."""
        return not any(self.count(s) for s in ("revoked", "suspended", "expired", "not_yet_valid"))

    @property
    def first_problem(self) -> str | None:
        """Why the whole is not verified, when the verdict needs one reason."""
        if self.container_problem:
            return self.container_problem
        return next((c.problem for c in self.cards if c.problem), None)


def verdict_of(
    outcome: ContainerReport,
    *,
    email_given: bool,
    source: str | None = None,
    holder_name: str | None = None,
) -> Verdict:
    """Read the verifier's outcome as a verdict and badge cards."""
    cards = tuple(_card(r) for r in outcome.credentials if r.credential is not None)
    problem = next(
        (c.message for c in outcome.checks if c.status == "failed"),
        None,
    )
    if not cards and problem is None:
        # Nothing readable came out: the reason is the input's own report (bad JSON, a dead
        # link, an unsupported format …).
        first = next(iter(outcome.credentials), None)
        failure = first.first_failure if first is not None else None
        problem = failure.message if failure is not None else "Nothing readable was handed over."
    return Verdict(
        cards=cards,
        container_problem=problem,
        email_given=email_given,
        source=source,
        holder_name=holder_name,
    )


def _card(report: Report) -> BadgeCard:
    credential = report.credential
    assert credential is not None
    achievement = getattr(credential.credential_subject, "achievement", None)
    if isinstance(achievement, tuple):  # a CLR lists many: its own name
        achievement = None
    name = achievement.name if achievement is not None else credential.name
    level = level_of(credential) if isinstance(credential, AchievementCredential) else None
    if isinstance(credential, Ob2Assertion):
        level = None
    return BadgeCard(
        report=report,
        name=name or credential.name,
        level=level,
        issuer=credential.issuer.name or credential.issuer.id,
        issued=credential.valid_from,
        expires=credential.valid_until,
        state=_state(report),
        binding=_binding(report),
        problem=None if report.verified else _problem(report),
        issuer_known=_issuer_known(report),
    )


def _issuer_known(report: Report) -> bool:
    check = report.check("issuer")
    return check is None or check.status == "passed"


def _state(report: Report) -> BadgeState:
    if report.verified:
        return "notes" if report.with_notes else "verified"
    status = report.check("status")
    if status is not None and status.status == "failed" and status.code in _STATUS_STATES:
        return _STATUS_STATES[status.code]
    window = report.check("validity_window")
    if window is not None and window.status == "failed" and window.code in _WINDOW_STATES:
        return _WINDOW_STATES[window.code]
    recipient = report.check("recipient")
    if recipient is not None and recipient.status == "failed":
        return "not_theirs"
    return "not_verified"


def _binding(report: Report) -> Binding:
    recipient = report.check("recipient")
    if recipient is None:
        return "none"
    return {"passed": "match", "failed": "mismatch"}.get(recipient.status, "unchecked")  # type: ignore[return-value]


def _problem(report: Report) -> str | None:
    failure = report.first_failure
    return failure.message if failure is not None else "Not verified."


def cards_of(reports: Sequence[Report]) -> tuple[BadgeCard, ...]:
    """Cards for reports shown outside the verdict (the presentation-request page)."""
    return tuple(_card(r) for r in reports if r.credential is not None)
