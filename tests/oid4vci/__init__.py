"""The OpenID4VCI client tests (an independent npm wallet library against our issuer)."""
