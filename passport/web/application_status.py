"""The names of an application's statuses, shared by the learner's and the hiring pages (the
learner reads "withdrawn"; the hiring manager, "withdrawn by the applicant")."""

from __future__ import annotations

from passport.web.i18n import gettext as _

__all__ = ["application_status_names"]


def application_status_names(*, for_hiring: bool) -> dict[str, str]:
    """Each status of :class:`passport.mobility.models.Application`, named in the page's
    language; ``for_hiring`` says who withdrew."""
    return {
        "applied": _("applied"),
        "shortlisted": _("shortlisted"),
        "declined": _("declined"),
        "moved": _("moved to the role"),
        "withdrawn": _("withdrawn by the applicant") if for_hiring else _("withdrawn"),
    }
