"""Classifying inputs, reading QR codes safely, and judging where links point."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from typing import Any

import pytest
import qrcode
from PIL import Image

from verifier import Verifier
from verifier.errors import QrImageError
from verifier.inputs import classify, decode_qr, our_link, verify_any

from .conftest import NOW

OURS = "https://passport.example"


def _qr_png(text: str) -> bytes:
    out = io.BytesIO()
    qrcode.make(text).save(out)
    return out.getvalue()


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose IHDR claims a huge size (a decompression bomb's header)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b'{"type": ["VerifiablePresentation"], "verifiableCredential": []}', "presentation"),
        (b'{"type": ["VerifiableCredential", "ClrCredential"]}', "clr"),
        (b'{"holder": "a@b.example", "count": 0, "credentials": []}', "passport_export"),
        (b'{"type": ["VerifiableCredential", "OpenBadgeCredential"]}', "credential"),
        (b"[]", "passport_export"),
        (b"aaa.bbb.ccc", "jwt"),
        (b"https://passport.example/p/abc", "url"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "svg"),
    ],
)
def test_classify(data: bytes, kind: str) -> None:
    assert classify(data, max_bytes=10_000).kind == kind


def test_a_png_without_a_badge_is_read_as_a_qr_code() -> None:
    image = _qr_png(f"{OURS}/credentials/urn:uuid:1")
    assert classify(image, max_bytes=10_000_000).kind == "qr_image"
    assert decode_qr(image) == f"{OURS}/credentials/urn:uuid:1"


def test_decompression_bomb_is_refused_before_inflating() -> None:
    with pytest.raises(QrImageError) as caught:
        decode_qr(_png_claiming(100_000, 100_000))
    assert caught.value.code == "image_too_large"


def test_huge_jpeg_header_is_refused_too() -> None:
    out = io.BytesIO()
    Image.new("L", (9000, 10)).save(out, format="JPEG")
    with pytest.raises(QrImageError) as caught:
        decode_qr(out.getvalue())
    assert caught.value.code == "image_too_large"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"{OURS}/credentials/urn:uuid:1", ("credential", "urn:uuid:1")),
        (f"{OURS}/p/tok-en_1", ("share", "tok-en_1")),
        ("https://passport.example.evil.example/p/x", None),
        ("https://passport.example@evil.example/p/x", None),
        ("http://passport.example/p/x", None),
        ("https://passport.example:8443/p/x", None),
        (f"{OURS}/admin", None),
    ],
)
def test_our_link(url: str, expected: tuple[str, str] | None) -> None:
    link = our_link(url, OURS)
    assert (None if link is None else (link.kind, link.ident)) == expected


def test_a_qr_code_pointing_elsewhere_gets_a_verdict_and_nothing_is_fetched(
    verifier: Verifier,
) -> None:
    calls: list[Any] = []
    outcome = verify_any(
        verifier,
        _qr_png("https://evil.example/badge.json"),
        now=NOW,
        public_url=OURS,
        resolve_link=calls.append,
        fetch_links=True,
    )
    assert not outcome.is_container
    assert outcome.verified is False
    assert outcome.credentials[0].check("format").code == "qr_elsewhere"  # type: ignore[union-attr]
    assert calls == []


def test_our_qr_code_is_resolved_locally(verifier: Verifier, token: Callable[..., str]) -> None:
    issued = token()
    outcome = verify_any(
        verifier,
        _qr_png(f"{OURS}/credentials/urn:uuid:1"),
        now=NOW,
        public_url=OURS,
        resolve_link=lambda link: issued if link.ident == "urn:uuid:1" else None,
    )
    assert outcome.verified is True


def test_a_link_elsewhere_is_not_opened_unless_allowed(verifier: Verifier) -> None:
    outcome = verify_any(verifier, "https://elsewhere.example/c.json", now=NOW, public_url=OURS)
    assert outcome.credentials[0].check("format").code == "link_elsewhere"  # type: ignore[union-attr]


def test_a_private_address_is_refused_by_the_safe_fetcher(did_document: dict[str, Any]) -> None:
    from verifier import KeyResolver
    from verifier.fetch import SafeFetcher

    verifier = Verifier(KeyResolver(fetcher=SafeFetcher()))
    for url in ("https://10.0.0.1/c.json", "https://127.0.0.1/c.json", "https://[::1]/c"):
        outcome = verify_any(verifier, url, now=NOW, public_url=OURS, fetch_links=True)
        check = outcome.credentials[0].check("format")
        assert check is not None and check.status == "failed"
        assert check.code == "link_refused"
        assert "not followed" in check.message


def test_the_verifying_core_runs_from_keys_and_verifier_alone() -> None:
    import subprocess
    import sys

    code = (
        "import sys, verifier.inputs, verifier.containers, verifier.fit, verifier.official_schema;"
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('passport', 'issuer', 'flask', 'sqlalchemy', 'werkzeug')];"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# -- the kind is decided once ------------------------------------------------------------------


def test_a_lone_credential_is_handed_over_decided(token: Callable[..., str]) -> None:
    from verifier.verify import CredentialInput

    issued = token()
    found = classify(issued, max_bytes=1 << 20)
    assert found.kind == "jwt" and found.value == CredentialInput(issued)
    document = classify(b'{"type": ["VerifiableCredential"]}', max_bytes=1 << 20)
    assert document.kind == "credential"
    assert document.value == CredentialInput({"type": ["VerifiableCredential"]})


def test_a_baked_png_is_read_once(
    verifier: Verifier, token: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import verifier.inputs as inputs_module
    import verifier.verify as verify_module
    from issuer.baking import bake_png

    baked = bake_png(_qr_png("any picture will do"), token())
    reads: list[int] = []
    real = verify_module.extract_baked

    def counted(data: bytes) -> Any:
        reads.append(len(data))
        return real(data)

    for module in (inputs_module, verify_module):  # wherever a PNG's chunks could be read
        if hasattr(module, "extract_baked"):
            monkeypatch.setattr(module, "extract_baked", counted)
    outcome = verify_any(verifier, baked, now=NOW)
    assert outcome.kind == "credential" and outcome.verified
    assert outcome.credentials[0].check("format").message.startswith("Read a baked PNG")  # type: ignore[union-attr]
    assert len(reads) == 1


def test_a_token_decided_under_a_containers_limit_keeps_the_credential_limit(
    verifier: Verifier,
) -> None:
    big = "a" * (verifier.max_bytes + 10) + ".b.c"
    outcome = verify_any(verifier, big, now=NOW)
    assert outcome.kind == "credential" and not outcome.verified
    assert outcome.credentials[0].check("format").code == "too_large"  # type: ignore[union-attr]
