"""Share links: a learner shows chosen badges to someone at ``/p/<token>``, for a while.

A link is created for some of the holder's own badges, an audience note and an expiry (90 days
by default, at most a year; the page says when it ends). The token is 256 random bits
(``secrets.token_urlsafe(32)``) shown to the holder once; only its SHA-256 is stored, so a copy
of the database opens no link. Looking a token up by its hash leaks nothing useful through
timing: an attacker who can time the index can learn at most a prefix of a hash whose preimage
they do not have.

Revoking deletes what the link shared — its badge list, audience note and view log — and keeps
the row as a tombstone, so the old URL answers "revoked" (410) rather than "not found".
Every function takes the holder it acts for; there is no path from one holder to another's links.

A dead link (expired or revoked) stays in its holder's list for :data:`DEAD_LINK_GRACE`, so they
can see what it showed and who looked; after that it leaves the list, and the daily clean-up
(:func:`clean_up_dead_links`, the ``share-link-cleanup`` schedule) deletes what it still holds —
its badge list, audience note and view log — keeping the row as the tombstone that answers 410.
Nothing a holder can still see listed is ever deleted.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote, urlencode

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from passport.audit import AuditEvent
from passport.credentials.models import IssuedCredential
from passport.errors import InvalidRequest, NotFound, ShareLinkExpired, ShareLinkRevoked
from passport.jobs.notify import notify_person
from passport.jobs.recipients import holder_recipient
from passport.services import Services
from passport.sharing.models import ShareLink, ShareLinkCredential, ShareLinkView

__all__ = [
    "DEFAULT_DAYS",
    "MAX_AUDIENCE_CHARS",
    "MAX_BADGES",
    "MAX_DAYS",
    "CreatedShareLink",
    "ShareLinkSummary",
    "clean_up_dead_links",
    "create_share_link",
    "hash_token",
    "holder_share_links",
    "link_state",
    "linkedin_add_url",
    "open_share_link",
    "record_view",
    "revoke_share_link",
    "share_link_for_holder",
    "view_share_link",
]

DEFAULT_DAYS = 90
MAX_DAYS = 365
MAX_BADGES = 200
MAX_AUDIENCE_CHARS = 500
MAX_USER_AGENT_CHARS = 300
# token_urlsafe(32) gives 43 characters of the URL-safe base64 alphabet; anything else is forged.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


@dataclass(frozen=True, slots=True)
class CreatedShareLink:
    """A new link and its token — the only time the token exists outside the browser."""

    link: ShareLink
    token: str


@dataclass(frozen=True, slots=True)
class ShareLinkSummary:
    """One row of the holder's list of links."""

    link: ShareLink
    badges: int
    views: int
    last_viewed_at: datetime | None

    def state(self, now: datetime) -> str:
        """``active``, ``expired`` or ``revoked``."""
        return link_state(self.link, now)


def link_state(link: ShareLink, now: datetime) -> str:
    """``active``, ``expired`` or ``revoked``: whether ``link`` shows its badges at ``now``."""
    if link.revoked_at is not None:
        return "revoked"
    return "expired" if link.expires_at <= now else "active"


