"""Roles from groups: the most privileged mapped role wins; unmapped groups give none."""

from __future__ import annotations

import pytest

from passport.accounts.roles import ROLE_PRIVILEGE, role_for_groups
from passport.accounts.users import ROLES
from passport.settings import ROLE_NAMES

MAPPING = {
    "sp-admins": "admin",
    "sp-assessors": "assessor",
    "sp-mentors": "mentor",
    "sp-hiring": "hiring_manager",
    "sp-analysts": "analyst",
    "all": "learner",
}


@pytest.mark.parametrize(
    ("groups", "role"),
    [
        (["sp-mentors", "sp-admins", "sp-assessors"], "admin"),
        (["all", "sp-mentors"], "mentor"),
        (["sp-assessors", "all"], "assessor"),
        (["all"], "learner"),
        (["all", "sp-analysts", "sp-hiring"], "hiring_manager"),
        (["sp-hiring", "sp-mentors"], "mentor"),
        (["sp-analysts", "all"], "analyst"),
        (["SP-ADMINS", "staff"], None),  # names are compared exactly
        ([], None),
    ],
)
def test_the_most_privileged_mapped_role_wins(groups: list[str], role: str | None) -> None:
    assert role_for_groups(groups, MAPPING) == role


def test_every_role_has_a_rank_and_settings_know_the_same_roles() -> None:
    assert set(ROLE_PRIVILEGE) == set(ROLES) == set(ROLE_NAMES)
    # the ranks, lowest first (ROLES lists the same order, highest first)
    assert sorted(ROLE_PRIVILEGE, key=ROLE_PRIVILEGE.__getitem__) == list(reversed(ROLES))
    assert ROLE_NAMES == ROLES
