"""A badge signed by another organisation, for tests of trust lists and external passports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from issuer import CredentialDraft, build_credential, sign_data_integrity
from keys import SigningKey, did_key_from_public_key
from verifier.canonical import Canonicalizer


def badge_from_elsewhere(key: SigningKey, *, recipient: str) -> dict[str, Any]:
    """An OB 3.0 badge for ``recipient``, signed with ``key`` by "Elsewhere Academy", whose
    issuer id is the key's did:key (no trust list names it unless a test adds it)."""
    did = did_key_from_public_key(key.public)
    now = datetime.now(UTC)
    draft = CredentialDraft(
        issuer={"id": did, "type": ["Profile"], "name": "Elsewhere Academy"},
        achievement={
            "id": "https://elsewhere.example/achievements/sre",
            "type": ["Achievement"],
            "name": "SRE basics",
            "description": "Keeps a service up.",
            "criteria": {"narrative": "Passed the on-call simulation."},
        },
        recipient_email=recipient,
        valid_from=now - timedelta(days=1),
    )
    return sign_data_integrity(
        build_credential(draft),
        key,
        verification_method=f"{did}#{did.removeprefix('did:key:')}",
        created=now - timedelta(days=1),
        canonicalizer=Canonicalizer(),
    )
