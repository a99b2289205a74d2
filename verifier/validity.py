"""The validity window: ``validFrom`` / ``validUntil`` against a clock passed in.

OB 3.0 §9 step 4: a credential is not yet valid if now < validFrom and expired if now >
validUntil. Time is passed in (``now``) with an explicit clock-skew allowance (``leeway``), never
read here, so tests and offline verification can ask "was it valid then?".
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from verifier.errors import Expired, NotYetValid
from verifier.model import AnyCredential

if TYPE_CHECKING:
    from verifier.ob2 import Ob2Assertion

__all__ = ["DEFAULT_LEEWAY", "check_validity"]

#: Allowance for clocks that disagree by a little (stated in the report's hint).
DEFAULT_LEEWAY = timedelta(minutes=2)


def check_validity(
    credential: AnyCredential | Ob2Assertion,
    *,
    now: datetime,
    leeway: timedelta = DEFAULT_LEEWAY,
) -> None:
    """Return None when ``now`` is inside the window; raise NotYetValid or Expired."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if credential.valid_from is not None and now + leeway < credential.valid_from:
        raise NotYetValid(
            f"The credential is not valid until {credential.valid_from.isoformat()}.",
            hint=f"Checked at {now.isoformat()} with {int(leeway.total_seconds())} s clock skew.",
        )
    if credential.valid_until is not None and now - leeway > credential.valid_until:
        raise Expired(
            f"The credential expired on {credential.valid_until.isoformat()}.",
            hint=f"Checked at {now.isoformat()} with {int(leeway.total_seconds())} s clock skew.",
        )
