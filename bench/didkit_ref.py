"""didkit's VC-JWT verify on this machine: the native (Rust) reference issue #2 names.

didkit is optional (``pip install -e '.[bench]'``, which ``make bench`` does): without it the
column reads ``n/a``. It verifies its own tokens, since it resolves only ``did:key`` offline and
reads VC 1.1: each of our bench credentials is re-dressed as a VC 1.1 OB 3.0 credential (same
achievement, subject and size) issued by a ``did:key`` of the same algorithm, and signed by didkit.
didkit 0.3's did:key has Ed25519 and P-256, not RSA, so RS256 has no didkit figure.

didkit runs in a child process (``python -m bench.didkit_ref``), driven one timed round at a
time: its async runtime can abort the interpreter that loaded it while that interpreter shuts
down, which must not take the benchmark (or a test) with it. The child leaves with ``os._exit``.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import subprocess
import sys
import time
import traceback
from typing import IO, Any

import pybase64
from cryptography.hazmat.primitives import serialization

from keys import SigningKey

__all__ = ["DidkitReference", "didkit_reference"]

_VC11 = "https://www.w3.org/2018/credentials/v1"
_OB3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
_JWT = json.dumps({"proofFormat": "jwt"})


def _b64(data: bytes) -> str:
    return pybase64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _private_jwk(key: SigningKey) -> dict[str, str] | None:
    """The private JWK didkit signs with, or None for a key type its did:key lacks."""
    if key.alg == "EdDSA":
        raw = key.private_key.private_bytes(  # type: ignore[union-attr]
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        public = key.public.key.public_bytes(  # type: ignore[union-attr]
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return {"kty": "OKP", "crv": "Ed25519", "x": _b64(public), "d": _b64(raw)}
    if key.alg == "ES256":
        numbers = key.private_key.private_numbers()  # type: ignore[union-attr]
        point = numbers.public_numbers
        return {
            "kty": "EC",
            "crv": "P-256",
            "x": _b64(point.x.to_bytes(32, "big")),
            "y": _b64(point.y.to_bytes(32, "big")),
            "d": _b64(numbers.private_value.to_bytes(32, "big")),
        }
    return None


class DidkitReference:
    """A child process holding didkit-signed tokens; :meth:`round` verifies them all once."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self._process = process

    def _ask(self, line: str) -> str:
        stdin, stdout = self._process.stdin, self._process.stdout
        assert stdin is not None and stdout is not None
        stdin.write(line + "\n")
        stdin.flush()
        answer = stdout.readline().strip()
        if not answer or answer.startswith("error"):
            raise RuntimeError(f"didkit reference failed: {answer or 'no answer'}")
        return answer

    def round(self) -> float:
        """Verify every token once; return the child's own timing of the loop, in seconds."""
        return float(self._ask("round"))

    def close(self) -> None:
        for pipe in (self._process.stdin, self._process.stdout):
            if pipe is not None:
                pipe.close()
        self._process.wait(timeout=30)


def didkit_reference(key: SigningKey, credentials: list[dict[str, Any]]) -> DidkitReference | None:
    """Start the didkit child for ``key``'s algorithm, or None (no didkit, or no such did:key)."""
    jwk = _private_jwk(key)
    if jwk is None or importlib.util.find_spec("didkit") is None:
        return None
    process = subprocess.Popen(  # the same interpreter, this module's child entry point
        [sys.executable, "-m", "bench.didkit_ref"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    reference = DidkitReference(process)
    try:
        reference._ask(json.dumps({"jwk": jwk, "credentials": credentials}))  # "ready" = signed
    except BaseException:
        reference.close()
        raise
    return reference


# -- the child ---------------------------------------------------------------------------------
def _vc11(credential: dict[str, Any], issuer_did: str) -> dict[str, Any]:
    out = dict(credential)
    out["@context"] = [_VC11, _OB3]
    out["issuanceDate"] = out.pop("validFrom")
    if "validUntil" in out:
        out["expirationDate"] = out.pop("validUntil")
    out["issuer"] = {**out["issuer"], "id": issuer_did}
    return out


async def _child(stdin: IO[str], stdout: IO[str]) -> None:
    import didkit  # type: ignore[import-not-found]

    setup = json.loads(stdin.readline())
    jwk = json.dumps(setup["jwk"])
    did = didkit.key_to_did("key", jwk)
    method = await didkit.key_to_verification_method("key", jwk)
    options = json.dumps({"proofFormat": "jwt", "verificationMethod": method})
    tokens = [
        await didkit.issue_credential(json.dumps(_vc11(c, did)), options, jwk)
        for c in setup["credentials"]
    ]

    async def errors(token: str) -> list[str]:
        return list(json.loads(await didkit.verify_credential(token, _JWT))["errors"])

    # Real verification is what gets timed: every token verifies, a forged one does not.
    forged = tokens[0][:-6] + ("A" if tokens[0][-6] != "A" else "B") + tokens[0][-5:]
    if any([await errors(t) for t in tokens]) or not await errors(forged):
        print("error: didkit's own tokens did not verify as they should", file=stdout, flush=True)
        return
    print("ready", file=stdout, flush=True)
    for line in stdin:
        if line.strip() != "round":
            break
        start = time.perf_counter()
        for token in tokens:
            await didkit.verify_credential(token, _JWT)
        print(time.perf_counter() - start, file=stdout, flush=True)


if __name__ == "__main__":
    status = 0
    try:
        asyncio.run(_child(sys.stdin, sys.stdout))
    except BaseException:  # noqa: BLE001 - reported, then the child leaves without shutdown
        traceback.print_exc()
        status = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)  # skip interpreter shutdown, where didkit's runtime can abort
