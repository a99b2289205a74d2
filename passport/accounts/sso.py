"""Single sign-on: the account a person the identity provider vouched for gets here.

:func:`sign_in` takes an :class:`~passport.accounts.oidc.OidcIdentity` (a verified ID token
and UserInfo) and returns the user to log in:

1. the account already linked to this provider account (``iss`` + ``sub``), else
2. the account with the same e-mail, when the provider says the e-mail is verified; the
   provider account is then linked to it (an account linked to another account at the same
   provider is refused; a link to a provider no longer configured is replaced), else
3. a new account ("just in time"), only for a verified e-mail in one of
   ``PASSPORT_OIDC_ALLOWED_DOMAINS``, with the role its groups give.

A deactivated account is refused. When ``PASSPORT_ROLE_GROUPS`` maps groups and the provider
sends the role claim, the role follows the groups at every login (audited when it changes;
the last active administrator keeps the role). Nothing here knows HTTP.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from passport.accounts.models import User
from passport.accounts.oidc import OidcIdentity
from passport.accounts.roles import role_for_groups
from passport.accounts.users import create_user, is_active, update_user
from passport.audit import record_event
from passport.errors import Forbidden, InvalidRequest, SsoFailed
from passport.settings import OidcSettings
from verifier import normalize_email

__all__ = ["SSO_ACTOR", "sign_in"]

#: The audit actor of what single sign-on does on its own (accounts made, roles changed).
SSO_ACTOR = "sso"


def _role_from(identity: OidcIdentity, oidc: OidcSettings, role_groups: Mapping[str, str]) -> str:
    return role_for_groups(identity.groups or (), role_groups) or oidc.default_role


def _verified_email(identity: OidcIdentity) -> str:
    if not identity.email:
        raise SsoFailed(
            "The identity provider did not tell us your e-mail address, so we cannot find "
            "your account. Ask your program's administrator.",
            code="sso_no_email",
        )
    if not identity.email_verified:
        raise SsoFailed(
            "The identity provider has not verified your e-mail address, so we cannot match "
            "it to an account. Ask your program's administrator.",
            code="sso_email_unverified",
        )
    return normalize_email(identity.email)


def sign_in(
    db: Session,
    identity: OidcIdentity,
    *,
    oidc: OidcSettings,
    role_groups: Mapping[str, str],
    now: datetime,
) -> User:
    """The active user ``identity`` signs in as (found, linked or created; role updated).

    Raises :class:`~passport.errors.SsoFailed` (``sso_no_email``, ``sso_email_unverified``,
    ``sso_domain_not_allowed``, ``sso_account_linked_elsewhere``) or
    :class:`~passport.errors.Forbidden` (``account_deactivated``).
    """
    user = db.scalar(
        select(User).where(
            User.oidc_issuer == identity.issuer, User.oidc_subject == identity.subject
        )
    )
    created = False
    if user is None:
        email = _verified_email(identity)
        user = db.scalar(select(User).where(User.email == email))
        if user is None:
            user = _create(db, identity, email, oidc=oidc, role_groups=role_groups)
            created = True
        elif user.oidc_subject is not None and user.oidc_issuer == identity.issuer:
            raise SsoFailed(
                "Your e-mail address belongs to an account that signs in with another "
                "identity-provider account. Ask your program's administrator.",
                code="sso_account_linked_elsewhere",
            )
        else:
            # Not linked yet, or linked at a provider this service no longer uses (only one
            # is configured at a time, so that link can never sign in again): link it here.
            _refuse_if_deactivated(user)
            detail = {"issuer": identity.issuer}
            if user.oidc_issuer is not None:
                detail["previous_issuer"] = user.oidc_issuer
            user.oidc_issuer, user.oidc_subject = identity.issuer, identity.subject
            record_event(db, SSO_ACTOR, "user.sso_link", user.email, detail, at=now)
    _refuse_if_deactivated(user)
    if not created and role_groups and identity.groups is not None:
        _follow_groups(db, user, _role_from(identity, oidc, role_groups), now=now)
    record_event(db, user.email, "login.sso", user.email, {"issuer": identity.issuer}, at=now)
    db.flush()
    return user


def _create(
    db: Session,
    identity: OidcIdentity,
    email: str,
    *,
    oidc: OidcSettings,
    role_groups: Mapping[str, str],
) -> User:
    domain = email.rpartition("@")[2]
    if domain not in oidc.allowed_domains:
        raise SsoFailed(
            "There is no account for your e-mail address here, and accounts are not made "
            "automatically for its domain. Ask your program's administrator for one.",
            code="sso_domain_not_allowed",
        )
    try:
        user = create_user(
            db,
            email=email,
            name=identity.name or email,
            role=_role_from(identity, oidc, role_groups),
            password=None,
            actor=SSO_ACTOR,
        )
    except InvalidRequest as exc:  # an address our e-mail check refuses
        raise SsoFailed(
            "The identity provider's e-mail address for you cannot be used here. Ask your "
            "program's administrator.",
            code="sso_bad_email",
        ) from exc
    user.oidc_issuer, user.oidc_subject = identity.issuer, identity.subject
    return user


def _refuse_if_deactivated(user: User) -> None:
    if not is_active(user):
        raise Forbidden(
            "This account is deactivated, so it cannot sign in. If you need access again, ask "
            "your program's administrator.",
            code="account_deactivated",
        )


def _follow_groups(db: Session, user: User, role: str, *, now: datetime) -> None:
    """Give ``user`` the role their groups map to; the last active admin stays admin."""
    if role == user.role:
        return
    try:
        update_user(db, user, email=user.email, name=user.name, role=role, actor=SSO_ACTOR, now=now)
    except InvalidRequest as exc:
        if exc.code != "last_admin":
            raise
        record_event(
            db,
            SSO_ACTOR,
            "user.sso_role_kept",
            user.email,
            {"role": user.role, "groups_role": role, "why": "last active administrator"},
            at=now,
        )
