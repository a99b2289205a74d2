"""Users: the people who log in, their roles, checking who they are, and their account's life.

Passwords are hashed with scrypt (:mod:`passport.accounts.passwords`). Roles: ``admin``
(everything), ``assessor`` (assessments and bulk results), ``mentor`` (their cohorts: sessions,
attendance, notes), ``learner`` (their own badges).

Lifecycle: a role change, deactivation, a password change and erasure end the person's open
sessions (:func:`passport.accounts.sessions.end_user_sessions`; a password change keeps the
session it was made in). Erasure (:func:`erase_user`) removes the personal data and keeps a
pseudonym in the account row and the audit log; the badges issued to the person stay valid.
The last active administrator can be neither demoted, deactivated nor erased, checked under a
lock so that two admins removing each other at the same moment cannot both succeed.
"""

from __future__ import annotations

import functools
import json
import re
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, select, text, update
from sqlalchemy.orm import Session

from passport.accounts.models import (
    ApiToken,
    PasswordReset,
    RecoveryCode,
    ScimGroup,
    ScimGroupMember,
    User,
)
from passport.accounts.passwords import (
    MIN_PASSWORD_LENGTH,
    check_new_password,
    hash_password,
    password_matches,
)
from passport.accounts.sessions import end_user_sessions
from passport.assessments.models import Assessment
from passport.audit import AuditEvent, record_event
from passport.credentials.issuing import checked_email
from passport.credentials.models import Holder, IssuedCredential
from passport.errors import InvalidRequest, NotFound
from passport.jobs.models import Job, JobPart, MailPreference, Notification
from passport.sharing.links import revoke_share_link
from passport.sharing.models import ShareLink
from passport.wallets.models import (
    HeldCredential,
    LcwExchange,
    ObApiAuthorizationCode,
    ObApiToken,
    Oid4vciAccessToken,
    Oid4vciAuthCode,
    Oid4vciOffer,
    Oid4vciTransaction,
    WalletDelivery,
)
from verifier import normalize_email

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "ROLES",
    "STAFF_ROLES",
    "authenticate_user",
    "change_password",
    "count_users",
    "create_user",
    "erase_user",
    "is_active",
    "search_users",
    "set_user_active",
    "update_user",
    "user_by_email",
]


ROLES = ("admin", "assessor", "mentor", "hiring_manager", "analyst", "learner")
STAFF_ROLES = ("admin", "assessor", "mentor")


@functools.cache
def _dummy_hash() -> str:
    """Checked against when the e-mail is unknown, so timing does not reveal which accounts
    exist. Made on first use: an import costs no scrypt run."""
    return hash_password("not-a-real-password-just-for-timing")


def create_user(
    session: Session,
    *,
    email: str,
    name: str,
    role: str,
    password: str | None,
    actor: str = "admin",
) -> User:
    """Create a user; learners get (or are linked to) their Holder record."""
    if role not in ROLES:
        raise InvalidRequest(f"Unknown role {role!r}; roles are {', '.join(ROLES)}.")
    email = checked_email(email)
    if session.scalar(select(User).where(User.email == email)) is not None:
        raise InvalidRequest(f"A user with e-mail {email} already exists.", code="duplicate_user")
    if password is not None:
        check_new_password(password, email=email, name=name)
    user = User(
        email=email,
        name=name.strip() or email,
        role=role,
        password_hash=hash_password(password) if password else None,
    )
    if role == "learner":
        _link_holder(session, user)
    session.add(user)
    session.add(AuditEvent(actor=actor, action="user.create", subject=email, detail=role))
    session.flush()
    return user


def _link_holder(session: Session, user: User) -> None:
    """Give a learner the Holder record of their e-mail (made if there is none yet)."""
    if user.holder_id is not None:
        return
    holder = session.scalar(select(Holder).where(Holder.email == user.email))
    if holder is None:
        holder = Holder(email=user.email, name=user.name)
        session.add(holder)
        session.flush()
    user.holder_id = holder.id


def is_active(user: User) -> bool:
    """Whether ``user`` may log in and use a session (not deactivated)."""
    return user.deactivated_at is None


