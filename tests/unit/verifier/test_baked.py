"""Extracting credentials from baked badge images (OB 3.0 §5.3; checklist §4).

The four official baked vectors (1EdTech validator, ``tests/assets/baked``) extract, and what
comes out verifies. As in ``test_di_vectors``/``test_vc_jwt_vectors``, the issuer's web site is
stood in for offline: a controller document built for the key the Data Integrity proof names,
or a JWKS holding the key the JWT carries — test doubles for the site, never a verifier shortcut.

Every hostile or broken input is refused with its own stable code. Bad PNGs are built here by
hand (struct + zlib), independently of :mod:`issuer.baking`'s writer.
"""

from __future__ import annotations

import json
import struct
import time
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt as pyjwt
import pytest

from verifier import FormatError, KeyResolver, Verifier
from verifier.baked import (
    PNG_SIGNATURE,
    Extracted,
    extract_baked,
    extract_from_png,
    extract_from_svg,
    iter_png_chunks,
)
from verifier.resolve import jwks_url_for_issuer

BAKED = Path(__file__).parents[2] / "assets" / "baked"
NOW = datetime(2026, 6, 1, tzinfo=UTC)
OB3 = "https://purl.imsglobal.org/ob/v3p0"
CLR2 = "https://purl.imsglobal.org/clr/v2p0"


def vector(name: str) -> bytes:
    return (BAKED / name).read_bytes()


# -- hand-made PNGs ------------------------------------------------------------------------------
def chunk(ctype: bytes, data: bytes, *, crc: int | None = None, length: int | None = None) -> bytes:
    return (
        struct.pack(">I", len(data) if length is None else length)
        + ctype
        + data
        + struct.pack(">I", zlib.crc32(ctype + data) if crc is None else crc)
    )


def itxt(keyword: bytes, text: bytes, *, flag: int = 0) -> bytes:
    return chunk(b"iTXt", keyword + b"\0" + bytes([flag, 0]) + b"\0\0" + text)


IHDR = chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0))
IDAT = chunk(b"IDAT", zlib.compress(b"\0\0\0\0\0"))
IEND = chunk(b"IEND", b"")
CREDENTIAL = b'{"type": ["VerifiableCredential", "OpenBadgeCredential"]}'


def png(*middle: bytes) -> bytes:
    return PNG_SIGNATURE + IHDR + b"".join(middle) + IDAT + IEND


def svg(body: str, *, prolog: str = "") -> bytes:
    return (
        f'{prolog}<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="{OB3}" '
        f'xmlns:clr="{CLR2}">{body}</svg>'
    ).encode()


# -- the official vectors ------------------------------------------------------------------------
def stand_in_document(vm: str) -> dict[str, Any]:
    """The controller document an https issuer's site would serve for ``vm``."""
    controller, _, fragment = vm.partition("#")
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": controller,
        "verificationMethod": [
            {"id": vm, "type": "Multikey", "controller": controller, "publicKeyMultibase": fragment}
        ],
        "assertionMethod": [vm],
    }


def site_documents(extracted: Extracted) -> dict[str, Any]:
    if extracted.format == "json":
        proof = json.loads(extracted.content)["proof"]
        vm = (proof[0] if isinstance(proof, list) else proof)["verificationMethod"]
        return {vm.partition("#")[0]: stand_in_document(vm)}
    url = jwks_url_for_issuer(
        pyjwt.decode(extracted.content, options={"verify_signature": False})["iss"]
    )
    assert url is not None
    return {url: {"keys": [pyjwt.get_unverified_header(extracted.content)["jwk"]]}}


@pytest.mark.parametrize(
    ("name", "container", "fmt"),
    [
        ("validator-simple-json.png", "png", "json"),
        ("validator-simple-jwt.png", "png", "jwt"),
        ("validator-simple-json.svg", "svg", "json"),
        ("validator-simple-jwt.svg", "svg", "jwt"),
    ],
)
def test_official_vectors_extract_and_verify(name: str, container: str, fmt: str) -> None:
    extracted = extract_baked(vector(name))
    assert (extracted.kind, extracted.container, extracted.format) == ("ob3", container, fmt)
    assert extracted.content == extracted.content.strip()
    if fmt == "json":
        credential = json.loads(extracted.content)
        assert "OpenBadgeCredential" in credential["type"]
        assert credential["issuer"]["id"] == "https://example.com/issuers/876543"
    else:
        assert extracted.content.count(".") == 2
        assert pyjwt.get_unverified_header(extracted.content)["alg"] == "RS256"

    report = Verifier(KeyResolver(documents=site_documents(extracted))).report(
        extracted.content, now=NOW
    )
    assert report.verified, report.to_dict()
    checks = {c.id: (c.status, c.code) for c in report.checks}
    assert checks["signature"] == ("passed", "signature_valid")
    if fmt == "jwt":
        # The validator's tokens put the subject in `aud` and have no `sub` (vectors README).
        assert any("no sub claim" in note for note in report.notes)


