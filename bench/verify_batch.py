"""A 50-badge passport verified in one batch call beside the same badges one call at a time.

Builds a passport export of 50 distinct credentials — all Data Integrity, all VC-JWT, and a
mix — and verifies it through :func:`verifier.inputs.verify_any` (the path ``POST
/api/v1/verify`` and ``passport verify`` take: classify, split, verify each, container checks),
beside single-credential :meth:`verifier.Verifier.report` calls on the same credentials, in the
same run. Figures are credentials verified per second, medians over rounds.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from datetime import timedelta

from bench.vc_jwt import ISSUER, NOW, _drafts
from issuer import build_credential, sign_data_integrity, sign_vc_jwt
from keys import PublishedKey, did_web_document, generate_key, verification_method_id
from verifier import KeyResolver, Verifier
from verifier.canonical import Canonicalizer
from verifier.inputs import verify_any

BADGES = 50


def _rate(count: int, fn: Callable[[], None]) -> float:
    start = time.perf_counter()
    fn()
    return count / (time.perf_counter() - start)


def run(*, rounds: int) -> None:
    ed, es = generate_key("EdDSA"), generate_key("ES256")
    published = [PublishedKey(public=k.public, status="active", created=NOW) for k in (ed, es)]
    document = did_web_document(ISSUER, published)
    canonicalizer = Canonicalizer()
    drafts = _drafts(BADGES)
    di = [
        sign_data_integrity(
            build_credential(d),
            ed,
            verification_method=verification_method_id(ISSUER, ed.kid),
            created=NOW - timedelta(days=1),
            canonicalizer=canonicalizer,
        )
        for d in drafts
    ]
    jwt = [
        sign_vc_jwt(build_credential(d), es, kid=verification_method_id(ISSUER, es.kid))
        for d in drafts
    ]
    sets = {"DI": di, "JWT": jwt, "mixed": [*di[::2], *jwt[1::2]]}
    print(
        f"Batch verify: a {BADGES}-badge passport export, {rounds} rounds, medians (credentials/s)"
    )
    print(f"{'set':<7}{'single/s':>10}{'batch/s':>10}{'ratio':>7}  batch request/s")
    print("-" * 54)
    for name, items in sets.items():
        # A fresh verifier per set, warmed once, as a running service has it.
        verifier = Verifier(KeyResolver(documents={ISSUER: document}), canonicalizer=canonicalizer)
        export = json.dumps({"holder": "", "count": len(items), "credentials": items}).encode()
        verifier.report(items[0], now=NOW)

        def single(items: list[object] = items, verifier: Verifier = verifier) -> None:
            for item in items:
                verifier.report(item, now=NOW)  # type: ignore[arg-type]

        def batch(export: bytes = export, verifier: Verifier = verifier) -> None:
            outcome = verify_any(verifier, export, now=NOW)
            assert outcome.verified, outcome.to_dict()

        singles, batches = [], []
        for _ in range(rounds):
            singles.append(_rate(len(items), single))
            batches.append(_rate(len(items), batch))
        s, b = statistics.median(singles), statistics.median(batches)
        print(f"{name:<7}{s:>10.0f}{b:>10.0f}{b / s:>7.2f}  {b / len(items):>8.1f}")
    print(
        "single/s = Verifier.report per credential; batch/s = the whole export through "
        "verify_any (one API request), counted per credential."
    )
