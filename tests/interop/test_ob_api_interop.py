"""A badge a platform pulls through the 1EdTech Open Badges 3.0 API verifies in ours and in the
Digital Bazaar verifier as its holder's (issue #22 done-when): the learner registered a did:key,
so the badge names it as ``credentialSubject.id``. The API has no key proof of its own, so it
hands out badges as issued; the holder binding comes from the learner's registered DID."""

from __future__ import annotations

import json
from datetime import timedelta

from flask.testing import FlaskClient

from keys import did_key_from_public_key, generate_key
from passport.credentials.holders import set_holder_did
from passport.services import Services
from tests.functional.test_ob_api import LEARNER, bearer, issue, register, tokens
from tests.functional.test_ob_api import learner as learner  # the fixture, re-exported
from tests.interop.harness import harness, requires_node


@requires_node
def test_a_pulled_badge_verifies_in_ours_and_digital_bazaar_as_the_holders(
    learner: FlaskClient, services: Services
) -> None:
    did = did_key_from_public_key(generate_key("EdDSA").public)
    with services.session() as db:
        set_holder_did(db, LEARNER, did, actor=LEARNER, now=services.now())
    badge = issue(services)
    platform = register(learner)
    access = tokens(learner, platform)["access_token"]
    listed = learner.get("/ims/ob/v3p0/credentials", headers=bearer(access))
    assert listed.status_code == 200, listed.data
    (credential,) = listed.get_json()["credential"]
    assert credential["id"] == badge
    assert credential["credentialSubject"]["id"] == did
    later = services.now() + timedelta(seconds=10)
    with services.session() as db:
        assert services.verifier(db).verify(json.dumps(credential).encode(), now=later)
        documents = {d.did: d.did_document for d in services.issuer_documents(db)}
    outcome = harness(
        "verify", {"credential": credential, "documents": documents, "skipStatus": True}
    )
    assert outcome == {"verified": True, "errors": []}
    # a changed subject no longer verifies in either
    forged = {
        **credential,
        "credentialSubject": {**credential["credentialSubject"], "id": "did:key:z6MkX"},
    }
    assert (
        harness("verify", {"credential": forged, "documents": documents, "skipStatus": True})[
            "verified"
        ]
        is False
    )
