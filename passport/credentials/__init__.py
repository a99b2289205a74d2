"""Credentials: issuing badges, their status lists, our issuers and signing keys, holders, and
every export of a learner's badges."""
