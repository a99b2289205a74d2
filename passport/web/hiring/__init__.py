"""Hiring pages under ``/hiring`` (issue #20): open roles and their ranked candidates,
applications and decisions, and the build-or-buy view per job family. For hiring managers and
administrators (:data:`~passport.web.hiring.common.HIRING_ROLES`).

One module per part registers its views on the one blueprint (``applications``: applications
and decisions; ``pipeline``: build or buy per job family; ``roles``: open roles and their
ranked candidates).
"""

from __future__ import annotations

from passport.web.hiring import applications as applications
from passport.web.hiring import pipeline as pipeline
from passport.web.hiring import roles as roles
from passport.web.hiring.common import bp

__all__ = ["bp"]
