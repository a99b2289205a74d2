"""The transaction code of an OpenID4VCI offer goes by e-mail to the badge's holder only.

A real SMTP server (aiosmtpd) on loopback receives what the job queue's worker sends; the code
in the message redeems the offer, and the notification keeps no copy of it once sent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select

from passport.accounts.users import create_user
from passport.credentials.issuing import IssueRequest, issue_credential
from passport.jobs.models import Notification
from passport.jobs.queue import queue_for
from passport.settings import Settings
from passport.wallets.oid4vci import PRE_AUTHORIZED_GRANT, create_offer
from passport.web.context import get_services
from tests.conftest import fresh_app
from tests.functional.test_password_reset import Inbox
from tests.functional.test_password_reset import inbox as inbox  # the SMTP server fixture

HOLDER = "lea@example.com"


@pytest.fixture
def mail_app(settings: Settings, inbox: tuple[Inbox, int]) -> Iterator[Flask]:
    app = fresh_app(settings.with_overrides(mail_url=f"smtp://127.0.0.1:{inbox[1]}"))
    yield app
    get_services(app).engine.dispose()


def test_the_code_is_mailed_to_the_holder_and_redeems_the_offer(
    mail_app: Flask, inbox: tuple[Inbox, int]
) -> None:
    services = get_services(mail_app)
    with services.session() as db:
        create_user(db, email=HOLDER, name="Lea", role="learner", password="a long passphrase")
    with services.session() as db:
        badge = issue_credential(
            db, services, IssueRequest("incident-response-l2", HOLDER), now=services.now()
        ).id
    queue = queue_for(services)
    queue.run_pending()  # the badge-issued mail
    before = len(inbox[0].wait(1))
    with services.session() as db:
        created = create_offer(
            db, services, credential_id=badge, actor="admin", with_tx_code=True, now=services.now()
        )
    queue.run_pending()
    messages = inbox[0].wait(before + 1)
    message = messages[-1]
    assert message["To"] == HOLDER
    assert message["Subject"] == "Your code to add a badge to your wallet"
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    codes = re.findall(r"^(\d{6})\r?$", text, flags=re.MULTILINE)
    assert len(codes) == 1
    with services.session() as db:
        row = db.scalar(select(Notification).where(Notification.kind == "wallet_tx_code"))
        assert row is not None and row.status == "sent"
        assert "secret" not in json.loads(row.context)  # wiped once sent
    client = mail_app.test_client()
    ref = created.offer_url.rsplit("/", 1)[-1]
    offer = client.get(f"/oid4vci/offers/{ref}").get_json()
    token = client.post(
        "/oid4vci/token",
        data={
            "grant_type": PRE_AUTHORIZED_GRANT,
            "pre-authorized_code": offer["grants"][PRE_AUTHORIZED_GRANT]["pre-authorized_code"],
            "tx_code": codes[0],
        },
    )
    assert token.status_code == 200, token.get_json()


def test_the_badge_issued_mail_links_to_add_to_wallet(
    mail_app: Flask, inbox: tuple[Inbox, int]
) -> None:
    services = get_services(mail_app)
    with services.session() as db:
        badge = issue_credential(
            db, services, IssueRequest("incident-response-l2", HOLDER), now=services.now()
        ).id
    queue_for(services).run_pending()
    message = inbox[0].wait(1)[-1]
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert f"/passport/badges/{badge}/wallet" in text
    assert "openid-credential-offer" not in text  # a page that makes offers, not an offer
