"""Baking credentials into badge artwork, and the artwork itself (OB 3.0 §5.3; checklist §4).

Every bake is read back with the verifier's own extractor (:mod:`verifier.baked`) and, for PNG,
with Pillow's independent reader too.
"""

from __future__ import annotations

import io
import re
import struct
import zlib
from pathlib import Path
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as safe_et  # type: ignore[import-untyped, unused-ignore]
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from issuer.artwork import MAX_LEVEL, PALETTE, badge_png, badge_svg
from issuer.baking import (
    bake_clr_png,
    bake_clr_svg,
    bake_png,
    bake_svg,
    itxt_chunk,
    png_chunk,
)
from issuer.errors import CredentialNotBakeable
from verifier import FormatError
from verifier.baked import (
    PNG_SIGNATURE,
    extract_baked,
    extract_from_png,
    extract_from_svg,
    iter_png_chunks,
)

BAKED = Path(__file__).parents[2] / "assets" / "baked"
SVG_NS = "http://www.w3.org/2000/svg"
OB3 = "https://purl.imsglobal.org/ob/v3p0"
CLR2 = "https://purl.imsglobal.org/clr/v2p0"

JSON_TEXT = '{"@context": ["https://www.w3.org/ns/credentials/v2"], "name": "Café ✓ — 測試"}'
JWT_TEXT = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJkaWQ6d2ViOmV4YW1wbGUifQ.c2lnbmF0dXJl"
PLAIN_SVG = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    "<!-- artwork -->\n"
    '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" data-x="a>b">\n'
    '  <circle cx="5" cy="5" r="4" fill="#2563eb"/>\n'
    "</svg>\n"
)


@pytest.fixture(scope="module")
def plain_png() -> bytes:
    image = Image.new("RGBA", (16, 16))
    image.putdata([(x * 16, y * 16, (x + y) * 8, 255) for y in range(16) for x in range(16)])
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def credential_chunks(data: bytes) -> list[bytes]:
    keywords = (b"openbadgecredential\0", b"clrcredential\0")
    return [
        data[c.data_start : c.data_end]
        for c in iter_png_chunks(data)
        if c.type in (b"iTXt", b"tEXt", b"zTXt")
        and data[c.data_start : c.data_end].startswith(keywords)
    ]


def credential_elements(svg: str) -> list[Element]:
    root = safe_et.fromstring(svg)
    tags = {f"{{{OB3}}}credential", f"{{{CLR2}}}credential"}
    return [e for e in root.iter() if e.tag in tags]


# -- PNG -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "fmt"), [(JSON_TEXT, "json"), (JWT_TEXT, "jwt")])
@pytest.mark.parametrize(
    ("keyword", "kind"), [("openbadgecredential", "ob3"), ("clrcredential", "clr2")]
)
def test_png_round_trip(plain_png: bytes, text: str, fmt: str, keyword: str, kind: str) -> None:
    baked = bake_png(plain_png, text, keyword=keyword)  # type: ignore[arg-type]
    extracted = extract_baked(baked)
    assert (extracted.content, extracted.format, extracted.kind) == (text, fmt, kind)
    assert extracted.container == "png"


def test_png_chunk_layout_follows_the_spec(plain_png: bytes) -> None:
    baked = bake_png(plain_png, JSON_TEXT)
    chunks = list(iter_png_chunks(baked))
    assert [c.type for c in chunks[:2]] == [b"IHDR", b"iTXt"]
    body = baked[chunks[1].data_start : chunks[1].data_end]
    # keyword ‖ 0 ‖ compression flag 0 ‖ method 0 ‖ empty language ‖ 0 ‖ empty translation ‖ 0
    assert body == b"openbadgecredential\0\0\0\0\0" + JSON_TEXT.encode()
    assert (
        baked
        == PNG_SIGNATURE
        + baked[8 : chunks[1].start]
        + itxt_chunk("openbadgecredential", JSON_TEXT)
        + baked[chunks[1].end :]
    )


def test_baked_png_opens_in_pillow_with_pixels_unchanged(plain_png: bytes) -> None:
    baked = bake_png(plain_png, JSON_TEXT)
    with Image.open(io.BytesIO(plain_png)) as before, Image.open(io.BytesIO(baked)) as after:
        after.load()
        assert after.size == before.size and after.mode == before.mode
        assert after.tobytes() == before.tobytes()
        # Pillow's own reader finds the same uncompressed international text.
        assert after.text["openbadgecredential"] == JSON_TEXT  # type: ignore[attr-defined]
    # Only our chunk was added: every original chunk is still there, byte for byte.
    original = [plain_png[c.start : c.end] for c in iter_png_chunks(plain_png)]
    kept = [baked[c.start : c.end] for c in iter_png_chunks(baked) if c.type != b"iTXt"]
    assert kept == original


