"""The one allow-list of JWS signature algorithms accepted anywhere in Skill Passport.

Every signature that is produced or checked goes through :func:`check_algorithm`, so the list
below is the single place that decides which JWS ``alg`` values (RFC 7518 §3.1) exist for this
project. Configuration may narrow the list (for example to ``("EdDSA",)``) but never widen it:
an algorithm must be in both the configured collection and :data:`ALLOWED_ALGORITHMS`.
"""

from __future__ import annotations

from collections.abc import Collection

from keys.errors import UnsupportedAlgorithm

__all__ = ["ALLOWED_ALGORITHMS", "MAX_RSA_BITS", "MIN_RSA_BITS", "check_algorithm"]

#: JWS algorithms we sign and verify with. "EdDSA" means Ed25519 only (RFC 8037 §3.1),
#: "ES256" means ECDSA on P-256 with SHA-256 and "ES384" ECDSA on P-384 with SHA-384 (RFC 7518
#: §3.4; ES384 is what a P-384 key signs with, for JWTs and ``ecdsa-rdfc-2019`` alike), "RS256"
#: means RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 §3.3).
ALLOWED_ALGORITHMS: tuple[str, ...] = ("EdDSA", "ES256", "ES384", "RS256")

#: RFC 7518 §3.3: "A key of size 2048 bits or larger MUST be used with these algorithms."
MIN_RSA_BITS = 2048

#: Upper bound on RSA modulus size, so that a hostile JWK cannot make verification arbitrarily
#: slow. Not a spec requirement; 8192 bits is far above anything issuers use in practice.
MAX_RSA_BITS = 8192

_MAX_SHOWN = 32


def check_algorithm(alg: object, allowed: Collection[str] = ALLOWED_ALGORITHMS) -> str:
    """Return ``alg`` if it is a string that is allowed both by ``allowed`` and the allow-list.

    ``allowed`` narrows :data:`ALLOWED_ALGORITHMS` (typically from configuration); names in it
    that are not in :data:`ALLOWED_ALGORITHMS` have no effect. A bare string for ``allowed`` is
    treated as a single algorithm name (never as a set of characters or substrings).

    Returns:
        ``alg`` unchanged, typed as ``str``.

    Raises:
        UnsupportedAlgorithm: ``alg`` is not a string, or is not in both collections.
    """
    if isinstance(allowed, str):
        allowed = (allowed,)
    if isinstance(alg, str) and alg in ALLOWED_ALGORITHMS and alg in allowed:
        return alg
    if isinstance(alg, str):
        shown = alg if len(alg) <= _MAX_SHOWN else alg[:_MAX_SHOWN] + "…"
        raise UnsupportedAlgorithm(f"The signing algorithm {shown!r} is not allowed.")
    raise UnsupportedAlgorithm()
