"""The verify page, result first (issue #16 items 1 and 2): the verdict sentence, the candidate's
e-mail checked against the recipient, badge cards with their checks in plain words, the form
keeping what was entered, and a fit report that tells the truth."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from passport.accounts.users import create_user
from passport.cohorts.models import Cohort, CohortMember, CohortSkill
from passport.credentials.exports import export_json, holder_credentials
from passport.credentials.issuing import IssueRequest, issue_credential
from passport.credentials.models import IssuedCredential
from passport.credentials.status import change_status
from passport.instance.demo import load_demo
from passport.services import Services
from passport.sharing.links import create_share_link
from tests.functional.test_verify_share_links import _page  # the /verify form, submitted
from tests.functional.test_verify_trust import (  # noqa: F401 - fixtures
    foreign_badge,
    foreign_did,
    foreign_key,
)

LEARNER = "grace.h@example.com"
ADA = "ada.lovelace@demo.example"
PASSWORD = "a long enough test password"


def _verdict(page: str) -> str:
    """The text of the verdict element, tags dropped, spaces squeezed."""
    match = re.search(r'<div id="verdict"[^>]*>(.*?)</div>', page, re.S)
    assert match is not None, page
    return " ".join(re.sub(r"<[^>]+>", " ", match[1]).split())


@pytest.fixture
def issued(services: Services) -> list[IssuedCredential]:
    with services.session() as session:
        return [
            issue_credential(
                session,
                services,
                IssueRequest(achievement, LEARNER, fmt, recipient_name="Grace Hopper"),
                now=services.now(),
            )
            for achievement, fmt in (("observability-l3", "di"), ("ci-cd-l2", "jwt"))
        ]


@pytest.fixture
def share_url(services: Services, issued: list[IssuedCredential]) -> str:
    with services.session() as session:
        created = create_share_link(
            session,
            holder_id=issued[0].holder_id,
            credential_ids=[c.id for c in issued],
            audience="",
            days=7,
            now=services.now(),
        )
        return f"{services.settings.public_url}/p/{created.token}"


def test_the_verdict_comes_first_and_says_whose_badges_they_are(
    client: FlaskClient, share_url: str
) -> None:
    page = _page(client, credential=share_url, email=f"  {LEARNER.upper()} ")
    verdict = _verdict(page)
    assert verdict.startswith("Verified: 2 of 2 badges from Skill Passport Demo Organisation.")
    assert "Issued to the e-mail you entered." in verdict
    assert "All current: none revoked, suspended or expired." in verdict
    # The verdict comes before any badge card, the form after the result.
    assert page.index('id="verdict"') < page.index("<article class=") < page.index("<form")
    # A live region, focus moved by a same-origin script; no inline script.
    assert 'aria-live="polite"' in page and 'tabindex="-1"' in page
    assert re.search(r'<script src="[^"]*/static/verify\.js" defer></script>', page)
    assert not re.search(r"<script>|<script [^>]*>[^<]+</script>", page)


def test_another_persons_email_fails_the_badges_as_the_api_does(
    client: FlaskClient, share_url: str
) -> None:
    page = _page(client, credential=share_url, email="someone.else@example.com")
    verdict = _verdict(page)
    assert verdict.startswith("Not verified: none of the 2 badges")
    assert "NOT issued to the e-mail you entered." in verdict
    assert page.count('<article class="report bad">') == 2
    assert "Not issued to this person" in page
    api = client.post(
        "/api/v1/verify?recipient=someone.else@example.com",
        data=share_url.encode(),
        content_type="text/plain",
    ).get_json()
    assert api["verified"] is False
    assert {c["checks"][-2]["code"] for c in api["credentials"]} == {"recipient_mismatch"}


def test_without_an_email_the_page_says_no_holder_was_checked(
    client: FlaskClient, share_url: str
) -> None:
    verdict = _verdict(_page(client, credential=share_url))
    assert verdict.startswith("Verified: 2 of 2 badges")
    assert "No holder check: enter the candidate's e-mail to check whose badge this is." in verdict


def test_a_share_link_reads_as_one_and_shows_the_holders_name(
    client: FlaskClient, share_url: str
) -> None:
    page = _page(client, credential=share_url)
    assert "Shared by Grace Hopper through a share link of this service." in _verdict(page)
    assert "<dt>Holder</dt><dd>Grace Hopper</dd>" in page
    assert "About the share link" in page
    assert "Unknown" not in page and "export_unsigned" not in page


def test_cards_show_the_badge_and_fold_the_checks_into_plain_words(
    client: FlaskClient, issued: list[IssuedCredential]
) -> None:
    page = _page(client, credential=issued[0].content.decode())
    card = page[page.index("<article") : page.index("</article>")]
    assert "<h2>Observability — Advanced</h2>" in card
    assert "<dt>Level</dt><dd>3</dd>" in card
    assert "<dt>Issuer</dt><dd>Skill Passport Demo Organisation</dd>" in card
    # Babel's medium date for English pages (passport.web.i18n), e.g. "Dec 6, 2026"
    assert re.search(r"<dt>Issued</dt><dd>[A-Z][a-z]{2} \d{1,2}, \d{4}</dd>", card)
    assert '<details class="vr-checks">' in card
    assert "Signed by Skill Passport Demo Organisation's key." in card
    assert "Not revoked or suspended." in card
    # The codes stay in the JSON API.
    for code in ("signature_valid", "not_revoked", "json_credential", "valid_now"):
        assert code not in page


def test_revoked_and_expired_badges_are_named_in_the_verdict(
    client: FlaskClient, services: Services, issued: list[IssuedCredential]
) -> None:
    with services.session() as session:
        change_status(
            session, services, issued[0].id, "revoke", reason="test", actor="t", now=services.now()
        )
        old = issue_credential(
            session,
            services,
            IssueRequest("observability-l2", LEARNER, "di"),
            now=services.now() - timedelta(days=5 * 365),
        )
        records = holder_credentials(session, LEARNER)
    assert old.id in {r.id for r in records}
    export = export_json(records, holder=LEARNER)
    page = _page(client, file=(io.BytesIO(export), "grace.json"), email=LEARNER)
    verdict = _verdict(page)
    assert verdict.startswith("Only 1 of 3 badges from Skill Passport Demo Organisation verified.")
    assert "1 badge has been revoked." in verdict
    assert "1 badge has expired." in verdict
    assert "All current" not in verdict
    assert ">Revoked: " in page and ">Expired: " in page


def test_the_form_keeps_what_was_entered(client: FlaskClient, share_url: str) -> None:
    page = _page(client, credential=share_url, email=LEARNER, jobFamily="sre")
    assert f'spellcheck="false">{share_url}</textarea>' in page
    assert f'name="email" value="{LEARNER}"' in page
    assert re.search(r'<option value="sre" selected>', page)


def test_a_mistyped_email_is_an_error_at_its_field(client: FlaskClient, share_url: str) -> None:
    page = _page(client, credential=share_url, email="not an address")
    assert 'id="verdict"' not in page
    assert 'role="alert"' in page and '<a href="#email">' in page
    assert 'aria-invalid="true" aria-describedby="email-error"' in page
    assert '<p class="error" id="email-error">Enter the candidate' in page
    assert f">{share_url}</textarea>" in page  # kept for the next try


def test_nothing_pasted_is_an_error_at_the_credential_field(client: FlaskClient) -> None:
    page = _page(client)
    assert 'id="verdict"' not in page
    assert '<a href="#credential">Send the credential as a file' in page
    assert 'aria-describedby="credential-error"' in page


def test_an_unreadable_input_says_why_as_the_verdict(client: FlaskClient) -> None:
    verdict = _verdict(_page(client, credential="{not json"))
    assert verdict.startswith("Not verified: ")
    assert len(verdict) > len("Not verified: ") + 10


# -- The fit report ---------------------------------------------------------------------------


def _ada_export(services: Services) -> bytes:
    with services.session() as session:
        return export_json(holder_credentials(session, ADA), holder=ADA)


def _fit_rows(page: str) -> dict[str, tuple[str, str]]:
    """Skill name → (status, what would close the gap, tags dropped)."""
    rows = re.findall(
        r'<tr class="(met|below|missing)">\s*<td data-label="Skill">([^<]+)</td>(.*?)</tr>',
        page,
        re.S,
    )
    out = {}
    for status, name, rest in rows:
        closing = rest.split('data-label="What would close the gap">', 1)[1]
        out[name] = (status, " ".join(re.sub(r"<[^>]+>", " ", closing).split()))
    return out


def _login(client: FlaskClient, services: Services, email: str, role: str) -> None:
    with services.session() as db:
        create_user(db, email=email, name=email.split("@")[0], role=role, password=PASSWORD)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert csrf is not None
    response = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf[1]}
    )
    assert response.status_code == 302


def test_fit_counts_met_partly_and_missing_and_every_column_has_a_header(
    client: FlaskClient, services: Services
) -> None:
    load_demo(services)
    page = _page(client, file=(io.BytesIO(_ada_export(services)), "ada.json"), jobFamily="sre")
    summary = re.search(r'<p class="vr-fit-summary" id="fit-summary">([^<]+)', page)
    assert summary is not None
    assert summary[1].strip() == (
        "Meets 0 of 6 requirements of Site Reliability Engineering; 3 partly; 3 missing."
    )
    table = page[page.index('<section class="card fit"') :]
    headers = re.findall(r'<th scope="col">([^<]*)</th>', table)
    assert len(headers) == 7 and all(h.strip() for h in headers)
    assert "<th></th>" not in table and '<table class="data stack">' in table


def test_a_cohort_below_the_required_level_or_already_finished_is_not_suggested(
    client: FlaskClient, services: Services
) -> None:
    load_demo(services)
    _login(client, services, "staff.mentor@example.com", "mentor")
    rows = _fit_rows(
        _page(client, file=(io.BytesIO(_ada_export(services)), "ada.json"), jobFamily="sre")
    )
    # SRE asks level 3 of observability: the SRE Foundations cohort (level 2; Ada finished it
    # anyway) does not close it, the level-3 achievement does.
    assert rows["Observability"] == ("below", "Earn the achievement Observability — Advanced")
    assert "SRE Foundations" not in " ".join(text for _, text in rows.values())
    # Staff see the cohort that reaches the level by name.
    assert "Join the cohort Platform Engineering Fast-track" in rows["Kubernetes operations"][1]


def test_a_finished_cohort_is_left_out_an_open_one_at_the_level_suggested(
    client: FlaskClient, services: Services
) -> None:
    load_demo(services)
    today = services.now().date()
    with services.session() as session:
        from passport.accounts.models import User

        ada = session.scalar(select(User).where(User.email == ADA))
        assert ada is not None
        for name, ends, member in (
            ("Observability deep dive — done", today - timedelta(days=3), True),
            ("Observability deep dive — next", today + timedelta(days=60), False),
        ):
            cohort = Cohort(name=name, starts_on=date(2026, 1, 5), ends_on=ends)
            cohort.target_skills.append(CohortSkill(achievement_id="observability-l3"))
            if member:
                cohort.members.append(CohortMember(user_id=ada.id, role="learner"))
            session.add(cohort)
    _login(client, services, "staff.admin@example.com", "admin")
    rows = _fit_rows(
        _page(client, file=(io.BytesIO(_ada_export(services)), "ada.json"), jobFamily="sre")
    )
    status, closing = rows["Observability"]
    assert status == "below"
    assert "Join the cohort Observability deep dive — next" in closing
    assert "— done" not in closing


def test_an_achievement_the_person_already_holds_is_not_suggested(
    client: FlaskClient, services: Services
) -> None:
    load_demo(services)
    with services.session() as session:
        export = export_json(holder_credentials(session, ADA), holder=ADA)
        # Ada earns observability at level 3 after making the export she hands over.
        issue_credential(
            session, services, IssueRequest("observability-l3", ADA, "di"), now=services.now()
        )
    # An anonymous viewer learns nothing beyond the export: what else Ada holds is hers to
    # share (comparing suggestions for two inputs would otherwise reveal it).
    rows = _fit_rows(_page(client, file=(io.BytesIO(export), "ada.json"), jobFamily="sre"))
    assert rows["Observability"][1] == "Earn the achievement Observability — Advanced"
    anonymous_by_email = _fit_rows(
        _page(client, credential='{"not": "a badge"}', email=ADA, jobFamily="sre")
    )
    assert anonymous_by_email["Observability"][1].startswith("Earn the achievement")
    # Staff of the organisation see her record: no achievement she already holds.
    _login(client, services, "staff.viewer@example.com", "assessor")
    rows = _fit_rows(_page(client, file=(io.BytesIO(export), "ada.json"), jobFamily="sre"))
    assert rows["Observability"] == ("below", "—")
    assert rows["Incident response"][1] == "Earn the achievement Incident response — Advanced"


def test_anonymous_viewers_never_see_internal_cohort_names(
    client: FlaskClient, services: Services
) -> None:
    load_demo(services)
    page = _page(client, file=(io.BytesIO(_ada_export(services)), "ada.json"), jobFamily="sre")
    rows = _fit_rows(page)
    assert "An internal cohort is available." in rows["Kubernetes operations"][1]
    assert "Fast-track" not in page and "SRE Foundations" not in page
    # A learner signed in is not staff either.
    _login(client, services, "a.learner@example.com", "learner")
    page = _page(client, file=(io.BytesIO(_ada_export(services)), "ada.json"), jobFamily="sre")
    assert "Fast-track" not in page


def test_the_presentation_request_page_shares_the_container_checks(client: FlaskClient) -> None:
    # Both pages render the same include; the request page keeps its codes.
    from pathlib import Path

    templates = Path(__file__).parents[2] / "passport" / "web" / "templates"
    for name in ("verify.html", "verify_request.html"):
        source = (templates / name).read_text("utf-8")
        assert '{% include "_container_checks.html" %}' in source
        assert '<ol class="checks">' not in source


def test_bad_job_family_input_is_an_error_at_its_field_not_a_failure(
    client: FlaskClient, share_url: str
) -> None:
    page = _page(client, credential=share_url, jobFamily="no-such-family")
    assert 'id="verdict"' in page  # the badges are still verified
    assert '<a href="#jobFamily">No job family with that id.</a>' in page
    assert 'aria-describedby="jobFamily-error"' in page
    page = _page(
        client,
        credential=share_url,
        jobFamilyFile=(io.BytesIO(b'{"requirements": "no"}'), "family.json"),
    )
    assert '<a href="#jobFamilyFile">The job family must be a JSON object' in page
    assert 'aria-describedby="jobFamilyFile-error"' in page


def test_an_issuer_this_service_does_not_know_is_said_to_be_a_claim(
    client: FlaskClient,
    foreign_badge: dict[str, Any],  # noqa: F811 - the fixture
) -> None:
    import json

    page = _page(client, credential=json.dumps(foreign_badge))
    verdict = _verdict(page)
    assert verdict.startswith("Verified: 1 of 1 badge from Elsewhere Academy.")
    assert (
        "1 badge is from an issuer this service does not know: the issuer's name is its own "
        "claim." in verdict
    )
    assert "Elsewhere Academy is not on this service's list of known issuers." in page


def test_a_clr_for_someone_else_is_not_verified_on_its_own_card_either(
    client: FlaskClient, services: Services
) -> None:
    """Found by a security review: the CLR's own card said "Verified" for a mismatched e-mail
    (only its badges were checked against it)."""
    from passport.credentials.exports import export_clr, select_credentials
    from passport.credentials.holders import find_holder

    load_demo(services)
    with services.session() as session:
        holder = find_holder(session, ADA)
        clr = export_clr(services, session, holder, select_credentials(session, holder))
    for email, verified in ((ADA, True), ("bob@example.org", False)):
        page = _page(client, file=(io.BytesIO(clr), "ada.clr.json"), email=email)
        cards = re.findall(r'<p class="vr-state (ok|bad)">', page)
        assert cards, page[:500]
        assert cards[0] == ("ok" if verified else "bad"), (email, cards)
        assert all(state == ("ok" if verified else "bad") for state in cards), (email, cards)
