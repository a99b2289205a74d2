"""Verifying whatever a visitor hands us: a credential in any form, a container of them
(passport export, VP, CLR), a link to one of our badge pages or share links, or a QR code.

Links to this service are resolved from the database (no HTTP call to ourselves); a live share
link shows what it shares, a revoked or expired one says so as the verdict. Links elsewhere are
fetched only when https and accepted by the SSRF-safe fetcher; QR codes pointing elsewhere are
never opened.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from passport.credentials.models import IssuedCredential
from passport.errors import PassportError, ShareLinkGone
from passport.services import Services
from passport.sharing.links import view_share_link
from verifier import FormatError
from verifier.containers import ContainerReport
from verifier.inputs import OurLink, verify_any

__all__ = ["Submission", "verify_input", "verify_submission"]


@dataclass(frozen=True, slots=True)
class Submission:
    """What a visitor handed over, verified, and where it came from when it was a link of ours.

    ``source`` is ``"share_link"`` when a live share link of this service was resolved (its
    badges come from our records, the holder chose them: ``holder_name`` is theirs),
    ``"badge_link"`` for a badge page of ours, None for anything else.
    """

    outcome: ContainerReport
    source: Literal["share_link", "badge_link"] | None = None
    holder_name: str | None = None


def verify_input(
    services: Services,
    data: bytes | str,
    *,
    recipient: str | None = None,
    challenge: str | None = None,
    domain: str | None = None,
    user_agent: str | None = None,
) -> ContainerReport:
    """Verify anything a visitor hands us: links to this service are resolved locally (badge
    pages and live share links); links elsewhere are fetched only when https and accepted by
    the SSRF-safe fetcher; QR codes pointing elsewhere are never opened."""
    return verify_submission(
        services,
        data,
        recipient=recipient,
        challenge=challenge,
        domain=domain,
        user_agent=user_agent,
    ).outcome


def verify_submission(
    services: Services,
    data: bytes | str,
    *,
    recipient: str | None = None,
    challenge: str | None = None,
    domain: str | None = None,
    user_agent: str | None = None,
) -> Submission:
    """:func:`verify_input`, saying also whether a share or badge link of ours was resolved
    (and, for a share link, the holder's name: they chose to show it with the badges).

    A live share link's badges are read through
    :func:`~passport.sharing.links.view_share_link`: the view is counted (with ``user_agent``).
    """
    now = services.now()
    found: dict[str, str | None] = {}
    with services.session() as session:
        verifier = services.verifier(session)

        def resolve(link: OurLink) -> bytes | str | None:
            if link.kind == "credential":
                record = session.get(IssuedCredential, link.ident)
                if record is None:
                    return None
                found["source"] = "badge_link"
                return record.content
            try:
                # Reading the shared badges is a view of the link, whichever route asks.
                shared = view_share_link(
                    session, services, link.ident, user_agent=user_agent, now=now
                )
            except ShareLinkGone as exc:  # revoked or expired: say which, as the verdict
                raise FormatError(exc.message, code=exc.code) from exc
            except PassportError:
                return None
            found["source"] = "share_link"
            found["holder_name"] = shared.holder.name
            items = [
                entry.credential.content.decode("utf-8").strip()
                if entry.credential.proof_format == "vc-jwt"
                else json.loads(entry.credential.content)
                for entry in shared.credentials
            ]
            return json.dumps({"credentials": items})

        outcome = verify_any(
            verifier,
            data,
            now=now,
            recipient=recipient,
            public_url=services.settings.public_url,
            resolve_link=resolve,
            fetch_links=True,
            challenge=challenge,
            domain=domain,
        )
        source = found.get("source")
        return Submission(
            outcome,
            source="share_link" if source == "share_link" else "badge_link" if source else None,
            holder_name=found.get("holder_name"),
        )
