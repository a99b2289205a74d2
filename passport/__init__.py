"""Skill Passport: the application — domains, their use cases and models, the web and the CLI.

One subpackage per domain, each with its use cases (plain functions taking a database
``Session`` and :class:`~passport.services.Services`; no Flask) and its own models:

    accounts/     users, roles, passwords, API tokens
    assessments/  rubric assessments and bulk CSV results
    catalog/      job families, skills, achievement definitions, catalog import/export
    cohorts/      micro-mentoring cohorts, sessions, attendance, mentor notes
    credentials/  issuing, status lists, keys, holders, exports (JSON, baked, CLR, VP)
    instance/     setting an instance up (``passport init``), demo data, backup and restore
    sharing/      share links
    verifying/    verifying what someone hands us, and job-family fit

Shared ground: ``settings`` (the only reader of ``PASSPORT_*``), ``db`` (engine, base, UTC
times, migrations), ``models`` (every domain's tables in one metadata), ``audit``, ``errors``,
``services`` and ``logs``. ``web/`` turns HTTP into use-case calls and ``cli/`` turns arguments
into them; nothing outside ``web/`` imports Flask or Werkzeug (``tests/test_architecture.py``
and the import-linter contracts in ``pyproject.toml`` hold it).
"""

from __future__ import annotations

from passport.settings import Settings

__all__ = ["Settings"]
