"""Building an OB 3.0 EndorsementCredential (checklist §1.9; OB 3.0 §B.1.6).

An endorsement is a credential of its own: its issuer is the endorser (a Profile with the
endorser's DID), its ``credentialSubject`` an EndorsementSubject whose ``id`` is what is
endorsed (here: a badge's credential id) and whose ``endorsementComment`` says why. ``name``
is required for this type. The same output rules as :mod:`issuer.build` apply: ``@context``
VC 2.0 + OB 3.0.3 + extensions (for the ``credentialSchema`` entry's type), ``type`` arrays,
no nulls, ``validFrom`` in whole seconds with ``Z``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from issuer.build import (
    JSON_SCHEMA_VALIDATOR,
    OB_CONTEXT,
    OB_EXTENSIONS_CONTEXT,
    VC2_CONTEXT,
    format_datetime,
)

__all__ = ["ENDORSEMENT_CREDENTIAL_SCHEMA", "build_endorsement"]

#: The official JSON Schema of an EndorsementCredential (OB 3.0 §B.1 CredentialSchema).
ENDORSEMENT_CREDENTIAL_SCHEMA = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_endorsementcredential_schema.json"
)


def build_endorsement(
    *,
    endorsement_id: str,
    endorser: Mapping[str, Any],
    subject_id: str,
    name: str,
    comment: str,
    valid_from: datetime,
) -> dict[str, Any]:
    """Return the unsigned EndorsementCredential of ``endorser`` for ``subject_id``.

    ``endorser`` is the issuer Profile (``id``, ``type``, ``name``); ``comment`` becomes the
    subject's ``endorsementComment`` (Markdown in OB 3.0; kept exactly as given).
    """
    return {
        "@context": [VC2_CONTEXT, OB_CONTEXT, OB_EXTENSIONS_CONTEXT],
        "id": endorsement_id,
        "type": ["VerifiableCredential", "EndorsementCredential"],
        "name": name,
        "issuer": dict(endorser),
        "validFrom": format_datetime(valid_from),
        "credentialSubject": {
            "id": subject_id,
            "type": ["EndorsementSubject"],
            "endorsementComment": comment,
        },
        "credentialSchema": [
            {"id": ENDORSEMENT_CREDENTIAL_SCHEMA, "type": JSON_SCHEMA_VALIDATOR},
        ],
    }
