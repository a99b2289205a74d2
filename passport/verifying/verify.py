"""Verifying whatever a visitor hands us: a credential in any form, a container of them
(passport export, VP, CLR), a link to one of our badge pages or share links, or a QR code.

Links to this service are resolved from the database (no HTTP call to ourselves); a live share
link shows what it shares, a revoked or expired one says so as the verdict. Links elsewhere are
fetched only when https and accepted by the SSRF-safe fetcher; QR codes pointing elsewhere are
never opened.
"""

from __future__ import annotations

import json

from passport.credentials.models import IssuedCredential
from passport.errors import PassportError, ShareLinkGone
from passport.services import Services
from passport.sharing.links import open_share_link
from verifier import FormatError
from verifier.containers import ContainerReport
from verifier.inputs import OurLink, verify_any

__all__ = ["verify_input"]


def verify_input(
    services: Services,
    data: bytes | str,
    *,
    recipient: str | None = None,
    challenge: str | None = None,
    domain: str | None = None,
) -> ContainerReport:
    """Verify anything a visitor hands us: links to this service are resolved locally (badge
    pages and live share links); links elsewhere are fetched only when https and accepted by
    the SSRF-safe fetcher; QR codes pointing elsewhere are never opened."""
    now = services.now()
    with services.session() as session:
        verifier = services.verifier(session)

        def resolve(link: OurLink) -> bytes | str | None:
            if link.kind == "credential":
                record = session.get(IssuedCredential, link.ident)
                return record.content if record is not None else None
            try:
                shared = open_share_link(session, link.ident, now=now)
            except ShareLinkGone as exc:  # revoked or expired: say which, as the verdict
                raise FormatError(exc.message, code=exc.code) from exc
            except PassportError:
                return None
            items = [
                entry.credential.content.decode("utf-8").strip()
                if entry.credential.proof_format == "vc-jwt"
                else json.loads(entry.credential.content)
                for entry in shared.credentials
            ]
            return json.dumps({"credentials": items})

        return verify_any(
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
