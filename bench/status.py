"""Verify/s with a Bitstring Status List check served from the cache, beside verify/s without.

Two sets of otherwise identical VC-JWT credentials (ES256): one carries a revocation status
entry pointing at a signed list, the other none. The list is verified and decoded once (as a
running verifier has it cached); each verification then costs a cache lookup and a bit test.
Target (issue #5): with status ≥ 0.9× without.
"""

from __future__ import annotations

import statistics
import time
from datetime import timedelta

from bench.vc_jwt import ISSUER, NOW, _drafts
from issuer import (
    build_credential,
    build_status_list_credential,
    new_bitstring,
    sign_data_integrity,
    sign_vc_jwt,
    status_entry,
)
from keys import PublishedKey, did_web_document, generate_key, verification_method_id
from verifier import KeyResolver, Verifier
from verifier.canonical import Canonicalizer
from verifier.status import DataIntegrityListVerifier, StatusChecker

LIST_URL = "https://bench.example/status/1"


def run(*, count: int, rounds: int) -> None:
    es, ed = generate_key("ES256"), generate_key("EdDSA")
    document = did_web_document(
        ISSUER, [PublishedKey(k.public, "active", NOW - timedelta(days=1)) for k in (es, ed)]
    )
    resolver = KeyResolver(documents={ISSUER: document})
    canonicalizer = Canonicalizer()
    status_list = sign_data_integrity(
        build_status_list_credential(
            list_url=LIST_URL,
            issuer={"id": ISSUER},
            purpose="revocation",
            bits=bytes(new_bitstring()),
            valid_from=NOW - timedelta(hours=1),
        ),
        ed,
        verification_method=verification_method_id(ISSUER, ed.kid),
        created=NOW - timedelta(hours=1),
        canonicalizer=canonicalizer,
    )
    checker = StatusChecker(
        DataIntegrityListVerifier(resolver, canonicalizer, leeway=timedelta(minutes=2)),
        documents={LIST_URL: status_list},
        clock=lambda: 0.0,  # the cached list stays fresh for the whole benchmark
    )
    verifier = Verifier(resolver, canonicalizer=canonicalizer, status_checker=checker)
    kid = verification_method_id(ISSUER, es.kid)
    plain, with_status = [], []
    for i, draft in enumerate(_drafts(count)):
        credential = build_credential(draft)
        plain.append(sign_vc_jwt(credential, es, kid=kid))
        credential["credentialStatus"] = status_entry(LIST_URL, 1000 + i, "revocation")
        with_status.append(sign_vc_jwt(credential, es, kid=kid))
    assert verifier.report(with_status[0], now=NOW).check("status").code == "not_revoked"  # type: ignore[union-attr]

    def rate(tokens: list[str]) -> float:
        start = time.perf_counter()
        for token in tokens:
            verifier.verify(token, now=NOW)
        return len(tokens) / (time.perf_counter() - start)

    without: list[float] = []
    within: list[float] = []
    for _ in range(rounds):
        without.append(rate(plain))
        within.append(rate(with_status))
    a, b = statistics.median(without), statistics.median(within)
    print(f"\nStatus check from the cache: {count} VC-JWT (ES256) x {rounds} rounds, medians")
    print(f"  verify/s without credentialStatus: {a:8.0f}")
    print(f"  verify/s with a cached status list: {b:8.0f}")
    print(f"  ratio {b / a:.2f}   target >= 0.90: {'met' if b / a >= 0.9 else 'NOT met'}")
