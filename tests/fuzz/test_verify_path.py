"""Fuzzing the whole verify path with really signed inputs (issue #15, "What to build" 2).

The inputs are valid-shaped and signed with fresh did:key keys (:mod:`tests.fuzz.signed`):
badges with endorsements at every level they may sit and nested past the verifier's limits,
``endorsementJwt`` strings, CLRs in their VC 2.0, VC 1.1 and VC-JWT forms, presentations (Data
Integrity, signed or not, and VP-JWTs) and passport exports of badges and CLRs, baked PNG and
SVG carriers, benign deviations from the OB 3.0 data model, and — in half the examples — one
node mutated after it was signed. Contract, for :func:`verifier.inputs.verify_any`:

* it never raises; the report is a :class:`~verifier.containers.ContainerReport` whose
  ``to_dict()`` is JSON, every check status is ``passed`` / ``failed`` / ``could_not_check``, and
  every credential whose signature was checked has a ``conformance`` check that ran;
* an unmutated input verifies — unless the caller's challenge or domain is not the one the
  holder signed, or endorsements nest past the model's bound — with its deviations noted under
  ``conformance``;
* a mutation that changed what a checked node's signature covers is never ``verified``
  (a no-op — the same signed data, RDF-equal — or a change to a part nobody signed decides
  nothing here).

The same inputs go through ``POST /api/v1/verify`` (no 5xx, the same verdict) and
``passport verify`` (no traceback, the same verdicts).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import pytest
from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st

from keys import generate_key
from verifier import KeyResolver, Verifier
from verifier.canonical import Canonicalizer
from verifier.containers import ContainerReport
from verifier.inputs import verify_any
from verifier.report import CHECK_IDS, Report

from .conftest import NOW
from .signed import Deviation, Forge, Keys, Mutation, badge_plans, baked, member
from .strategies import FUZZ_SLOW

Family = Literal["badge", "baked", "clr", "presentation"]
FAMILIES: tuple[Family, ...] = ("badge", "baked", "clr", "presentation")
STATUSES = frozenset({"passed", "failed", "could_not_check"})
CHALLENGE, DOMAIN = "c-8f1c2e7a", "https://hiring.example"
CANONICALIZER = Canonicalizer()
#: Each family this often (about two seconds a family on a laptop core).
VERIFY_PATH = settings(FUZZ_SLOW, max_examples=100)
#: Through the web app and its database: a few per family.
THROUGH_API = settings(FUZZ_SLOW, max_examples=4)
#: The conformance notes each benign deviation of a lone badge must get: (path, code).
NOTES: dict[Deviation, tuple[str, str]] = {
    "issuer_image": ("$.issuer.image", "image_not_object"),
    "achievement_image": ("$.credentialSubject.achievement.image", "image_not_object"),
    "achievement_type": (
        "$.credentialSubject.achievement.achievementType",
        "achievement_type_not_ext",
    ),
    "subject_without_id": ("$.credentialSubject", "no_subject_identifier"),
}
PASSPORT = str(Path(sys.executable).parent / "passport")


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys(
        ed=(generate_key("EdDSA"), generate_key("EdDSA")),
        jwt=(generate_key("ES256"), generate_key("EdDSA")),
        holder=generate_key("EdDSA"),
    )


@pytest.fixture(scope="module")
def did_key_verifier() -> Verifier:
    """Resolves did:key locally; knows no issuer (so ``issuer`` is unknown, never a failure)."""
    return Verifier(KeyResolver(), canonicalizer=CANONICALIZER)


@dataclass(frozen=True, slots=True)
class Case:
    """One input, what the caller asks, and the verdict it must get (None: not decided here)."""

    data: bytes | str
    challenge: str | None
    domain: str | None
    expected: bool | None
    mutation: Mutation | None
    what: str
    #: (path, code) of the conformance notes a lone, unmutated badge must carry.
    notes: frozenset[tuple[str, str]] = frozenset()


# -- building the cases -------------------------------------------------------------------------

Asked = tuple[str | None, str | None]


def _members(forge: Forge, data: st.DataObject, *, clrs: bool, vc2_only: bool) -> list[Any]:
    """One to three credentials for a container: badges in both forms, maybe CLRs."""
    kinds = ["badge"] + (["clr"] if clrs else [])
    items: list[Any] = []
    for _ in range(data.draw(st.integers(1, 3), label="members")):
        shape = data.draw(st.sampled_from(["as_is", "enveloped"]), label="shape")
        if data.draw(st.sampled_from(kinds), label="member kind") == "clr":
            forms = ["vc2", "jwt"] if vc2_only else ["vc2", "vc11", "jwt"]
            form = data.draw(st.sampled_from(forms), label="clr form")
            if form == "vc11":
                inner = [forge.badge_vc11()]
            else:
                inner = [member(forge.badge(data.draw(badge_plans())), shape=shape)]
            items.append(member(forge.clr(inner, form=form), shape=shape))  # type: ignore[arg-type]
        else:
            items.append(member(forge.badge(data.draw(badge_plans(), label="badge")), shape=shape))
    return items


def _serialised(value: dict[str, Any] | str) -> bytes | str:
    return value if isinstance(value, str) else json.dumps(value).encode()


def _asked(data: st.DataObject, signed: Asked) -> Asked:
    """What the caller asks for: nothing, what the holder signed, or something else."""
    how = data.draw(st.sampled_from(["nothing", "signed", "signed", "other"]), label="asked")
    if how == "nothing":
        return None, None
    if how == "signed":
        return signed
    return (
        data.draw(st.sampled_from([None, CHALLENGE, "c-other"]), label="asked challenge"),
        data.draw(st.sampled_from([None, DOMAIN, "https://other.example"]), label="asked domain"),
    )


def build_case(
    family: Family, keys: Keys, data: st.DataObject, *, now: datetime, asked: Asked | None = None
) -> Case:
    """One input of ``family``; ``asked`` fixes the caller's challenge and domain (else drawn)."""
    mutate = data.draw(st.booleans(), label="mutate")
    target = data.draw(st.integers(0, 7), label="target") if mutate else None
    forge = Forge(keys, data, now, CANONICALIZER, target=target)
    expected: bool | None = True
    notes: frozenset[tuple[str, str]] = frozenset()
    signed: Asked = (None, None)
    presented = False  # a presentation, which the caller's challenge and domain apply to
    unbound = False  # a container nothing binds to the caller's request
    if family in ("badge", "baked") and data.draw(st.booleans(), label="lone badge"):
        plan = data.draw(badge_plans(), label="badge")
        value: Any = forge.badge(plan)
        notes = frozenset(NOTES[d] for d in plan.deviations)
        what = "badge"
    elif family in ("badge", "baked"):
        form = data.draw(st.sampled_from(["vc2", "jwt"]), label="clr form")
        badges = [member(forge.badge(data.draw(badge_plans())), shape="enveloped")]
        value = forge.clr(badges, form=form)
        what = f"CLR ({form})"
    elif family == "clr":
        form = data.draw(st.sampled_from(["vc2", "vc11", "jwt"]), label="clr form")
        if form == "vc11":
            members = [forge.badge_vc11() for _ in range(data.draw(st.integers(1, 2)))]
        else:
            members = _members(forge, data, clrs=True, vc2_only=True)
        value = forge.clr(members, form=form)
        what = f"CLR ({form})"
    else:
        kind = data.draw(st.sampled_from(["di", "unsigned", "vc11-jwt", "jose-jwt", "export"]))
        members = _members(forge, data, clrs=True, vc2_only=kind in ("di", "unsigned", "jose-jwt"))
        signed = (
            data.draw(st.sampled_from([None, CHALLENGE]), label="signed challenge"),
            data.draw(st.sampled_from([None, DOMAIN]), label="signed domain"),
        )
        what = f"presentation ({kind})"
        if kind in ("di", "unsigned"):
            value = forge.presentation(
                members, signed=kind == "di", challenge=signed[0], domain=signed[1]
            )
        elif kind == "export":
            value = forge.export(members)
        else:
            if kind == "jose-jwt":
                signed = (signed[0], None)  # the VC-JOSE payload has no audience here
            style: Literal["vc11", "jose"] = "vc11" if kind == "vc11-jwt" else "jose"
            value = forge.presentation_jwt(
                members, style=style, challenge=signed[0], domain=signed[1]
            )
        presented = True
        unbound = kind in ("unsigned", "export")
    if family == "baked":
        carrier = data.draw(st.sampled_from(["png", "svg"]), label="carrier")
        payload: bytes | str = baked(value, carrier=carrier, clr="CLR" in what)
        what += f" baked in {carrier}"
    else:
        payload = _serialised(value)
    challenge, domain = asked if asked is not None else _asked(data, signed)
    if not presented:
        pass  # a challenge means nothing to a credential handed over alone
    elif unbound:
        if challenge is not None or domain is not None:
            expected = None  # the library says "unsigned"; the verify page's request refuses it
    elif (challenge is not None and challenge != signed[0]) or (
        domain is not None and domain != signed[1]
    ):
        expected = False
    if forge.too_deep:
        expected = False  # endorsements nested past the model's bound: a schema failure
    mutation = forge.mutation
    if mutation is not None:
        expected = False if mutation.effective and mutation.checked else None
        what += f"; mutated {mutation.node}"
    if expected is not True:
        notes = frozenset()  # only a credential that was read and verified is reviewed
    return Case(payload, challenge, domain, expected, mutation, what, notes)


