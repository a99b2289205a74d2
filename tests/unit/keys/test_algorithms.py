"""Tests for keys.algorithms: the one allow-list and how configuration may narrow it."""

from __future__ import annotations

import pytest

from keys import ALLOWED_ALGORITHMS, MIN_RSA_BITS, UnsupportedAlgorithm, check_algorithm


def test_allow_list_is_the_contract() -> None:
    assert ALLOWED_ALGORITHMS == ("EdDSA", "ES256", "ES384", "RS256")
    assert MIN_RSA_BITS == 2048


@pytest.mark.parametrize("alg", ALLOWED_ALGORITHMS)
def test_allowed_algorithms_pass(alg: str) -> None:
    assert check_algorithm(alg) == alg


@pytest.mark.parametrize(
    "alg", ["none", "None", "HS256", "RS512", "PS256", "ES512", "Ed25519", "eddsa", "", " ES256"]
)
def test_other_names_are_refused(alg: str) -> None:
    with pytest.raises(UnsupportedAlgorithm) as info:
        check_algorithm(alg)
    assert info.value.code == "unsupported_algorithm"


@pytest.mark.parametrize("alg", [None, 256, b"ES256", ["ES256"], {"alg": "ES256"}])
def test_non_strings_are_refused(alg: object) -> None:
    with pytest.raises(UnsupportedAlgorithm):
        check_algorithm(alg)


def test_configuration_narrows() -> None:
    assert check_algorithm("EdDSA", ("EdDSA",)) == "EdDSA"
    with pytest.raises(UnsupportedAlgorithm):
        check_algorithm("RS256", ("EdDSA", "ES256"))


def test_configuration_never_widens() -> None:
    with pytest.raises(UnsupportedAlgorithm):
        check_algorithm("HS256", ("HS256", "EdDSA"))
    with pytest.raises(UnsupportedAlgorithm):
        check_algorithm("none", {"none"})


def test_a_bare_string_is_one_name_not_a_set_of_substrings() -> None:
    assert check_algorithm("ES256", "ES256") == "ES256"
    with pytest.raises(UnsupportedAlgorithm):
        check_algorithm("ES256", "EdDSA,ES256")


def test_message_is_bounded() -> None:
    with pytest.raises(UnsupportedAlgorithm) as info:
        check_algorithm("X" * 10_000)
    assert len(info.value.message) < 100
