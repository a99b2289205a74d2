"""Recipient identifiers: e-mail normalisation and the OB 3.0 IdentityHash.

OB 3.0 §B "IdentityHash": ``"sha256$" + hex(SHA-256(UTF8(identifier ‖ salt)))``, the salt appended
after the identifier with no separator. The spec defines no normalisation; ours is stated here
and used on both sides: surrounding whitespace trimmed, then the whole address lower-cased
(Unicode ``str.lower``). Hex is emitted lower-case and compared case-insensitively.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

from verifier.model import IdentityObject

__all__ = ["identity_hash", "normalize_email", "recipient_matches"]


def normalize_email(email: str) -> str:
    """Return the address trimmed and lower-cased (our documented normalisation)."""
    return email.strip().lower()


def identity_hash(identifier: str, salt: str | None) -> str:
    """Return ``sha256$<hex>`` of ``identifier ‖ salt`` (both UTF-8)."""
    digest = hashlib.sha256((identifier + (salt or "")).encode("utf-8")).hexdigest()
    return f"sha256${digest}"


def recipient_matches(
    identifiers: Iterable[IdentityObject], email: str, *, allow_md5: bool = False
) -> bool | None:
    """Say whether any e-mail identifier names ``email``.

    Returns True on a match, False when e-mail identifiers exist and none match, and None when
    the credential has no e-mail identifier we can compare (OB 3.0 verification §"Verify the
    Recipient Using an Identifier": identifiers of other types are skipped). ``md5$`` hashes
    are compared only with ``allow_md5`` (Open Badges 2.0 badges, where MD5 is common).
    """
    wanted = normalize_email(email)
    seen = False
    for ident in identifiers:
        if ident.identity_type != "emailAddress":
            continue
        seen = True
        if ident.hashed:
            algorithm, _, _ = ident.identity_hash.partition("$")
            if algorithm.lower() == "md5" and allow_md5:
                digest = hashlib.md5(
                    (wanted + (ident.salt or "")).encode("utf-8"), usedforsecurity=False
                ).hexdigest()
                expected = f"md5${digest}"
            elif algorithm.lower() != "sha256":
                continue  # md5 is allowed by the OB 3.0 spec but we refuse to trust it there
            else:
                expected = identity_hash(wanted, ident.salt)
            if hmac.compare_digest(expected.lower(), ident.identity_hash.lower()):
                return True
        elif normalize_email(ident.identity_hash) == wanted:
            return True
    return False if seen else None
