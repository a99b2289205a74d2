"""Server-side sessions of the people who log in.

placeholder: sessions slice provides the real one (this file holds only the shared contract's
signature, so that the password-reset and password-change paths can call it already).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

__all__ = ["end_user_sessions"]


# placeholder: sessions slice provides the real one
def end_user_sessions(db: Session, user_id: int, *, reason: str, keep: str | None = None) -> int:
    """End every server-side session of the user except ``keep``; returns how many ended."""
    del db, user_id, reason, keep
    return 0
