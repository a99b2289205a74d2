"""The presentation-request use case without a request: a real database, our own presentation
helper as the candidate's wallet, time passed in."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from keys import SigningKey, did_key_from_public_key, generate_key
from passport.credentials.exports import export_vp, select_credentials
from passport.credentials.holders import find_holder, set_holder_did
from passport.credentials.issuing import IssueRequest, issue_credential
from passport.errors import ChallengeExpired, ChallengeUsed, InvalidRequest, NotFound
from passport.services import Services
from passport.verifying.requests import (
    REQUEST_TTL,
    check_presentation,
    create_presentation_request,
    new_visitor_token,
    open_presentation_request,
    request_document,
    request_text,
    service_domain,
)

GRACE = "grace@example.com"


@pytest.fixture
def wallet(services: Services) -> SigningKey:
    key = generate_key("EdDSA")
    with services.session() as session:
        issue_credential(
            session, services, IssueRequest("ci-cd-l2", GRACE, "di"), now=services.now()
        )
        set_holder_did(
            session, GRACE, did_key_from_public_key(key.public), actor="test", now=services.now()
        )
    return key


def signed_vp(services: Services, key: SigningKey, challenge: str | None, domain: str) -> bytes:
    with services.session() as session:
        holder = find_holder(session, GRACE)
        return export_vp(
            session,
            holder,
            select_credentials(session, holder),
            holder_key=key,
            challenge=challenge,
            domain=domain,
        )


def new_request(services: Services, visitor: str, *, ago: timedelta = timedelta(0)) -> str:
    with services.session() as session:
        request = create_presentation_request(
            session, services.settings, visitor=visitor, now=services.now() - ago
        )
        return request.challenge


def test_service_domain_is_the_public_origin(services: Services) -> None:
    assert service_domain(services.settings) == "http://127.0.0.1:5000"
    deeper = services.settings.with_overrides(public_url="https://badges.example.org/passport")
    assert service_domain(deeper) == "https://badges.example.org"


def test_a_request_is_fresh_and_for_its_visitor_only(services: Services) -> None:
    alice, bob = new_visitor_token(), new_visitor_token()
    first = new_request(services, alice)
    second = new_request(services, alice)
    assert first != second and len(first) == 32
    with services.session() as session:
        now = services.now()
        newest = open_presentation_request(session, visitor=alice, now=now)
        assert newest is not None and newest.challenge == second
        assert newest.visitor_hash != alice  # only a hash of the session's token is stored
        assert newest.expires_at == newest.created_at + REQUEST_TTL
        assert open_presentation_request(session, visitor=bob, now=now) is None
        assert open_presentation_request(session, visitor=None, now=now) is None
        assert open_presentation_request(session, visitor=alice, now=now + REQUEST_TTL) is None
        document = request_document(newest)
        assert json.loads(request_text(newest)) == document
    vpr = document["verifiablePresentationRequest"]
    assert vpr["challenge"] == second and vpr["domain"] == "http://127.0.0.1:5000"


def test_a_visitorless_request_is_refused(services: Services) -> None:
    with services.session() as session, pytest.raises(InvalidRequest) as caught:
        create_presentation_request(session, services.settings, visitor="", now=services.now())
    assert caught.value.code == "no_session"


def test_a_presentation_answers_its_request_once(services: Services, wallet: SigningKey) -> None:
    visitor = new_visitor_token()
    challenge = new_request(services, visitor)
    vp = signed_vp(services, wallet, challenge, service_domain(services.settings))
    answered = check_presentation(services, visitor=visitor, challenge=challenge, data=vp)
    assert answered.outcome.verified is True
    assert answered.outcome.kind == "presentation"
    assert answered.challenge == challenge
    with pytest.raises(ChallengeUsed):
        check_presentation(services, visitor=visitor, challenge=challenge, data=vp)


def test_a_presentation_for_another_challenge_is_not_verified(
    services: Services, wallet: SigningKey
) -> None:
    visitor = new_visitor_token()
    challenge = new_request(services, visitor)
    replayed = signed_vp(
        services, wallet, "some-other-challenge", service_domain(services.settings)
    )
    answered = check_presentation(services, visitor=visitor, challenge=challenge, data=replayed)
    assert answered.outcome.verified is False
    signature = answered.outcome.check("signature")
    assert signature is not None
    assert (signature.status, signature.code) == ("failed", "challenge_mismatch")


def test_expired_unknown_and_foreign_challenges_are_refused_before_verifying(
    services: Services, wallet: SigningKey
) -> None:
    visitor = new_visitor_token()
    old = new_request(services, visitor, ago=REQUEST_TTL + timedelta(seconds=1))
    vp = signed_vp(services, wallet, old, service_domain(services.settings))
    with pytest.raises(ChallengeExpired):
        check_presentation(services, visitor=visitor, challenge=old, data=vp)
    mine = new_request(services, visitor)
    for who, challenge in ((new_visitor_token(), mine), (None, mine), (visitor, "A" * 32)):
        with pytest.raises(NotFound) as caught:
            check_presentation(services, visitor=who, challenge=challenge, data=vp)
        assert caught.value.code == "unknown_challenge"


def test_a_lone_badge_leaves_the_request_open(services: Services, wallet: SigningKey) -> None:
    visitor = new_visitor_token()
    challenge = new_request(services, visitor)
    with services.session() as session:
        badge = select_credentials(session, find_holder(session, GRACE))[0].content
    with pytest.raises(InvalidRequest) as caught:
        check_presentation(services, visitor=visitor, challenge=challenge, data=badge)
    assert caught.value.code == "not_a_presentation"
    with services.session() as session:
        still = open_presentation_request(session, visitor=visitor, now=services.now())
        assert still is not None and still.challenge == challenge