@pytest.mark.parametrize("name", ["validator-simple-json.png", "validator-simple-jwt.png"])
def test_container_specific_readers_agree_with_the_sniffer(name: str) -> None:
    assert extract_from_png(vector(name)) == extract_baked(vector(name))


def test_svg_reader_agrees_with_the_sniffer() -> None:
    data = vector("validator-simple-jwt.svg")
    assert extract_from_svg(data) == extract_baked(data)


def test_png_vectors_walk_cleanly_to_iend() -> None:
    types = [c.type for c in iter_png_chunks(vector("validator-simple-json.png"))]
    assert types[0] == b"IHDR" and types[-1] == b"IEND" and types.count(b"iTXt") == 1


# -- what we accept ------------------------------------------------------------------------------
def test_clr_png_and_svg() -> None:
    assert extract_baked(png(itxt(b"clrcredential", CREDENTIAL))).kind == "clr2"
    clr_svg = svg(f"<clr:credential><![CDATA[{CREDENTIAL.decode()}]]></clr:credential>")
    extracted = extract_baked(clr_svg)
    assert (extracted.kind, extracted.format, extracted.container) == ("clr2", "json", "svg")


OB2_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org">'
    "<openbadges:assertion{}</svg>"
)


@pytest.mark.parametrize(
    ("data", "fmt", "content"),
    [
        (png(itxt(b"openbadges", CREDENTIAL)), "json", CREDENTIAL.decode()),
        (png(itxt(b"openbadges", b"a.b.c")), "jwt", "a.b.c"),
        (OB2_SVG.format(' verify="a.b.c"/>').encode(), "jwt", "a.b.c"),
        (
            OB2_SVG.format(' verify="https://example.org/a/1"/>').encode(),
            "url",
            "https://example.org/a/1",
        ),
        (
            OB2_SVG.format(
                ' verify="https://example.org/a/1"><![CDATA[{"id": 1}]]></openbadges:assertion>'
            ).encode(),
            "json",
            '{"id": 1}',
        ),
    ],
    ids=["PNG JSON", "PNG JWS", "SVG JWS", "SVG hosted URL", "SVG hosted JSON"],
)
def test_open_badges_2_png_and_svg(data: bytes, fmt: str, content: str) -> None:
    """OB 2.0 Baking 1.0: iTXt ``openbadges``; SVG ``openbadges:assertion`` (verify / CDATA)."""
    extracted = extract_baked(data)
    assert (extracted.kind, extracted.format, extracted.content) == ("ob2", fmt, content)


def test_jwt_text_and_surrounding_whitespace() -> None:
    extracted = extract_baked(png(itxt(b"openbadgecredential", b"\n  a.b.c \n")))
    assert (extracted.content, extracted.format) == ("a.b.c", "jwt")


def test_svg_sniffing_allows_bom_whitespace_and_doctype() -> None:
    body = '<openbadges:credential verify="a.b.c"/>'
    for prolog in ("\ufeff", "\n\t ", '<?xml version="1.0"?>\n', "<!DOCTYPE svg>\n"):
        data = svg(body, prolog=prolog)
        if prolog == "\ufeff":
            data = b"\xef\xbb\xbf" + data[3:]
        assert extract_baked(data).content == "a.b.c"


def test_pixel_decompression_bomb_is_harmless() -> None:
    """IHDR may claim 10⁹×10⁹ pixels: we never decode pixels, so it costs nothing."""
    huge = chunk(b"IHDR", struct.pack(">IIBBBBB", 10**9, 10**9, 16, 6, 0, 0, 0))
    bomb = zlib.compress(b"\0" * 5_000_000, 9)  # 5 MB of zeros in a few KB
    data = PNG_SIGNATURE + huge + itxt(b"openbadgecredential", CREDENTIAL)
    data += chunk(b"IDAT", bomb) + IEND
    started = time.perf_counter()
    assert extract_from_png(data).format == "json"
    assert time.perf_counter() - started < 1


