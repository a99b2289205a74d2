"""SCIM 2.0 provisioning (RFC 7643, RFC 7644): an identity provider creates, updates,
deactivates and deletes accounts, and keeps groups whose names can give a role.

The protocol — routing, validation, PATCH, filters, sorting, ETags, discovery and error bodies —
is scim2-server's :class:`~scim2_server.handler.ScimHandler`; this module is its storage over our
tables, and the mapping between a SCIM resource and an account. It stays one module of about
800 lines on purpose: the storage class and the two-way mapping change together (a new
attribute touches reading, writing and the ETag at once); narrowing a search in SQL, which
changes on its own, lives in :mod:`passport.accounts.scim_filters`. The mapping:

- ``userName`` is kept as sent (``users.scim_user_name``); an account the identity provider did
  not create shows its e-mail as ``userName``, so an identity provider matching on the e-mail
  finds it.
- The account's e-mail is the primary ``emails`` value (else the ``work`` one, else the first),
  or ``userName`` when it is an address and no e-mail was sent.
- The account's name is ``displayName``, else ``name.formatted``, else given and family name.
- ``active: false`` deactivates (:func:`~passport.accounts.users.set_user_active`: no more
  logins, open sessions end), ``true`` reactivates; ``DELETE`` erases the person's data
  (:func:`~passport.accounts.users.erase_user`).
- Group membership gives the role ``PASSPORT_ROLE_GROUPS`` maps the groups to (highest wins,
  none: learner), when that mapping is set. The last active administrator stays one.

Everything is audited under the token that called (``actor``). Searches are evaluated by
scim2-models' filter on the resources; an ``eq`` on ``userName``, ``externalId``,
``emails.value`` or ``id`` narrows the rows read first, so an identity provider's usual
look-up stays one indexed query.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar, cast

from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    Context,
    ETag,
    Filter,
    InvalidValueException,
    Meta,
    NotFoundException,
    Pagination,
    Patch,
    PreconditionFailedException,
    Resource,
    ResourceType,
    ResponseParameters,
    Schema,
    SCIMException,
    ScimFilter,
    ScimPolicy,
    ScimProvider,
    SearchRequest,
    ServiceProviderConfig,
    Sort,
    UniquenessException,
)
from scim2_server.handler import ScimHandler
from scim2_server.requests import ScimRequest
from scim2_server.responses import ScimResponse
from scim2_server.service import ScimService
from scim2_server.storage import ScimStorage, SearchPage
from sqlalchemy import ColumnElement, and_, delete, func, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from passport.accounts import scim_models
from passport.accounts.models import ScimGroup, ScimGroupMember, User
from passport.accounts.roles import role_for_groups
from passport.accounts.scim_filters import group_narrowing, user_narrowing
from passport.accounts.users import (
    create_user,
    erase_user,
    is_active,
    set_user_active,
    update_user,
)
from passport.audit import record_event
from passport.credentials.issuing import checked_email
from passport.errors import PassportError

__all__ = [
    "MAX_RESULTS",
    "PassportScimStorage",
    "ScimRequest",
    "ScimResponse",
    "error_response",
    "handle",
    "scim_service",
]

#: A SCIM resource type (User or Group).
R = TypeVar("R", bound=Resource[Any])

#: The most resources one search returns (``filter.maxResults``, ``pagination.maxPageSize``).
MAX_RESULTS = 200


#: The accounts that are SCIM resources: with a SCIM id, not erased. Erasure clears the id;
#: the second condition also hides accounts erased before it did.
_IN_SCIM = and_(User.scim_id.is_not(None), User.erased_at.is_(None))


def service_provider_config() -> ServiceProviderConfig:
    """What ``/ServiceProviderConfig`` announces (RFC 7643 §5)."""
    return ServiceProviderConfig(
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_RESULTS),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=True),
        etag=ETag(supported=True),
        pagination=Pagination(
            cursor=False, index=True, default_page_size=100, max_page_size=MAX_RESULTS
        ),
        authentication_schemes=[
            AuthenticationScheme(
                type=AuthenticationScheme.Type.oauthbearertoken,
                name="Bearer token",
                description=(
                    "A Skill Passport API token with the scim scope, sent as "
                    "'Authorization: Bearer <token>'."
                ),
                primary=True,
            )
        ],
    )


class _Service(ScimService):
    """scim2-server's protocol, answering a PATCH with the whole resource (200).

    RFC 7644 §3.5.2 allows 200 with the resource or 204; several identity providers (Okta
    among them) read the resource from the answer, so we always send it. A User without
    ``emails`` whose ``userName`` is an address is read as having that one address (Entra ID
    sends no ``emails`` for a person whose ``mail`` is empty, and their userName is then the
    address they sign in with).
    """

    def read_creation(
        self, resource_type: ResourceType, body: bytes, content_type: str | None
    ) -> Resource[Any]:
        return super().read_creation(resource_type, _with_emails(body), content_type)

    def read_replacement(
        self, resource_type: ResourceType, body: bytes, content_type: str | None
    ) -> Resource[Any]:
        return super().read_replacement(resource_type, _with_emails(body), content_type)

    def patch_response(
        self,
        base_url: str,
        resource: Resource[Any],
        response_parameters: ResponseParameters[Any],
    ) -> ScimResponse:
        return self.resource_response(
            self.publish(base_url, resource),
            Context.RESOURCE_REPLACEMENT_RESPONSE,
            response_parameters,
        )


#: What we tolerate from identity providers. Attributes we do not keep are dropped, not
#: refused: Entra ID's default mapping sends titles, phone numbers, addresses and the
#: enterprise extension, and a refusal would stop provisioning altogether. Entra ID also
#: sends ``remove`` with the member to remove as its value, and ``replace`` on
#: ``emails[type eq "work"].value`` when there is no work address yet.
POLICY = ScimPolicy(
    unknown=ScimPolicy.Unknown.ignore,
    remove_value_as_filter=ScimPolicy.RemoveValue.apply,
    unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create,
)


class _Provider(ScimProvider):
    """Our resources, their schemas named as RFC 7643 §4 names them."""

    @functools.cached_property
    def schemas(self) -> tuple[Schema, ...]:
        return tuple(
            schema.model_copy(update={"name": scim_models.SCHEMA_NAMES.get(str(schema.id))})
            for schema in (model.to_schema() for model in self.models)
        )


@functools.cache
def scim_service() -> ScimService:
    """The protocol side: our resources, what we announce (built once; it holds no state)."""
    provider = _Provider(
        models=[scim_models.UserResource, scim_models.GroupResource],
        config=service_provider_config(),
        policy=POLICY,
    )
    return _Service(provider)


def handle(
    session: Session,
    request: ScimRequest,
    *,
    role_groups: Mapping[str, str],
    actor: str,
    now: datetime,
    secret_key: str,
) -> ScimResponse:
    """Serve one SCIM request against the database.

    Raises :class:`~scim2_models.SCIMException` for every refusal (turn it into the answer with
    :func:`error_response`); the caller rolls the transaction back then.
    """
    storage = PassportScimStorage(
        session, role_groups=role_groups, actor=actor, now=now, secret_key=secret_key
    )
    return ScimHandler(scim_service(), storage).handle(request)


def error_response(exc: SCIMException) -> ScimResponse:
    """The SCIM error body (``urn:ietf:params:scim:api:messages:2.0:Error``) for ``exc``."""
    return scim_service().error_response(exc)


def _with_emails(body: bytes) -> bytes:
    """``body`` with ``emails: [{value: userName, primary: true}]`` when it is a User without
    e-mails whose userName is an address; otherwise unchanged (the service validates it)."""
    try:
        value = json.loads(body)
    except ValueError:
        return body
    if not isinstance(value, dict):
        return body
    keys = {str(key).lower(): key for key in value}
    user_name = value.get(keys.get("username", ""))
    if value.get(keys.get("emails", "")) or not isinstance(user_name, str):
        return body
    try:
        checked_email(user_name)
    except PassportError:
        return body
    value[keys.get("emails", "emails")] = [{"value": user_name, "primary": True}]
    return json.dumps(value).encode("utf-8")


# -- The stored form of what has no column of its own ------------------------------------------


def _profile(user: User) -> dict[str, Any] | None:
    """What the identity provider sent beyond our columns; None for an account it never
    touched (or a profile that cannot be read, which then counts as never sent)."""
    if not user.scim_profile:
        return None
    try:
        value = json.loads(user.scim_profile)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _login_email_index(emails: Sequence[scim_models.Email]) -> int | None:
    """Which of ``emails`` is the account's e-mail: the primary, else ``work``, else the first."""
    usable = [i for i, email in enumerate(emails) if email.value]
    for wanted in (
        lambda e: e.primary is True,
        lambda e: e.type is not None and str(e.type.value).lower() == "work",
    ):
        found = next((i for i in usable if wanted(emails[i])), None)
        if found is not None:
            return found
    return usable[0] if usable else None


