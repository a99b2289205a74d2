"""Finding 6: an API token holder could set any ``assessor`` and so forge the audit actor, and
nothing recorded the token.

Now the token is the actor of everything it does (``token:<id>``); an assessor named in the
body is kept beside it (``assessor_named``, and in the audit detail), never in its place.
"""

from __future__ import annotations

import json

from flask.testing import FlaskClient
from sqlalchemy import select

from passport.accounts.models import ApiToken
from passport.assessments.models import Assessment
from passport.audit import AuditEvent
from passport.services import Services

BODY = {
    "learner": "ada@example.com",
    "achievement": "observability-l2",
    "levels": {"instrument": 3, "slo": 3, "alerting": 3},
}


def _token_id(services: Services) -> int:
    with services.session() as db:
        token_id = db.scalar(select(ApiToken.id).where(ApiToken.name == "test-integration"))
    assert token_id is not None
    return token_id


def test_a_named_assessor_cannot_replace_the_token_as_actor(
    client: FlaskClient, services: Services, api_token: str
) -> None:
    response = client.post(
        "/api/v1/assessments",
        json={**BODY, "assessor": "the.ceo@example.com"},
        headers={"Authorization": f"Bearer {api_token}"},
    )
    assert response.status_code == 201, response.get_json()
    outcome = response.get_json()
    actor = f"token:{_token_id(services)}"
    with services.session() as db:
        assessment = db.get(Assessment, outcome["assessment"])
        assert assessment is not None
        assert assessment.assessor == actor
        assert assessment.assessor_named == "the.ceo@example.com"
        events = db.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    recorded = [e for e in events if e.action == "assessment.record"]
    issued = [e for e in events if e.action == "credential.issue"]
    assert [e.actor for e in recorded] == [actor]
    assert [e.actor for e in issued] == [actor]
    assert json.loads(recorded[0].detail or "{}")["assessor_named"] == "the.ceo@example.com"
    # The named person appears nowhere as the one who acted.
    assert all(e.actor != "the.ceo@example.com" for e in events)


def test_issuing_and_status_changes_are_audited_under_the_token_id(
    client: FlaskClient, services: Services, api_token: str
) -> None:
    auth = {"Authorization": f"Bearer {api_token}"}
    issued = client.post(
        "/api/v1/credentials",
        json={"achievement": "incident-response-l2", "recipient": "ada@example.com"},
        headers=auth,
    )
    assert issued.status_code == 201
    credential_id = issued.get_json()["id"]
    revoked = client.post(
        f"/api/v1/credentials/{credential_id}/revoke", json={"reason": "test"}, headers=auth
    )
    assert revoked.status_code == 200
    actor = f"token:{_token_id(services)}"
    with services.session() as db:
        actors = {
            e.action: e.actor
            for e in db.scalars(select(AuditEvent).where(AuditEvent.subject == credential_id))
        }
    assert actors == {"credential.issue": actor, "credential.revoke": actor}