def test_credential_after_the_pixels_and_other_text_chunks() -> None:
    data = (
        PNG_SIGNATURE
        + IHDR
        + chunk(b"tEXt", b"Comment\0hello")
        + IDAT
        + itxt(b"openbadgecredential", '{"name": "Café ✓"}'.encode())
        + IEND
    )
    assert json.loads(extract_from_png(data).content) == {"name": "Café ✓"}


# -- what we refuse ------------------------------------------------------------------------------
def _twenty_megabytes() -> bytes:
    return png(itxt(b"openbadgecredential", CREDENTIAL)) + b"\0" * 20_000_000


def _bad_crc() -> bytes:
    good = itxt(b"openbadgecredential", CREDENTIAL)
    return png(good[:-4] + struct.pack(">I", zlib.crc32(good[4:-4]) ^ 1))


BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE svg [\n<!ENTITY lol "lol">\n'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'
        for i in range(1, 10)
    )
    + ']>\n<svg xmlns="http://www.w3.org/2000/svg">&lol9;</svg>'
)
EXTERNAL_ENTITY = (
    '<?xml version="1.0"?>\n<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
    f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="{OB3}">'
    "<openbadges:credential>&x;</openbadges:credential></svg>"
)
OB3_ELEMENT = '<openbadges:credential verify="a.b.c"/>'

BAD_INPUTS: list[tuple[str, bytes, str]] = [
    # PNG structure
    ("line endings converted", b"\x89PNG\n\x1a\n" + IHDR + IEND, "bad_png"),
    ("bad CRC", _bad_crc(), "bad_png"),
    ("truncated", png(itxt(b"openbadgecredential", CREDENTIAL))[:-30], "bad_png"),
    ("no IEND", PNG_SIGNATURE + IHDR + itxt(b"openbadgecredential", CREDENTIAL), "bad_png"),
    (
        "chunk length 0x7fffffff",
        PNG_SIGNATURE + IHDR + struct.pack(">I", 0x7FFFFFFF) + b"iTXt",
        "bad_png",
    ),
    ("chunk length over 2^31-1", png(chunk(b"tEXt", b"a\0b", length=0x80000000)), "bad_png"),
    ("first chunk not IHDR", PNG_SIGNATURE + IDAT + IHDR + IEND, "bad_png"),
    ("chunk type not letters", png(chunk(b"iT1t", b"x")), "bad_png"),
    ("text not UTF-8", png(itxt(b"openbadgecredential", b"{\xff}")), "bad_png"),
    ("iTXt without separators", png(chunk(b"iTXt", b"openbadgecredential")), "bad_png"),
    ("unknown compression flag", png(itxt(b"openbadgecredential", CREDENTIAL, flag=2)), "bad_png"),
    ("too many chunks", png(chunk(b"tIME", b"\0" * 7) * 70_000), "bad_png"),
    # PNG credential rules
    ("no credential (PNG)", png(), "baked_none"),
    (
        "two credential chunks",
        png(itxt(b"openbadgecredential", CREDENTIAL), itxt(b"openbadgecredential", CREDENTIAL)),
        "baked_multiple",
    ),
    (
        "an OB and a CLR chunk",
        png(itxt(b"openbadgecredential", CREDENTIAL), itxt(b"clrcredential", CREDENTIAL)),
        "baked_multiple",
    ),
    (
        "compressed iTXt",
        png(itxt(b"openbadgecredential", zlib.compress(CREDENTIAL), flag=1)),
        "baked_compressed",
    ),
    (
        "zTXt",
        png(chunk(b"zTXt", b"openbadgecredential\0\0" + zlib.compress(CREDENTIAL))),
        "baked_compressed",
    ),
    ("tEXt", png(chunk(b"tEXt", b"openbadgecredential\0" + CREDENTIAL)), "baked_not_itxt"),
    ("empty credential", png(itxt(b"openbadgecredential", b"  \n")), "baked_empty"),
    (
        "pre-2.0 link in tEXt",
        png(chunk(b"tEXt", b"openbadges\0https://example.org/a/1")),
        "baked_legacy",
    ),
    (
        "an OB 3.0 and an OB 2.0 chunk",
        png(itxt(b"openbadgecredential", CREDENTIAL), itxt(b"openbadges", CREDENTIAL)),
        "baked_multiple",
    ),
    # SVG
    ("external entity", EXTERNAL_ENTITY.encode(), "unsafe_svg"),
    ("billion laughs", BILLION_LAUGHS.encode(), "unsafe_svg"),
    ("two credential elements", svg(OB3_ELEMENT * 2), "baked_multiple"),
    (
        "nested credential elements",
        svg(f"<g>{OB3_ELEMENT}</g><g><g>{OB3_ELEMENT}</g></g>"),
        "baked_multiple",
    ),
    (
        "verify attribute and JSON text",
        svg(f'<openbadges:credential verify="a.b.c">{CREDENTIAL.decode()}</openbadges:credential>'),
        "baked_multiple",
    ),
    ("no credential element", svg("<circle r='4'/>"), "baked_none"),
    (
        "wrong namespace is not ours",
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:ob="urn:other">'
        b'<ob:credential verify="a.b.c"/></svg>',
        "baked_none",
    ),
    ("empty credential element", svg("<openbadges:credential/>"), "baked_empty"),
    (
        "OB 2.0 SVG with a token and JSON",
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org">'
        b'<openbadges:assertion verify="a.b.c">{"id": 1}</openbadges:assertion></svg>',
        "baked_multiple",
    ),
    ("nested too deeply", svg("<g>" * 300 + OB3_ELEMENT + "</g>" * 300), "bad_svg"),
    ("too many elements", svg("<g/>" * 100_001 + OB3_ELEMENT), "bad_svg"),
    ("not well-formed", b"<svg xmlns='http://www.w3.org/2000/svg'><g></svg>", "bad_svg"),
    ("XML but not SVG", b"<?xml version='1.0'?><html><body/></html>", "bad_svg"),
    # Found by tests/fuzz: expat raised ValueError / LookupError for these declarations.
    (
        "multi-byte encoding declared (Shift_JIS)",
        b"<?xml version='1.0' encoding='shift_jis'?><svg xmlns='http://www.w3.org/2000/svg'/>",
        "bad_svg",
    ),
    (
        "unknown encoding declared",
        b"<?xml version='1.0' encoding='nope'?><svg xmlns='http://www.w3.org/2000/svg'/>",
        "bad_svg",
    ),
    # neither
    ("not an image", b"GIF89a\x01\x00\x01\x00", "not_an_image"),
    ("JSON is not an image", CREDENTIAL, "not_an_image"),
    ("empty input", b"", "not_an_image"),
    ("20 MB", _twenty_megabytes(), "too_large"),
]