def _email_of(resource: scim_models.UserResource) -> str:
    """The account's e-mail for ``resource``; InvalidValueException when it has none."""
    emails = resource.emails or []
    index = _login_email_index(emails)
    candidate = emails[index].value if index is not None else resource.user_name
    try:
        return checked_email(candidate or "")
    except PassportError:
        raise InvalidValueException(
            detail="A user needs an e-mail address: send 'emails' (or a userName that is one)."
        ) from None


def _name_of(resource: scim_models.UserResource, email: str) -> str:
    """The account's display name: displayName, else name.formatted, else given + family."""
    name = resource.name
    parts = " ".join(p for p in (name.given_name, name.family_name) if p) if name else ""
    for candidate in (resource.display_name, name.formatted if name else None, parts):
        if candidate and candidate.strip():
            return candidate.strip()[:200]
    return email


def _dump(model: Any) -> Any:
    return model.model_dump(mode="json") if model is not None else None


def _with_meta(resource: R, resource_type: str, created: datetime, modified: datetime | None) -> R:
    """``resource`` with its ``meta``: created, last modified (never before created) and the
    version (ETag) of its content."""
    resource.meta = Meta(
        resource_type=resource_type,
        created=created,
        last_modified=max(modified or created, created),
        version=_version(resource),
    )
    return resource


