"""Open Badges 2.0 input (verifier.ob2) never raises, and an altered signed badge never passes.

The issuer's documents come from an in-memory fetcher (the DocumentFetcher seam), each of them
mutated by hypothesis: the assertion handed over, the hosted copy, the BadgeClass, the issuer
Profile, the key document and the revocation list. Whatever they hold, the verifier answers
with a report, never an exception; a signed payload changed after signing never gets a
passed signature check.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from hypothesis import assume, given
from hypothesis import strategies as st

from keys import generate_key
from tests.fuzz.strategies import FUZZ, mutated
from tests.ob2badges import OB2, SALT, b64json, pem, sha256_identity, sign
from verifier import KeyResolver, Verifier
from verifier.errors import FetchUnreachable
from verifier.inputs import verify_any
from verifier.report import CHECK_IDS

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
BASE = "https://badges.example"
KEY = generate_key("RS256", rsa_bits=2048)

PROFILE = {
    "@context": OB2,
    "type": "Issuer",
    "id": f"{BASE}/issuer",
    "name": "Example",
    "url": BASE,
    "email": "a@badges.example",
    "publicKey": f"{BASE}/key",
    "revocationList": f"{BASE}/revoked",
}
BADGE = {
    "@context": OB2,
    "type": "BadgeClass",
    "id": f"{BASE}/badge",
    "name": "Robots",
    "description": "Robots.",
    "image": f"{BASE}/badge.png",
    "criteria": {"narrative": "Built one."},
    "issuer": f"{BASE}/issuer",
    "alignment": [{"targetName": "R", "targetUrl": f"{BASE}/r", "targetCode": "R"}],
}
KEY_DOC = {"id": f"{BASE}/key", "owner": f"{BASE}/issuer", "publicKeyPem": pem(KEY)}
REVOKED = {"type": "RevocationList", "issuer": f"{BASE}/issuer", "revokedAssertions": ["urn:x"]}
HOSTED = {
    "@context": OB2,
    "type": "Assertion",
    "id": f"{BASE}/a/1",
    "recipient": {
        "type": "email",
        "hashed": True,
        "salt": SALT,
        "identity": sha256_identity("a@b.c"),
    },
    "issuedOn": "2026-01-01T00:00:00Z",
    "badge": f"{BASE}/badge",
    "verification": {"type": "hosted"},
}
SIGNED = {
    **HOSTED,
    "id": "urn:uuid:1",
    "verification": {"type": "signed", "creator": f"{BASE}/key"},
}
TOKEN = sign(SIGNED, KEY)


class Documents:
    def __init__(self, documents: dict[str, Any]) -> None:
        self.documents = documents

    def fetch_json(self, url: str) -> Any:
        if url not in self.documents:
            raise FetchUnreachable(hint=url)
        return json.loads(json.dumps(self.documents[url]))


def _verifier(**documents: Any) -> Verifier:
    served = {
        f"{BASE}/issuer": PROFILE,
        f"{BASE}/badge": BADGE,
        f"{BASE}/key": KEY_DOC,
        f"{BASE}/revoked": REVOKED,
        f"{BASE}/a/1": HOSTED,
    }
    served.update({f"{BASE}/{k.replace('_', '/')}": v for k, v in documents.items()})
    return Verifier(KeyResolver(fetcher=Documents(served)))


def test_the_unmutated_badges_verify() -> None:
    verifier = _verifier()
    for data in (json.dumps(HOSTED), TOKEN):
        outcome = verify_any(verifier, data, now=NOW, recipient="a@b.c")
        assert outcome.verified, outcome.to_dict()


@FUZZ
@given(
    handed=mutated(HOSTED),
    hosted=st.one_of(st.just(HOSTED), mutated(HOSTED)),
    badge=st.one_of(st.just(BADGE), mutated(BADGE)),
    profile=st.one_of(st.just(PROFILE), mutated(PROFILE)),
)
def test_hosted_documents_of_any_shape_get_a_report(
    handed: Any, hosted: Any, badge: Any, profile: Any
) -> None:
    verifier = _verifier(a_1=hosted, badge=badge, issuer=profile)
    outcome = verify_any(verifier, json.dumps(handed), now=NOW, recipient="a@b.c")
    report = outcome.credentials[0]
    assert all(c.id in CHECK_IDS for c in report.checks)
    report.to_dict()
    if report.verified and isinstance(hosted, dict) and isinstance(handed, dict):
        # What verified is the hosted copy; the handed one agreed with it where it matters.
        for name in ("recipient", "issuedOn", "expires", "id"):
            assert handed.get(name) == hosted.get(name)


@FUZZ
@given(
    payload=mutated(SIGNED),
    key_doc=st.one_of(st.just(KEY_DOC), mutated(KEY_DOC)),
    revoked=st.one_of(st.just(REVOKED), mutated(REVOKED)),
    profile=st.one_of(st.just(PROFILE), mutated(PROFILE)),
)
def test_a_signed_payload_changed_after_signing_never_passes(
    payload: Any, key_doc: Any, revoked: Any, profile: Any
) -> None:
    assume(payload != SIGNED)  # a "change" that set a value to itself
    head, _, signature = TOKEN.split(".")
    token = f"{head}.{b64json(payload)}.{signature}"
    verifier = _verifier(key=key_doc, revoked=revoked, issuer=profile)
    report = verify_any(verifier, token, now=NOW).credentials[0]
    report.to_dict()
    signature_check = report.check("signature")
    assert signature_check is None or signature_check.status != "passed"
    assert not report.verified
