"""The trust list: strict loading, and the issuer check it decides (trusted / unknown)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from keys import SigningKey
from verifier import KeyResolver, Verifier
from verifier.errors import ConfigurationError, TrustListError, VerificationError
from verifier.trust import TrustList, load_trust_list, parse_trust_list

from .conftest import ISSUER, NOW

LIST: dict[str, Any] = {
    "name": "Acme hiring",
    "issuers": [{"id": ISSUER, "name": "Example Org (vetted)", "note": "contract 42"}],
    "registries": [
        {
            "name": "Regional skills registry",
            "url": "https://registry.example/list.json",
            "issuers": [
                {"id": "https://college.example/issuer", "name": "College"},
                {"id": ISSUER},
            ],
        }
    ],
}


def test_a_list_loads_from_a_file_and_finds_entries(tmp_path: Path) -> None:
    path = tmp_path / "trust.json"
    path.write_text(json.dumps(LIST))
    trust = load_trust_list(path)
    assert trust.name == "Acme hiring"
    assert len(trust) == 2
    direct = trust.lookup(ISSUER)
    assert direct is not None and direct.registry is None  # the first listing counts
    assert direct.name == "Example Org (vetted)" and direct.note == "contract 42"
    college = trust.lookup("https://college.example/issuer")
    assert college is not None and college.registry == "Regional skills registry"
    assert "Regional skills registry" in college.source(trust.name)
    assert trust.lookup("https://college.example/issuer/") is None  # exact match only
    assert trust.lookup("did:web:other.example") is None


def test_an_empty_list_trusts_nobody() -> None:
    assert len(parse_trust_list(b'{"issuers": []}')) == 0


@pytest.mark.parametrize(
    ("document", "code", "where"),
    [
        (b"not json", "trust_list_bad_json", ""),
        (b"[]", "trust_list_invalid", "not a JSON object"),
        (b"{}", "trust_list_invalid", "neither"),
        ({"issuer": [{"id": ISSUER}]}, "trust_list_invalid", "issuer"),  # a typo of issuers
        ({"issuers": {"id": ISSUER}}, "trust_list_invalid", "not a list"),
        ({"issuers": [ISSUER]}, "trust_list_invalid", "issuers[0]"),
        ({"issuers": [{"name": "x"}]}, "trust_list_invalid", "'id'"),
        ({"issuers": [{"id": ISSUER, "trusted": True}]}, "trust_list_invalid", "trusted"),
        ({"issuers": [{"id": ISSUER, "name": ""}]}, "trust_list_invalid", "issuers[0].name"),
        ({"issuers": [{"id": "http://plain.example"}]}, "trust_list_bad_id", "issuers[0].id"),
        ({"issuers": [{"id": "example.org"}]}, "trust_list_bad_id", "neither"),
        ({"issuers": [{"id": "did:web:x.example#key-1"}]}, "trust_list_bad_id", "DID"),
        ({"issuers": [{"id": "https://u:p@x.example"}]}, "trust_list_bad_id", "https"),
        ({"issuers": [{"id": "https://x.example:port"}]}, "trust_list_bad_id", "https"),
        (
            {"issuers": [{"id": ISSUER}, {"id": ISSUER, "name": "again"}]},
            "trust_list_duplicate",
            "twice",
        ),
        ({"registries": [{"issuers": []}]}, "trust_list_invalid", "registries[0].name"),
        ({"registries": [{"name": "R"}]}, "trust_list_invalid", "no 'issuers'"),
        (
            {"registries": [{"name": "R", "url": "ftp://r.example", "issuers": []}]},
            "trust_list_bad_id",
            "url",
        ),
        (
            {"registries": [{"name": "R", "issuers": []}, {"name": "R", "issuers": []}]},
            "trust_list_duplicate",
            "Two registries",
        ),
        (
            {"registries": [{"name": "R", "issuers": [{"id": "did:key"}]}]},
            "trust_list_bad_id",
            "registries[0].issuers[0].id",
        ),
    ],
)
def test_malformed_lists_are_refused_with_a_stable_code(
    document: Any, code: str, where: str
) -> None:
    with pytest.raises(TrustListError) as caught:
        parse_trust_list(document)
    assert caught.value.code == code
    # The operator's configuration, not a credential: never a report line or a "bad input".
    assert isinstance(caught.value, ConfigurationError)
    assert not isinstance(caught.value, VerificationError)
    assert where in caught.value.message + (caught.value.hint or "")


def test_a_missing_file_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(TrustListError) as caught:
        load_trust_list(tmp_path / "nope.json")
    assert caught.value.code == "trust_list_unreadable"


def _issuer_check(verifier: Verifier, data: Any) -> tuple[str, str, str]:
    check = verifier.report(data, now=NOW).check("issuer")
    assert check is not None
    return check.status, check.code, check.message


@pytest.fixture
def foreign_verifier(did_document: dict[str, Any]) -> Callable[[TrustList | None], Verifier]:
    """A verifier that can resolve ISSUER's keys but does not host it (no known_issuers)."""

    def make(trust: TrustList | None) -> Verifier:
        return Verifier(KeyResolver(documents={ISSUER: did_document}), trust_list=trust)

    return make


