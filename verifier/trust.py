"""The verifier's trust list: which issuers a deployment (or an offline verifier) vouches for.

The ``issuer`` check of a report asks "do we know who this is?". A valid signature only proves
that whoever controls the issuer's key signed the badge; whether that issuer is one to take
seriously is a policy decision, written down in a trust list (see ``docs/trust-list.md``)::

    {
      "name": "Acme hiring",
      "issuers": [{"id": "did:web:academy.example", "name": "Academy", "note": "contract 42"}],
      "registries": [
        {"name": "Regional skills registry", "url": "https://registry.example/list",
         "issuers": [{"id": "https://college.example/issuer", "name": "College"}]}
      ]
    }

Loading is strict — unknown members, ids that are neither a DID nor an https URL, and the same
id listed twice in one place are refused with a :class:`~verifier.errors.TrustListError` naming
the spot — because a typo in a trust list silently turns trusted issuers into unknown ones (or,
worse, trusts the wrong one). Issuer ids are matched exactly, as the credential states them.
A registry is read from the file, never fetched: whoever runs the verifier decides what it says.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from verifier.errors import TrustListError, VerificationError
from verifier.jsonparse import parse_json

__all__ = [
    "MAX_TRUST_LIST_BYTES",
    "TrustList",
    "TrustedIssuer",
    "load_trust_list",
    "parse_trust_list",
]

#: A list of a few thousand issuers is a few hundred kilobytes.
MAX_TRUST_LIST_BYTES: Final = 4 * 1024 * 1024
_MAX_TEXT: Final = 500
_TOP_KEYS: Final = frozenset({"name", "issuers", "registries"})
_REGISTRY_KEYS: Final = frozenset({"name", "url", "issuers"})
_ISSUER_KEYS: Final = frozenset({"id", "name", "note"})
# DID Core §3.1 syntax: did:<method-name>:<method-specific-id>; no fragment or query on an issuer.
_DID: Final = re.compile(r"did:[a-z0-9]+:[A-Za-z0-9._:%-]*[A-Za-z0-9._%-]")


@dataclass(frozen=True, slots=True)
class TrustedIssuer:
    """One entry: an issuer id, how the list names it, and where it was listed."""

    id: str
    name: str | None = None
    note: str | None = None
    #: The registry that lists it, or None when the trust list names it directly.
    registry: str | None = None

    def source(self, list_name: str | None) -> str:
        """Where the entry comes from, as a phrase: 'the trust list "X"', 'registry "R"'."""
        listed = f'the trust list "{list_name}"' if list_name else "this service's trust list"
        if self.registry is None:
            return listed
        return f'the registry "{self.registry}" in {listed}'


@dataclass(frozen=True, slots=True)
class TrustList:
    """Trusted issuers by id. Build it with :func:`parse_trust_list` / :func:`load_trust_list`."""

    name: str | None
    entries: tuple[TrustedIssuer, ...]
    _by_id: dict[str, TrustedIssuer] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_id: dict[str, TrustedIssuer] = {}
        for entry in self.entries:
            by_id.setdefault(entry.id, entry)  # listed twice (two registries): the first counts
        object.__setattr__(self, "_by_id", by_id)

    def lookup(self, issuer_id: str) -> TrustedIssuer | None:
        """The entry for ``issuer_id`` (exact match), or None when it is not listed."""
        return self._by_id.get(issuer_id)

    def __len__(self) -> int:
        return len(self._by_id)


def load_trust_list(path: str | Path) -> TrustList:
    """Read and parse the trust list file at ``path``.

    Raises :class:`~verifier.errors.TrustListError` (code ``trust_list_unreadable`` when the
    file cannot be read, otherwise as :func:`parse_trust_list`).
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TrustListError(
            f"The trust list {path.name} cannot be read ({exc.strerror or exc}).",
            code="trust_list_unreadable",
            hint=str(path),
        ) from exc
    return parse_trust_list(data)


