"""Verifying what someone hands us (credentials, containers, share links) and job-family fit."""