def test_a_listed_issuer_is_trusted_naming_the_entry(
    foreign_verifier: Callable[[TrustList | None], Verifier], token: Callable[..., str]
) -> None:
    verifier = foreign_verifier(parse_trust_list(LIST))
    status, code, message = _issuer_check(verifier, token())
    assert (status, code) == ("passed", "issuer_trusted")
    assert "Example Org (vetted)" in message and "Acme hiring" in message
    report = verifier.report(token(), now=NOW)
    assert report.verified is True
    hint = report.check("issuer").hint  # type: ignore[union-attr]
    assert hint is not None and ISSUER in hint and "contract 42" in hint


def test_an_issuer_listed_only_in_a_registry_names_the_registry(
    foreign_verifier: Callable[[TrustList | None], Verifier], token: Callable[..., str]
) -> None:
    trust = parse_trust_list(
        {"registries": [{"name": "Regional skills registry", "issuers": [{"id": ISSUER}]}]}
    )
    status, code, message = _issuer_check(foreign_verifier(trust), token())
    assert (status, code) == ("passed", "issuer_trusted")
    assert 'registry "Regional skills registry"' in message
    assert "Example Org" in message  # no name in the list: the credential's own


def test_an_unlisted_issuer_is_unknown_never_good(
    foreign_verifier: Callable[[TrustList | None], Verifier], token: Callable[..., str]
) -> None:
    others = parse_trust_list({"issuers": [{"id": "did:web:someone-else.example"}]})
    for trust in (None, others):
        verifier = foreign_verifier(trust)
        assert _issuer_check(verifier, token())[:2] == ("could_not_check", "issuer_unknown")
        # Trust is advisory (``verified`` keeps meaning "proof, model and dates hold", see
        # verifier.report), but the check is shown as unknown, never as passed.


def test_our_own_issuers_stay_known_beside_a_trust_list(
    did_document: dict[str, Any], token: Callable[..., str]
) -> None:
    verifier = Verifier(
        KeyResolver(documents={ISSUER: did_document}),
        known_issuers=[ISSUER],
        trust_list=parse_trust_list({"issuers": []}),
    )
    assert _issuer_check(verifier, token())[:2] == ("passed", "issuer_known")


def test_a_listed_issuer_with_a_bad_signature_still_fails(
    foreign_verifier: Callable[[TrustList | None], Verifier],
    token: Callable[..., str],
    attacker_key: SigningKey,
) -> None:
    # Trust says who to believe, never that a forged badge is theirs.
    verifier = foreign_verifier(parse_trust_list(LIST))
    forged = token(key=attacker_key, kid=f"{ISSUER}#{attacker_key.kid}")
    report = verifier.report(forged, now=NOW)
    assert report.verified is False
    assert report.check("signature").status == "failed"  # type: ignore[union-attr]
    issuer = report.check("issuer")
    assert issuer is None or issuer.status != "passed"