def test_rebaking_png_replaces_the_credential(plain_png: bytes) -> None:
    once = bake_png(plain_png, JSON_TEXT)
    twice = bake_png(once, JWT_TEXT)
    assert len(credential_chunks(twice)) == 1
    assert extract_from_png(twice).content == JWT_TEXT
    as_clr = bake_clr_png(twice, JSON_TEXT)
    assert len(credential_chunks(as_clr)) == 1
    assert extract_from_png(as_clr).kind == "clr2"
    assert bake_png(as_clr, JSON_TEXT) == once


def test_rebaking_removes_compressed_and_legacy_text_chunks(plain_png: bytes) -> None:
    chunks = list(iter_png_chunks(plain_png))
    ihdr_end = chunks[0].end
    zipped = png_chunk(b"zTXt", b"openbadgecredential\0\0" + zlib.compress(b"{}"))
    text = png_chunk(b"tEXt", b"clrcredential\0{}")
    dirty = plain_png[:ihdr_end] + zipped + text + plain_png[ihdr_end:]
    with pytest.raises(FormatError, match="more than one"):
        extract_from_png(dirty)
    assert extract_from_png(bake_png(dirty, JWT_TEXT)).content == JWT_TEXT


def test_official_png_vector_rebakes_cleanly() -> None:
    vector = (BAKED / "validator-simple-json.png").read_bytes()
    rebaked = bake_png(vector, JWT_TEXT)
    assert len(credential_chunks(rebaked)) == 1
    assert extract_baked(rebaked).content == JWT_TEXT
    with Image.open(io.BytesIO(vector)) as a, Image.open(io.BytesIO(rebaked)) as b:
        assert a.tobytes() == b.tobytes()


def test_bake_png_refuses_damaged_images_and_empty_text(plain_png: bytes) -> None:
    with pytest.raises(FormatError) as caught:
        bake_png(plain_png[:-20], JSON_TEXT)
    assert caught.value.code == "bad_png"
    with pytest.raises(CredentialNotBakeable) as caught:
        bake_png(plain_png, "  \n ")
    assert caught.value.code == "unbakeable"
    with pytest.raises(CredentialNotBakeable) as caught:
        bake_png(plain_png, "{\ud800}")
    assert caught.value.code == "unbakeable"
    with pytest.raises(ValueError, match="keyword"):
        bake_png(plain_png, JSON_TEXT, keyword="openbadges")  # type: ignore[arg-type]


def test_png_chunk_crc() -> None:
    data = png_chunk(b"IEND", b"")
    assert data == struct.pack(">I", 0) + b"IEND" + struct.pack(">I", 0xAE426082)


# -- SVG -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "jwt"), [(JSON_TEXT, False), (JWT_TEXT, True)])
@pytest.mark.parametrize("kind", ["ob3", "clr2"])
def test_svg_round_trip(text: str, jwt: bool, kind: str) -> None:
    baked = bake_svg(PLAIN_SVG, text, jwt=jwt, kind=kind)  # type: ignore[arg-type]
    extracted = extract_baked(baked.encode())
    assert (extracted.content, extracted.kind, extracted.container) == (text, kind, "svg")
    assert extracted.format == ("jwt" if jwt else "json")
    # Directly after the opening <svg> tag, with the namespace declared on <svg>.
    prefix = "openbadges" if kind == "ob3" else "clr"
    namespace = OB3 if kind == "ob3" else CLR2
    opening = re.search(r"""<svg\b(?:[^>"']|"[^"]*"|'[^']*')*>""", baked)
    assert opening is not None
    assert f'xmlns:{prefix}="{namespace}"' in opening.group()
    assert baked[opening.end() :].startswith(f"<{prefix}:credential")
    if jwt:
        assert f'verify="{text}"' in baked
    else:
        assert "<![CDATA[" in baked and "verify=" not in baked


def test_svg_keeps_the_rest_of_the_document_as_written() -> None:
    baked = bake_svg(PLAIN_SVG, JWT_TEXT, jwt=True)
    element = f'<openbadges:credential verify="{JWT_TEXT}"/>'
    declaration = f' xmlns:openbadges="{OB3}"'
    assert baked.replace(element, "").replace(declaration, "") == PLAIN_SVG


