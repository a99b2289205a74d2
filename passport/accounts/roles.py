"""Roles from an identity provider's groups (``PASSPORT_ROLE_GROUPS``): the OIDC groups claim
and SCIM group membership both end here."""

# placeholder: OIDC slice provides the real one

from __future__ import annotations

from collections.abc import Iterable, Mapping

__all__ = ["ROLE_RANK", "role_for_groups"]

#: Highest privilege first: a person in several mapped groups gets the highest role.
ROLE_RANK = ("admin", "assessor", "mentor", "learner")


def role_for_groups(groups: Iterable[str], mapping: Mapping[str, str]) -> str | None:
    """The highest role ``mapping`` gives any of ``groups``; None when no group is mapped."""
    roles = {mapping[group] for group in groups if group in mapping}
    return next((role for role in ROLE_RANK if role in roles), None)
