"""Data Integrity (eddsa-rdfc-2022) sign/s and verify/s beside raw Ed25519 and the JS reference.

All three are measured in the same run on the same credential shape (the typical skill badge of
:mod:`bench.vc_jwt`: rubric, alignment, hashed recipient, result):

* raw: ``cryptography`` Ed25519 sign/verify of a 64-byte hash — the floor no proof can beat;
* ours: build + sign (:func:`issuer.sign_data_integrity`), and full verification
  (:meth:`verifier.Verifier.verify`: parse, safe-mode canonicalization of document and proof
  config, key, signature, OB 3.0 model, validity, status, endorsements);
* JS: the Digital Bazaar stack (``bench/js/di-bench.mjs``), signing and verifying the same
  credential shape with ``@digitalbazaar/vc``.

Our rounds are interleaved with the JS run, and medians are reported.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

from bench.vc_jwt import ISSUER, NOW, _drafts
from issuer import build_credential, sign_data_integrity
from keys import PublishedKey, did_web_document, generate_key, verification_method_id
from verifier import KeyResolver, Verifier
from verifier.canonical import Canonicalizer

ROOT = Path(__file__).resolve().parents[1]
JS_BENCH = ROOT / "bench" / "js" / "di-bench.mjs"


def _rate(count: int, fn: Any) -> float:
    start = time.perf_counter()
    fn()
    return count / (time.perf_counter() - start)


def _js(unsigned: dict[str, Any], count: int) -> dict[str, Any] | None:
    node = shutil.which("node")
    if node is None or not (ROOT / "tests" / "interop" / "node_modules").is_dir():
        return None
    result = subprocess.run(
        [node, str(JS_BENCH), "--count", str(count)],
        input=json.dumps({"credential": unsigned, "seed": "42" * 32}),
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    outcome: dict[str, Any] = json.loads(result.stdout)
    return outcome


def run(*, count: int, rounds: int) -> None:
    key = generate_key("EdDSA")
    vm = verification_method_id(ISSUER, key.kid)
    document = did_web_document(ISSUER, [PublishedKey(key.public, "active", NOW)])
    canonicalizer = Canonicalizer()
    # The verifier gets its own canonicalizer without the results cache: every verification
    # below canonicalizes from scratch, as it would for credentials it has never seen.
    verifier = Verifier(
        KeyResolver(documents={ISSUER: document}),
        known_issuers=[ISSUER],
        canonicalizer=Canonicalizer(results_cache_size=0),
    )
    drafts = _drafts(count)
    signed = [
        sign_data_integrity(
            build_credential(d),
            key,
            verification_method=vm,
            created=NOW,
            canonicalizer=canonicalizer,
        )
        for d in drafts
    ]
    verifier.verify(signed[0], now=NOW)  # warm caches, as a running service has them
    messages = [bytes([i % 256]) * 64 for i in range(count)]
    raw_sigs = [key.private_key.sign(m) for m in messages]  # type: ignore[union-attr]
    public = key.public.key

    def ours_sign() -> None:
        # Fresh drafts each round (new ids and salts): nothing is served from a cache.
        for d in _drafts(count):
            sign_data_integrity(
                build_credential(d),
                key,
                verification_method=vm,
                created=NOW,
                canonicalizer=canonicalizer,
            )

    def ours_verify() -> None:
        for credential in signed:
            verifier.verify(credential, now=NOW)

    def raw_sign() -> None:
        for m in messages:
            key.private_key.sign(m)  # type: ignore[call-arg,union-attr]

    def raw_verify() -> None:
        for s, m in zip(raw_sigs, messages, strict=True):
            public.verify(s, m)  # type: ignore[call-arg,union-attr]

    results: dict[str, list[float]] = {k: [] for k in ("raw_sign", "raw_verify", "sign", "verify")}
    js_sign: list[float] = []
    js_verify: list[float] = []
    unsigned = {k: v for k, v in signed[0].items() if k != "proof"}
    for i in range(rounds):
        results["raw_sign"].append(_rate(count, raw_sign))
        results["sign"].append(_rate(count, ours_sign))
        results["raw_verify"].append(_rate(count, raw_verify))
        results["verify"].append(_rate(count, ours_verify))
        if i % 2 == 0:  # the JS run takes longest; interleave it with ours
            js = _js(unsigned, count)
            if js is not None:
                js_sign.append(float(js["sign_per_s"]))
                js_verify.append(float(js["verify_per_s"]))
    med = {k: statistics.median(v) for k, v in results.items()}
    print(
        f"\nData Integrity eddsa-rdfc-2022: {count} distinct credentials x {rounds} rounds, medians"
    )
    print(f"{'':<10}{'raw Ed25519/s':>15}{'ours/s':>10}{'JS ref/s':>10}{'ours/JS':>9}   target")
    for name, raw_key in (("sign", "raw_sign"), ("verify", "raw_verify")):
        js_values = js_sign if name == "sign" else js_verify
        js_med = statistics.median(js_values) if js_values else None
        ratio = med[name] / js_med if js_med else None
        verdict = "no JS" if ratio is None else ("met" if ratio >= 2.0 else "NOT met")
        print(
            f"{name:<10}{med[raw_key]:>15.0f}{med[name]:>10.0f}"
            f"{(f'{js_med:.0f}' if js_med else '-'):>10}{(f'{ratio:.2f}' if ratio else '-'):>9}"
            f"   >= 2.0x JS: {verdict}"
        )
    print("sign = build the OB 3.0 credential + eddsa-rdfc-2022 proof; verify = full verification.")
