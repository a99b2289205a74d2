"""did:web identifiers, the DID documents we publish, and key lookup in fetched documents.

Implements the did:web method (W3C CCG did:web spec: §3.1 method-specific identifier, §3.2
"Read (Resolve)" DID-to-URL transformation) and builds and reads DID documents as described by
DID Core v1.0 §5 and W3C Controlled Identifiers v1.0 §2.2 (verification methods of type
``Multikey`` and ``JsonWebKey``). Nothing here does network I/O: callers fetch the document at
:func:`did_web_document_url` and hand it to :func:`find_verification_method`, which treats it
as untrusted input. IP-address hosts, which the did:web spec does not allow, are accepted only
so that ``http://127.0.0.1:5000`` works during development.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from keys.didkey import multikey_from_public_key, public_key_from_multikey
from keys.errors import InvalidDid, InvalidKey
from keys.keypair import PublicKey

__all__ = [
    "DID_WEB_CONTEXT",
    "KEY_STATUSES",
    "PublishedKey",
    "did_web_document",
    "did_web_document_url",
    "did_web_from_url",
    "find_verification_method",
    "verification_method_id",
]

#: DID Core v1 plus the vocabularies of the two verification method types we publish
#: (Controlled Identifiers §2.2.2 Multikey, §2.2.3 JsonWebKey).
DID_WEB_CONTEXT: tuple[str, ...] = (
    "https://www.w3.org/ns/did/v1",
    "https://w3id.org/security/multikey/v1",
    "https://w3id.org/security/jwk/v1",
)

#: Life-cycle states of a published key: active keys sign; retired keys no longer sign but
#: still verify what they signed; compromised keys are published but trusted for nothing.
KEY_STATUSES: tuple[str, ...] = ("active", "retired", "compromised")

_PREFIX = "did:web:"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST = re.compile(rf"(?=.{{1,253}}\Z){_LABEL}(?:\.{_LABEL})*", re.ASCII | re.IGNORECASE)
# did:web §3.1: the port's colon is percent-encoded as %3A.
_HOST_PORT = re.compile(r"(?P<host>[^%]+)(?:%3[aA](?P<port>[0-9]{1,5}))?")
# DID Core §3.1 ABNF: idchar = ALPHA / DIGIT / "." / "-" / "_" / pct-encoded.
_SEGMENT = re.compile(r"(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})+", re.ASCII)
_MAX_PORT = 65535

# DID Core §5.3 verification relationships, with the plain words used in error messages.
_RELATIONSHIPS: dict[str, str] = {
    "assertionMethod": "issuing credentials",
    "authentication": "authentication",
    "capabilityInvocation": "invoking capabilities",
    "capabilityDelegation": "delegating capabilities",
    "keyAgreement": "key agreement",
}


# --------------------------------------------------------------------------------------------
# DID ↔ URL (did:web spec §3.1 and §3.2)


def _as_names(values: Collection[str]) -> frozenset[str]:
    # A bare string is one name, never a set of characters.
    if isinstance(values, str):
        return frozenset((values.lower(),))
    return frozenset(value.lower() for value in values)


def _check_port(port: int) -> None:
    if not 1 <= port <= _MAX_PORT:
        raise InvalidDid("The port must be between 1 and 65535.")


def _encode_segment(segment: str) -> str:
    # did:web §3.1: path segments become ":"-separated DID segments; every character outside
    # DID Core's idchar set is percent-encoded (quote() leaves "~" alone, so encode it here).
    if segment in (".", ".."):
        raise InvalidDid("The URL path may not contain '.' or '..' segments.")
    return quote(unquote(segment, errors="strict"), safe="").replace("~", "%7E")


def did_web_from_url(base_url: str) -> str:
    """Return the did:web DID whose document lives under ``base_url`` (did:web §3.1).

    ``"https://example.com"`` → ``"did:web:example.com"``; a port's colon is percent-encoded
    (``"http://127.0.0.1:5000"`` → ``"did:web:127.0.0.1%3A5000"``); path segments become
    ``:``-separated (``"https://example.com/orgs/acme/"`` → ``"did:web:example.com:orgs:acme"``).
    The host is lower-cased. Only ``http`` and ``https`` URLs are accepted.

    Returns:
        The DID.

    Raises:
        InvalidDid: not an http(s) URL; it has a query, fragment or user info; the host is not
            a plain DNS name or IPv4 address; the port is invalid; the path has empty, ``.`` or
            ``..`` segments; or the URL contains whitespace or control characters.
    """
    if not isinstance(base_url, str) or any(ch <= " " or ch == "\x7f" for ch in base_url):
        raise InvalidDid("The base URL must be a string without spaces or control characters.")
    if "?" in base_url or "#" in base_url:
        raise InvalidDid("The base URL may not have a query or fragment.")
    try:
        parts = urlsplit(base_url)
        port = parts.port
        # A single leading and trailing "/" delimit the path; inner "//" would be an empty segment.
        path = parts.path.removeprefix("/").removesuffix("/")
        segments = [_encode_segment(segment) for segment in path.split("/")] if path else []
    except ValueError as exc:  # bad port, or percent-escapes that are not UTF-8
        raise InvalidDid("The base URL is not a valid URL.") from exc
    if parts.scheme.lower() not in ("https", "http"):
        raise InvalidDid("The base URL must start with https:// (or http:// for development).")
    if "@" in parts.netloc:
        raise InvalidDid("The base URL may not contain user information.")
    host = parts.hostname or ""
    if _HOST.fullmatch(host) is None:
        raise InvalidDid("The base URL's host must be a DNS name.")
    authority = host
    if port is not None:
        _check_port(port)
        authority = f"{host}:{port}"
    if parts.netloc.lower() != authority:  # e.g. "example.com:" or a port with leading zeros
        raise InvalidDid("The base URL's host and port are not in canonical form.")
    if any(not segment for segment in segments):
        raise InvalidDid("The base URL's path may not contain empty segments.")
    msid = host if port is None else f"{host}%3A{port}"
    return ":".join([_PREFIX + msid, *segments])


def _parse_did_web(did: object) -> tuple[str, int | None, list[str]]:
    """Split a did:web DID (query and fragment already removed) into host, port, path."""
    if not isinstance(did, str) or not did.startswith(_PREFIX):
        raise InvalidDid("A did:web identifier must start with 'did:web:'.")
    host_part, *segments = did[len(_PREFIX) :].split(":")
    match = _HOST_PORT.fullmatch(host_part)
    if match is None or _HOST.fullmatch(match["host"]) is None:
        raise InvalidDid("The did:web host is not a DNS name (with an optional %3A port).")
    port = None if match["port"] is None else int(match["port"])
    if port is not None:
        _check_port(port)
    for segment in segments:
        if _SEGMENT.fullmatch(segment) is None or segment in (".", ".."):
            raise InvalidDid("The did:web path has an empty or invalid segment.")
    return match["host"].lower(), port, segments


def did_web_document_url(did: str, *, allow_http_hosts: Collection[str] = ()) -> str:
    """Return the URL of the DID document of a did:web DID (did:web §3.2).

    ``"did:web:example.com"`` → ``"https://example.com/.well-known/did.json"``;
    ``"did:web:example.com:orgs:acme"`` → ``"https://example.com/orgs/acme/did.json"``; the
    ``%3A`` before a port is decoded to ``:``. The scheme is ``http`` only when the host
    (without port, case-insensitive) is in ``allow_http_hosts`` — for development, e.g.
    ``{"127.0.0.1", "localhost"}`` — otherwise ``https``.

    A DID URL is accepted too: its query (``?…``) and fragment (``#…``) are not part of the DID
    (DID Core §3.2) and are stripped, so ``"did:web:example.com#key-1"`` gives the same URL.

    Returns:
        The document URL.

    Raises:
        InvalidDid: not a did:web DID, or its host, port or path segments are malformed.
    """
    if not isinstance(did, str):
        raise InvalidDid("A did:web identifier must be a string.")
    bare = did.partition("#")[0].partition("?")[0]
    host, port, segments = _parse_did_web(bare)
    scheme = "http" if host in _as_names(allow_http_hosts) else "https"
    authority = host if port is None else f"{host}:{port}"
    # did:web §3.2: no path → "/.well-known"; then append "/did.json".
    path = "/".join(segments) if segments else ".well-known"
    return f"{scheme}://{authority}/{path}/did.json"


# --------------------------------------------------------------------------------------------
# Publishing


def _aware_utc(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidKey(f"The {name} time of a published key must be timezone-aware.")
    return value.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class PublishedKey:
    """A public key as listed in our DID document, with its life-cycle status.

    ``created`` and ``retired`` must be timezone-aware; they are stored converted to UTC.

    Raises (on construction):
        InvalidKey: ``status`` is not one of :data:`KEY_STATUSES`, or a time is naive.
    """

    public: PublicKey
    status: str
    created: datetime
    retired: datetime | None = None
    #: When the key was (reported) compromised; required for status "compromised".
    compromised_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.status not in KEY_STATUSES:
            raise InvalidKey("A key's status must be 'active', 'retired' or 'compromised'.")
        object.__setattr__(self, "created", _aware_utc(self.created, "created"))
        if self.retired is not None:
            object.__setattr__(self, "retired", _aware_utc(self.retired, "retired"))
        if self.compromised_at is not None:
            object.__setattr__(
                self, "compromised_at", _aware_utc(self.compromised_at, "compromised")
            )
        if (self.status == "compromised") != (self.compromised_at is not None):
            raise InvalidKey("A compromised key needs the time of compromise, and only it.")


def verification_method_id(did: str, kid: str) -> str:
    """Return the id of the verification method for ``kid`` in ``did``'s document.

    Returns:
        The DID URL ``f"{did}#{kid}"`` (DID Core §5.2: ids are DID URLs with a fragment).
    """
    return f"{did}#{kid}"


def did_web_document(did: str, keys: Sequence[PublishedKey]) -> dict[str, Any]:
    """Return the DID document to publish for ``did`` listing every key in ``keys``.

    Every key appears in ``verificationMethod`` (DID Core §5.2), whatever its status: Ed25519
    keys as ``Multikey`` with ``publicKeyMultibase`` (Controlled Identifiers §2.2.2), P-256 and
    RSA keys as ``JsonWebKey`` with ``publicKeyJwk`` (§2.2.3; public members plus kid, alg,
    use). ``assertionMethod`` (DID Core §5.3.2) lists every key, so credentials signed before a
    rotation still verify; a compromised key carries ``revoked`` (the time of compromise), which
    verifiers compare with the signing time. ``authentication`` (§5.3.1) lists active keys only.

    Returns:
        The DID document as a JSON-ready ``dict``.

    Raises:
        InvalidDid: ``did`` is not a bare did:web DID (no query or fragment).
        InvalidKey: the same key appears twice.
    """
    if not isinstance(did, str) or "#" in did or "?" in did:
        raise InvalidDid("The document's DID must be a did:web DID without query or fragment.")
    _parse_did_web(did)
    methods: list[dict[str, Any]] = []
    assertion: list[str] = []
    authentication: list[str] = []
    seen: set[str] = set()
    for entry in keys:
        vm_id = verification_method_id(did, entry.public.kid)
        if vm_id in seen:
            raise InvalidKey("The same key is listed twice.")
        seen.add(vm_id)
        method: dict[str, Any] = {"id": vm_id, "controller": did}
        if entry.public.alg == "EdDSA":
            method["type"] = "Multikey"
            method["publicKeyMultibase"] = multikey_from_public_key(entry.public)
        else:
            method["type"] = "JsonWebKey"
            method["publicKeyJwk"] = entry.public.jwk
        methods.append(method)
        if entry.compromised_at is not None:
            # Controlled Identifiers §2.2 `revoked`: verifiers refuse what it signed after this
            # instant; what it signed before stays listed, with a warning.
            method["revoked"] = entry.compromised_at.isoformat().replace("+00:00", "Z")
        assertion.append(vm_id)
        if entry.status == "active":
            authentication.append(vm_id)
    return {
        "@context": list(DID_WEB_CONTEXT),
        "id": did,
        "verificationMethod": methods,
        "authentication": authentication,
        "assertionMethod": assertion,
    }


# --------------------------------------------------------------------------------------------
# Reading a fetched (untrusted) DID document


def _resolve(reference: str, document_id: str) -> str:
    # DID Core §3.2.2: a relative DID URL "#frag" resolves against the document's DID.
    return document_id + reference if reference.startswith("#") else reference


def _entries(value: object, name: str) -> list[object]:
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise InvalidDid(f"The DID document's {name} must be a list.")
    return list(value)


def _method_id(method: Mapping[str, object], document_id: str) -> str:
    method_id = method.get("id")
    if not isinstance(method_id, str) or not method_id:
        raise InvalidDid("A verification method in the DID document has no id.")
    return _resolve(method_id, document_id)


def _all_the_same(methods: list[Mapping[str, object]], document_id: str) -> bool:
    """Whether every definition says the same thing (ids compared once resolved)."""

    def normal(method: Mapping[str, object]) -> dict[str, object]:
        return {**method, "id": _method_id(method, document_id)}

    first = normal(methods[0])
    return all(normal(other) == first for other in methods[1:])


def _decode_method(method: Mapping[str, object]) -> PublicKey:
    """Decode the key material of one verification method (Controlled Identifiers §2.2)."""
    method_type = method.get("type")
    if not isinstance(method_type, str):
        raise InvalidDid("The verification method has no type.")
    # Controlled Identifiers §2.2: a verification method carries exactly one key.
    if len({"publicKeyMultibase", "publicKeyJwk", "publicKeyPem"} & method.keys()) > 1:
        raise InvalidDid("The verification method carries more than one key.")
    if method_type in ("Multikey", "Ed25519VerificationKey2020"):
        multibase = method.get("publicKeyMultibase")
        if not isinstance(multibase, str):
            raise InvalidDid(f"The {method_type} verification method has no publicKeyMultibase.")
        key = public_key_from_multikey(multibase)
        # Ed25519VerificationKey2020 (Data Integrity EdDSA suites) holds Ed25519 keys only.
        if method_type == "Ed25519VerificationKey2020" and key.alg != "EdDSA":
            raise InvalidKey("An Ed25519VerificationKey2020 must hold an Ed25519 key.")
        return key
    if method_type in ("JsonWebKey", "JsonWebKey2020"):
        jwk = method.get("publicKeyJwk")
        if not isinstance(jwk, Mapping):
            raise InvalidDid(f"The {method_type} verification method has no publicKeyJwk.")
        return PublicKey.from_jwk(jwk)
    if method_type == "RsaVerificationKey2018":
        # Security vocabulary v2 (the key type of RsaSignature2018): an RSA key given as
        # publicKeyPem or, in later documents, publicKeyJwk.
        jwk = method.get("publicKeyJwk")
        key = (
            PublicKey.from_jwk(jwk)
            if isinstance(jwk, Mapping)
            else PublicKey.from_pem(method.get("publicKeyPem"))
        )
        if key.alg != "RS256":
            raise InvalidKey("An RsaVerificationKey2018 must hold an RSA key.")
        return key
    raise InvalidKey("The verification method type is not supported.")


def find_verification_method(
    document: Mapping[str, object],
    vm_id: str,
    *,
    relationship: str = "assertionMethod",
    allow_revoked: bool = False,
) -> PublicKey:
    """Return the public key of verification method ``vm_id`` if ``document`` allows its use.

    The method is looked up in ``document["verificationMethod"]`` and among objects embedded in
    ``document[relationship]``. Relative ids (``"#key-1"``) resolve against ``document["id"]``.
    Controller documents identified by an https URL work the same way. The rules, in order:
    the document has a string ``id`` (a DID or URL, no fragment); ``vm_id`` (resolved) is
    ``id`` + ``#fragment``; the method exists once (or is defined identically more than once);
    it is referenced or embedded in
    ``document[relationship]`` (DID Core §5.3); its ``controller`` equals the document ``id``
    (Controlled Identifiers §2.2); it is not marked ``revoked`` (Controlled Identifiers §2.2);
    its type is Multikey, JsonWebKey, JsonWebKey2020, Ed25519VerificationKey2020 or
    RsaVerificationKey2018 with valid key material.

    Returns:
        The verification method's :class:`PublicKey` (its ``kid`` is the RFC 7638 thumbprint,
        which need not equal the method's fragment).

    Raises:
        InvalidDid: the document is malformed (wrong types, missing ids, duplicate methods,
            undecodable Multikey) or ``relationship`` is not a DID Core relationship.
        InvalidKey: a rule about the key failed (not in the document, not listed for the
            relationship, controller differs, revoked, unsupported type, unacceptable JWK or
            a JWK algorithm outside the allow-list).
    """
    purpose = _RELATIONSHIPS.get(relationship) if isinstance(relationship, str) else None
    if purpose is None:
        raise InvalidDid("The verification relationship is not one DID Core defines.")
    if not isinstance(document, Mapping):
        raise InvalidDid("The DID document is not a JSON object.")
    document_id = document.get("id")
    # Controlled Identifiers §2.1.1: the id is a DID or an https URL, without a fragment.
    if not isinstance(document_id, str) or not document_id:
        raise InvalidDid("The DID document has no id.")
    if "#" in document_id:
        raise InvalidDid("The DID document's id must not contain a fragment.")
    if not isinstance(vm_id, str) or not vm_id:
        raise InvalidDid("The verification method id must be a non-empty string.")
    target = _resolve(vm_id, document_id)
    if not target.startswith(document_id + "#"):
        raise InvalidKey("The key does not belong to this DID document.")

    listed = False
    candidates: list[Mapping[str, object]] = []
    for entry in _entries(document.get(relationship), relationship):
        if isinstance(entry, str):
            listed = listed or _resolve(entry, document_id) == target
        elif isinstance(entry, Mapping):
            if _method_id(entry, document_id) == target:
                listed = True
                candidates.append(entry)
        else:
            raise InvalidDid(f"An entry of {relationship} is neither an id nor an object.")
    for entry in _entries(document.get("verificationMethod"), "verificationMethod"):
        if not isinstance(entry, Mapping):
            raise InvalidDid("An entry of verificationMethod is not an object.")
        if _method_id(entry, document_id) == target:
            candidates.append(entry)

    if not candidates:
        raise InvalidKey("The key is not in the issuer's DID document.")
    if len(candidates) > 1 and not _all_the_same(candidates, document_id):
        # The same method listed twice (under verificationMethod and embedded in a
        # relationship, say) is harmless and common in published did:web documents; two
        # different definitions under one id leave the key ambiguous.
        raise InvalidDid("The DID document defines the key more than once, differently.")
    if not listed:
        raise InvalidKey(f"The key is not listed for {purpose} ({relationship}).")
    method = candidates[0]
    controller = method.get("controller")
    if not isinstance(controller, str):
        raise InvalidDid("The verification method has no controller.")
    if controller != document_id:
        raise InvalidKey("The key's controller is not the DID document's subject.")
    if "revoked" in method and not allow_revoked:
        raise InvalidKey("The key has been revoked.")
    return _decode_method(method)


def verification_method_revoked_at(document: Mapping[str, object], vm_id: str) -> datetime | None:
    """When the method ``vm_id`` of ``document`` was revoked (its ``revoked`` value), or None.

    Raises:
        InvalidDid: ``revoked`` is present but not a date-time with a time zone.
    """
    document_id = document.get("id")
    if not isinstance(document_id, str):
        return None
    target = _resolve(vm_id, document_id)
    for entry in _entries(document.get("verificationMethod"), "verificationMethod"):
        if isinstance(entry, Mapping) and _method_id(entry, document_id) == target:
            value = entry.get("revoked")
            if value is None:
                return None
            if not isinstance(value, str):
                raise InvalidDid("The key's revocation time is not a date.")
            try:
                parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError as exc:
                raise InvalidDid("The key's revocation time is not a date.") from exc
            if parsed.tzinfo is None:
                raise InvalidDid("The key's revocation time has no time zone.")
            return parsed
    return None
