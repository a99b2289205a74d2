"""The errors of OpenID4VCI and its OAuth 2.0 endpoints, in the shape those specifications fix.

Unlike the rest of the application (``{"error": {"code", "message"}}``), a wallet reads
``{"error": "<code>", "error_description": "<sentence>"}`` (RFC 6749 §5.2, RFC 6750 §3.1,
OpenID4VCI 1.0 §8.3.1.2 and §9.3), so these errors carry the protocol's own code and the HTTP
status it calls for; :mod:`passport.web.oid4vci` renders them.

    Oid4vciError  (a PassportError)
      token endpoint       400 invalid_request, invalid_grant, unsupported_grant_type,
                               invalid_client, invalid_scope, invalid_authorization_details
      credential endpoint  401 invalid_token; 400 invalid_credential_request,
                               unknown_credential_configuration, unknown_credential_identifier,
                               invalid_proof, invalid_nonce, credential_request_denied,
                               invalid_transaction_id
"""

from __future__ import annotations

from passport.errors import PassportError

__all__ = ["Oid4vciError"]


class Oid4vciError(PassportError):
    """An OAuth 2.0 / OpenID4VCI error response: ``code`` is the protocol's ``error`` value."""

    default_message = "The request cannot be handled."

    def __init__(self, code: str, message: str, *, status: int = 400) -> None:
        super().__init__(message, code=code)
        self.status = status
