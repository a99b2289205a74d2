"""Accounts: users and their roles, password hashing, API tokens for integrations."""
