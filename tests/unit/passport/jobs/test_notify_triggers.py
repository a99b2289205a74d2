"""Notifications written where things happen: one row per event, with its kind's key and
context (passport/jobs/messages.py renders them), in the same transaction (none when it rolls
back)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from passport.accounts.models import User
from passport.accounts.users import create_user
from passport.assessments.bulk import commit_rows, preview_csv
from passport.credentials.issuing import IssueRequest, issue_credential
from passport.credentials.status import change_status
from passport.errors import InvalidRequest
from passport.jobs.models import Notification
from passport.jobs.queue import JobQueue, queue_for
from passport.services import Services
from passport.sharing.links import create_share_link, view_share_link
from passport.sharing.models import ShareLinkView

ADA = "ada@notify.example"

Row = tuple[str, str, str, int | None, str, dict[str, Any]]


@pytest.fixture
def queue(services: Services) -> JobQueue:
    queue = queue_for(services)
    queue.flush()
    return queue


@pytest.fixture
def ada(services: Services) -> int:
    with services.session() as session:
        user = create_user(session, email=ADA, name="Ada", role="learner", password=None)
        user.locale = "de"
        return user.id


def _rows(services: Services, kind: str | None = None) -> list[Row]:
    with services.session() as session:
        query = select(Notification).order_by(Notification.id)
        if kind is not None:
            query = query.where(Notification.kind == kind)
        return [
            (n.kind, n.key, n.to, n.user_id, n.locale, json.loads(n.context))
            for n in session.scalars(query)
        ]


def _issue(services: Services, email: str = ADA, *, suspendable: bool = False) -> str:
    with services.session() as session:
        record = issue_credential(
            session,
            services,
            IssueRequest("incident-response-l2", email, suspendable=suspendable, reason="award"),
            now=services.now(),
        )
        return record.id


def test_issuing_writes_one_badge_issued_notification(services: Services, ada: int) -> None:
    credential_id = _issue(services)
    [(kind, key, to, user_id, locale, context)] = _rows(services)
    assert (kind, key, to, user_id, locale) == (
        "badge_issued",
        f"badge_issued:{credential_id}",
        ADA,
        ada,
        "de",
    )
    assert set(context) == {"credential_id", "achievement_id", "achievement_name", "issuer_name"}
    assert context["credential_id"] == credential_id
    assert context["achievement_id"] == "incident-response-l2"
    assert context["achievement_name"] and context["issuer_name"]


def test_a_learner_without_an_account_is_told_at_the_badge_address_in_english(
    services: Services,
) -> None:
    _issue(services, "Grace@Notify.example")
    [(_, _, to, user_id, locale, _)] = _rows(services)
    assert (to, user_id, locale) == ("grace@notify.example", None, "en")


def test_a_deactivated_account_gets_no_mail(services: Services, ada: int) -> None:
    with services.session() as session:
        user = session.get(User, ada)
        assert user is not None
        user.deactivated_at = services.now()
    _issue(services)
    assert _rows(services) == []


def test_nothing_is_written_when_the_issuing_transaction_rolls_back(
    services: Services, ada: int, queue: JobQueue
) -> None:
    def issue_then_fail() -> None:
        with services.session() as session:
            issue_credential(
                session,
                services,
                IssueRequest("incident-response-l2", ADA, reason="award"),
                now=services.now(),
            )
            raise RuntimeError("the request failed after issuing")

    with pytest.raises(RuntimeError):
        issue_then_fail()
    assert _rows(services) == []
    assert queue.pending_count() == 0


def test_a_committed_notification_puts_one_delivery_on_the_queue(
    services: Services, ada: int, queue: JobQueue
) -> None:
    _issue(services)
    assert queue.pending_count() == 1


def test_bulk_rows_write_one_notification_each(services: Services) -> None:
    emails = [f"l{n}@notify.example" for n in range(5)]
    with services.session() as session:
        for email in emails:
            create_user(session, email=email, name=email, role="learner", password=None)
    text = "email,achievement,level\n" + "".join(f"{e},incident-response-l2,2\n" for e in emails)
    with services.session() as session:
        preview = preview_csv(session, text.encode())
    result = commit_rows(services, preview, assessor="a@notify.example", now=services.now())
    assert result.issued == 5
    with services.session() as session:
        preview = preview_csv(session, text.encode())
    again = commit_rows(services, preview, assessor="a@notify.example", now=services.now())
    assert again.issued == 0
    rows = _rows(services)
    assert sorted(to for _, _, to, _, _, _ in rows) == emails
    assert {key for _, key, _, _, _, _ in rows} == {
        f"badge_issued:{cid}" for cid in result.credential_ids
    }


@pytest.mark.parametrize(
    ("actions", "kinds"),
    [
        (["revoke"], ["badge_revoked"]),
        (["suspend"], ["badge_suspended"]),
        (["suspend", "reinstate"], ["badge_suspended", "badge_reinstated"]),
        (["suspend", "suspend"], ["badge_suspended"]),  # no change, no second mail
    ],
)
def test_status_changes_tell_the_holder_with_the_reason(
    services: Services, ada: int, actions: list[str], kinds: list[str]
) -> None:
    credential_id = _issue(services, suspendable=True)
    base = services.now()
    for n, action in enumerate(actions):
        with services.session() as session:
            change_status(
                session,
                services,
                credential_id,
                action,
                reason=f"  reason {n} ",
                actor="admin@notify.example",
                now=base + timedelta(minutes=n),
            )
    rows = [r for r in _rows(services) if r[0] != "badge_issued"]
    assert [r[0] for r in rows] == kinds
    for n, (kind, key, to, user_id, locale, context) in enumerate(rows):
        assert key == f"{kind}:{credential_id}:{(base + timedelta(minutes=n)).isoformat()}"
        assert (to, user_id, locale) == (ADA, ada, "de")
        assert set(context) == {"credential_id", "achievement_name", "reason"}
        assert context["credential_id"] == credential_id
        assert context["reason"] == f"reason {n}"
        assert context["achievement_name"]


def test_a_refused_status_change_writes_nothing(services: Services, ada: int) -> None:
    credential_id = _issue(services)  # not suspendable
    with pytest.raises(InvalidRequest), services.session() as session:
        change_status(
            session, services, credential_id, "suspend", reason="x", actor="a", now=services.now()
        )
    assert [r[0] for r in _rows(services)] == ["badge_issued"]


def _share(services: Services, credential_id: str) -> tuple[int, str]:
    with services.session() as session:
        user = session.scalar(select(User).where(User.email == ADA))
        assert user is not None
        created = create_share_link(
            session,
            holder_id=user.holder_id,
            credential_ids=[credential_id],
            audience="Acme hiring",
            days=30,
            now=services.now(),
        )
        return created.link.id, created.token


def test_a_share_link_view_tells_the_holder_unless_it_was_viewed_in_the_last_hour(
    services: Services, ada: int
) -> None:
    link_id, token = _share(services, _issue(services))
    base = services.now()
    for minutes in (0, 10, 59, 120):  # 120: 61 minutes after the last view
        with services.session() as session:
            view_share_link(
                session, services, token, user_agent="ua", now=base + timedelta(minutes=minutes)
            )
    rows = _rows(services, "share_viewed")
    with services.session() as session:
        views = list(session.scalars(select(ShareLinkView.id).order_by(ShareLinkView.id)))
    assert len(views) == 4
    assert [r[1] for r in rows] == [
        f"share_viewed:{link_id}:{(base + timedelta(minutes=m)).isoformat()}" for m in (0, 120)
    ]
    for (_, _, to, user_id, locale, context), minutes in zip(rows, (0, 120), strict=True):
        assert (to, user_id, locale) == (ADA, ada, "de")
        assert context == {
            "share_link_id": link_id,
            "audience": "Acme hiring",
            "viewed_at": (base + timedelta(minutes=minutes)).isoformat(),
        }


def test_a_rolled_back_view_writes_nothing(services: Services, ada: int) -> None:
    _, token = _share(services, _issue(services))

    def view_then_fail() -> None:
        with services.session() as session:
            view_share_link(session, services, token, user_agent=None, now=services.now())
            raise RuntimeError("page failed")

    with pytest.raises(RuntimeError):
        view_then_fail()
    assert _rows(services, "share_viewed") == []


def test_a_rolled_back_status_change_writes_nothing(services: Services, ada: int) -> None:
    credential_id = _issue(services)

    def revoke_then_fail() -> None:
        with services.session() as session:
            change_status(
                session,
                services,
                credential_id,
                "revoke",
                reason="x",
                actor="a",
                now=services.now(),
            )
            raise RuntimeError("the request failed after revoking")

    with pytest.raises(RuntimeError):
        revoke_then_fail()
    assert [r[0] for r in _rows(services)] == ["badge_issued"]
