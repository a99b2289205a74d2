"""Which account a person the identity provider vouched for gets (passport.accounts.sso),
on the real database; the protocol itself is tested end to end in tests/oidc/."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from passport.accounts.models import User
from passport.accounts.oidc import OidcIdentity
from passport.accounts.sso import sign_in
from passport.accounts.users import create_user, set_user_active
from passport.audit import AuditEvent
from passport.errors import Forbidden, SsoFailed
from passport.services import Services
from passport.settings import OidcSettings

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
OIDC = OidcSettings(
    issuer="https://idp.example.org",
    client_id="c",
    client_secret="s",
    allowed_domains=("example.org",),
)
GROUPS = {"sp-admins": "admin", "sp-assessors": "assessor", "sp-mentors": "mentor"}
ADA = OidcIdentity(
    issuer=OIDC.issuer,
    subject="ada-1",
    email="Ada@Example.org",
    email_verified=True,
    name="Ada Lovelace",
    groups=("sp-mentors",),
)


def _sign_in(services: Services, identity: OidcIdentity, **kwargs: object) -> User:
    arguments: dict[str, object] = {"oidc": OIDC, "role_groups": GROUPS, "now": NOW}
    arguments.update(kwargs)
    with services.session() as db:
        user = sign_in(db, identity, **arguments)  # type: ignore[arg-type]
        db.expunge(user)
        return user


def _refusal(services: Services, identity: OidcIdentity, **kwargs: object) -> str:
    with pytest.raises((SsoFailed, Forbidden)) as caught:
        _sign_in(services, identity, **kwargs)
    return caught.value.code


def test_a_new_person_of_an_allowed_domain_gets_an_account(services: Services) -> None:
    user = _sign_in(services, ADA)
    assert (user.email, user.name, user.role) == ("ada@example.org", "Ada Lovelace", "mentor")
    assert (user.oidc_issuer, user.oidc_subject) == (OIDC.issuer, "ada-1")
    again = _sign_in(services, replace(ADA, email="ada.l@example.org"))
    assert again.id == user.id  # found by issuer and subject, whatever the e-mail says now


def test_a_new_learner_gets_their_holder_record(services: Services) -> None:
    user = _sign_in(services, replace(ADA, groups=("staff",)))
    assert user.role == "learner" and user.holder_id is not None


@pytest.mark.parametrize(
    ("identity", "code"),
    [
        (replace(ADA, email="ada@elsewhere.example"), "sso_domain_not_allowed"),
        (replace(ADA, email="ada@sub.example.org"), "sso_domain_not_allowed"),
        (replace(ADA, email_verified=False), "sso_email_unverified"),
        (replace(ADA, email=None), "sso_no_email"),
        (replace(ADA, email="not an address@example.org"), "sso_bad_email"),
    ],
)
def test_no_account_is_made_for(services: Services, identity: OidcIdentity, code: str) -> None:
    assert _refusal(services, identity) == code
    with services.session() as db:
        assert db.scalar(select(User)) is None


def test_no_account_is_made_when_no_domain_is_allowed(services: Services) -> None:
    closed = replace(OIDC, allowed_domains=())
    assert _refusal(services, ADA, oidc=closed) == "sso_domain_not_allowed"


def test_an_account_linked_to_another_provider_account_is_refused(services: Services) -> None:
    _sign_in(services, ADA)
    other = replace(ADA, subject="someone-else")
    assert _refusal(services, other) == "sso_account_linked_elsewhere"


def test_moving_to_another_provider_relinks_by_verified_email(services: Services) -> None:
    first = _sign_in(services, ADA)
    moved = replace(ADA, issuer="https://new-idp.example.org", subject="0042")
    user = _sign_in(services, moved, oidc=replace(OIDC, issuer=moved.issuer))
    assert user.id == first.id
    assert (user.oidc_issuer, user.oidc_subject) == ("https://new-idp.example.org", "0042")
    with services.session() as db:
        links = db.scalars(select(AuditEvent).where(AuditEvent.action == "user.sso_link"))
        assert [json.loads(e.detail or "{}") for e in links] == [
            {"issuer": "https://new-idp.example.org", "previous_issuer": OIDC.issuer}
        ]


def test_a_deactivated_account_is_refused_and_not_linked(services: Services) -> None:
    with services.session() as db:
        create_user(db, email="root@example.org", name="Root", role="admin", password=None)
        ada = create_user(db, email="ada@example.org", name="Ada", role="mentor", password=None)
        set_user_active(db, ada, active=False, actor="root@example.org", now=NOW)
    assert _refusal(services, ADA) == "account_deactivated"
    with services.session() as db:
        user = db.scalar(select(User).where(User.email == "ada@example.org"))
        assert user is not None and user.oidc_subject is None


def test_the_role_follows_groups_only_when_groups_are_mapped_and_sent(
    services: Services,
) -> None:
    with services.session() as db:
        create_user(db, email="root@example.org", name="Root", role="admin", password=None)
    user = _sign_in(services, ADA)
    assert user.role == "mentor"
    assert _sign_in(services, replace(ADA, groups=("sp-assessors",))).role == "assessor"
    # No role claim sent: the role stays.
    assert _sign_in(services, replace(ADA, groups=None)).role == "assessor"
    # Groups sent but PASSPORT_ROLE_GROUPS empty: roles are managed here, not by the provider.
    assert _sign_in(services, replace(ADA, groups=()), role_groups={}).role == "assessor"
    assert _sign_in(services, replace(ADA, groups=())).role == "learner"
    with services.session() as db:
        changes = [
            (e.actor, json.loads(e.detail or "{}").get("role"))
            for e in db.scalars(select(AuditEvent).where(AuditEvent.action == "user.update"))
        ]
        logins = db.scalars(select(AuditEvent).where(AuditEvent.action == "login.sso")).all()
    assert changes == [("sso", ["mentor", "assessor"]), ("sso", ["assessor", "learner"])]
    assert len(logins) == 5


def test_the_last_admin_keeps_the_role_whatever_the_groups(services: Services) -> None:
    _sign_in(services, replace(ADA, groups=("sp-admins",)))
    assert _sign_in(services, replace(ADA, groups=("sp-mentors",))).role == "admin"
    with services.session() as db:
        kept = db.scalar(select(AuditEvent).where(AuditEvent.action == "user.sso_role_kept"))
        assert kept is not None and kept.subject == "ada@example.org"
