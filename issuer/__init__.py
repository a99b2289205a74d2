"""Building and signing Open Badges 3.0 credentials; every output is checked by :mod:`verifier`."""

from __future__ import annotations

from issuer.build import (
    ACHIEVEMENT_CREDENTIAL_SCHEMA,
    JSON_SCHEMA_VALIDATOR,
    OB_CONTEXT,
    OB_EXTENSIONS_CONTEXT,
    VC2_CONTEXT,
    CredentialDraft,
    build_credential,
    format_datetime,
    json_bytes,
    new_credential_id,
)
from issuer.dataintegrity import CRYPTOSUITE, CRYPTOSUITES, sign_data_integrity
from issuer.endorsement import ENDORSEMENT_CREDENTIAL_SCHEMA, build_endorsement
from issuer.errors import CredentialNotBakeable, DraftInvalid, IssuerError, SelfCheckFailed
from issuer.jwt import DEFAULT_JWT_ALG, JWT_ALGS, jwt_claims, sign_vc_jwt
from issuer.service import CredentialIssuer, SignedCredential
from issuer.statuslist import (
    MIN_ENTRIES,
    build_status_list_credential,
    encode_bitstring,
    new_bitstring,
    set_bit,
    status_entry,
)

__all__ = [
    "ACHIEVEMENT_CREDENTIAL_SCHEMA",
    "CRYPTOSUITE",
    "CRYPTOSUITES",
    "DEFAULT_JWT_ALG",
    "ENDORSEMENT_CREDENTIAL_SCHEMA",
    "JSON_SCHEMA_VALIDATOR",
    "JWT_ALGS",
    "MIN_ENTRIES",
    "OB_CONTEXT",
    "OB_EXTENSIONS_CONTEXT",
    "VC2_CONTEXT",
    "CredentialDraft",
    "CredentialIssuer",
    "CredentialNotBakeable",
    "DraftInvalid",
    "IssuerError",
    "SelfCheckFailed",
    "SignedCredential",
    "build_credential",
    "build_endorsement",
    "build_status_list_credential",
    "encode_bitstring",
    "format_datetime",
    "json_bytes",
    "jwt_claims",
    "new_bitstring",
    "new_credential_id",
    "set_bit",
    "sign_data_integrity",
    "sign_vc_jwt",
    "status_entry",
]