def test_json_with_cdata_terminator_and_carriage_returns_survives() -> None:
    tricky = '{"a": "]]>", "b": "x]]]]>y", "c": "line\r\nbreak\rend", "d": "<&>"}'
    baked = bake_svg(PLAIN_SVG, tricky, jwt=False)
    assert extract_from_svg(baked.encode()).content == tricky


def test_jwt_attribute_escapes_what_xml_would_change() -> None:
    odd = 'a.b.c"&<>\t\n\r'
    baked = bake_svg(PLAIN_SVG, "x" + odd, jwt=True)
    assert extract_from_svg(baked.encode()).content == "x" + odd.rstrip()


def test_rebaking_svg_replaces_the_element() -> None:
    once = bake_svg(PLAIN_SVG, JSON_TEXT, jwt=False)
    twice = bake_svg(once, JWT_TEXT, jwt=True)
    assert len(credential_elements(twice)) == 1
    assert extract_from_svg(twice.encode()).content == JWT_TEXT
    as_clr = bake_clr_svg(twice, JSON_TEXT, jwt=False)
    assert len(credential_elements(as_clr)) == 1
    assert extract_from_svg(as_clr.encode()).kind == "clr2"
    assert (
        bake_svg(bake_svg(once, JSON_TEXT, jwt=False), JSON_TEXT, jwt=False).count(
            "xmlns:openbadges"
        )
        == 1
    )


@pytest.mark.parametrize("name", ["validator-simple-json.svg", "validator-simple-jwt.svg"])
def test_official_svg_vectors_rebake(name: str) -> None:
    vector = (BAKED / name).read_text(encoding="utf-8")
    rebaked = bake_svg(vector, JSON_TEXT, jwt=False)
    assert len(credential_elements(rebaked)) == 1
    assert extract_baked(rebaked.encode()).content == JSON_TEXT
    assert "<!DOCTYPE svg PUBLIC" in rebaked and rebaked.count("xmlns:openbadges") == 1


def test_svg_edge_cases() -> None:
    # A self-closing root, a '>' inside an attribute value, a non-ASCII attribute before it.
    root = '<svg xmlns="http://www.w3.org/2000/svg" title="≥ 1 > 0"/>'
    assert extract_from_svg(bake_svg(root, JWT_TEXT, jwt=True).encode()).content == JWT_TEXT
    # The openbadges prefix already bound to something else: declared on the element instead.
    clash = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="urn:other">'
        "<openbadges:credential>not ours</openbadges:credential></svg>"
    )
    baked = bake_svg(clash, JSON_TEXT, jwt=False)
    assert extract_from_svg(baked.encode()).content == JSON_TEXT
    assert "not ours" in baked
    # Nested credential elements go as a whole.
    nested = bake_svg(
        bake_svg(PLAIN_SVG, JSON_TEXT, jwt=False).replace(
            "</openbadges:credential>",
            f'<openbadges:credential verify="{JWT_TEXT}"/></openbadges:credential>',
        ),
        JWT_TEXT,
        jwt=True,
    )
    assert len(credential_elements(nested)) == 1
    # A declared encoding other than UTF-8 on a str: offsets are still right.
    latin = (
        '<?xml version="1.0" encoding="ISO-8859-1"?>'
        '<svg xmlns="http://www.w3.org/2000/svg" a="é"><g/></svg>'
    )
    baked = bake_svg(latin, JSON_TEXT, jwt=False)
    assert f'a="é" xmlns:openbadges="{OB3}"><openbadges:credential>' in baked
    assert baked.endswith("</openbadges:credential><g/></svg>")
    assert extract_from_svg(baked.encode("latin-1", "replace")).format == "json"


def test_bake_svg_refusals() -> None:
    cases: list[tuple[str, str, bool, str]] = [
        (
            '<!DOCTYPE svg [<!ENTITY x "y">]><svg xmlns="http://www.w3.org/2000/svg"/>',
            JWT_TEXT,
            True,
            "unsafe_svg",
        ),
        ("<svg xmlns='http://www.w3.org/2000/svg'>", JWT_TEXT, True, "bad_svg"),
        ("<html/>", JWT_TEXT, True, "bad_svg"),
        (PLAIN_SVG, "{\x00}", False, "unbakeable"),
        (PLAIN_SVG, "a.b\ufffe.c", True, "unbakeable"),
        (PLAIN_SVG, " ", True, "unbakeable"),
        (PLAIN_SVG, JSON_TEXT, True, "unbakeable"),  # JSON said to be a JWT
        (PLAIN_SVG, JWT_TEXT, False, "unbakeable"),  # a JWT said to be JSON
    ]
    for svg, text, jwt, code in cases:
        # The image's faults are the verifier's FormatErrors; the text's are the issuer's.
        with pytest.raises((FormatError, CredentialNotBakeable)) as caught:
            bake_svg(svg, text, jwt=jwt)
        assert caught.value.code == code, (svg, text)


