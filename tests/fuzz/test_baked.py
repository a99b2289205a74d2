"""Fuzzing :func:`verifier.baked.extract_baked` on hostile PNG and SVG bytes.

Contract: the credential text comes back, or a :class:`~verifier.errors.FormatError` (its
``BakedImageError``/``NotAnImage``/``InputTooLarge`` leaves) is raised — never a struct, zlib,
XML-library or Unicode error; and ``Verifier.report`` on the same bytes never raises.
"""

from __future__ import annotations

import struct
import zlib

from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import ASSETS
from verifier import FormatError, Verifier
from verifier.baked import PNG_SIGNATURE, Extracted, extract_baked

from .conftest import NOW
from .strategies import FUZZ, FUZZ_SLOW, TRICKY_STRINGS, returns_or_raises

_PNG = (ASSETS / "baked" / "validator-simple-jwt.png").read_bytes()
_SVG = (ASSETS / "baked" / "validator-simple-jwt.svg").read_bytes()
_IHDR = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)


def extracted_or_format_error(data: bytes) -> None:
    result = returns_or_raises(lambda: extract_baked(data), FormatError)
    assert isinstance(result, (Extracted, FormatError))


def raw_chunk(
    ctype: bytes, body: bytes, *, length: int | None = None, crc: int | None = None
) -> bytes:
    real_crc = zlib.crc32(ctype + body)
    return (
        struct.pack(">I", len(body) if length is None else length)
        + ctype
        + body
        + struct.pack(">I", real_crc if crc is None else crc)
    )


keywords = st.sampled_from(
    [b"openbadgecredential", b"clrcredential", b"openbadges", b"", b"x" * 80, b"Comment"]
) | st.binary(max_size=12)
texts = (
    st.sampled_from([t.encode("utf-8", "surrogatepass") for t in TRICKY_STRINGS])
    | st.text(max_size=40).map(lambda t: t.encode("utf-8", "surrogatepass"))
    | st.binary(max_size=40)
    | st.just(b'{"type": ["VerifiableCredential"]}')
)


@st.composite
def itxt_bodies(draw: st.DrawFn) -> bytes:
    """keyword ‖ 0 ‖ flag ‖ method ‖ language ‖ 0 ‖ translated ‖ 0 ‖ text, each part fuzzed."""
    parts = [
        draw(keywords),
        draw(st.sampled_from([b"\0", b""])),
        bytes([draw(st.sampled_from([0, 1, 2, 255]))]),
        bytes([draw(st.sampled_from([0, 1, 8]))]),
        draw(st.sampled_from([b"", b"en", b"\xff"])),
        draw(st.sampled_from([b"\0", b""])),
        draw(st.sampled_from([b"", b"Badge", b"\xff\xfe"])),
        draw(st.sampled_from([b"\0", b""])),
        draw(texts),
    ]
    cut = draw(st.none() | st.integers(0, 8))
    return b"".join(parts[:cut] if cut is not None else parts)


@st.composite
def chunks(draw: st.DrawFn) -> bytes:
    ctype = draw(
        st.sampled_from(
            [b"iTXt", b"tEXt", b"zTXt", b"IDAT", b"IEND", b"IHDR", b"ab1d", b"\0\0\0\0"]
        )
        | st.binary(min_size=4, max_size=4)
    )
    if ctype in (b"iTXt", b"tEXt", b"zTXt"):
        body = draw(
            itxt_bodies() if ctype == b"iTXt" else st.builds(bytes.__add__, keywords, texts)
        )
        if ctype == b"zTXt" and draw(st.booleans()):
            body = draw(keywords) + b"\0\0" + zlib.compress(draw(texts))
    else:
        body = draw(st.binary(max_size=16))
    length = draw(
        st.none() | st.sampled_from([0, 1, 2**31 - 1, 2**31, 2**32 - 1]) | st.integers(0, 64)
    )
    crc = draw(st.none() | st.integers(0, 2**32 - 1)) if draw(st.integers(0, 9)) == 0 else None
    return raw_chunk(ctype, body, length=length if draw(st.integers(0, 5)) == 0 else None, crc=crc)


