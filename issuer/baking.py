"""Baking a signed credential into badge artwork (PNG and SVG), so the image *is* the badge.

Open Badges 3.0, "Document Formats" › "Baked Badge" (OB-SRC ``ob_v3p0/docformat.md``;
checklist §4):

* PNG: one ``iTXt`` chunk, keyword ``openbadgecredential``, holding the compact JWS or
  the JSON credential. "Compression MUST NOT be used": we write compression flag 0, method 0,
  an empty language tag and an empty translated keyword. There must be at most one such chunk;
  re-baking *overwrites* (we remove every earlier credential chunk, OB 3.0 or CLR 2.0, first).
  The chunk goes right after ``IHDR``; every other chunk is copied byte for byte, so the pixels
  are untouched.
* SVG: ``xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"`` on the root ``<svg>``
  and, directly after its opening tag, ``<openbadges:credential verify="JWS"/>`` (VC-JWT) or
  ``<openbadges:credential><![CDATA[ JSON ]]></openbadges:credential>`` (Data Integrity). Any
  earlier credential element is removed. The rest of the document is kept as written (no
  re-serialisation): the edit is made at byte offsets reported by the XML parser.
* CLR 2.0 works the same with keyword ``clrcredential`` and SVG element ``credential`` in
  namespace ``https://purl.imsglobal.org/clr/v2p0`` (1EdTech validator ``PngParser`` /
  ``SvgParser``, ``CLR20``).

The credential text is stored stripped of surrounding whitespace, so
``extract(bake(x, text)).content == text.strip()``. Characters XML cannot carry are refused for
SVG; ``]]>`` inside JSON splits the CDATA section, and carriage returns are written as ``&#13;``
(XML would otherwise turn them into line feeds), so every text round-trips exactly.

Input images are checked with the verifier's own readers (:mod:`verifier.baked`), so a damaged
PNG or an unsafe SVG is refused with the same error codes a verifier would give.
"""

from __future__ import annotations

import re
import struct
import zlib
from typing import Final, Literal
from xml.parsers import expat

from issuer.errors import CredentialNotBakeable
from verifier.baked import (
    CLR2_SVG_NAMESPACE,
    CREDENTIAL_KEYWORDS,
    OB3_SVG_NAMESPACE,
    PNG_SIGNATURE,
    CredentialKind,
    check_svg,
    iter_png_chunks,
)
from verifier.errors import UnsafeSvg

__all__ = [
    "Keyword",
    "bake_clr_png",
    "bake_clr_svg",
    "bake_png",
    "bake_svg",
    "itxt_chunk",
    "png_chunk",
]

Keyword = Literal["openbadgecredential", "clrcredential"]

_MAX_CHUNK_LENGTH: Final = 0x7FFFFFFF
_TEXT_CHUNKS: Final = (b"iTXt", b"tEXt", b"zTXt")

#: SVG prefix, namespace and local name of the credential element, per credential kind.
_SVG_ELEMENTS: Final[dict[CredentialKind, tuple[str, str]]] = {
    "ob3": ("openbadges", OB3_SVG_NAMESPACE),
    "clr2": ("clr", CLR2_SVG_NAMESPACE),
}
_LOCAL_NAME: Final = "credential"

#: Characters outside XML 1.0's ``Char`` production (XML 1.0 §2.2).
_NOT_XML_CHAR: Final = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _credential_text(credential_text: str) -> str:
    text = credential_text.strip()
    if not text:
        raise CredentialNotBakeable("There is no credential to bake: the text is empty.")
    return text


# -- PNG -----------------------------------------------------------------------------------------
def png_chunk(ctype: bytes, data: bytes) -> bytes:
    """One PNG chunk: length ‖ type ‖ data ‖ CRC-32 over type and data (PNG spec §5.3)."""
    if len(ctype) != 4 or not ctype.isalpha():
        raise ValueError(f"not a PNG chunk type: {ctype!r}")
    if len(data) > _MAX_CHUNK_LENGTH:
        raise CredentialNotBakeable("The credential is too large for a PNG chunk.")
    return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", zlib.crc32(ctype + data))