def authenticate_user(session: Session, email: str, password: str) -> User | None:
    """Return the active user whose e-mail and password match, else None (constant-ish time).

    A deactivated account is refused like a wrong password, after the same password check.
    """
    user = session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None or not user.password_hash:
        password_matches(_dummy_hash(), password)
        return None
    if not password_matches(user.password_hash, password):
        return None
    return user if is_active(user) else None


def _other_active_admins(session: Session, user: User) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.role == "admin", User.deactivated_at.is_(None), User.id != user.id)
        )
        or 0
    )


def _lock_admins(session: Session) -> None:
    """Serialise every change that could remove an administrator, before counting them.

    PostgreSQL: lock the admin rows, in id order (two such transactions wait for each other
    instead of deadlocking). SQLite: take the database's write lock (a write that changes
    nothing starts the write transaction; SQLite has one writer at a time).
    """
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("UPDATE users SET role = role WHERE 0 = 1"))
        return
    session.execute(
        select(User.id).where(User.role == "admin").order_by(User.id).with_for_update()
    ).all()


def _keep_an_admin(session: Session, user: User) -> None:
    """Refuse to take away the last active administrator (under :func:`_lock_admins`)."""
    if user.role != "admin" or not is_active(user):
        return
    _lock_admins(session)
    session.refresh(user)
    if user.role == "admin" and is_active(user) and _other_active_admins(session, user) == 0:
        raise InvalidRequest(
            "This is the last active administrator. Make another user an administrator "
            "first, so someone can still manage this instance.",
            code="last_admin",
        )


def update_user(
    session: Session,
    user: User,
    *,
    email: str,
    name: str,
    role: str,
    actor: str,
    now: datetime,
    password: str | None = None,
) -> User:
    """Change a user's e-mail, name, role and (when given) password; the last active admin
    keeps the admin role. An erased account cannot be edited (``user_erased``)."""
    if user.erased_at is not None:
        raise InvalidRequest(
            "This account was erased; it cannot be reactivated.", code="user_erased"
        )
    if role not in ROLES:
        raise InvalidRequest(
            f"Unknown role {role!r}; roles are {', '.join(ROLES)}.", code="unknown_role"
        )
    email = checked_email(email)
    if email != user.email:
        taken = session.scalar(select(User).where(User.email == email, User.id != user.id))
        if taken is not None:
            raise InvalidRequest(
                f"A user with e-mail {email} already exists.", code="duplicate_user"
            )
    if role != user.role:
        _keep_an_admin(session, user)
    if password:
        check_new_password(password, email=email, name=name)
    changes: dict[str, object] = {
        key: [old, new]
        for key, old, new in (
            ("email", user.email, email),
            ("name", user.name, name.strip() or email),
            ("role", user.role, role),
        )
        if old != new
    }
    user.email, user.name, user.role = email, name.strip() or email, role
    if password:
        user.password_hash = hash_password(password)
        changes["password_changed"] = True
    if role == "learner":
        _link_holder(session, user)
    if changes:
        record_event(session, actor, "user.update", user.email, changes, at=now)
    session.flush()
    if "role" in changes:
        # What the person may do changed: their open sessions end (they log in again).
        end_user_sessions(session, user.id, reason="role_change")
    elif password:
        end_user_sessions(session, user.id, reason="password_change")
    return user


def set_user_active(
    session: Session, user: User, *, active: bool, actor: str, now: datetime
) -> None:
    """Deactivate (no more logins, open sessions end) or reactivate an account.

    The history stays: badges, assessments and notes keep pointing at the user.
    """
    if active == is_active(user):
        return
    if not active:
        _keep_an_admin(session, user)
        user.deactivated_at = now
    elif user.erased_at is not None:
        raise InvalidRequest(
            "This account was erased; it cannot be reactivated.", code="user_erased"
        )
    else:
        user.deactivated_at = None
    action = "user.reactivate" if active else "user.deactivate"
    record_event(session, actor, action, user.email, at=now)
    session.flush()
    if not active:
        end_user_sessions(session, user.id, reason="deactivated")
        _end_platform_access(session, user.id, now=now)