# -- property: any text round-trips --------------------------------------------------------------
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
XML_CHARS = st.characters(
    blacklist_categories=("Cs",),
    blacklist_characters="\ufffe\uffff",
).filter(lambda ch: ch in "\t\n\r" or ord(ch) >= 0x20)


@settings(max_examples=150, deadline=None)
@given(text=st.text(min_size=1))
def test_any_text_round_trips_through_png(text: str) -> None:
    if not text.strip():
        with pytest.raises(CredentialNotBakeable):
            bake_png(_TINY_PNG, text)
        return
    for keyword in ("openbadgecredential", "clrcredential"):
        extracted = extract_from_png(bake_png(_TINY_PNG, text, keyword=keyword))  # type: ignore[arg-type]
        assert extracted.content == text.strip()
        assert extracted.format == ("json" if text.strip().startswith("{") else "jwt")


@settings(max_examples=200, deadline=None)
@given(text=st.one_of(st.text(alphabet=XML_CHARS, min_size=1), st.text()), clr=st.booleans())
def test_any_text_round_trips_through_svg(text: str, clr: bool) -> None:
    stripped = text.strip()
    jwt = not stripped.startswith("{")
    kind = "clr2" if clr else "ob3"
    if not stripped or NOT_XML.search(stripped):
        with pytest.raises(CredentialNotBakeable) as caught:
            bake_svg(PLAIN_SVG, text, jwt=jwt, kind=kind)
        assert caught.value.code == "unbakeable"
        return
    baked = bake_svg(PLAIN_SVG, text, jwt=jwt, kind=kind)
    extracted = extract_from_svg(baked.encode())
    assert (extracted.content, extracted.kind) == (stripped, kind)
    assert extracted.format == ("jwt" if jwt else "json")
    assert len(credential_elements(baked)) == 1


def _tiny_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), "#123456").save(buffer, format="PNG")
    return buffer.getvalue()


_TINY_PNG = _tiny_png()


# -- artwork -------------------------------------------------------------------------------------
def test_artwork_svg_is_well_formed_and_escapes_admin_text() -> None:
    title = '<script>alert("x")</script> & Rust'
    svg = badge_svg(title=title, subtitle='"Expert" <b>', level=3, issuer="Evil & Co </svg>")
    root = safe_et.fromstring(svg)
    assert root.tag == f"{{{SVG_NS}}}svg"
    assert (root.get("width"), root.get("height"), root.get("viewBox")) == (
        "600",
        "600",
        "0 0 600 600",
    )
    assert not [e for e in root.iter() if e.tag.endswith("script")]
    assert "&lt;script&gt;" in svg and "<script" not in svg
    texts = {
        cls: " ".join(e.text or "" for e in root.iter(f"{{{SVG_NS}}}text") if e.get("class") == cls)
        for cls in ("title", "subtitle", "issuer")
    }
    assert "".join(texts["title"].split()) == "".join(title.split())
    assert texts["subtitle"] == '"Expert" <b>'
    assert texts["issuer"] == "Evil & Co </svg>"


@pytest.mark.parametrize("level", range(1, MAX_LEVEL + 1))
def test_artwork_shows_the_level(level: int) -> None:
    root = safe_et.fromstring(badge_svg(title="SQL", subtitle="", level=level, issuer="X"))
    classes = [e.get("class") for e in root.iter(f"{{{SVG_NS}}}polygon") if e.get("class")]
    assert classes.count("star-on") == level
    assert classes.count("star-off") == MAX_LEVEL - level


