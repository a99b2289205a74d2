"""Employment questions over everyone's events at once: for many (person, day) pairs, the
first event of some kinds on or after the day, the last on or before it, and the job family a
person works in on a day (docs/outcomes.md, "Employed, and in which job family").

Events are sorted once by a composite key (person in the high bits, day below) and every
question is one :func:`numpy.searchsorted` over all the pairs asked: the measures ask it for
a hundred thousand hires in milliseconds.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from passport.outcomes.events import HIRED, LEFT, MOVED, EventArrays, IntArray

__all__ = ["BEFORE_ALL", "NEVER", "Employment", "Lookup"]

# Composite sort keys: person id in the high bits, the day (shifted to be positive) below.
# 32 bits of day hold any date Python has (years 1 to 9999 are within ±2**22 days of 1970).
_SHIFT = 32
_OFFSET = 1 << 31
_MASK = (1 << _SHIFT) - 1
#: "No such event": later than any day (for "first on or after") ...
NEVER = 1 << 30
#: ... and earlier than any day (for "last on or before").
BEFORE_ALL = -(1 << 30)


def _keys(person: IntArray, day: IntArray) -> IntArray:
    return (person << _SHIFT) + (day + _OFFSET)


class Lookup:
    """Events of some kinds, sorted by (person, day): for many (person, day) pairs at once,
    the first such event on or after the day, or the last on or before it."""

    def __init__(self, events: EventArrays, mask: npt.NDArray[np.bool_]) -> None:
        keys = _keys(events.person[mask], events.day[mask])
        order = np.argsort(keys, kind="stable")
        self.keys = keys[order]
        self.family = events.family[mask][order]

    def first_on_or_after(self, person: IntArray, day: IntArray) -> IntArray:
        """The day of each person's first event on or after ``day`` (NEVER when none)."""
        if len(self.keys) == 0:
            return np.full(len(person), NEVER, dtype=np.int64)
        at = np.searchsorted(self.keys, _keys(person, day), side="left")
        found = self.keys[np.minimum(at, len(self.keys) - 1)]
        same = (at < len(self.keys)) & ((found >> _SHIFT) == person)
        return np.where(same, (found & _MASK) - _OFFSET, NEVER)

    def last_on_or_before(self, person: IntArray, day: IntArray) -> tuple[IntArray, IntArray]:
        """Each person's last event on or before ``day``: its day (BEFORE_ALL when none) and
        its job family (-1)."""
        if len(self.keys) == 0:
            none = np.full(len(person), BEFORE_ALL, dtype=np.int64)
            return none, np.full(len(person), -1, dtype=np.int64)
        at = np.searchsorted(self.keys, _keys(person, day), side="right") - 1
        safe = np.maximum(at, 0)
        found = self.keys[safe]
        same = (at >= 0) & ((found >> _SHIFT) == person)
        return (
            np.where(same, (found & _MASK) - _OFFSET, BEFORE_ALL),
            np.where(same, self.family[safe], -1),
        )


class Employment:
    """Employment questions over everyone's hires, moves and leaves."""

    def __init__(self, events: EventArrays) -> None:
        self.hires = Lookup(events, events.kind == HIRED)
        self.placements = Lookup(events, (events.kind == HIRED) | (events.kind == MOVED))
        self.leaves = Lookup(events, events.kind == LEFT)

    def family_on(self, person: IntArray, day: IntArray, *, hired_before: bool = False) -> IntArray:
        """The job family each person works in on ``day`` (-1: not employed then): the family
        of their latest ``hired`` or ``moved`` on or before it, unless a ``left`` after that
        hire is on or before it. ``hired_before``: the hire must be before ``day``."""
        hired, _ = self.hires.last_on_or_before(person, day - 1 if hired_before else day)
        _, family = self.placements.last_on_or_before(person, day)
        gone = self.leaves.first_on_or_after(person, hired + 1) <= day
        return np.where((hired > BEFORE_ALL) & ~gone, family, -1)
