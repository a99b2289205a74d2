"""``passport init``: database, development keys, the default issuer and the starter catalog.

Idempotent: a second run adds only what is missing and never replaces keys or data.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from passport.catalog.transfer import load_default_catalog
from passport.credentials.issuers import ensure_issuer, ensure_keys, issuer_profile
from passport.credentials.status import ensure_status_lists
from passport.db import migrate
from passport.services import Services

__all__ = [
    "InitResult",
    "initialise",
]


logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class InitResult:
    issuer_did: str
    issuer_created: bool
    keys_created: tuple[str, ...]
    achievements_added: int


def initialise(
    services: Services, *, issuer_name: str = "Skill Passport Demo Organisation"
) -> InitResult:
    """Migrate, then make sure the issuer, its keys and the starter catalog exist."""
    migrate(services.engine)
    with services.session() as session:
        issuer, created = ensure_issuer(session, services, name=issuer_name)
        kids = ensure_keys(session, services, issuer)
        ensure_status_lists(session, services, issuer)
        added = load_default_catalog(
            session,
            issuer,
            public_url=services.settings.public_url,
            issuer_profile=issuer_profile(issuer, public_url=services.settings.public_url),
        )
        return InitResult(issuer.did, created, kids, added)
