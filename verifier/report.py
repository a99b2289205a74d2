"""The verification report: one shape for the API, the CLI and the pages.

``verified`` plus an ordered list of checks, each ``{id, status, code, message}`` (and a ``hint``
for operators when we have one). ``status`` is ``passed``, ``failed`` or ``could_not_check``.
The report is built from the outcomes of :class:`verifier.verify.Verifier` in one place
(:meth:`Report.from_outcomes`), so every surface says the same thing.

``verified`` is true only when no check failed and the checks that decide validity —
``format``, ``schema``, ``signature`` and ``validity_window`` — passed. The other checks
(``issuer`` trust, ``status``, ``endorsements``, ``recipient``) can end in ``could_not_check``
without flipping ``verified``; they are then shown as unknown, never as good.

``conformance`` never decides ``verified`` (:data:`NOTE_CHECKS`): it lists the credential's
deviations from the OB 3.0 data model that leave who issued what to whom plain
(:mod:`verifier.conformance`), each ``{path, code, message}``. A verified credential with a
failed ``conformance`` check is "Verified — with notes".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from verifier.model import AnyCredential
    from verifier.ob2 import Ob2Assertion

__all__ = [
    "BLOCKING_CHECKS",
    "CHECK_IDS",
    "NOTE_CHECKS",
    "Check",
    "CheckLine",
    "Deviation",
    "Report",
]

CHECK_IDS: tuple[str, ...] = (
    "format",
    "schema",
    "signature",
    "issuer",
    "validity_window",
    "status",
    "endorsements",
    "recipient",
    # Last, so the checks that came before it keep their places for existing clients.
    "conformance",
)
BLOCKING_CHECKS = frozenset({"format", "schema", "signature", "validity_window"})
#: Checks that inform and never decide ``verified``, whatever their status.
NOTE_CHECKS = frozenset({"conformance"})
_STATUSES = frozenset({"passed", "failed", "could_not_check"})


@dataclass(frozen=True, slots=True)
class CheckLine:
    """One line of a report: a check's id, status, stable code, plain sentence and hint.

    :class:`Check` (a credential's checks) and the container reports of
    :mod:`verifier.containers` share it.
    """

    id: str
    status: str
    code: str
    message: str
    hint: str | None = None

    def __post_init__(self) -> None:
        if self.status not in _STATUSES:
            raise ValueError(f"unknown check status {self.status!r}")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "status": self.status,
            "code": self.code,
            "message": self.message,
        }
        if self.hint:
            out["hint"] = self.hint
        return out


@dataclass(frozen=True, slots=True)
class Deviation:
    """One departure from the OB 3.0 data model: the JSON path of the value (``$.issuer.image``),
    a stable code and one plain sentence."""

    path: str
    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "code": self.code, "message": self.message}


@dataclass(frozen=True, slots=True)
class Check(CheckLine):
    """One line of a credential's report: ``id`` is one of :data:`CHECK_IDS`. The
    ``conformance`` check also lists its ``deviations``."""

    deviations: tuple[Deviation, ...] = ()

    def __post_init__(self) -> None:
        if self.id not in CHECK_IDS:
            raise ValueError(f"unknown check id {self.id!r}")
        CheckLine.__post_init__(self)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = CheckLine.to_dict(self)
        if self.id == "conformance":
            out["deviations"] = [d.to_dict() for d in self.deviations]
        return out


@dataclass(frozen=True, slots=True)
class Report:
    """The outcome of verifying one credential."""

    verified: bool
    checks: tuple[Check, ...]
    #: Proof format that was read: ``vc-jwt``, ``data-integrity``, ``ob2-hosted`` /
    #: ``ob2-signed`` (an Open Badges 2.0 assertion) or None if unreadable.
    proof_format: str | None = None
    #: The credential as parsed (kept even when it failed, so it can be shown, marked); an
    #: Open Badges 2.0 assertion only once its issuer's copy or signature was checked.
    credential: AnyCredential | Ob2Assertion | None = None
    #: Leniencies applied while reading (e.g. a missing ``nbf`` claim).
    notes: tuple[str, ...] = ()
    #: Reports of embedded credentials (endorsements), in document order.
    children: tuple[Report, ...] = field(default=())

    @classmethod
    def from_outcomes(
        cls,
        outcomes: Mapping[str, Check],
        *,
        proof_format: str | None,
        credential: AnyCredential | Ob2Assertion | None,
        notes: tuple[str, ...] = (),
        children: tuple[Report, ...] = (),
        skipped_reason: str = "An earlier check failed, so this was not checked.",
    ) -> Report:
        """Order the outcomes, fill checks that never ran, and decide ``verified``."""
        checks: list[Check] = []
        verified = True
        for check_id in CHECK_IDS:
            check = outcomes.get(check_id)
            if check is None:
                if check_id == "recipient":
                    continue  # only reported when a recipient was asked about
                check = Check(check_id, "could_not_check", "not_checked", skipped_reason)
            checks.append(check)
            status = check.status
            if check_id in NOTE_CHECKS:
                continue
            if status == "failed" or (status != "passed" and check_id in BLOCKING_CHECKS):
                verified = False
        return cls(
            verified=verified,
            checks=tuple(checks),
            proof_format=proof_format,
            credential=credential,
            notes=notes,
            children=children,
        )

    def check(self, check_id: str) -> Check | None:
        """Return the check with that id, or None if it is not in the report."""
        for c in self.checks:
            if c.id == check_id:
                return c
        return None

    @property
    def first_failure(self) -> Check | None:
        """The first failed check, else the first blocking check that could not be checked
        (``conformance`` notes are never a failure)."""
        for c in self.checks:
            if c.status == "failed" and c.id not in NOTE_CHECKS:
                return c
        for c in self.checks:
            if c.id in BLOCKING_CHECKS and c.status != "passed":
                return c
        return None

    @property
    def deviations(self) -> tuple[Deviation, ...]:
        """The conformance notes: deviations from the OB 3.0 data model, if any were found."""
        check = self.check("conformance")
        return check.deviations if check is not None else ()

    @property
    def with_notes(self) -> bool:
        """Verified, with deviations from the OB 3.0 data model ("Verified — with notes")."""
        return self.verified and bool(self.deviations)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of design.md: ``verified``, ``checks`` and a summary of the credential."""
        out: dict[str, Any] = {
            "verified": self.verified,
            "checks": [c.to_dict() for c in self.checks],
        }
        if self.proof_format:
            out["format"] = self.proof_format
        if self.notes:
            out["notes"] = list(self.notes)
        if self.credential is not None:
            out["credential"] = summarize(self.credential)
        if self.children:
            out["endorsements"] = [child.to_dict() for child in self.children]
        return out


def summarize(credential: AnyCredential | Ob2Assertion) -> dict[str, Any]:
    """A small, display-oriented summary of a parsed credential."""
    summary: dict[str, Any] = {
        "id": credential.id,
        "type": list(credential.type),
        "name": credential.name,
        "issuer": {"id": credential.issuer.id, "name": credential.issuer.name},
        "validFrom": credential.valid_from.isoformat() if credential.valid_from else None,
        "validUntil": credential.valid_until.isoformat() if credential.valid_until else None,
    }
    subject = credential.credential_subject
    achievement = getattr(subject, "achievement", None)
    if achievement is not None and not isinstance(achievement, tuple):  # a CLR lists many
        summary["achievement"] = {
            "id": achievement.id,
            "name": achievement.name,
            "achievementType": achievement.achievement_type,
        }
    return summary