def itxt_chunk(keyword: str, text: str) -> bytes:
    """An uncompressed iTXt chunk (PNG spec §11.3.4.5).

    keyword ‖ 0 ‖ compression flag 0 ‖ method 0 ‖ empty language ‖ 0 ‖ empty translation ‖ 0 ‖
    UTF-8 text.
    """
    key = keyword.encode("latin-1")
    if not 1 <= len(key) <= 79 or b"\0" in key:
        raise ValueError(f"not a PNG text keyword: {keyword!r}")
    try:
        body = text.encode("utf-8")
    except UnicodeEncodeError:
        raise CredentialNotBakeable(
            "The credential text is not valid Unicode (it has unpaired surrogates)."
        ) from None
    return png_chunk(b"iTXt", key + b"\0\0\0\0\0" + body)


def _is_credential_chunk(png: bytes, ctype: bytes, data_start: int, data_end: int) -> bool:
    if ctype not in _TEXT_CHUNKS:
        return False
    head = png[data_start : min(data_end, data_start + 80)]
    return head.partition(b"\0")[0] in CREDENTIAL_KEYWORDS


def bake_png(
    png: bytes, credential_text: str, *, keyword: Keyword = "openbadgecredential"
) -> bytes:
    """Return ``png`` with ``credential_text`` baked in (one uncompressed iTXt after ``IHDR``).

    Earlier ``openbadgecredential`` / ``clrcredential`` chunks are removed; every other chunk
    is copied unchanged and bytes after ``IEND`` are dropped. Raises
    :class:`~verifier.errors.MalformedPng` (``bad_png``) for a damaged image and
    :class:`CredentialNotBakeable` (``unbakeable``) for an empty or unencodable text.
    """
    if keyword.encode() not in CREDENTIAL_KEYWORDS:
        raise ValueError(f"not a credential keyword: {keyword!r}")
    baked = itxt_chunk(keyword, _credential_text(credential_text))
    parts = [PNG_SIGNATURE]
    for chunk in iter_png_chunks(png):
        if _is_credential_chunk(png, chunk.type, chunk.data_start, chunk.data_end):
            continue
        parts.append(png[chunk.start : chunk.end])
        if chunk.type == b"IHDR":
            parts.append(baked)
    return b"".join(parts)


def bake_clr_png(png: bytes, credential_text: str) -> bytes:
    """:func:`bake_png` for a CLR 2.0 credential (keyword ``clrcredential``)."""
    return bake_png(png, credential_text, keyword="clrcredential")


# -- SVG -----------------------------------------------------------------------------------------
def _xml_text(text: str) -> str:
    bad = _NOT_XML_CHAR.search(text)
    if bad:
        raise CredentialNotBakeable(
            "The credential contains a character that cannot be written into an SVG image.",
            hint=f"U+{ord(bad.group()):04X} at position {bad.start()} is not an XML character.",
        )
    return text


def _cdata(text: str) -> str:
    """``text`` as CDATA that reads back exactly: ``]]>`` split, CR as a character reference."""
    body = text.replace("]]>", "]]]]><![CDATA[>").replace("\r", "]]>&#13;<![CDATA[")
    return f"<![CDATA[{body}]]>"