@st.composite
def pngs(draw: st.DrawFn) -> bytes:
    signature = draw(st.sampled_from([PNG_SIGNATURE, b"\x89PNG\n\n", b"\x89PNG\r\n\x1a\r\n"]))
    body = [raw_chunk(b"IHDR", _IHDR)] if draw(st.integers(0, 9)) else []
    body += draw(st.lists(chunks(), max_size=5))
    if draw(st.integers(0, 9)):
        body.append(raw_chunk(b"IEND", b""))
    tail = draw(st.binary(max_size=8))
    return signature + b"".join(body) + tail


@st.composite
def flipped(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` with a few bytes changed, inserted or removed, or cut short."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, len(out) - 1))
        action = draw(st.sampled_from(["set", "insert", "delete", "truncate"]))
        if action == "set":
            out[pos] = draw(st.integers(0, 255))
        elif action == "insert":
            out[pos:pos] = draw(st.binary(min_size=1, max_size=4))
        elif action == "delete":
            del out[pos]
        else:
            del out[pos:]
        if not out:
            break
    return bytes(out)


svg_encodings = st.sampled_from(
    ["utf-8", "UTF-8", "latin-1", "utf-16", "utf-32", "shift_jis", "euc-jp", "nope", "", "ascii"]
)
svg_texts = st.text(max_size=20) | st.sampled_from((*TRICKY_STRINGS, "]]>", "&amp;", "&x;", "<"))


@st.composite
def svgs(draw: st.DrawFn) -> bytes:
    parts: list[str] = []
    if draw(st.booleans()):
        parts.append(f'<?xml version="1.0" encoding="{draw(svg_encodings)}"?>')
    doctype = draw(st.integers(0, 3))
    if doctype == 1:
        parts.append(
            '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
            '"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">'
        )
    elif doctype == 2:
        parts.append('<!DOCTYPE svg [<!ENTITY x "xxxxxxxxxx"><!ENTITY y "&x;&x;&x;">]>')
    elif doctype == 3:
        parts.append('<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>')
    root = draw(st.sampled_from(["svg", "html", "openbadges:credential"]))
    parts.append(
        f'<{root} xmlns="http://www.w3.org/2000/svg" '
        'xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0" '
        'xmlns:clr="https://purl.imsglobal.org/clr/v2p0" xmlns:ob2="http://openbadges.org">'
    )
    for _ in range(draw(st.integers(0, 3))):
        tag = draw(
            st.sampled_from(
                ["openbadges:credential", "clr:credential", "ob2:assertion", "g", "x:y"]
            )
        )
        attribute = ""
        if draw(st.booleans()):
            attribute = f' verify="{draw(svg_texts)}"'
        content = draw(svg_texts)
        if draw(st.booleans()):
            content = f"<![CDATA[{content}]]>"
        nested = draw(st.integers(0, 3))
        parts.append(
            f"<{tag}{attribute}>" + "<g>" * nested + content + "</g>" * nested + f"</{tag}>"
        )
    if draw(st.integers(0, 9)):
        parts.append(f"</{root}>")
    text = "".join(parts)
    encoding = draw(st.sampled_from(["utf-8", "utf-16", "latin-1"]))
    return text.encode(encoding, "surrogatepass" if encoding != "latin-1" else "replace")


def test_the_assets_extract() -> None:
    assert extract_baked(_PNG).container == "png"
    assert extract_baked(_SVG).container == "svg"


@FUZZ
@given(
    st.binary() | st.binary().map(lambda b: PNG_SIGNATURE + b) | st.binary().map(b"<svg".__add__)
)
def test_any_bytes_extract_or_raise_a_format_error(data: bytes) -> None:
    extracted_or_format_error(data)


@FUZZ
@given(pngs())
def test_built_pngs_extract_or_raise_a_format_error(data: bytes) -> None:
    extracted_or_format_error(data)


@FUZZ
@given(st.data())
def test_mutated_baked_badges_extract_or_raise_a_format_error(data: st.DataObject) -> None:
    extracted_or_format_error(data.draw(flipped(data.draw(st.sampled_from([_PNG, _SVG])))))


@FUZZ
@given(svgs())
def test_built_svgs_extract_or_raise_a_format_error(data: bytes) -> None:
    extracted_or_format_error(data)


@FUZZ_SLOW
@given(pngs() | svgs())
def test_report_never_raises_on_images(verifier: Verifier, data: bytes) -> None:
    report = verifier.report(data, now=NOW)
    assert report.verified is False
    report.to_dict()
