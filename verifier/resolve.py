"""Finding the public key that signed a credential, and proving that it belongs to the issuer.

A VC-JWT names its key with a ``kid`` (a DID URL, an https URL, or a bare key id) and/or carries
it in a ``jwk`` header (OB 3.0 §8.2.2). Neither is trusted on its own: the key must appear in a
key set the issuer controls — the issuer's DID document (``did:key`` is self-certifying,
``did:web`` is fetched) or, for an https issuer, the JWKS at
``https://{authority}/.well-known/jwks.json`` (OB 3.0 implementation guide, "Key provenance").

Documents come from two places, passed in (seams, not globals): ``documents``, a mapping the
caller already trusts (the app passes its own issuers' DID documents and JWKS, so verifying our
own credentials needs no HTTP call to ourselves), and a :class:`DocumentFetcher` for everything
else. The default fetcher is :class:`NoNetwork`, which makes foreign keys "could not check"
rather than silently trusted.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

from keys import (
    PublicKey,
    did_web_document_url,
    find_verification_method,
    public_key_from_did_key,
    verification_method_revoked_at,
)
from keys.errors import InvalidDid, InvalidKey, KeysError
from verifier.errors import FetchError, KeyNotResolved, KeyUnreachable, NetworkDisabled

__all__ = ["DocumentFetcher", "KeyResolver", "NoNetwork", "jwks_url_for_issuer"]

logger = logging.getLogger(__name__)

_MAX_CACHED_KEYS = 4096


class DocumentFetcher(Protocol):
    """Fetches a JSON document by URL. Implementations enforce their own network policy."""

    def fetch_json(self, url: str) -> Any:
        """Return the parsed JSON at ``url``; raise a :class:`~verifier.errors.FetchError` if it
        cannot (:class:`~verifier.errors.FetchUnreachable` when the answer is "could not tell").

        Each caller translates the fetch error into its own check's error. A
        :class:`~verifier.errors.VerificationError` (what fetchers raised before fetch errors
        had their own branch) is passed through unchanged.
        """
        ...


class NoNetwork:
    """A fetcher that fetches nothing: every foreign document is unreachable."""

    def fetch_json(self, url: str) -> Any:
        raise NetworkDisabled(
            hint=f"Verification ran without network access and {url} is not in the local "
            "documents or bundle."
        )


def jwks_url_for_issuer(issuer_id: str) -> str | None:
    """Return the JWKS URL the OB 3.0 implementation guide assigns to an https issuer, or None."""
    parts = urlsplit(issuer_id)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}/.well-known/jwks.json"


class KeyResolver:
    """Resolves JOSE headers to issuer-bound :class:`keys.PublicKey` objects.

    ``documents`` maps a DID (for DID documents) or a URL (for JWKS and controller documents)
    to a document the caller trusts as that issuer's own. Resolved keys are cached per
    (issuer, kid, jwk thumbprint, alg), which keeps repeated verification cheap.
    """

    def __init__(
        self,
        *,
        documents: Mapping[str, Mapping[str, Any]] | None = None,
        fetcher: DocumentFetcher | None = None,
        allow_http_hosts: Collection[str] = (),
    ) -> None:
        self._documents: Mapping[str, Mapping[str, Any]] = dict(documents or {})
        self._fetcher: DocumentFetcher = fetcher if fetcher is not None else NoNetwork()
        self._allow_http_hosts = frozenset(allow_http_hosts)
        self._cache: dict[tuple[str, str, str, str], PublicKey] = {}
        #: Keys whose controller marked them revoked (compromised), by thumbprint → when.
        self._revoked: dict[str, datetime] = {}

    @property
    def fetcher(self) -> DocumentFetcher:
        """The fetcher this resolver uses for documents it does not hold locally."""
        return self._fetcher

    def revoked_at(self, key: PublicKey) -> datetime | None:
        """When the issuer reported ``key`` compromised (its ``revoked`` time), or None."""
        return self._revoked.get(key.kid)

    def _find(self, doc: Mapping[str, Any], vm_id: str, relationship: str) -> PublicKey:
        """find_verification_method that also records a ``revoked`` time instead of refusing."""
        key = find_verification_method(doc, vm_id, relationship=relationship, allow_revoked=True)
        revoked = verification_method_revoked_at(doc, vm_id)
        if revoked is not None:
            self._revoked[key.kid] = revoked
        return key

    # -- documents -------------------------------------------------------------------------
    def _document(self, key: str, url: str | None = None) -> Mapping[str, Any]:
        local = self._documents.get(key)
        if local is not None:
            return local
        doc = self._fetch(url or key)
        if not isinstance(doc, Mapping):
            raise KeyNotResolved(
                "The issuer's published key document is not a JSON object.", code="bad_key_document"
            )
        return doc

    def _fetch(self, url: str) -> Any:
        """The fetcher's document; a fetch failure becomes this check's (``signature``) error.

        The code stays the fetch's (``fetch_timeout``, ``fetch_refused_address`` …), so the
        report reads as before; the fetch error is the cause. An inconclusive failure is
        :class:`KeyUnreachable` ("could not check"), a refusal or a broken document
        :class:`KeyNotResolved`. Without network access the answer is plain ``key_unreachable``.
        """
        try:
            return self._fetcher.fetch_json(url)
        except NetworkDisabled as exc:
            raise KeyUnreachable(
                "The issuer's published keys are not available offline, so the signature could "
                "not be checked.",
                hint=exc.hint,
            ) from exc
        except FetchError as exc:
            error = KeyUnreachable if exc.inconclusive else KeyNotResolved
            raise error(exc.message, code=exc.code, hint=exc.hint) from exc

    def _did_document(self, did: str) -> Mapping[str, Any]:
        try:
            url = did_web_document_url(did, allow_http_hosts=self._allow_http_hosts)
        except InvalidDid as exc:
            raise KeyNotResolved(exc.message, code="invalid_did") from exc
        doc = self._document(did, url)
        if doc.get("id") != did:
            raise KeyNotResolved(
                "The issuer's DID document does not describe the issuer's DID.",
                code="did_document_mismatch",
            )
        return doc

    def issuer_keys(self, issuer_id: str) -> list[PublicKey]:
        """Return every key the issuer publishes for issuing credentials.

        Raises :class:`KeyUnreachable` when the key set cannot be fetched and
        :class:`KeyNotResolved` when the issuer has no key set we know how to find.
        """
        if issuer_id.startswith("did:key:"):
            return [self._did_key(issuer_id)]
        if issuer_id.startswith("did:web:"):
            doc = self._did_document(issuer_id)
            found: list[PublicKey] = []
            for ref in _as_list(doc.get("assertionMethod")):
                vm_id = ref if isinstance(ref, str) else _get_str(ref, "id")
                if vm_id is None:
                    continue
                if vm_id.startswith("#"):
                    vm_id = issuer_id + vm_id
                try:
                    found.append(find_verification_method(doc, vm_id))
                except KeysError:
                    logger.info("skipping unusable verification method %s", vm_id)
            return found
        url = jwks_url_for_issuer(issuer_id)
        if url is None:
            raise KeyNotResolved(
                "The issuer's identifier does not say where its keys are published.",
                code="unknown_issuer_keys",
                hint=f"Issuer id {issuer_id!r} is neither a did:key, a did:web nor an https URL.",
            )
        jwks = self._document(url)
        keys: list[PublicKey] = []
        for jwk in _as_list(jwks.get("keys")):
            if isinstance(jwk, Mapping):
                try:
                    keys.append(PublicKey.from_jwk(jwk))
                except KeysError:
                    logger.info("skipping unusable JWK in %s", url)
        return keys

    # -- Data Integrity ----------------------------------------------------------------------
    def verification_method(
        self, vm_id: str, issuer_id: str, *, relationship: str = "assertionMethod"
    ) -> PublicKey:
        """Dereference a proof's verification method and prove the issuer controls it.

        The key is read from the controller's document — a did:key is its own document; a
        did:web or https controller document is fetched — never from the URL fragment alone.
        The controller must be the issuer, and the method must be listed under
        ``relationship``. Raises :class:`KeyNotResolved` or :class:`KeyUnreachable`.
        """
        cache_key = (issuer_id, vm_id, "", relationship)
        cached = self._cache.get(cache_key)
        if cached is not None:
            return cached
        controller = vm_id.split("#", 1)[0]
        if controller != issuer_id:
            raise KeyNotResolved(
                "The proof was made with a key controlled by someone other than the issuer.",
                code="issuer_key_mismatch",
                hint=f"Key controller {controller!r}; issuer {issuer_id!r}.",
            )
        if controller.startswith("did:key:"):
            key = self._did_key(vm_id)
        else:
            if controller.startswith("did:web:"):
                doc = self._did_document(controller)
            elif controller.startswith(("https://", "http://")):
                doc = self._document(controller)
            else:
                raise KeyNotResolved(
                    "The proof's key uses a kind of identifier we cannot resolve.",
                    code="unsupported_did_method",
                )
            try:
                key = self._find(doc, vm_id, relationship)
            except KeysError as exc:
                raise KeyNotResolved(exc.message, code="unknown_verification_method") from exc
        if len(self._cache) >= _MAX_CACHED_KEYS:
            self._cache.clear()
        self._cache[cache_key] = key
        return key

    # -- JOSE ------------------------------------------------------------------------------
    def jwt_key(self, header: Mapping[str, Any], issuer_id: str, alg: str) -> PublicKey:
        """Return the issuer's key that a JOSE header names, checked against ``alg``.

        Raises :class:`KeyNotResolved` (the key is unknown or not the issuer's) or
        :class:`KeyUnreachable` (the issuer's keys could not be fetched).
        """
        kid = header.get("kid")
        jwk = header.get("jwk")
        if kid is not None and not isinstance(kid, str):
            raise KeyNotResolved("The token's key id is not a string.", code="unknown_kid")
        if jwk is not None and not isinstance(jwk, Mapping):
            raise KeyNotResolved("The token's embedded key is not a JSON object.", code="bad_jwk")
        if kid is None and jwk is None:
            raise KeyNotResolved("The token names no key (no kid and no jwk).", code="unknown_kid")
        header_key = self._header_jwk(jwk, alg) if jwk is not None else None
        cache_key = (issuer_id, kid or "", header_key.kid if header_key else "", alg)
        cached = self._cache.get(cache_key)
        if cached is not None:
            return cached
        key = self._kid_key(kid, issuer_id, alg) if kid is not None else None
        if header_key is not None:
            if key is None:
                key = self._issuer_key_by_thumbprint(issuer_id, header_key.kid, "untrusted_jwk")
            if key.kid != header_key.kid:
                raise KeyNotResolved(
                    "The key embedded in the token is not the issuer's key.", code="untrusted_jwk"
                )
        assert key is not None  # one of kid / jwk was present
        if key.alg != alg:
            raise KeyNotResolved(
                f"The issuer's key is for {key.alg}, but the token says {alg}.",
                code="key_alg_mismatch",
            )
        if len(self._cache) >= _MAX_CACHED_KEYS:
            self._cache.clear()
        self._cache[cache_key] = key
        return key

    def _header_jwk(self, jwk: Mapping[str, Any], alg: str) -> PublicKey:
        try:
            return PublicKey.from_jwk(jwk, alg=alg)
        except KeysError as exc:
            raise KeyNotResolved(
                f"The key embedded in the token is not acceptable: {exc.message}", code="bad_jwk"
            ) from exc

    def _did_key(self, did_url: str) -> PublicKey:
        try:
            return public_key_from_did_key(did_url)
        except KeysError as exc:
            raise KeyNotResolved(exc.message, code="invalid_did") from exc

    def _kid_key(self, kid: str, issuer_id: str, alg: str) -> PublicKey:
        if kid.startswith("did:"):
            did = kid.split("#", 1)[0]
            if did != issuer_id:
                raise KeyNotResolved(
                    "The signing key belongs to someone other than the credential's issuer.",
                    code="issuer_key_mismatch",
                    hint=f"kid DID {did!r} differs from issuer id {issuer_id!r}.",
                )
            if did.startswith("did:key:"):
                return self._did_key(kid)
            if did.startswith("did:web:"):
                doc = self._did_document(did)
                try:
                    return self._find(doc, kid, "assertionMethod")
                except KeysError as exc:
                    raise KeyNotResolved(exc.message, code="unknown_kid") from exc
            raise KeyNotResolved(
                "The token's key uses a kind of DID we do not support.",
                code="unsupported_did_method",
                hint=f"Supported: did:key, did:web. Got {did.split(':')[:2]}.",
            )
        if kid.startswith(("https://", "http://")):
            return self._url_key(kid, issuer_id)
        # A bare kid: a key id within the issuer's own key set.
        return self._issuer_key_by_thumbprint(issuer_id, kid, "unknown_kid", by_kid=True)

    def _url_key(self, kid: str, issuer_id: str) -> PublicKey:
        """A kid that is an URL: the issuer's own site must serve it (same origin as issuer)."""
        kid_parts, issuer_parts = urlsplit(kid), urlsplit(issuer_id)
        if (kid_parts.scheme, kid_parts.netloc) != (issuer_parts.scheme, issuer_parts.netloc):
            raise KeyNotResolved(
                "The signing key is published by a different site than the credential's issuer.",
                code="issuer_key_mismatch",
            )
        url, _, fragment = kid.partition("#")
        doc = self._document(url)
        try:
            if "kty" in doc:
                return PublicKey.from_jwk(doc)
            if "keys" in doc:
                for jwk in _as_list(doc.get("keys")):
                    if isinstance(jwk, Mapping) and fragment and jwk.get("kid") == fragment:
                        return PublicKey.from_jwk(jwk)
                raise KeyNotResolved("The issuer's key set has no key with that id.")
            return find_verification_method(doc, kid)
        except (InvalidKey, InvalidDid) as exc:
            raise KeyNotResolved(exc.message, code="unknown_kid") from exc

    def _issuer_key_by_thumbprint(
        self, issuer_id: str, kid: str, code: str, *, by_kid: bool = False
    ) -> PublicKey:
        for key in self.issuer_keys(issuer_id):
            if key.kid == kid or (by_kid and key.jwk.get("kid") == kid):
                return key
        raise KeyNotResolved(
            "The signing key is not among the keys the issuer publishes."
            if code == "unknown_kid"
            else "The key embedded in the token is not one the issuer publishes.",
            code=code,
        )


def _as_list(value: object) -> list[Any]:
    if isinstance(value, list):
        return value
    return [] if value is None else [value]


def _get_str(value: object, key: str) -> str | None:
    if isinstance(value, Mapping):
        got = value.get(key)
        return got if isinstance(got, str) else None
    return None
