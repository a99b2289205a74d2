"""Wallets and other platforms: badges delivered bound to a wallet's key.

- :mod:`passport.wallets.binding` — the holder-bound copy every channel hands out.
- OpenID for Verifiable Credential Issuance, the Learner Credential Wallet's VC-API exchange and
  the 1EdTech Open Badges 3.0 API build on it (docs/wallets/).
"""