# -- the properties -----------------------------------------------------------------------------


def _reports(report: Report) -> list[Report]:
    """A credential's report and its endorsements' reports, all the way down."""
    found = [report]
    for child in report.children:
        found.extend(_reports(child))
    return found


def assert_sound(outcome: object, case: Case) -> None:
    assert isinstance(outcome, ContainerReport), case.what
    body = outcome.to_dict()
    json.dumps(body, allow_nan=False)
    assert isinstance(body["verified"], bool)
    assert len(outcome.labels) == len(outcome.credentials), case.what
    for line in outcome.checks:
        assert line.status in STATUSES, (case.what, line)
    reports = [*outcome.credentials, *([outcome.outer] if outcome.outer is not None else [])]
    for report in (r for top in reports for r in _reports(top)):
        ids = [c.id for c in report.checks]
        assert ids == [i for i in CHECK_IDS if i != "recipient"], (case.what, ids)
        for check in report.checks:
            assert check.status in STATUSES, (case.what, check)
        signature = report.check("signature")
        conformance = report.check("conformance")
        assert signature is not None and conformance is not None
        if signature.status == "passed":
            # In every report of a credential whose signature was checked, and it ran.
            assert conformance.code != "not_checked", (case.what, report.to_dict())
        if report.verified:
            assert signature.status == "passed", (case.what, report.to_dict())
    if case.expected is not None:
        assert outcome.verified is case.expected, (case.what, body)
    if case.notes:
        (report,) = outcome.credentials
        found = {(d.path, d.code) for d in report.deviations}
        assert case.notes <= found, (case.what, found)
        assert report.with_notes, case.what


