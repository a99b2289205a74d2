"""Open Badges 2.0 badges for tests, built with the published rules and served on loopback.

The objects follow the 1EdTech OB 2.0 specification and its examples (Assertion, BadgeClass,
Profile, CryptographicKey, RevocationList); :class:`Ob2Issuer` publishes them on a real
``ThreadingHTTPServer`` on 127.0.0.1, which the SafeFetcher reads when loopback http is allowed
(development and test settings). Used by the verifier's unit tests and the functional tests.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from issuer.baking import itxt_chunk, png_chunk
from keys import SigningKey
from tests import loopback
from tests.loopback import LoopbackServer
from verifier.baked import PNG_SIGNATURE

OB2 = "https://w3id.org/openbadges/v2"
EMAIL = "alice@example.org"
SALT = "deadsea"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def b64json(value: Any) -> str:
    return b64(json.dumps(value, separators=(",", ":")).encode())


# -- a loopback issuer -------------------------------------------------------------------------
#: The loopback server, serving OB 2.0 documents as JSON-LD.
Ob2Server = LoopbackServer


@contextmanager
def serving() -> Iterator[Ob2Server]:
    with loopback.serving("application/ld+json") as server:
        yield server


def sha256_identity(email: str, salt: str = SALT) -> str:
    return "sha256$" + hashlib.sha256((email + salt).encode()).hexdigest()


def md5_identity(email: str, salt: str = SALT) -> str:
    return "md5$" + hashlib.md5((email + salt).encode(), usedforsecurity=False).hexdigest()


def pem(key: SigningKey) -> str:
    public = key.public.key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    return public.decode()


class Ob2Issuer:
    """An OB 2.0 issuer on the loopback server: Profile, BadgeClass, key, revocation list."""

    def __init__(self, server: Ob2Server, key: SigningKey, **profile: Any) -> None:
        self.server, self.key = server, key
        self.id = server.url("/issuer")
        self.badge_id = server.url("/badges/robotics")
        self.key_id = server.url("/keys/1")
        self.list_id = server.url("/revocations")
        self.revoked: list[Any] = []
        self.profile: dict[str, Any] = {
            "@context": OB2,
            "type": "Issuer",
            "id": self.id,
            "name": "An Example Badge Issuer",
            "url": server.url("/"),
            "email": "contact@example.org",
            "publicKey": self.key_id,
            "revocationList": self.list_id,
            **profile,
        }
        self.badge_class: dict[str, Any] = {
            "@context": OB2,
            "type": "BadgeClass",
            "id": self.badge_id,
            "name": "Awesome Robotics Badge",
            "description": "For doing awesome things with robots.",
            "image": server.url("/badges/robotics.png"),
            "criteria": {"narrative": "Built and demonstrated a working robot."},
            "issuer": self.id,
            "tags": ["robots"],
            "alignment": [
                {
                    "targetName": "Cyber Defense Incident Responder",
                    "targetUrl": "https://niccs.cisa.gov/workforce-development/nice-framework",
                    "targetFramework": "NICE Framework (NIST SP 800-181)",
                    "targetCode": "PR-CIR-001",
                }
            ],
        }
        self.publish()

    def publish(self) -> None:
        self.server.publish("/issuer", self.profile)
        self.server.publish("/badges/robotics", self.badge_class)
        self.server.publish(
            "/keys/1",
            {
                "@context": OB2,
                "type": "CryptographicKey",
                "id": self.key_id,
                "owner": self.id,
                "publicKeyPem": pem(self.key),
            },
        )
        self.server.publish(
            "/revocations",
            {
                "@context": OB2,
                "id": self.list_id,
                "type": "RevocationList",
                "issuer": self.id,
                "revokedAssertions": self.revoked,
            },
        )

    def assertion(self, path: str = "/assertions/123", **overrides: Any) -> dict[str, Any]:
        document: dict[str, Any] = {
            "@context": OB2,
            "type": "Assertion",
            "id": self.server.url(path),
            "recipient": {
                "type": "email",
                "hashed": True,
                "salt": SALT,
                "identity": sha256_identity(EMAIL),
            },
            "issuedOn": "2026-01-15T10:00:00Z",
            "badge": self.badge_id,
            "evidence": "https://example.org/beths-robot-work.html",
            "verification": {"type": "hosted"},
            **overrides,
        }
        return {k: v for k, v in document.items() if v is not None}

    def host(self, path: str = "/assertions/123", **overrides: Any) -> dict[str, Any]:
        document = self.assertion(path, **overrides)
        self.server.publish(path, document)
        return document

    def signed(self, signer: SigningKey | None = None, **overrides: Any) -> str:
        document = self.assertion(
            id="urn:uuid:a953081a-4bbd-4927-9653-7219bca00e3b",
            verification={"type": "SignedBadge", "creator": self.key_id},
            **overrides,
        )
        return sign(document, signer or self.key)


def sign(document: dict[str, Any], key: SigningKey, header: dict[str, Any] | None = None) -> str:
    head = b64json(header or {"alg": "RS256"})
    body = b64json(document)
    return f"{head}.{body}.{b64(key.sign(f'{head}.{body}'.encode()))}"


def png_with(text: str, keyword: str = "openbadges") -> bytes:
    header = png_chunk(b"IHDR", bytes.fromhex("00000001000000010806000000"))
    idat = png_chunk(b"IDAT", bytes.fromhex("789c63000100000500010d0a2db4"))
    return PNG_SIGNATURE + header + itxt_chunk(keyword, text) + idat + png_chunk(b"IEND", b"")


def svg_with(verify: str | None, body: str = "") -> bytes:
    attribute = f' verify="{verify}"' if verify is not None else ""
    cdata = f"<![CDATA[{body}]]>" if body else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org" '
        'viewBox="0 0 512 512">'
        f"<openbadges:assertion{attribute}>{cdata}</openbadges:assertion>"
        '<circle cx="256" cy="256" r="200"/></svg>'
    ).encode()