def parse_trust_list(data: bytes | str | Mapping[str, Any]) -> TrustList:
    """Parse a trust list document (JSON text or already parsed) into a :class:`TrustList`.

    Raises :class:`~verifier.errors.TrustListError`: ``trust_list_bad_json`` (not JSON, too
    large or too deep), ``trust_list_invalid`` (wrong shape or unknown member),
    ``trust_list_bad_id`` (an id that is neither a DID nor an https URL) or
    ``trust_list_duplicate`` (the same id twice in one ``issuers`` list).
    """
    if isinstance(data, Mapping):
        document: Any = data
    else:
        try:
            document = parse_json(
                data, max_bytes=MAX_TRUST_LIST_BYTES, max_depth=8, what="trust list"
            )
        except VerificationError as exc:
            raise TrustListError(exc.message, code="trust_list_bad_json") from exc
    top = _object(document, "the trust list", _TOP_KEYS)
    if "issuers" not in top and "registries" not in top:
        raise TrustListError(
            "The trust list has neither 'issuers' nor 'registries'.",
            hint='Expected {"issuers": [{"id": "did:web:…", "name": "…"}], "registries": […]}.',
        )
    entries = list(_issuers(top.get("issuers", []), "issuers", registry=None))
    registries = _list(top.get("registries", []), "registries")
    seen_registries: set[str] = set()
    for n, item in enumerate(registries):
        where = f"registries[{n}]"
        registry = _object(item, where, _REGISTRY_KEYS)
        name = _text(registry.get("name"), f"{where}.name", required=True)
        assert name is not None
        if name in seen_registries:
            raise TrustListError(
                f'Two registries are called "{name}" in the trust list.',
                code="trust_list_duplicate",
                hint=where,
            )
        seen_registries.add(name)
        url = registry.get("url")
        if url is not None and not (isinstance(url, str) and _is_https_url(url)):
            raise TrustListError(
                f"The trust list's {where}.url is not an https URL.", code="trust_list_bad_id"
            )
        if "issuers" not in registry:
            raise TrustListError(f"The trust list's {where} has no 'issuers'.")
        entries.extend(_issuers(registry["issuers"], f"{where}.issuers", registry=name))
    return TrustList(name=_text(top.get("name"), "name"), entries=tuple(entries))


def _issuers(value: Any, where: str, *, registry: str | None) -> list[TrustedIssuer]:
    out: list[TrustedIssuer] = []
    seen: set[str] = set()
    for n, item in enumerate(_list(value, where)):
        spot = f"{where}[{n}]"
        entry = _object(item, spot, _ISSUER_KEYS)
        ident = entry.get("id")
        if not isinstance(ident, str) or not ident:
            raise TrustListError(f"The trust list's {spot} has no 'id' string.", hint=spot)
        if not (_DID.fullmatch(ident) or _is_https_url(ident)):
            raise TrustListError(
                f"The trust list's {spot}.id is neither a DID nor an https URL.",
                code="trust_list_bad_id",
                hint=f"{spot}.id = {ident[:120]!r}",
            )
        if ident in seen:
            raise TrustListError(
                f"The trust list names the issuer {ident} twice in {where}.",
                code="trust_list_duplicate",
                hint=spot,
            )
        seen.add(ident)
        out.append(
            TrustedIssuer(
                id=ident,
                name=_text(entry.get("name"), f"{spot}.name"),
                note=_text(entry.get("note"), f"{spot}.note"),
                registry=registry,
            )
        )
    return out


def _object(value: Any, where: str, allowed: frozenset[str]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise TrustListError(f"The trust list's {where} is not a JSON object.", hint=where)
    unknown = sorted(str(k) for k in value if k not in allowed)
    if unknown:
        raise TrustListError(
            f"The trust list's {where} has members it may not have: {', '.join(unknown)}.",
            hint=f"Allowed in {where}: {', '.join(sorted(allowed))}.",
        )
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise TrustListError(f"The trust list's {where} is not a list.", hint=where)
    return value


def _text(value: Any, where: str, *, required: bool = False) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > _MAX_TEXT:
        raise TrustListError(
            f"The trust list's {where} must be a non-empty text of at most {_MAX_TEXT} characters.",
            hint=where,
        )
    return value.strip()


def _is_https_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return False
    return (
        parts.scheme == "https"
        and bool(parts.hostname)
        and not parts.username
        and not parts.password
        and not parts.fragment
        and value == value.strip()
        and " " not in value
    )
