"""The SCIM 2.0 resources we serve: the core User and Group schemas (RFC 7643 §4), cut down to
the attributes we keep.

Publishing only what we store is deliberate: ``/Schemas`` then tells an identity provider
exactly what round-trips, and we hold no phone numbers, addresses or photos we never use (data
minimisation). The classes are scim2-models resources; their docstrings become the schemas'
descriptions; :data:`SCHEMA_NAMES` gives the schemas their RFC 7643 §4 names.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field
from scim2_models import (
    URN,
    CaseExact,
    ComplexAttribute,
    ExtensibleStringEnum,
    Mutability,
    Reference,
    Required,
    Resource,
    Uniqueness,
)

__all__ = [
    "SCHEMA_NAMES",
    "Email",
    "GroupMember",
    "GroupMembership",
    "GroupReference",
    "GroupResource",
    "Name",
    "UserReference",
    "UserResource",
]

#: The name ``/Schemas`` gives each schema (scim2-models would take the class's name).
SCHEMA_NAMES = {
    "urn:ietf:params:scim:schemas:core:2.0:User": "User",
    "urn:ietf:params:scim:schemas:core:2.0:Group": "Group",
}

#: References to our resource types by name (RFC 7643 §2.3.7): ``$ref`` of members, groups.
UserReference = Reference["User"]
GroupReference = Reference["Group"]


class Name(ComplexAttribute):
    """The parts of the person's name; the account's display name comes from them when the
    identity provider sends no ``displayName``."""

    formatted: str | None = None
    given_name: str | None = None
    family_name: str | None = None


class Email(ComplexAttribute):
    """An e-mail address; the primary one (else the ``work`` one, else the first) is the
    account's e-mail."""

    class Type(ExtensibleStringEnum):
        work = "work"
        home = "home"
        other = "other"

    value: Annotated[str | None, Required.true] = None
    type: Type | None = None
    primary: bool | None = None


class GroupMembership(ComplexAttribute):
    """A group the user belongs to (change it on the Group, RFC 7643 §4.1.2)."""

    value: Annotated[str | None, Mutability.read_only] = None
    ref: Annotated[GroupReference | None, Mutability.read_only] = Field(
        None, serialization_alias="$ref", validation_alias="$ref"
    )
    display: Annotated[str | None, Mutability.read_only] = None


class UserResource(Resource[Any]):
    """A person's Skill Passport account: userName, name, displayName, e-mails, active."""

    __schema__ = URN("urn:ietf:params:scim:schemas:core:2.0:User")

    user_name: Annotated[str | None, Uniqueness.server, Required.true] = None
    name: Name | None = None
    display_name: str | None = None
    emails: Annotated[list[Email] | None, Required.true] = None
    active: bool | None = None
    groups: Annotated[list[GroupMembership] | None, Mutability.read_only] = None


class GroupMember(ComplexAttribute):
    """A user in the group (groups do not nest here)."""

    value: Annotated[str | None, Mutability.immutable, CaseExact.true] = None
    ref: Annotated[UserReference | None, Mutability.immutable] = Field(
        None, serialization_alias="$ref", validation_alias="$ref"
    )


class GroupResource(Resource[Any]):
    """A group of people; PASSPORT_ROLE_GROUPS can give its members a role."""

    __schema__ = URN("urn:ietf:params:scim:schemas:core:2.0:Group")

    display_name: Annotated[str | None, Uniqueness.server, Required.true] = None
    members: list[GroupMember] | None = None
