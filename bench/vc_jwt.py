"""VC-JWT issue/s and verify/s beside raw ``cryptography`` sign/s and verify/s, as ratios.

Each round signs ``count`` *distinct* credentials and verifies them all, interleaved with the raw
baseline on the same signing inputs and keys, so machine noise hits both sides alike. Reported
figures are medians over rounds. "Full verify" is the whole pipeline a user gets —
parse, OB 3.0 model, key resolution (warm cache), signature, claim checks, validity window,
status and endorsements — via :meth:`verifier.Verifier.verify`.

Two references run on the same tokens' algorithm in the same rounds: the *floor* — split,
base64url, JSON parse of header and payload, and the signature, nothing else: what any verifier
that reads the credential pays before it checks a single claim — and didkit (native Rust, the
reference the issue names; :mod:`bench.didkit_ref`), on its own tokens of the same size.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt as pyjwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from bench.didkit_ref import didkit_reference
from issuer import CredentialDraft, build_credential, sign_vc_jwt
from keys import PublishedKey, SigningKey, did_web_document, generate_key, verification_method_id
from verifier import KeyResolver, Verifier
from verifier.jsonparse import DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH, b64url_decode, b64url_json

ISSUER = "did:web:bench.example"
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def _achievement(i: int) -> dict[str, Any]:
    base = f"https://bench.example/achievements/skill-{i % 40}"
    return {
        "id": base,
        "type": ["Achievement"],
        "achievementType": "Competency",
        "name": f"Skill {i % 40} — Practitioner",
        "description": "Deploys, scales and troubleshoots workloads on Kubernetes clusters.",
        "criteria": {"narrative": "Hands-on assessment scored against a four-level rubric."},
        "resultDescription": [
            {
                "id": f"{base}#result",
                "type": ["ResultDescription"],
                "name": "Assessed level",
                "resultType": "RubricCriterionLevel",
                "rubricCriterionLevel": [
                    {
                        "id": f"{base}#level-{n}",
                        "type": ["RubricCriterionLevel"],
                        "name": name,
                        "level": str(n),
                    }
                    for n, name in enumerate(("Foundation", "Practitioner", "Advanced"), 1)
                ],
                "requiredLevel": f"{base}#level-2",
            }
        ],
        "alignment": [
            {
                "type": ["Alignment"],
                "targetType": "ext:JobFamily",
                "targetName": "Site Reliability Engineering",
                "targetFramework": "O*NET-SOC 2019",
                "targetCode": "15-1244.00",
                "targetUrl": "https://www.onetonline.org/link/summary/15-1244.00",
            }
        ],
        "tag": ["kubernetes", "SRE"],
    }


def _drafts(count: int) -> list[CredentialDraft]:
    return [
        CredentialDraft(
            issuer={"id": ISSUER, "type": ["Profile"], "name": "Bench Org"},
            achievement=_achievement(i),
            recipient_email=f"learner{i}@example.com",
            valid_from=NOW - timedelta(days=1),
            valid_until=NOW + timedelta(days=730),
            results=[
                {
                    "type": ["Result"],
                    "resultDescription": f"{_achievement(i)['id']}#result",
                    "achievedLevel": f"{_achievement(i)['id']}#level-2",
                }
            ],
        )
        for i in range(count)
    ]


def _raw(key: SigningKey) -> tuple[Callable[[bytes], bytes], Callable[[bytes, bytes], None]]:
    """Plain cryptography sign / verify for the key's algorithm (JWS-equivalent primitives)."""
    private, public = key.private_key, key.public.key
    if key.alg == "ES256":
        ecdsa = ec.ECDSA(hashes.SHA256())
        return (
            lambda data: private.sign(data, ecdsa),  # type: ignore[call-arg,union-attr]
            lambda sig, data: public.verify(sig, data, ecdsa),  # type: ignore[call-arg,union-attr]
        )
    if key.alg == "RS256":
        pad, sha = padding.PKCS1v15(), hashes.SHA256()
        return (
            lambda data: private.sign(data, pad, sha),  # type: ignore[call-arg,union-attr]
            lambda sig, data: public.verify(sig, data, pad, sha),  # type: ignore[call-arg,union-attr]
        )
    return private.sign, public.verify  # type: ignore[union-attr,return-value]


def _rate(count: int, fn: Callable[[], None]) -> float:
    start = time.perf_counter()
    fn()
    return count / (time.perf_counter() - start)


