"""Erasing a person removes what wallets and platforms hold of them (issue #22): the badges
platforms pushed into their account, the platforms' codes and tokens, their wallet offers and
exchanges, and which wallet DIDs received their badges. The badges keep verifying."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from keys import did_key_from_public_key, generate_key
from passport.accounts.users import create_user, erase_user
from passport.audit import AuditEvent
from passport.credentials.issuing import IssueRequest, issue_credential
from passport.services import Services
from passport.wallets.binding import holder_bound_copy
from passport.wallets.lcw import create_exchange
from passport.wallets.models import (
    HeldCredential,
    LcwExchange,
    ObApiAuthorizationCode,
    ObApiClient,
    ObApiToken,
    Oid4vciOffer,
    WalletDelivery,
)
from passport.wallets.obapi_clients import SCOPES, register_client
from passport.wallets.oid4vci import create_offer

EMAIL = "wren.wallet@example.org"


def _count(services: Services, model: type) -> int:
    with services.session() as db:
        return int(db.scalar(select(func.count()).select_from(model)) or 0)


def test_erasure_forgets_wallets_and_platforms(services: Services) -> None:
    now = services.now()
    did = did_key_from_public_key(generate_key("EdDSA").public)
    with services.session() as db:
        user = create_user(db, email=EMAIL, name="Wren Wallet", role="learner", password=None)
        badge = issue_credential(
            db, services, IssueRequest("incident-response-l2", EMAIL), now=now - timedelta(hours=1)
        )
        db.flush()
        user_id, holder_id, badge_id = user.id, badge.holder_id, badge.id
        holder_bound_copy(
            db,
            services,
            credential_id=badge_id,
            holder_did=did,
            wallet_format="ldp_vc",
            channel="oid4vci",
            actor=EMAIL,
            now=now,
        )
        create_offer(db, services, credential_id=badge_id, actor=EMAIL, with_tx_code=False, now=now)
        create_exchange(
            db,
            services.settings,
            user_id=user_id,
            holder_id=holder_id,
            credential_id=badge_id,
            actor=EMAIL,
            now=now,
        )
        platform = register_client(
            db,
            {
                "client_name": "Elsewhere",
                "client_uri": "https://elsewhere.example/",
                "logo_uri": "https://elsewhere.example/logo.png",
                "tos_uri": "https://elsewhere.example/terms",
                "policy_uri": "https://elsewhere.example/privacy",
                "software_id": "elsewhere",
                "software_version": "1",
                "redirect_uris": ["https://elsewhere.example/cb"],
                "scope": " ".join(SCOPES.values()),
            },
            now=now,
            actor="admin",
        )
        client_pk = db.scalar(
            select(ObApiClient.id).where(ObApiClient.client_id == platform.client_id)
        )
        assert client_pk is not None
        db.add_all(
            [
                ObApiAuthorizationCode(
                    code_hash="c" * 64,
                    client_pk=client_pk,
                    user_id=user_id,
                    redirect_uri="https://elsewhere.example/cb",
                    scope="x",
                    code_challenge="x" * 43,
                    code_challenge_method="S256",
                    expires_at=now + timedelta(minutes=5),
                ),
                ObApiToken(
                    client_pk=client_pk,
                    user_id=user_id,
                    access_hash="a" * 64,
                    scope="x",
                    expires_at=now + timedelta(hours=1),
                ),
                HeldCredential(
                    user_id=user_id,
                    identity_key="k" * 64,
                    credential_id="urn:uuid:elsewhere",
                    issuer_id="did:web:elsewhere.example",
                    media_type="application/vc+ld+json",
                    content=b"{}",
                    issued_at=now,
                ),
            ]
        )
    for model in (WalletDelivery, Oid4vciOffer, LcwExchange, ObApiToken, HeldCredential):
        assert _count(services, model) == 1, model
    with services.session() as db:
        user = db.get(type(user), user_id)
        assert user is not None
        erase_user(db, user, actor="admin", now=now, secret_key=services.settings.secret_key)
    for model in (
        WalletDelivery,
        Oid4vciOffer,
        LcwExchange,
        ObApiToken,
        ObApiAuthorizationCode,
        HeldCredential,
    ):
        assert _count(services, model) == 0, model
    with services.session() as db:
        details = db.scalars(
            select(AuditEvent.detail).where(AuditEvent.action == "wallet.deliver")
        ).all()
        assert details and all(did not in (d or "") for d in details)
        # the badge itself is untouched
        assert (
            services.verifier(db)
            .report(
                db.get(type(badge), badge_id).content,  # type: ignore[union-attr]
                now=services.now() + timedelta(seconds=10),
            )
            .verified
        )
