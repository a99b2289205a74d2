"""Deciding whether an Open Badges 3.0 credential someone hands us is valid.

Usable on its own with :mod:`keys` (no web app, no database): build a
:class:`~verifier.resolve.KeyResolver`, a :class:`~verifier.verify.Verifier`, and call
``verify`` (raises) or ``report`` (never raises for bad input).
"""

from __future__ import annotations

from verifier.errors import (
    AlgorithmNotAllowed,
    BadSignature,
    ClaimsMismatch,
    ConfigurationError,
    Expired,
    FetchError,
    FormatError,
    KeyNotResolved,
    KeyUnreachable,
    NotYetValid,
    ProofNotChecked,
    SchemaError,
    SignatureError,
    ValidityError,
    VerificationError,
    VerifierError,
)
from verifier.jsonparse import parse_json
from verifier.recipient import identity_hash, normalize_email, recipient_matches
from verifier.report import CHECK_IDS, Check, Report
from verifier.resolve import DocumentFetcher, KeyResolver, NoNetwork
from verifier.schemas import load_credential
from verifier.verify import VerifiedCredential, Verifier

__all__ = [
    "CHECK_IDS",
    "AlgorithmNotAllowed",
    "BadSignature",
    "Check",
    "ClaimsMismatch",
    "ConfigurationError",
    "DocumentFetcher",
    "Expired",
    "FetchError",
    "FormatError",
    "KeyNotResolved",
    "KeyResolver",
    "KeyUnreachable",
    "NoNetwork",
    "NotYetValid",
    "ProofNotChecked",
    "Report",
    "SchemaError",
    "SignatureError",
    "ValidityError",
    "VerificationError",
    "VerifiedCredential",
    "Verifier",
    "VerifierError",
    "identity_hash",
    "load_credential",
    "normalize_email",
    "parse_json",
    "recipient_matches",
]
