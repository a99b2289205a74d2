"""Fuzzing what :mod:`verifier.inputs` and :mod:`verifier.containers` take from outside.

Contract: ``classify`` returns or raises a FormatError; ``container_kind`` and
``jwt_container_kind`` answer for any shape; ``verify_container``, ``verify_container_jwt`` and
``verify_any`` never raise for bad input and verify no container built from junk.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from keys import SigningKey
from verifier import FormatError, Verifier
from verifier.containers import (
    ContainerReport,
    container_kind,
    jwt_container_kind,
    verify_container,
    verify_container_jwt,
)
from verifier.inputs import Classified, classify, verify_any

from .conftest import NOW
from .strategies import FUZZ, FUZZ_SLOW, b64, b64json, json_values, mutated, returns_or_raises

_DID_KEY = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
_PROOF = {
    "type": "DataIntegrityProof",
    "cryptosuite": "eddsa-rdfc-2022",
    "created": "2026-05-01T00:00:00Z",
    "verificationMethod": f"{_DID_KEY}#z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
    "proofPurpose": "authentication",
    "challenge": "c",
    "domain": "d",
    "proofValue": "z3FXQjecWufY46yg5abdVZsXqLhxhueuSoZgNSARiKBk9czhSePTFehP8c3PGfb6a22gkfUKKi",
}


@st.composite
def members(draw: st.DrawFn, token: str, credential: dict[str, Any]) -> Any:
    """What a container lists as its credentials: good, broken, wrapped or not a list at all."""
    item = st.one_of(
        st.just(token),
        st.just(
            {"type": "EnvelopedVerifiableCredential", "id": f"data:application/vc+jwt,{token}"}
        ),
        st.builds(
            lambda t, s: {"type": ["EnvelopedVerifiableCredential"], "id": t + s},
            st.sampled_from(["data:application/jwt,", "data:application/vc+jwt,", "data:,"]),
            st.text(max_size=30),
        ),
        mutated(credential),
        json_values,
    )
    return draw(st.lists(item, max_size=4) | json_values)


@st.composite
def containers(draw: st.DrawFn, token: str, credential: dict[str, Any]) -> dict[str, Any]:
    listed = draw(members(token, credential))
    kind = draw(st.sampled_from(["presentation", "clr", "export"]))
    if kind == "presentation":
        document: dict[str, Any] = {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": draw(st.sampled_from(["VerifiablePresentation", ["VerifiablePresentation"]])),
            "verifiableCredential": listed,
        }
        if draw(st.booleans()):
            document["holder"] = draw(st.sampled_from([_DID_KEY, "did:web:x"]) | json_values)
            document["proof"] = draw(mutated(_PROOF) | json_values)
    elif kind == "clr":
        document = {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential", "ClrCredential"],
            "issuer": credential["issuer"],
            "validFrom": credential["validFrom"],
            "credentialSubject": draw(
                st.just({"type": ["ClrSubject"], "verifiableCredential": listed}) | json_values
            ),
        }
    else:
        document = {"credentials": listed}
    if draw(st.booleans()):
        # Mutations keep the container's type most of the time but may remove it.
        document = draw(mutated(document))
    return document


def assert_container_refused(outcome: ContainerReport) -> None:
    assert isinstance(outcome, ContainerReport)
    assert outcome.verified is False
    outcome.to_dict()


@FUZZ
@given(st.binary() | st.text() | json_values.map(json.dumps))
def test_classify_returns_or_raises_a_format_error(data: bytes | str) -> None:
    result = returns_or_raises(lambda: classify(data, max_bytes=1 << 20), FormatError)
    assert isinstance(result, (Classified, FormatError))


@FUZZ
@given(st.dictionaries(st.sampled_from(["type", "credentials", "x"]), json_values))
def test_container_kind_answers_for_any_shape(document: dict[str, Any]) -> None:
    assert container_kind(document) in (None, "presentation", "clr", "passport_export")


@FUZZ_SLOW
@given(st.data())
def test_verify_container_never_raises_on_junk_containers(
    verifier: Verifier, token: str, credential: dict[str, Any], data: st.DataObject
) -> None:
    document = data.draw(containers(token, credential))
    if container_kind(document) is None:
        return
    outcome = verify_container(verifier, document, now=NOW, challenge="c", domain="d")
    assert isinstance(outcome, ContainerReport)
    outcome.to_dict()
    # Nobody signed these presentations (any proof is made up) and the CLRs carry no proof.
    signature = outcome.check("signature")
    assert signature is not None and signature.status != "passed"
    if container_kind(document) == "clr":
        assert outcome.verified is False


@FUZZ_SLOW
@given(st.data())
def test_verify_any_never_raises_on_containers_as_text(
    verifier: Verifier, token: str, credential: dict[str, Any], data: st.DataObject
) -> None:
    document = data.draw(containers(token, credential))
    outcome = verify_any(verifier, json.dumps(document).encode(), now=NOW)
    assert isinstance(outcome, ContainerReport)
    outcome.to_dict()


@FUZZ_SLOW
@given(st.data())
def test_container_tokens_never_raise_and_never_verify(
    verifier: Verifier,
    issuer_key: SigningKey,
    kid: str,
    token: str,
    credential: dict[str, Any],
    data: st.DataObject,
) -> None:
    # A VP-JWT or CLR VC-JWT around junk; signed by the issuer's key (not a holder's) or not.
    document = data.draw(containers(token, credential))
    header = data.draw(
        st.just({"alg": "ES256", "kid": kid})
        | st.builds(
            lambda typ: {"alg": "ES256", "kid": f"{_DID_KEY}#x", "typ": typ},
            json_values,
        )
        | json_values
    )
    payload = data.draw(st.sampled_from(["plain", "vp"]))
    claims = {"vp": document, "iss": _DID_KEY} if payload == "vp" else document
    signing_input = f"{b64json(header)}.{b64json(claims)}"
    signature = issuer_key.sign(signing_input.encode()) if data.draw(st.booleans()) else b"x"
    compact = f"{signing_input}.{b64(signature)}"
    found = jwt_container_kind(compact, max_bytes=1 << 20, max_depth=48)
    if found is not None:
        outcome = verify_container_jwt(verifier, compact, now=NOW, challenge="c", domain="d")
        assert isinstance(outcome, ContainerReport)
        outcome.to_dict()
        if found[0] == "presentation":  # the holder's key never signed it
            signature = outcome.check("signature")
            assert signature is not None and signature.status != "passed"
    assert_any = verify_any(verifier, compact, now=NOW)
    assert isinstance(assert_any, ContainerReport)
    assert_any.to_dict()


@FUZZ
@given(st.binary() | st.text())
def test_verify_any_never_raises_on_anything(verifier: Verifier, data: bytes | str) -> None:
    outcome = verify_any(verifier, data, now=NOW, public_url="http://127.0.0.1:5000")
    assert_container_refused(outcome)