@pytest.mark.parametrize(
    ("data", "code"), [pytest.param(d, c, id=name) for name, d, c in BAD_INPUTS]
)
def test_bad_inputs_are_refused_with_their_code(data: bytes, code: str) -> None:
    with pytest.raises(FormatError) as caught:
        extract_baked(data)
    assert caught.value.code == code
    assert caught.value.check == "format"
    assert caught.value.message and "\n" not in caught.value.message


def test_png_reader_refuses_what_is_not_a_png() -> None:
    for data in (b"GIF89a\x01\x00", b"\x89PNX\r\n\x1a\n" + IHDR + IEND, b""):
        with pytest.raises(FormatError) as caught:
            extract_from_png(data)
        assert caught.value.code == "bad_png"


def test_size_limit_is_checked_before_parsing() -> None:
    started = time.perf_counter()
    with pytest.raises(FormatError) as caught:
        extract_from_svg(b"<svg>" + b" " * (11 * 1024 * 1024), max_bytes=10 * 1024 * 1024)
    assert caught.value.code == "too_large"
    assert time.perf_counter() - started < 0.5
    with pytest.raises(FormatError, match="larger"):
        extract_from_png(png(itxt(b"openbadgecredential", CREDENTIAL)), max_bytes=64)


def test_absurd_length_is_refused_without_allocating() -> None:
    data = PNG_SIGNATURE + IHDR + struct.pack(">I", 0x7FFFFFFF) + b"IDAT" + b"\0" * 64
    with pytest.raises(FormatError) as caught:
        list(iter_png_chunks(data))
    assert caught.value.code == "bad_png"
    assert "past the end" in caught.value.message


def test_entity_inside_credential_never_reaches_the_content() -> None:
    with pytest.raises(FormatError) as caught:
        extract_from_svg(EXTERNAL_ENTITY.encode())
    assert caught.value.code == "unsafe_svg"