def _end_platform_access(session: Session, user_id: int, *, now: datetime) -> None:
    """Revoke the Open Badges API tokens of a deactivated account and use up its unused
    authorization codes, so that reactivating it does not bring a platform's access back
    (the learner grants it again)."""
    session.execute(
        update(ObApiToken)
        .where(ObApiToken.user_id == user_id, ObApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    session.execute(
        update(ObApiAuthorizationCode)
        .where(ObApiAuthorizationCode.user_id == user_id, ObApiAuthorizationCode.used_at.is_(None))
        .values(used_at=now)
    )


def user_by_email(session: Session, email: str) -> User:
    """The user with ``email``; raises NotFound (``unknown_user``) if there is none."""
    user = session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None:
        raise NotFound(f"There is no user with e-mail {email.strip()}.", code="unknown_user")
    return user


def change_password(
    session: Session,
    user: User,
    new_password: str,
    *,
    actor: str,
    now: datetime,
    keep_session: str | None = None,
) -> None:
    """Set ``user``'s password after the policy check; every other session of theirs ends.

    ``keep_session`` is the cookie id of the session the change was made in (it stays open).
    Raises InvalidRequest (``weak_password``) for a password the policy refuses.
    """
    if user.erased_at is not None:
        raise InvalidRequest("This account was erased.", code="user_erased")
    check_new_password(new_password, email=user.email, name=user.name)
    user.password_hash = hash_password(new_password)
    record_event(session, actor, "user.password_change", user.email, at=now)
    session.flush()
    end_user_sessions(session, user.id, reason="password_change", keep=keep_session)


#: Columns of personal data beside name and e-mail, cleared by erasure: the second factor,
#: single sign-on and SCIM identities (an identity provider re-provisioning the person gets a
#: new account).
_PERSONAL_COLUMNS = (
    "totp_secret",
    "totp_last_counter",
    "oidc_issuer",
    "oidc_subject",
    "scim_user_name",
    "scim_external_id",
    "scim_profile",
)


def erase_user(session: Session, user: User, *, actor: str, now: datetime, secret_key: str) -> None:
    """Erase ``user``'s personal data; what they were issued stays valid.

    Removed: name, e-mail (replaced by a pseudonym ``erased-<random>@invalid``), password,
    second factor, language and time zone, every session, the SCIM identity and group
    memberships (the account is no SCIM resource any more, whichever way it was erased: the
    admin page, the CLI or SCIM's ``DELETE``). Every address of the account — its e-mail and
    the earlier ones its own ``user.update`` audit rows name — becomes the pseudonym wherever
    it stands for the person, in any letter case: the audit log, the assessments they
    recorded or were named as assessor of, the API tokens they made, and their holder records
    (the learner's, and one with their address even for staff), which also lose name and DID
    and whose share links are revoked. The account row stays, deactivated, so history
    (assessments, notes, audit) keeps pointing at it. Issued credentials, their status entries
    and status lists are untouched: the badges the person holds keep verifying. Their e-mail
    notifications (sent or waiting) and mail choices are deleted, and so are their consent to be
    found for internal moves and their applications to roles, and the HR system's
    person with one of their addresses and that person's events (outcomes), leaving only a
    keyed hash of the HR id (``secret_key``) so a later HR import cannot bring them back. What
    wallets and platforms hold of them goes too (:func:`_forget_wallets`). The last
    active administrator cannot be erased. Irreversible.
    """
    if user.erased_at is not None:
        return
    _keep_an_admin(session, user)
    addresses = _addresses_of(session, user)
    pseudonym = f"erased-{secrets.token_hex(8)}@invalid"
    end_user_sessions(session, user.id, reason="erased")
    _leave_scim(session, user, now)
    holders = list(_holders_of(session, user, addresses))
    _forget_wallets(session, user, [holder.id for holder in holders])
    for index, holder in enumerate(holders):
        # Holder e-mails are unique: a second record of theirs gets a pseudonym of its own.
        own = pseudonym if index == 0 else f"erased-{secrets.token_hex(8)}@invalid"
        _erase_holder(session, holder, own, now)
    name = user.name
    user.email = pseudonym
    user.name = pseudonym.split("@")[0]
    user.password_hash = None
    user.locale = user.time_zone = None
    for column in _PERSONAL_COLUMNS:
        setattr(user, column, None)
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.execute(delete(PasswordReset).where(PasswordReset.user_id == user.id))
    _forget_mail(session, user, addresses)
    _forget_hr_person(session, addresses, secret_key=secret_key, now=now)
    _forget_mobility(session, user)
    _pseudonymise_jobs(session, addresses, pseudonym)
    user.deactivated_at = user.deactivated_at or now
    user.erased_at = now
    _pseudonymise_records(session, addresses, pseudonym)
    session.flush()
    _pseudonymise_audit(session, addresses, name, pseudonym)
    record_event(session, actor, "user.erase", pseudonym, at=now)
    session.flush()


def _forget_mail(session: Session, user: User, addresses: Sequence[str]) -> None:
    """The person's e-mail, sent or waiting, and their mail choices: a record of what we told
    whom names them, and nothing must reach an erased address."""
    session.execute(
        delete(Notification).where(
            or_(Notification.user_id == user.id, func.lower(Notification.to).in_(addresses))
        )
    )
    session.execute(delete(MailPreference).where(MailPreference.user_id == user.id))


def _forget_wallets(session: Session, user: User, holder_ids: Sequence[int]) -> None:
    """What wallets and platforms hold of the person: the badges platforms pushed into their
    account, the platforms' codes and tokens, their open wallet offers, exchanges and tokens,
    and which wallet DIDs received their badges (a DID is a personal identifier). The badges
    already in their wallets keep verifying: nothing about the badges themselves changes."""
    session.execute(delete(HeldCredential).where(HeldCredential.user_id == user.id))
    session.execute(delete(ObApiToken).where(ObApiToken.user_id == user.id))
    session.execute(delete(ObApiAuthorizationCode).where(ObApiAuthorizationCode.user_id == user.id))
    session.execute(delete(LcwExchange).where(LcwExchange.user_id == user.id))
    if not holder_ids:
        return
    theirs = select(IssuedCredential.id).where(IssuedCredential.holder_id.in_(holder_ids))
    session.execute(delete(Oid4vciTransaction).where(Oid4vciTransaction.credential_id.in_(theirs)))
    session.execute(delete(Oid4vciAccessToken).where(Oid4vciAccessToken.credential_id.in_(theirs)))
    session.execute(delete(Oid4vciAuthCode).where(Oid4vciAuthCode.credential_id.in_(theirs)))
    session.execute(delete(Oid4vciOffer).where(Oid4vciOffer.credential_id.in_(theirs)))
    session.execute(delete(WalletDelivery).where(WalletDelivery.credential_id.in_(theirs)))
    # the audit keeps that a badge went to a wallet, not to which DID
    session.execute(
        update(AuditEvent)
        .where(AuditEvent.action == "wallet.deliver", AuditEvent.subject.in_(theirs))
        .values(detail="(wallet DID erased)")
    )


def _forget_mobility(session: Session, user: User) -> None:
    """Their consent to be found and their applications to roles: gone, so no candidate list
    or hiring manager's page names them (the applications' share links are revoked with the
    holder records)."""
    from passport.mobility.models import Application, Discoverability, DiscoverableFamily

    session.execute(delete(DiscoverableFamily).where(DiscoverableFamily.user_id == user.id))
    session.execute(delete(Discoverability).where(Discoverability.user_id == user.id))
    session.execute(delete(Application).where(Application.user_id == user.id))


def _forget_hr_person(
    session: Session, addresses: Sequence[str], *, secret_key: str, now: datetime
) -> None:
    """The HR system's person with one of the account's addresses, and their events (the
    outcome measures link them by e-mail): deleted, so the figures cannot re-identify them,
    and tombstoned, so the next HR import does not bring them back."""
    from passport.outcomes.people import forget_emails

    forget_emails(session, addresses, secret_key=secret_key, now=now)


def _pseudonymise_jobs(session: Session, addresses: Sequence[str], pseudonym: str) -> None:
    """Bulk jobs name people: who started one, the assessor it records, and (until a part has
    run) each row's learner and the preview's row errors. Every address becomes the pseudonym;
    a row not issued yet then fails as an unknown learner instead of reaching the person."""
    if not addresses:
        return
    pattern = re.compile("|".join(re.escape(a) for a in addresses), re.IGNORECASE)
    for job in session.scalars(select(Job)):
        if job.created_by.lower() in addresses:
            job.created_by = pseudonym
        for name in ("payload", "errors"):
            text_value = getattr(job, name)
            if pattern.search(text_value):
                setattr(job, name, pattern.sub(pseudonym, text_value))
    for part in session.scalars(select(JobPart).where(JobPart.payload != "[]")):
        for name in ("payload", "errors"):
            text_value = getattr(part, name)
            if pattern.search(text_value):
                setattr(part, name, pattern.sub(pseudonym, text_value))


def _addresses_of(session: Session, user: User) -> list[str]:
    """The account's e-mail and the earlier ones (lower-cased), newest first.

    Read back from the account's own ``user.update`` rows (detail ``{"email": [old, new]}``):
    the latest change *to* an address the account had, made after the account was created,
    is the account's (an address belongs to one account at a time). An earlier address that
    another account has now is left alone: it names that person.
    """
    found = [user.email.lower()]
    until: datetime | None = None
    while True:
        query = (
            select(AuditEvent.at, AuditEvent.detail)
            .where(
                AuditEvent.action == "user.update",
                func.lower(AuditEvent.subject).in_(_stored_forms(found[-1])),
                AuditEvent.at >= user.created_at,
            )
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        )
        if until is not None:
            query = query.where(AuditEvent.at <= until)
        earlier = None
        for at, detail in session.execute(query):
            change = _email_change(detail)
            if change is not None and change[1] == found[-1]:
                earlier, until = change[0], at
                break
        if earlier is None or earlier in found:
            break
        found.append(earlier)
    others = set(
        session.scalars(
            select(func.lower(User.email)).where(
                func.lower(User.email).in_(found[1:]), User.id != user.id
            )
        )
    )
    return [address for address in found if address not in others]


def _stored_forms(address: str) -> list[str]:
    """``address`` as an audit column (200 characters) may hold it, lower-cased."""
    return list(dict.fromkeys((address.lower(), address.lower()[:200])))


def _email_change(detail: str | None) -> tuple[str, str] | None:
    """``(old, new)`` (lower-cased) of a ``user.update`` row's e-mail change, else None."""
    try:
        value = json.loads(detail or "")
    except ValueError:
        return None
    change = value.get("email") if isinstance(value, dict) else None
    if not isinstance(change, list) or len(change) != 2:
        return None
    old, new = change
    if not isinstance(old, str) or not isinstance(new, str):
        return None
    return old.lower(), new.lower()


def _leave_scim(session: Session, user: User, now: datetime) -> None:
    """Take the account out of SCIM: out of every group (each changed now), no SCIM id, so
    identity providers neither see it nor change its role through a group any more."""
    groups = session.scalars(
        select(ScimGroup)
        .join(ScimGroupMember, ScimGroupMember.group_id == ScimGroup.id)
        .where(ScimGroupMember.user_id == user.id)
    ).all()
    for group in groups:
        group.modified_at = now
    session.execute(delete(ScimGroupMember).where(ScimGroupMember.user_id == user.id))
    user.scim_id = None


def _holders_of(session: Session, user: User, addresses: Sequence[str]) -> list[Holder]:
    """The person's holder records: the learner's own, and any with one of their addresses
    that no other account is linked to."""
    holders: list[Holder] = []
    if user.holder_id is not None:
        own = session.get(Holder, user.holder_id)
        if own is not None:
            holders.append(own)
    others_linked = select(User.holder_id).where(User.holder_id.is_not(None), User.id != user.id)
    for holder in session.scalars(
        select(Holder)
        .where(func.lower(Holder.email).in_(addresses), Holder.id.not_in(others_linked))
        .order_by(Holder.id)
    ):
        if holder not in holders:
            holders.append(holder)
    return holders


def _erase_holder(session: Session, holder: Holder, pseudonym: str, now: datetime) -> None:
    """A holder record without the person: share links revoked, no name, e-mail or DID."""
    links = session.scalars(
        select(ShareLink.id).where(ShareLink.holder_id == holder.id, ShareLink.revoked_at.is_(None))
    ).all()
    for link_id in links:
        revoke_share_link(session, holder_id=holder.id, link_id=link_id, now=now)
    holder.email = pseudonym
    holder.name = None
    holder.did = None
    session.flush()  # the next holder may take an address this one gave up


def _pseudonymise_records(session: Session, addresses: Sequence[str], pseudonym: str) -> None:
    """The pseudonym where an assessment or an API token names the person by an address."""
    for column in (Assessment.assessor, Assessment.assessor_named):
        session.execute(
            update(Assessment)
            .where(func.lower(column).in_(_all_stored_forms(addresses)))
            .values({column.key: pseudonym})
        )
    session.execute(
        update(ApiToken)
        .where(func.lower(ApiToken.created_by).in_(_all_stored_forms(addresses)))
        .values(created_by=pseudonym)
    )


def _all_stored_forms(addresses: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(form for a in addresses for form in _stored_forms(a)))


def _pseudonymise_audit(
    session: Session, addresses: Sequence[str], name: str, pseudonym: str
) -> None:
    """Replace the addresses everywhere in the audit log (any letter case), and the names the
    account had in the rows about them."""
    forms = _all_stored_forms(addresses)
    session.execute(
        update(AuditEvent).where(func.lower(AuditEvent.actor).in_(forms)).values(actor=pseudonym)
    )
    session.execute(
        update(AuditEvent)
        .where(func.lower(AuditEvent.subject).in_(forms))
        .values(subject=pseudonym)
    )
    for address in addresses:
        _replace_in_details(session, address, pseudonym)
    # Only where the row is about them: a name alone may be a word in other rows.
    about_them = AuditEvent.subject == pseudonym
    names = {name, *_earlier_names(session, about_them)} - {"", *addresses, pseudonym}
    for old in sorted(names, key=len, reverse=True):
        _replace_in_details(
            session, json.dumps(old, ensure_ascii=False), json.dumps(pseudonym), about_them
        )


def _earlier_names(session: Session, about_them: ColumnElement[bool]) -> set[str]:
    """The names the account's own ``user.update`` rows (detail ``{"name": [old, new]}``) show."""
    found: set[str] = set()
    details = session.scalars(
        select(AuditEvent.detail).where(about_them, AuditEvent.action == "user.update")
    )
    for detail in details:
        try:
            value = json.loads(detail or "")
        except ValueError:
            continue
        change = value.get("name") if isinstance(value, dict) else None
        if isinstance(change, list):
            found.update(n for n in change if isinstance(n, str))
    return found


def _replace_in_details(
    session: Session, text: str, replacement: str, *where: ColumnElement[bool]
) -> None:
    """Replace ``text`` in every audit detail, without regard to letter case (in Python: SQL's
    ``replace`` heeds case, and PostgreSQL and SQLite share no case-blind one)."""
    pattern = re.compile(re.escape(text), re.IGNORECASE)
    rows = session.execute(
        select(AuditEvent.id, AuditEvent.detail).where(
            func.lower(AuditEvent.detail).contains(text.lower(), autoescape=True), *where
        )
    ).all()
    for event_id, detail in rows:
        changed = pattern.sub(lambda _: replacement, detail or "")
        if changed != detail:
            session.execute(
                update(AuditEvent).where(AuditEvent.id == event_id).values(detail=changed)
            )


def _user_filters(query: str, role: str, status: str) -> list[Any]:
    where: list[Any] = []
    text = query.strip().lower()
    if text:
        pattern = f"%{_escape_like(text)}%"
        where.append(
            or_(
                func.lower(User.email).like(pattern, escape="\\"),
                func.lower(User.name).like(pattern, escape="\\"),
            )
        )
    if role in ROLES:
        where.append(User.role == role)
    if status == "active":
        where.append(User.deactivated_at.is_(None))
    elif status == "deactivated":
        where.append(User.deactivated_at.is_not(None))
    return where


def count_users(session: Session, *, query: str = "", role: str = "", status: str = "") -> int:
    """How many users :func:`search_users` finds with these filters."""
    where = _user_filters(query, role, status)
    return int(session.scalar(select(func.count()).select_from(User).where(*where)) or 0)


def search_users(
    session: Session,
    *,
    query: str = "",
    role: str = "",
    status: str = "",
    limit: int,
    offset: int,
) -> Sequence[User]:
    """Users whose name or e-mail contains ``query``, optionally of one role and status
    (``active``/``deactivated``), ordered by e-mail."""
    where = _user_filters(query, role, status)
    return session.scalars(
        select(User).where(*where).order_by(User.email).limit(limit).offset(offset)
    ).all()


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
