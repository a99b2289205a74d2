"""One way to add an audit event: subject as text, detail as JSON, both bounded."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import select

from passport.audit import AuditEvent, record_event
from passport.services import Services

AT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def test_an_event_keeps_actor_action_subject_and_detail(services: Services) -> None:
    with services.session() as session:
        record_event(session, "ana@example.com", "cohort.create", 42, {"name": "Ünïcode"}, at=AT)
    with services.session() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "cohort.create")
        ).one()
        assert (event.actor, event.subject, event.at) == ("ana@example.com", "42", AT)
        assert json.loads(event.detail or "") == {"name": "Ünïcode"}


def test_long_actor_and_subject_are_cut_and_absent_ones_stay_empty(services: Services) -> None:
    with services.session() as session:
        event = record_event(session, "a" * 300, "login", at=AT)
        assert len(event.actor) == 200 and event.subject is None and event.detail is None
        long = record_event(session, "x", "catalog.import", "s" * 500, at=AT)
        assert len(long.subject or "") == 200