def _version(resource: Resource[Any]) -> str:
    """A weak ETag of everything the resource shows: it changes whenever the resource does,
    whoever changed it (an admin page, a role change, the identity provider)."""
    content = json.dumps(resource.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return 'W/"' + hashlib.sha256(content.encode("utf-8")).hexdigest()[:20] + '"'


# -- The storage ------------------------------------------------------------------------------


class PassportScimStorage(ScimStorage):
    """scim2-server's storage over our ``users``, ``scim_groups`` and ``scim_group_members``.

    One instance serves one request inside one database transaction.
    """

    def __init__(
        self,
        session: Session,
        *,
        role_groups: Mapping[str, str],
        actor: str,
        now: datetime,
        secret_key: str,
    ) -> None:
        self.session = session
        self.role_groups = role_groups
        self.actor = actor
        self.now = now
        #: Erasing an account tombstones its HR person's id under this key (outcomes).
        self.secret_key = secret_key

    # -- reading ---------------------------------------------------------------------------

    def get(
        self,
        resource_type: ResourceType,
        resource_id: str,
        *,
        response_parameters: ResponseParameters[Any] | None = None,
    ) -> Resource[Any]:
        if resource_type.name == "User":
            user = self._user(resource_id)
            return self._user_resource(user, self._groups_of([user.id]).get(user.id, []))
        group = self._group(resource_id)
        return self._group_resource(group, self._members_of([group.id]).get(group.id, []))

    def search(
        self,
        resource_types: list[ResourceType],
        search_request: SearchRequest[Any],
        *,
        position: Any = None,
    ) -> SearchPage:
        scim_filter = search_request.filter
        narrow = len(resource_types) == 1
        if narrow and scim_filter is None and search_request.sort_by is None:
            return self._plain_page(resource_types[0], search_request)
        candidates: list[Resource[Any]] = []
        for resource_type in resource_types:
            node = scim_filter.ast if (scim_filter is not None and narrow) else None
            if resource_type.name == "User":
                candidates.extend(self._users(user_narrowing(node)))
            else:
                candidates.extend(self._groups(group_narrowing(node)))
        if scim_filter is not None and not scim_filter.models and candidates:
            models = tuple(dict.fromkeys(type(r) for r in candidates))
            scim_filter = ScimFilter[models[0] if len(models) == 1 else models](  # type: ignore[misc]
                str(scim_filter)
            )
        found = [r for r in candidates if scim_filter is None or scim_filter.match(r)]
        found = search_request.sort(found)
        start = search_request.start_index_0 or 0
        stop = None if search_request.count is None else start + search_request.count
        return SearchPage(total=len(found), resources=found[start:stop])

    def _user(self, scim_id: str) -> User:
        user = self.session.scalar(select(User).where(User.scim_id == scim_id, _IN_SCIM))
        if user is None:
            raise NotFoundException(detail="There is no such user.")
        return user

    def _group(self, group_id: str) -> ScimGroup:
        group = self.session.get(ScimGroup, group_id)
        if group is None:
            raise NotFoundException(detail="There is no such group.")
        return group

    def _plain_page(
        self, resource_type: ResourceType, search_request: SearchRequest[Any]
    ) -> SearchPage:
        """A page of a list without filter or sort, counted and cut in SQL: an identity
        provider paging through every account reads one page per request, not all of them
        (3,000 accounts on SQLite: 0.61 s a page of 100 when every account was read, 0.11 s now)."""
        start = search_request.start_index_0 or 0
        count = search_request.count
        is_user = resource_type.name == "User"
        where = _IN_SCIM if is_user else true()
        model: Any = User if is_user else ScimGroup
        total = int(self.session.scalar(select(func.count()).select_from(model).where(where)) or 0)
        if count == 0:
            return SearchPage(total=total, resources=[])
        page = self._users(where, start, count) if is_user else self._groups(where, start, count)
        return SearchPage(total=total, resources=page)

    def _users(
        self, where: ColumnElement[bool], offset: int = 0, limit: int | None = None
    ) -> list[Resource[Any]]:
        users = self.session.scalars(
            select(User).where(_IN_SCIM, where).order_by(User.id).offset(offset).limit(limit)
        ).all()
        groups = self._groups_of([u.id for u in users])
        return [self._user_resource(u, groups.get(u.id, [])) for u in users]

    def _groups(
        self, where: ColumnElement[bool], offset: int = 0, limit: int | None = None
    ) -> list[Resource[Any]]:
        groups = self.session.scalars(
            select(ScimGroup)
            .where(where)
            .order_by(ScimGroup.created_at, ScimGroup.id)
            .offset(offset)
            .limit(limit)
        ).all()
        members = self._members_of([g.id for g in groups])
        return [self._group_resource(g, members.get(g.id, [])) for g in groups]

    def _groups_of(self, user_ids: Sequence[int]) -> dict[int, list[ScimGroup]]:
        found: dict[int, list[ScimGroup]] = {}
        if not user_ids:
            return found
        rows = self.session.execute(
            select(ScimGroupMember.user_id, ScimGroup)
            .join(ScimGroup, ScimGroup.id == ScimGroupMember.group_id)
            .where(ScimGroupMember.user_id.in_(user_ids))
            .order_by(ScimGroup.display_name)
        ).all()
        for user_id, group in rows:
            found.setdefault(user_id, []).append(group)
        return found

    def _members_of(self, group_ids: Sequence[str]) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        if not group_ids:
            return found
        rows = self.session.execute(
            select(ScimGroupMember.group_id, User.scim_id)
            .join(User, User.id == ScimGroupMember.user_id)
            .where(ScimGroupMember.group_id.in_(group_ids), _IN_SCIM)
            .order_by(User.id)
        ).all()
        for group_id, scim_id in rows:
            found.setdefault(group_id, []).append(scim_id)
        return found

    def _user_resource(self, user: User, groups: Sequence[ScimGroup]) -> scim_models.UserResource:
        profile = _profile(user)
        stored_emails = (profile or {}).get("emails")
        if stored_emails:
            emails = [scim_models.Email.model_validate(e) for e in stored_emails]
            index = _login_email_index(emails)
            if index is not None:  # an admin may have changed the e-mail since
                emails[index].value = user.email
        else:
            emails = [scim_models.Email(value=user.email, primary=True)]
        name = (profile or {}).get("name")
        resource = scim_models.UserResource(
            id=user.scim_id,
            external_id=user.scim_external_id,
            user_name=user.scim_user_name or user.email,
            name=scim_models.Name.model_validate(name) if name else None,
            display_name=user.name if profile is None or profile.get("displayName") else None,
            emails=emails,
            # Shown unless the identity provider removed it (which leaves the account as it is).
            active=is_active(user) if profile is None or profile.get("active") else None,
            groups=[
                scim_models.GroupMembership(
                    value=group.id, ref=f"Groups/{group.id}", display=group.display_name
                )
                for group in groups
            ]
            or None,
        )
        return _with_meta(resource, "User", user.created_at, user.modified_at)

    def _group_resource(
        self, group: ScimGroup, members: Sequence[str]
    ) -> scim_models.GroupResource:
        resource = scim_models.GroupResource(
            id=group.id,
            external_id=group.external_id,
            display_name=group.display_name,
            members=[
                scim_models.GroupMember(value=member, ref=f"Users/{member}") for member in members
            ]
            or None,
        )
        return _with_meta(resource, "Group", group.created_at, group.modified_at)

    # -- writing ---------------------------------------------------------------------------

    def create(self, resource_type: ResourceType, resource: Resource[Any]) -> Resource[Any]:
        if resource_type.name == "User":
            user = self._create_user(cast(scim_models.UserResource, resource))
            return self.get(resource_type, cast(str, user.scim_id))
        group = self._create_group(cast(scim_models.GroupResource, resource))
        return self.get(resource_type, group.id)

    def update(
        self,
        resource_type: ResourceType,
        resource: Resource[Any],
        *,
        expected_version: str | None = None,
    ) -> Resource[Any]:
        _check_version(self.get(resource_type, cast(str, resource.id)), expected_version)
        if resource_type.name == "User":
            self._update_user(
                self._user(cast(str, resource.id)), cast(scim_models.UserResource, resource)
            )
        else:
            group = self._group(cast(str, resource.id))
            self._update_group(group, cast(scim_models.GroupResource, resource))
        return self.get(resource_type, cast(str, resource.id))

    def delete(
        self,
        resource_type: ResourceType,
        resource_id: str,
        *,
        expected_version: str | None = None,
    ) -> None:
        _check_version(self.get(resource_type, resource_id), expected_version)
        if resource_type.name == "User":
            self._delete_user(self._user(resource_id))
        else:
            self._delete_group(self._group(resource_id))

    # -- users -----------------------------------------------------------------------------

    def _check_user_name(self, user_name: str, user: User | None) -> None:
        """userName is unique without regard to case (RFC 7643 §4.1.1), against the names
        we were sent and the e-mails that stand for the names of the other accounts."""
        wanted = user_name.strip().lower()
        shown = func.lower(func.coalesce(User.scim_user_name, User.email))
        query = select(User.id).where(shown == wanted)
        if user is not None:
            query = query.where(User.id != user.id)
        if self.session.scalar(query.limit(1)) is not None:
            raise UniquenessException(detail="Another user already has this userName.")

    def _check_email(self, email: str, user: User | None) -> None:
        query = select(User.id).where(User.email == email)
        if user is not None:
            query = query.where(User.id != user.id)
        if self.session.scalar(query.limit(1)) is not None:
            raise UniquenessException(detail="Another user already has this e-mail address.")

    def _create_user(self, resource: scim_models.UserResource) -> User:
        user_name = (resource.user_name or "").strip()
        if not user_name:
            raise InvalidValueException(detail="'userName' is required.")
        email = _email_of(resource)
        self._check_user_name(user_name, None)
        self._check_email(email, None)
        # The account name, and any refusal, come from the one place that makes accounts.
        with _as_scim_errors():
            user = create_user(
                self.session,
                email=email,
                name=_name_of(resource, email),
                role="learner",
                password=None,
                actor=self.actor,
            )
        self._store_user_fields(user, resource, user_name, created=True)
        if resource.active is False:
            with _as_scim_errors():
                set_user_active(self.session, user, active=False, actor=self.actor, now=self.now)
        self._flush()
        return user

    def _update_user(self, user: User, resource: scim_models.UserResource) -> None:
        user_name = (resource.user_name or "").strip()
        if not user_name:
            raise InvalidValueException(detail="'userName' is required.")
        email = _email_of(resource)
        self._check_user_name(user_name, user)
        self._check_email(email, user)
        name = _name_of(resource, email)
        with _as_scim_errors():
            if (email, name) != (user.email, user.name):
                update_user(
                    self.session,
                    user,
                    email=email,
                    name=name,
                    role=user.role,
                    actor=self.actor,
                    now=self.now,
                )
            if resource.active is not None and resource.active != is_active(user):
                set_user_active(
                    self.session, user, active=resource.active, actor=self.actor, now=self.now
                )
        self._store_user_fields(user, resource, user_name)
        user.modified_at = self.now
        self._flush()

    def _store_user_fields(
        self,
        user: User,
        resource: scim_models.UserResource,
        user_name: str,
        *,
        created: bool = False,
    ) -> None:
        profile = {
            "name": _dump(resource.name),
            "emails": [_dump(e) for e in resource.emails or []],
            "displayName": resource.display_name is not None,
            "active": resource.active is not None,
        }
        external_id = (resource.external_id or None) and resource.external_id[:255]
        changes = {
            key: [old, new]
            for key, old, new in (
                ("userName", user.scim_user_name, user_name[:320]),
                ("externalId", user.scim_external_id, external_id),
            )
            if old != new
        }
        if changes and not created:  # a creation is audited as user.create
            record_event(
                self.session, self.actor, "scim.user.update", user.email, changes, at=self.now
            )
        user.scim_user_name = user_name[:320]
        user.scim_external_id = external_id
        user.scim_profile = json.dumps(profile, ensure_ascii=False)

    def _delete_user(self, user: User) -> None:
        """Erase the person (their credentials stay valid). Erasure itself takes them out of
        every group and clears their SCIM id, as it does from the admin page and the CLI: the
        id never answers again."""
        with _as_scim_errors():
            erase_user(
                self.session, user, actor=self.actor, now=self.now, secret_key=self.secret_key
            )
        self._flush()

    # -- groups ----------------------------------------------------------------------------

    def _check_group_name(self, name: str, group: ScimGroup | None) -> None:
        query = select(ScimGroup.id).where(func.lower(ScimGroup.display_name) == name.lower())
        if group is not None:
            query = query.where(ScimGroup.id != group.id)
        if self.session.scalar(query.limit(1)) is not None:
            raise UniquenessException(detail="Another group already has this displayName.")

    def _member_users(self, resource: scim_models.GroupResource) -> list[User]:
        """The users ``members`` names; InvalidValueException for an unknown or non-user one."""
        if any(not m.value for m in resource.members or []):
            raise InvalidValueException(detail="Every member needs the 'value' of a user's id.")
        ids = list(dict.fromkeys(cast(str, m.value) for m in resource.members or []))
        users = (
            self.session.scalars(select(User).where(User.scim_id.in_(ids), _IN_SCIM)).all()
            if ids
            else []
        )
        if len(users) != len(ids):
            raise InvalidValueException(
                detail="A member is not a user of this service (groups do not nest here)."
            )
        return list(users)

    def _create_group(self, resource: scim_models.GroupResource) -> ScimGroup:
        name = (resource.display_name or "").strip()
        if not name:
            raise InvalidValueException(detail="'displayName' is required.")
        self._check_group_name(name, None)
        members = self._member_users(resource)
        group = ScimGroup(
            display_name=name[:255],
            external_id=(resource.external_id or None) and resource.external_id[:255],
            created_at=self.now,
        )
        self.session.add(group)
        self._flush()
        self.session.add_all(ScimGroupMember(group_id=group.id, user_id=u.id) for u in members)
        record_event(
            self.session,
            self.actor,
            "scim.group.create",
            group.display_name,
            {"members": len(members)},
            at=self.now,
        )
        self._flush()
        if self._maps_a_role(group.display_name):
            self._sync_roles(members)
        return group

    def _update_group(self, group: ScimGroup, resource: scim_models.GroupResource) -> None:
        name = (resource.display_name or "").strip()
        if not name:
            raise InvalidValueException(detail="'displayName' is required.")
        self._check_group_name(name, group)
        members = self._member_users(resource)
        before = self._member_rows(group)
        old_name = group.display_name
        wanted = {u.id for u in members}
        changes: dict[str, object] = {}
        if name != group.display_name:
            changes["displayName"] = [group.display_name, name]
        added, removed = wanted - set(before), set(before) - wanted
        if added or removed:
            changes["members"] = {"added": len(added), "removed": len(removed)}
        group.display_name = name[:255]
        group.external_id = (resource.external_id or None) and resource.external_id[:255]
        if removed:
            self.session.execute(
                delete(ScimGroupMember).where(
                    ScimGroupMember.group_id == group.id, ScimGroupMember.user_id.in_(removed)
                )
            )
        self.session.add_all(ScimGroupMember(group_id=group.id, user_id=i) for i in added)
        group.modified_at = self.now
        if changes:
            record_event(
                self.session,
                self.actor,
                "scim.group.update",
                group.display_name,
                changes,
                at=self.now,
            )
        self._flush()
        if self._maps_a_role(old_name, name):
            # A renamed group may give or take a role from everyone in it.
            affected = set(before) | wanted if "displayName" in changes else added | removed
            self._sync_roles(self._users_by_id(affected))

    def _delete_group(self, group: ScimGroup) -> None:
        members = self._users_by_id(set(self._member_rows(group)))
        record_event(self.session, self.actor, "scim.group.delete", group.display_name, at=self.now)
        self.session.execute(delete(ScimGroupMember).where(ScimGroupMember.group_id == group.id))
        self.session.delete(group)
        self._flush()
        if self._maps_a_role(group.display_name):
            self._sync_roles(members)

    def _member_rows(self, group: ScimGroup) -> list[int]:
        return list(
            self.session.scalars(
                select(ScimGroupMember.user_id).where(ScimGroupMember.group_id == group.id)
            ).all()
        )

    def _users_by_id(self, ids: set[int]) -> list[User]:
        if not ids:
            return []
        return list(self.session.scalars(select(User).where(User.id.in_(ids))).all())

    def _maps_a_role(self, *names: str) -> bool:
        """Whether a change to the group of these names (old and new) can change a role:
        only groups ``PASSPORT_ROLE_GROUPS`` names give or take roles, so joining any other
        group leaves a role made on the admin pages alone."""
        return any(name in self.role_groups for name in names)

    def _sync_roles(self, users: Sequence[User]) -> None:
        """Give each user the role their mapped groups give (``PASSPORT_ROLE_GROUPS``, highest
        wins; in none: learner). Erased accounts are left as they are (erasure takes them out
        of every group; an account erased before that was so may still have a membership row)."""
        users = [u for u in users if u.erased_at is None]  # erased: no role to give or take
        groups = self._groups_of([u.id for u in users])
        for user in sorted(users, key=lambda u: u.id):
            names = [g.display_name for g in groups.get(user.id, [])]
            role = role_for_groups(names, self.role_groups) or "learner"
            if role != user.role:
                with _as_scim_errors():
                    update_user(
                        self.session,
                        user,
                        email=user.email,
                        name=user.name,
                        role=role,
                        actor=self.actor,
                        now=self.now,
                    )
        self._flush()

    def _flush(self) -> None:
        """Flush; a unique value another request took a moment ago is a 409, not a 500."""
        try:
            with self.session.begin_nested():
                self.session.flush()
        except IntegrityError as exc:
            raise UniquenessException(detail="A unique value is already taken.") from exc


def _check_version(current: Resource[Any], expected: str | None) -> None:
    """Refuse a write when the stored resource is no longer the version the request read."""
    if expected is not None and current.meta is not None and current.meta.version != expected:
        raise PreconditionFailedException(detail="The resource changed meanwhile.")


@contextmanager
def _as_scim_errors() -> Iterator[None]:
    """Turn our domain refusals (last admin, bad e-mail …) into SCIM ``invalidValue`` errors,
    keeping the plain sentence."""
    try:
        yield
    except PassportError as exc:
        raise InvalidValueException(detail=exc.message) from exc
