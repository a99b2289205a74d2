"""Every domain's tables in one metadata, for Alembic and for SQLAlchemy's name registry.

Each domain keeps its own models (``passport/<domain>/models.py``); they refer to one another
by class name, which SQLAlchemy resolves once every class is registered. Importing this module
registers them all: :mod:`passport.services` and the Alembic environment do.
"""

from __future__ import annotations

import passport.accounts.models
import passport.assessments.models
import passport.audit
import passport.catalog.models
import passport.cohorts.models
import passport.credentials.models
import passport.jobs.models
import passport.mentoring.models
import passport.mobility.models
import passport.outcomes.models
import passport.sharing.models
import passport.verifying.models
import passport.wallets.models
from passport.db import Base

__all__ = ["DOMAIN_MODELS", "Base"]

#: The modules whose tables make up the schema (kept referenced so the imports stay).
DOMAIN_MODELS = (
    passport.audit,
    passport.accounts.models,
    passport.assessments.models,
    passport.catalog.models,
    passport.cohorts.models,
    passport.credentials.models,
    passport.jobs.models,
    passport.mentoring.models,
    passport.mobility.models,
    passport.outcomes.models,
    passport.sharing.models,
    passport.verifying.models,
    passport.wallets.models,
)
