"""Narrowing a SCIM search in SQL before scim2-models applies the exact filter.

A list request with a filter would otherwise load every account. :func:`user_narrowing` and
:func:`group_narrowing` turn the parts of a filter that name an indexed identity (``eq`` on
``id``, ``externalId``, ``userName``, ``emails`` or ``displayName``, and ``and``/``or`` of
those) into a SQL condition every match meets; anything else narrows nothing. The exact filter
still runs afterwards, so a narrowing may let more rows through, never fewer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from scim2_models.path import CompareOperator, Comparison, FilterNode, LogicalExpr, LogicalOperator
from sqlalchemy import ColumnElement, and_, func, or_, true

from passport.accounts.models import ScimGroup, User

__all__ = ["group_narrowing", "user_narrowing"]

#: Characters that would change a LIKE pattern's meaning (or a JSON string's spelling).
_LIKE_UNSAFE = re.compile(r'["\\%_]')


def _likeable(value: Any) -> str | None:
    if not isinstance(value, str) or _LIKE_UNSAFE.search(value):
        return None
    return value.lower()


def _attr_name(node: Comparison) -> str:
    """``attr`` or ``attr.sub`` of a comparison (a schema URN prefix changes nothing here: we
    serve no extension, so a qualified name is a core attribute or matches nothing)."""
    path = node.attr_path
    return f"{path.attr}.{path.sub_attr}" if path.sub_attr else path.attr


def _narrowing(
    node: FilterNode | None, leaf: Callable[[str, str], ColumnElement[bool] | None]
) -> ColumnElement[bool]:
    """A condition every resource matching ``node`` meets (more may meet it: the exact filter
    runs afterwards). Only ``eq`` on a string that ``leaf`` maps to a column (by the attribute's
    lower-cased name), and ``and``/``or`` of such terms, narrow; anything else is ``true()``."""
    if isinstance(node, LogicalExpr):
        parts = [_narrowing(term, leaf) for term in node.terms]
        return and_(*parts) if node.op == LogicalOperator.and_ else or_(*parts)
    if not isinstance(node, Comparison) or node.op != CompareOperator.eq:
        return true()
    value = node.value
    if not isinstance(value, str):
        return true()
    condition = leaf(_attr_name(node).lower(), value)
    return true() if condition is None else condition


def _user_leaf(name: str, value: str) -> ColumnElement[bool] | None:
    """Users narrow on ``id``, ``externalId``, ``userName`` and ``emails``."""
    if name == "id":
        return User.scim_id == value
    if name == "externalid":
        return User.scim_external_id == value
    if name == "username":
        return func.lower(func.coalesce(User.scim_user_name, User.email)) == value.lower()
    if name in ("emails", "emails.value"):
        likeable = _likeable(value)
        if likeable is None:
            return None
        return or_(
            User.email == value.lower(),
            func.lower(User.scim_profile).like(f"%{likeable}%"),
        )
    return None


def _group_leaf(name: str, value: str) -> ColumnElement[bool] | None:
    """Groups narrow on ``id``, ``externalId`` and ``displayName``."""
    if name == "id":
        return ScimGroup.id == value
    if name == "externalid":
        return ScimGroup.external_id == value
    if name == "displayname":
        return func.lower(ScimGroup.display_name) == value.lower()
    return None


def user_narrowing(node: FilterNode | None) -> ColumnElement[bool]:
    """A SQL condition every user matching the filter ``node`` meets."""
    return _narrowing(node, _user_leaf)


def group_narrowing(node: FilterNode | None) -> ColumnElement[bool]:
    """A SQL condition every group matching the filter ``node`` meets."""
    return _narrowing(node, _group_leaf)
