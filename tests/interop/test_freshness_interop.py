"""A renewed badge (a passed re-assessment naming its predecessor in ``evidence``) passes the
official OB 3.0 JSON Schema and DCC ``verifier-core``: the way we name the predecessor
(docs/decisions.md, "How a renewed badge names its predecessor") keeps it valid everywhere."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient

from passport.accounts.users import create_user
from passport.assessments.record import AssessmentInput, record_assessment
from passport.credentials.models import IssuedCredential
from passport.mentoring.freshness import PREDECESSOR_GENRE
from passport.services import Services
from tests.functional.test_issuing_ob3 import official_validator
from tests.interop.harness import requires_node
from tests.interop.test_dcc_verifier_core import (
    published,
    schema_results,
    steps,
    verifier_core,
)
from verifier.official_schema import check_official_schema

pytestmark = requires_node


def _renewed(services: Services) -> tuple[str, dict[str, Any]]:
    with services.session() as session:
        create_user(session, email="ada@example.com", name="Ada", role="learner", password=None)
    now = services.now()
    ids = []
    for at in (now - timedelta(days=30), now):
        with services.session() as session:
            outcome = record_assessment(
                session,
                services,
                AssessmentInput(
                    learner_email="ada@example.com",
                    achievement_id="incident-response-l2",
                    levels={"triage": 3, "communication": 2, "review": 2},
                    assessor="assessor@example.com",
                ),
                now=at,
            )
        assert outcome.credential_id is not None
        ids.append(outcome.credential_id)
    with services.session() as session:
        record = session.get(IssuedCredential, ids[1])
        assert record is not None and record.supersedes_id == ids[0]
        credential: dict[str, Any] = json.loads(record.content)
    return ids[0], credential


def test_a_renewed_badge_passes_the_official_schema_and_verifier_core(
    client: FlaskClient, services: Services
) -> None:
    predecessor, credential = _renewed(services)
    assert [e["id"] for e in credential["evidence"] if e.get("genre") == PREDECESSOR_GENRE] == [
        predecessor
    ]
    assert list(official_validator().iter_errors(credential)) == []
    check_official_schema(credential)
    answer = verifier_core(credential, published(client, services, credential))
    assert answer["refused"] == []
    assert "errors" not in answer["result"], answer["result"]
    log = steps(answer)
    assert log["valid_signature"]["valid"] is True
    assert log["expiration"]["valid"] is True
    (result,) = schema_results(answer)
    assert result["result"] == {"valid": True}