def bench_alg(alg: str, count: int, rounds: int) -> dict[str, float]:
    key = generate_key(alg, rsa_bits=2048) if alg == "RS256" else generate_key(alg)
    kid = verification_method_id(ISSUER, key.kid)
    document = did_web_document(ISSUER, [PublishedKey(key.public, "active", NOW)])
    verifier = Verifier(KeyResolver(documents={ISSUER: document}), known_issuers=[ISSUER])
    drafts = _drafts(count)
    credentials = [build_credential(d) for d in drafts]
    tokens = [sign_vc_jwt(c, key, kid=kid) for c in credentials]
    inputs = [t.rsplit(".", 1)[0].encode() for t in tokens]
    raw_sign, raw_verify = _raw(key)
    raw_sigs = [raw_sign(m) for m in inputs]
    if alg == "ES256":
        # The raw baseline verifies DER signatures prepared in advance (no JOSE conversion).
        raw_sigs = [
            encode_dss_signature(int.from_bytes(s[:32], "big"), int.from_bytes(s[32:], "big"))
            if len(s) == 64
            else s
            for s in (key.sign(m) for m in inputs)
        ]
    verifier.verify(tokens[0], now=NOW)  # warm the key cache, as a running service has it

    def ours_issue() -> None:
        for d in drafts:
            sign_vc_jwt(build_credential(d), key, kid=kid)

    def ours_verify() -> None:
        for t in tokens:
            verifier.verify(t, now=NOW)

    public_key = key.public.key

    def pyjwt_decode() -> None:
        # The reference point the issue names: PyJWT's decode alone (signature + JSON, no
        # OB 3.0 model, claim checks against the credential, validity or report).
        for t in tokens:
            pyjwt.decode(
                t,
                public_key,  # type: ignore[arg-type]
                algorithms=[alg],
                options={"verify_exp": False, "verify_nbf": False, "verify_iat": False},
            )

    public = key.public

    def floor() -> None:
        # The least a verifier can do and still read the credential: no model, no claim,
        # schema, validity or status check, no report.
        for t in tokens:
            header, payload, signature = t.encode("ascii").split(b".")
            for segment, what in ((header, "header"), (payload, "payload")):
                b64url_json(
                    segment, what=what, max_bytes=DEFAULT_MAX_BYTES, max_depth=DEFAULT_MAX_DEPTH
                )
            public.verify(b64url_decode(signature, what="signature"), header + b"." + payload)

    didkit = didkit_reference(key, credentials)

    def base_sign() -> None:
        for m in inputs:
            raw_sign(m)

    def base_verify() -> None:
        for s, m in zip(raw_sigs, inputs, strict=True):
            raw_verify(s, m)

    results: dict[str, list[float]] = {
        "sign": [],
        "issue": [],
        "verify": [],
        "full": [],
        "pyjwt": [],
        "floor": [],
        "didkit": [],
    }
    try:
        for _ in range(rounds):
            results["sign"].append(_rate(count, base_sign))
            results["issue"].append(_rate(count, ours_issue))
            results["verify"].append(_rate(count, base_verify))
            results["full"].append(_rate(count, ours_verify))
            results["pyjwt"].append(_rate(count, pyjwt_decode))
            results["floor"].append(_rate(count, floor))
            if didkit is not None:
                results["didkit"].append(count / didkit.round())
    finally:
        if didkit is not None:
            didkit.close()
    medians = {name: statistics.median(values) for name, values in results.items() if values}
    # Each ratio is taken within its round (both sides a few hundred ms apart), then the median
    # over rounds: drift in machine load between rounds cancels out of it.
    for name, over in (
        ("issue", "sign"),
        ("full", "verify"),
        ("pyjwt", "verify"),
        ("floor", "verify"),
        ("didkit", "verify"),
    ):
        if results[name]:
            medians[f"{name}_ratio"] = statistics.median(
                a / b for a, b in zip(results[name], results[over], strict=True)
            )
    return medians


def run(*, count: int, rounds: int, algs: list[str]) -> None:
    print(
        f"VC-JWT benchmark: {count} distinct credentials x {rounds} rounds; rates are medians, "
        "ratios the median of each round's ratio"
    )
    header = (
        f"{'alg':<7}{'raw sign/s':>12}{'issue/s':>10}{'ratio':>7}"
        f"{'raw verify/s':>14}{'verify/s':>10}{'ratio':>7}{'PyJWT':>7}{'floor':>7}{'didkit':>8}"
        "   target"
    )
    print(header)
    print("-" * len(header))
    for alg in algs:
        r = bench_alg(alg, count, rounds)
        verify_ratio = r["full_ratio"]
        print(
            f"{alg:<7}{r['sign']:>12.0f}{r['issue']:>10.0f}{r['issue_ratio']:>7.2f}"
            f"{r['verify']:>14.0f}{r['full']:>10.0f}{verify_ratio:>7.2f}"
            f"{r['pyjwt_ratio']:>7.2f}{r['floor_ratio']:>7.2f}"
            + (f"{r['didkit_ratio']:>8.2f}" if "didkit_ratio" in r else f"{'n/a':>8}")
            + "   "
            f"verify >= 0.50x: {'met' if verify_ratio >= 0.5 else 'NOT met'}"
        )
    print(
        "issue/s = build the OB 3.0 credential + sign the VC-JWT (PyJWT); "
        "verify/s = full verification (parse, model, key, signature, claims, validity, status);\n"
        "reference ratios against the same raw verify: PyJWT = PyJWT's decode alone on the same "
        "tokens;\nfloor = split + base64url + JSON + signature, nothing checked; didkit = didkit "
        "(Rust) verifying its own VC 1.1 tokens of the same size\n(n/a: not installed, or no "
        "did:key of that algorithm)."
    )
