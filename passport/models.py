"""Every domain's tables in one metadata, for Alembic and for SQLAlchemy's name registry.

Each domain keeps its own models (``passport/<domain>/models.py``); they refer to one another
by class name, which SQLAlchemy resolves once every class is registered. Importing this module
registers them all: :mod:`passport.services` and the Alembic environment do.
"""

from __future__ import annotations

from passport import audit
from passport.accounts import models as accounts
from passport.assessments import models as assessments
from passport.catalog import models as catalog
from passport.cohorts import models as cohorts
from passport.credentials import models as credentials
from passport.db import Base
from passport.sharing import models as sharing

__all__ = ["DOMAIN_MODELS", "Base"]

#: The modules whose tables make up the schema (kept referenced so the imports stay).
DOMAIN_MODELS = (audit, accounts, assessments, catalog, cohorts, credentials, sharing)