def hash_token(token: str) -> str:
    """The stored form of a token: SHA-256, lower-case hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_share_link(
    session: Session,
    *,
    holder_id: int | None,
    credential_ids: list[str],
    audience: str,
    days: int,
    now: datetime,
) -> CreatedShareLink:
    """Create a link to some of ``holder_id``'s badges, valid for ``days`` from ``now``.

    Raises :class:`InvalidRequest` (nothing is created) when no badge is chosen, a chosen id is
    not one of the holder's badges (someone else's and unknown ids get the same answer), the
    audience note is too long, or ``days`` is outside 1–:data:`MAX_DAYS`.
    """
    chosen = list(dict.fromkeys(i.strip() for i in credential_ids if i.strip()))
    if not chosen:
        raise InvalidRequest("Choose at least one badge to share.", code="no_badges_chosen")
    if len(chosen) > MAX_BADGES:
        raise InvalidRequest(
            f"A link can show at most {MAX_BADGES} badges.", code="too_many_badges"
        )
    if not 1 <= days <= MAX_DAYS:
        raise InvalidRequest(f"A link lasts between 1 and {MAX_DAYS} days.", code="invalid_expiry")
    audience = audience.strip()
    if len(audience) > MAX_AUDIENCE_CHARS:
        raise InvalidRequest(
            f"Keep the note to {MAX_AUDIENCE_CHARS} characters.", code="audience_too_long"
        )
    owned = (
        set(
            session.scalars(
                select(IssuedCredential.id).where(
                    IssuedCredential.id.in_(chosen), IssuedCredential.holder_id == holder_id
                )
            )
        )
        if holder_id is not None
        else set()
    )
    if holder_id is None or owned != set(chosen):
        raise InvalidRequest(
            "One of the chosen badges is not one of yours; nothing was shared.",
            code="not_your_badge",
        )
    token = secrets.token_urlsafe(32)
    link = ShareLink(
        holder_id=holder_id,
        token_hash=hash_token(token),
        audience=audience or None,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    link.credentials = [ShareLinkCredential(credential_id=i) for i in chosen]
    session.add(link)
    session.flush()
    session.add(
        AuditEvent(
            actor=f"holder:{holder_id}",
            action="share.create",
            subject=f"share:{link.id}",
            detail=f"{len(chosen)} badges, {days} days",
        )
    )
    return CreatedShareLink(link=link, token=token)


def open_share_link(session: Session, token: str, *, now: datetime) -> ShareLink:
    """The live link for ``token``.

    Raises :class:`NotFound` for a token that never existed (or is malformed),
    :class:`ShareLinkRevoked` and :class:`ShareLinkExpired` (both 410) for dead links.
    """
    if not _TOKEN.fullmatch(token):
        raise NotFound("There is no share link at this address.", code="unknown_share_link")
    digest = hash_token(token)
    link = session.scalar(select(ShareLink).where(ShareLink.token_hash == digest))
    # The index found the row by its hash; compare again in constant time all the same.
    if link is None or not hmac.compare_digest(link.token_hash, digest):
        raise NotFound("There is no share link at this address.", code="unknown_share_link")
    if link.revoked_at is not None:
        raise ShareLinkRevoked(
            "This share link was revoked by the person who shared it; "
            "nothing it showed is kept here any more."
        )
    if link.expires_at <= now:
        raise ShareLinkExpired(
            f"This share link expired on {link.expires_at:%d %B %Y}; "
            "ask the person who shared it for a new one."
        )
    return link


#: How long an expired or revoked link stays in its holder's list before the clean-up empties it.
DEAD_LINK_GRACE = timedelta(days=30)

#: A link viewed again within this time tells its holder nothing new: one e-mail, not one per
#: reader's page load (a reviewer opening the link five times in a morning).
VIEW_MAIL_QUIET = timedelta(hours=1)


def record_view(
    session: Session,
    services: Services,
    link: ShareLink,
    *,
    user_agent: str | None,
    now: datetime,
) -> ShareLinkView:
    """Add one line to the link's view log (time and user agent; never the IP address), and
    tell the holder by e-mail (``share_viewed``, which they must have opted in to) unless the
    link was viewed within :data:`VIEW_MAIL_QUIET`."""
    previous = session.scalar(
        select(ShareLinkView.viewed_at)
        .where(ShareLinkView.share_link_id == link.id)
        .order_by(ShareLinkView.viewed_at.desc())
        .limit(1)
    )
    view = ShareLinkView(
        share_link_id=link.id,
        viewed_at=now,
        user_agent=(user_agent or "")[:MAX_USER_AGENT_CHARS] or None,
    )
    session.add(view)
    session.flush()
    if previous is None or now - previous >= VIEW_MAIL_QUIET:
        recipient = holder_recipient(session, link.holder)
        if recipient is not None:
            notify_person(
                session,
                services,
                recipient,
                kind="share_viewed",
                # Not the view's id alone: SQLite may give a deleted row's id again.
                key=f"share_viewed:{link.id}:{now.isoformat()}",
                context={
                    "share_link_id": link.id,
                    "audience": link.audience or "",
                    "viewed_at": now.isoformat(),
                },
            )
    return view


def view_share_link(
    session: Session,
    services: Services,
    token: str,
    *,
    user_agent: str | None,
    now: datetime,
) -> ShareLink:
    """Open the live link for ``token`` to show what it shares, counting the view.

    Every route that reads a link's badges goes through here (the share page, the verify page
    and ``POST /api/v1/verify``), so the holder's view log sees each reader whatever the route
    (finding 7 of issue 17). Raises as :func:`open_share_link`; a dead link is not counted.
    """
    link = open_share_link(session, token, now=now)
    record_view(session, services, link, user_agent=user_agent, now=now)
    return link


def _dead_since(cutoff: datetime) -> ColumnElement[bool]:
    """Links revoked or expired at or before ``cutoff``."""
    # Spelled out for NULL: "revoked_at <= cutoff" is unknown, not false, for a live link, and
    # its negation would hide every live link too.
    revoked = and_(ShareLink.revoked_at.is_not(None), ShareLink.revoked_at <= cutoff)
    return or_(revoked, ShareLink.expires_at <= cutoff)


def holder_share_links(
    session: Session, holder_id: int | None, *, now: datetime | None = None
) -> list[ShareLinkSummary]:
    """The holder's links, newest first, with badge and view counts (given ``now``, without
    the links dead for longer than :data:`DEAD_LINK_GRACE`)."""
    if holder_id is None:
        return []
    views = (
        select(
            ShareLinkView.share_link_id,
            func.count().label("n"),
            func.max(ShareLinkView.viewed_at).label("last"),
        )
        .group_by(ShareLinkView.share_link_id)
        .subquery()
    )
    badges = (
        select(ShareLinkCredential.share_link_id, func.count().label("n"))
        .group_by(ShareLinkCredential.share_link_id)
        .subquery()
    )
    rows = session.execute(
        select(ShareLink, badges.c.n, views.c.n, views.c.last)
        .outerjoin(badges, badges.c.share_link_id == ShareLink.id)
        .outerjoin(views, views.c.share_link_id == ShareLink.id)
        .where(
            ShareLink.holder_id == holder_id,
            *([] if now is None else [~_dead_since(now - DEAD_LINK_GRACE)]),
        )
        .order_by(ShareLink.created_at.desc(), ShareLink.id.desc())
    )
    out = []
    for link, n_badges, n_views, last in rows:
        # SQLite hands an aggregate's datetime back as text; the link's own columns are typed.
        if isinstance(last, str):
            last = datetime.fromisoformat(last)
        out.append(ShareLinkSummary(link, n_badges or 0, n_views or 0, last))
    return out


def clean_up_dead_links(session: Session, *, now: datetime) -> dict[str, int]:
    """Delete the badge lists, audience notes and view logs of links dead for longer than
    :data:`DEAD_LINK_GRACE` (their holders no longer see them listed); keep the rows as
    tombstones. Returns counts of what went; a second run finds nothing left."""
    dead = _dead_since(now - DEAD_LINK_GRACE)
    holding = or_(
        ShareLink.audience.is_not(None),
        select(ShareLinkView.id).where(ShareLinkView.share_link_id == ShareLink.id).exists(),
        select(ShareLinkCredential.share_link_id)
        .where(ShareLinkCredential.share_link_id == ShareLink.id)
        .exists(),
    )
    ids = list(session.scalars(select(ShareLink.id).where(dead, holding)))
    counts = {"links": len(ids), "views": 0, "badges": 0}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        views = session.execute(delete(ShareLinkView).where(ShareLinkView.share_link_id.in_(chunk)))
        badges = session.execute(
            delete(ShareLinkCredential).where(ShareLinkCredential.share_link_id.in_(chunk))
        )
        session.execute(update(ShareLink).where(ShareLink.id.in_(chunk)).values(audience=None))
        counts["views"] += views.rowcount  # type: ignore[attr-defined]
        counts["badges"] += badges.rowcount  # type: ignore[attr-defined]
    return counts


def share_link_for_holder(session: Session, holder_id: int | None, link_id: int) -> ShareLink:
    """The holder's own link ``link_id``; NotFound for anyone else's (same answer as unknown)."""
    link = session.get(ShareLink, link_id)
    if link is None or holder_id is None or link.holder_id != holder_id:
        raise NotFound("You have no share link with that number.", code="unknown_share_link")
    return link


def revoke_share_link(
    session: Session, *, holder_id: int | None, link_id: int, now: datetime
) -> ShareLink:
    """Revoke the holder's link at once: delete its badges, note and views; keep a tombstone."""
    link = share_link_for_holder(session, holder_id, link_id)
    if link.revoked_at is None:
        link.revoked_at = now
    # Delete with statements, not by emptying the collections: the rows are gone either way,
    # and this does not load a long view log just to delete it.
    session.execute(delete(ShareLinkView).where(ShareLinkView.share_link_id == link.id))
    session.execute(delete(ShareLinkCredential).where(ShareLinkCredential.share_link_id == link.id))
    link.audience = None
    session.add(
        AuditEvent(actor=f"holder:{holder_id}", action="share.revoke", subject=f"share:{link.id}")
    )
    session.flush()
    session.expire(link, ["credentials", "views"])
    return link


def linkedin_add_url(
    *,
    name: str,
    organization: str,
    issued: datetime,
    expires: datetime | None,
    cert_url: str,
    cert_id: str,
) -> str:
    """LinkedIn's "Add to profile" link for a certification (nothing is sent to LinkedIn).

    The fields are LinkedIn's documented ``startTask=CERTIFICATION_NAME`` parameters; the
    certificate URL is our public verification page, so whoever clicks it can check the badge.
    """
    params: list[tuple[str, str | int]] = [
        ("startTask", "CERTIFICATION_NAME"),
        ("name", name),
        ("organizationName", organization),
        ("issueYear", issued.year),
        ("issueMonth", issued.month),
    ]
    if expires is not None:
        params += [("expirationYear", expires.year), ("expirationMonth", expires.month)]
    params += [("certUrl", cert_url), ("certId", cert_id)]
    return "https://www.linkedin.com/profile/add?" + urlencode(params, quote_via=quote)
