"""Roles from an identity provider's groups: ``PASSPORT_ROLE_GROUPS`` applied to a person.

Single sign-on (the groups claim of an OpenID Connect login) and SCIM provisioning (a
person's group memberships) both name groups; the settings map group names to our roles and
this module picks the one a person gets.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

__all__ = ["ROLE_PRIVILEGE", "role_for_groups"]

#: Higher wins when a person is in groups that map to several roles.
ROLE_PRIVILEGE: Mapping[str, int] = {
    "learner": 0,
    "analyst": 1,
    "hiring_manager": 2,
    "mentor": 3,
    "assessor": 4,
    "admin": 5,
}


def role_for_groups(groups: Iterable[str], mapping: Mapping[str, str]) -> str | None:
    """The most privileged role any of ``groups`` maps to (admin > assessor > mentor >
    hiring_manager > analyst > learner), or None when none of them is mapped.

    Group names are compared exactly as given (identity providers treat them as opaque).
    """
    roles = [mapping[group] for group in groups if group in mapping]
    return max(roles, key=ROLE_PRIVILEGE.__getitem__) if roles else None