def test_artwork_wraps_long_titles_onto_three_lines_at_most() -> None:
    title = "Cloud Security Architecture and Threat Modelling for Distributed Systems " * 3
    root = safe_et.fromstring(badge_svg(title=title, subtitle="s", level=2, issuer="i"))
    lines = [e.text or "" for e in root.iter(f"{{{SVG_NS}}}text") if e.get("class") == "title"]
    assert len(lines) == 3 and lines[-1].endswith("…")
    short = safe_et.fromstring(badge_svg(title="Go", subtitle="s", level=2, issuer="i"))
    assert [e.text for e in short.iter(f"{{{SVG_NS}}}text") if e.get("class") == "title"] == ["Go"]


def test_artwork_colours_are_deterministic() -> None:
    def face(svg: str) -> tuple[str, ...]:
        return tuple(re.findall(r'stop-color="(#[0-9a-f]{6})"', svg))

    a = badge_svg(title="Kubernetes", subtitle="s", level=1, issuer="i")
    assert a == badge_svg(title="Kubernetes", subtitle="s", level=1, issuer="i")
    assert face(a) == face(badge_svg(title="Kubernetes", subtitle="t", level=3, issuer="j"))
    # Titles spread over the palette; the same title always gets the same colour.
    faces = {
        face(badge_svg(title=f"Skill {n}", subtitle="", level=1, issuer="")) for n in range(40)
    }
    assert len(faces) >= len(PALETTE) // 2
    custom = badge_svg(title="Kubernetes", subtitle="s", level=1, issuer="i", accent="#FACC15")
    assert face(custom) != face(a)
    # A light accent gets dark text.
    assert re.search(r'class="title"[^>]*fill="#111827"', custom)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"level": -1},
        {"level": 5},
        {"level": True},
        {"title": "  \x00 "},
        {"accent": 'red" onload="alert(1)'},
        {"accent": "#12345"},
    ],
)
def test_artwork_refuses_bad_arguments(kwargs: dict[str, object]) -> None:
    arguments: dict[str, object] = {"title": "SQL", "subtitle": "", "level": 1, "issuer": "X"}
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=r"level|title|accent"):
        badge_svg(**arguments)  # type: ignore[arg-type]


def test_artwork_level_zero_is_an_emblem_without_stars() -> None:
    """Level 0 is the issuer's emblem: the same design, no level stars, no level in the label."""
    emblem = safe_et.fromstring(
        badge_svg(title="Example Org", subtitle="Issuer", level=0, issuer="")
    )
    assert not [e for e in emblem.iter(f"{{{SVG_NS}}}polygon") if "star" in e.get("class", "")]
    assert emblem.get("aria-label") == "Example Org"
    badge = safe_et.fromstring(badge_svg(title="SQL", subtitle="", level=2, issuer=""))
    stars = [e.get("class") for e in badge.iter(f"{{{SVG_NS}}}polygon") if e.get("class")]
    assert stars == ["star-on", "star-on", "star-off", "star-off"]
    png = badge_png(title="Example Org", subtitle="Issuer", level=0, issuer="")
    assert png.startswith(PNG_SIGNATURE)


def test_artwork_drops_characters_xml_cannot_carry() -> None:
    svg = badge_svg(title="A\x00B\x1bC\ufffe", subtitle="\x07", level=1, issuer="I\x0c")
    root = safe_et.fromstring(svg)
    assert [e.text for e in root.iter(f"{{{SVG_NS}}}text") if e.get("class") == "title"] == ["ABC"]


def test_artwork_png_is_a_600_square_with_transparent_corners() -> None:
    data = badge_png(title="Kubernetes Operations", subtitle="Practitioner", level=2, issuer="Org")
    assert data.startswith(PNG_SIGNATURE)
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        assert image.format == "PNG" and image.size == (600, 600) and image.mode == "RGBA"
        assert image.getpixel((2, 2)) == (0, 0, 0, 0)
        centre = image.getpixel((300, 300))
        assert isinstance(centre, tuple) and centre[3] == 255


def test_artwork_png_bakes_and_extracts() -> None:
    art = badge_png(title="Python", subtitle="Expert", level=4, issuer="Example Org")
    baked = bake_png(art, JSON_TEXT)
    assert extract_baked(baked).content == JSON_TEXT
    with Image.open(io.BytesIO(art)) as a, Image.open(io.BytesIO(baked)) as b:
        assert a.tobytes() == b.tobytes()


def test_artwork_svg_bakes_and_extracts() -> None:
    art = badge_svg(title="Python", subtitle="Expert", level=4, issuer="Example Org")
    baked = bake_svg(art, JWT_TEXT, jwt=True)
    assert extract_baked(baked.encode()).content == JWT_TEXT
    assert len(credential_elements(baked)) == 1