def _attribute(text: str) -> str:
    """``text`` as a double-quoted attribute value that survives attribute normalisation."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("\t", "&#9;")
        .replace("\n", "&#10;")
        .replace("\r", "&#13;")
    )


def _tag_end(buf: bytes, pos: int) -> int:
    """Offset just past the ``>`` closing the tag that starts at ``buf[pos] == '<'``."""
    quote = 0
    for i in range(pos + 1, len(buf)):
        byte = buf[i]
        if quote:
            if byte == quote:
                quote = 0
        elif byte in (0x22, 0x27):  # " '
            quote = byte
        elif byte == 0x3E:  # >
            return i + 1
    raise ValueError("unterminated tag")  # unreachable for a document expat accepted


class _SvgLayout:
    """Byte offsets in a well-formed SVG: the root's opening tag and any credential elements."""

    def __init__(self, svg: str) -> None:
        # pyexpat parses a str as UTF-8 whatever the XML declaration says, so the offsets it
        # reports index the UTF-8 encoding of ``svg``.
        self.buf = svg.encode("utf-8")
        self.root_start = -1
        self.root_namespaces: dict[str, str] = {}
        self.credential_spans: list[tuple[int, int]] = []
        self._depth = 0
        self._open: list[tuple[bool, int]] = []
        self._inside = 0
        self._credential_names = {f"{ns} {_LOCAL_NAME}" for _, ns in _SVG_ELEMENTS.values()}
        parser = expat.ParserCreate(namespace_separator=" ")
        # Defence in depth: the document already passed defusedxml; refuse entities again.
        parser.EntityDeclHandler = self._refuse
        parser.UnparsedEntityDeclHandler = self._refuse
        parser.ExternalEntityRefHandler = self._refuse_external
        parser.StartNamespaceDeclHandler = self._namespace
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        self._parser = parser
        parser.Parse(svg, True)

    @staticmethod
    def _refuse(*_args: object) -> None:
        raise UnsafeSvg()

    @staticmethod
    def _refuse_external(*_args: object) -> int:
        raise UnsafeSvg()

    def _namespace(self, prefix: str | None, uri: str) -> None:
        if self.root_start < 0:
            self.root_namespaces[prefix or ""] = uri

    def _start(self, name: str, _attributes: dict[str, str]) -> None:
        pos = self._parser.CurrentByteIndex
        if self.root_start < 0:
            self.root_start = pos
        is_credential = self._depth > 0 and name in self._credential_names
        self._open.append((is_credential, pos))
        self._inside += is_credential
        self._depth += 1

    def _end(self, _name: str) -> None:
        self._depth -= 1
        is_credential, start = self._open.pop()
        if not is_credential:
            return
        self._inside -= 1
        if self._inside:
            return  # nested inside another credential element, which goes as a whole
        open_end = _tag_end(self.buf, start)
        if self.buf[open_end - 2 : open_end] == b"/>":
            end = open_end
        else:
            end = self.buf.index(b">", self._parser.CurrentByteIndex) + 1
        self.credential_spans.append((start, end))


def bake_svg(svg: str, credential_text: str, *, jwt: bool, kind: CredentialKind = "ob3") -> str:
    """Return ``svg`` with ``credential_text`` baked in as its first child element.

    ``jwt=True``: a compact JWS, written to the ``verify`` attribute; ``jwt=False``: a JSON
    credential (must start with ``{``), written as CDATA. Earlier OB 3.0 / CLR 2.0 credential
    elements are removed. Raises :class:`~verifier.errors.UnsafeSvg` / ``MalformedSvg`` for a
    refused document and :class:`CredentialNotBakeable` for a text that cannot be stored.
    """
    text = _xml_text(_credential_text(credential_text))
    if jwt == text.startswith("{"):
        raise CredentialNotBakeable(
            "A compact JWS cannot start with '{'."
            if jwt
            else "A JSON credential must be a JSON object (starting with '{')."
        )
    check_svg(svg)  # well-formed, safe, and rooted at <svg>: else the verifier's own error
    layout = _SvgLayout(svg)
    buf = layout.buf

    prefix, namespace = _SVG_ELEMENTS[kind]
    declared = layout.root_namespaces.get(prefix)
    declaration = f' xmlns:{prefix}="{namespace}"'
    qname = f"{prefix}:{_LOCAL_NAME}"
    local_declaration = declaration if declared not in (None, namespace) else ""
    if jwt:
        element = f'<{qname}{local_declaration} verify="{_attribute(text)}"/>'
    else:
        element = f"<{qname}{local_declaration}>{_cdata(text)}</{qname}>"

    root_open_end = _tag_end(buf, layout.root_start)
    self_closing = buf[root_open_end - 2 : root_open_end] == b"/>"
    attributes_end = root_open_end - (2 if self_closing else 1)
    root_head = buf[layout.root_start : attributes_end]
    if declared is None:
        root_head += declaration.encode()
    if self_closing:
        root_name = re.match(rb"<([^\s/>]+)", root_head)
        assert root_name is not None
        opening = root_head + b">" + element.encode() + b"</" + root_name.group(1) + b">"
    else:
        opening = root_head + b">" + element.encode()

    parts = [buf[: layout.root_start], opening]
    pos = root_open_end
    for start, end in layout.credential_spans:
        parts.append(buf[pos:start])
        pos = end
    parts.append(buf[pos:])
    return b"".join(parts).decode("utf-8")


def bake_clr_svg(svg: str, credential_text: str, *, jwt: bool) -> str:
    """:func:`bake_svg` for a CLR 2.0 credential (``clr:credential``, CLR 2.0 namespace)."""
    return bake_svg(svg, credential_text, jwt=jwt, kind="clr2")