@pytest.mark.parametrize("family", FAMILIES)
@VERIFY_PATH
@given(data=st.data())
def test_verify_any_on_signed_inputs(
    family: Family, keys: Keys, did_key_verifier: Verifier, data: st.DataObject
) -> None:
    case = build_case(family, keys, data, now=NOW)
    outcome = verify_any(
        did_key_verifier, case.data, now=NOW, challenge=case.challenge, domain=case.domain
    )
    assert_sound(outcome, case)


# -- the same inputs through the API and the CLI --------------------------------------------------


def _post(client: FlaskClient, case: Case) -> Any:
    query = {k: v for k, v in (("challenge", case.challenge), ("domain", case.domain)) if v}
    url = "/api/v1/verify"
    if isinstance(case.data, str):
        return client.post(url, query_string=query, data=case.data, content_type="application/jwt")
    if case.data[:1] == b"{":
        return client.post(url, query_string=query, data=case.data, content_type="application/json")
    name = "badge.png" if case.data[1:4] == b"PNG" else "badge.svg"
    return client.post(
        url,
        query_string=query,
        data={"file": (io.BytesIO(case.data), name)},
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize("family", FAMILIES)
@THROUGH_API
@given(data=st.data())
def test_the_api_answers_every_signed_input(
    family: Family, keys: Keys, client: FlaskClient, data: st.DataObject
) -> None:
    # The service verifies at its own clock: sign for now.
    case = build_case(family, keys, data, now=datetime.now(UTC))
    response = _post(client, case)
    assert response.status_code == 200, (case.what, response.status_code, response.data[:500])
    body = response.get_json()
    assert isinstance(body["verified"], bool)
    if case.expected is not None:
        assert body["verified"] is case.expected, (case.what, body)


@settings(THROUGH_API, max_examples=1)
@given(data=st.data())
def test_passport_verify_never_prints_a_traceback(
    keys: Keys, tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    """Two inputs of each family in one ``passport verify`` run (no instance, offline)."""
    folder = tmp_path_factory.mktemp("verify-path")
    cases = [
        build_case(family, keys, data, now=NOW, asked=(CHALLENGE, DOMAIN))
        for family in FAMILIES
        for _ in range(2)
    ]
    files = []
    for n, case in enumerate(cases):
        path = folder / f"input-{n}"
        path.write_bytes(case.data.encode() if isinstance(case.data, str) else case.data)
        files.append(str(path))
    env = {**os.environ, "PASSPORT_INSTANCE_PATH": str(folder / "no-instance")}
    for name in ("PASSPORT_ENV", "PASSPORT_DATABASE_URL"):
        env.pop(name, None)
    now = NOW.isoformat().replace("+00:00", "Z")
    command = [PASSPORT, "verify", "--offline", "--json", "--now", now]
    command += ["--challenge", CHALLENGE, "--domain", DOMAIN, *files]
    result = subprocess.run(command, env=env, capture_output=True, timeout=120, check=False)
    stderr = result.stderr.decode("utf-8", "replace")
    assert "Traceback" not in stderr, stderr
    assert result.returncode in (0, 1, 2), stderr
    outcomes = json.loads(result.stdout)
    assert [o["source"] for o in outcomes] == files
    for case, outcome in zip(cases, outcomes, strict=True):
        if case.expected is not None:
            assert outcome["verified"] is case.expected, (case.what, outcome)
