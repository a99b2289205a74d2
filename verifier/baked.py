"""Reading a credential out of a baked badge image someone hands us (untrusted bytes).

Open Badges 3.0, "Document Formats" › "Baked Badge" (OB-SRC ``ob_v3p0/docformat.md``;
checklist §4):

* **PNG**: the credential sits in an ``iTXt`` chunk with keyword ``openbadgecredential``;
  the text is the compact JWS (VC-JWT) or the JSON credential (Data Integrity). "Compression MUST
  NOT be used", and an image holds exactly one credential. CLR 2.0 uses the keyword
  ``clrcredential`` the same way (1EdTech validator ``PngParser.Keys.CLR20``). Open Badges 2.0
  (OB 2.0 Baking 1.0, "PNGs") uses keyword ``openbadges``: an ``iTXt`` chunk holding a signed
  assertion (compact JWS) or the assertion's JSON, read here like the others (kind ``ob2``);
  the pre-2.0 form, a link in a ``tEXt`` chunk, is refused (``baked_legacy``).
* **SVG**: one ``<openbadges:credential>`` element (namespace
  ``https://purl.imsglobal.org/ob/v3p0``) directly inside the root ``<svg>``; a VC-JWT goes in its
  ``verify`` attribute, a JSON credential in its text (a CDATA section). CLR 2.0 uses namespace
  ``https://purl.imsglobal.org/clr/v2p0``, element ``credential`` (``SvgParser.QNames.CLR20``).
  OB 2.0 (Baking 1.0, "SVGs") uses namespace ``http://openbadges.org``, element ``assertion``: a
  signed assertion in its ``verify`` attribute, or the assertion's JSON in its body (then
  ``verify`` holds the hosted assertion's URL); an element with only a URL in ``verify`` gives
  that URL (format ``url``), which the OB 2.0 verifier fetches as the hosted assertion.

Text that starts with ``{`` is JSON, anything else a compact JWS (what the 1EdTech validator's
``PngParser``/``SvgParser`` do). The content handed back is only *extracted*: the caller verifies
it like any other credential.

Safety. We never let an image decoder near the input, nor trust its metadata:

* PNG chunks are walked here — signature, then length ‖ type ‖ data ‖ CRC-32 per chunk (PNG
  spec §5.3), up to ``IEND``. A chunk length is checked against the PNG limit (2³¹−1) and against
  the bytes actually present *before* anything is sliced, so a lying length allocates nothing,
  and the number of chunks is capped (:data:`MAX_PNG_CHUNKS`), which bounds the walk's time.
  Pixel data (``IDAT``) is never decompressed and ``IHDR`` dimensions are never read, so a
  decompression bomb in the pixels cannot cost us anything; the only cost is one CRC pass over
  at most ``max_bytes``.
* SVG goes through :mod:`defusedxml`'s ElementTree parser (no entity declarations — so no
  billion laughs and no external entities — and no external references). A DOCTYPE without
  entities is allowed: the official baked vectors carry the standard SVG 1.1 DOCTYPE. The parser
  feeds a target that builds no tree and keeps only credential elements, and depth and element
  count are capped (:data:`MAX_SVG_DEPTH`, :data:`MAX_SVG_ELEMENTS`), so memory and time stay
  small whatever the document. The whole input is bounded by ``max_bytes`` before parsing.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final, Literal
from xml.etree.ElementTree import ParseError

import defusedxml  # type: ignore[import-untyped, unused-ignore]
import defusedxml.ElementTree as safe_et  # type: ignore[import-untyped, unused-ignore]

from verifier.errors import (
    BakedCompressed,
    BakedCredentialEmpty,
    BakedLegacyBadge,
    BakedNotItxt,
    InputTooLarge,
    MalformedPng,
    MalformedSvg,
    MultipleBakedCredentials,
    NoBakedCredential,
    NotAnImage,
    UnsafeSvg,
)

__all__ = [
    "CLR2_SVG_NAMESPACE",
    "CREDENTIAL_KEYWORDS",
    "DEFAULT_MAX_BYTES",
    "MAX_PNG_CHUNKS",
    "MAX_SVG_DEPTH",
    "MAX_SVG_ELEMENTS",
    "OB2_SVG_NAMESPACE",
    "OB3_SVG_NAMESPACE",
    "PNG_SIGNATURE",
    "SVG_NAMESPACE",
    "Container",
    "ContentFormat",
    "CredentialKind",
    "Extracted",
    "PngChunk",
    "check_svg",
    "extract_baked",
    "extract_from_png",
    "extract_from_svg",
    "iter_png_chunks",
    "parse_itxt",
]

CredentialKind = Literal["ob3", "clr2", "ob2"]
ContentFormat = Literal["json", "jwt", "url"]
Container = Literal["png", "svg"]

#: A baked badge is artwork plus one credential; 10 MiB leaves room for large artwork.
DEFAULT_MAX_BYTES: Final = 10 * 1024 * 1024

PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
#: PNG spec §5.3: a chunk length shall not exceed 2^31 - 1 bytes.
_MAX_CHUNK_LENGTH: Final = 0x7FFFFFFF
#: Real images have a few dozen chunks (a few thousand with tiny IDAT chunks); a file of nothing
#: but empty chunks could have ~900,000 in 10 MiB and cost seconds to walk. Refuse past this.
MAX_PNG_CHUNKS: Final = 65_536

#: iTXt keyword → the kind of credential it holds (OB 3.0 "Baked Badge" › PNG; checklist §4).
CREDENTIAL_KEYWORDS: Final[dict[bytes, CredentialKind]] = {
    b"openbadgecredential": "ob3",
    b"clrcredential": "clr2",
}
#: Read, never written: we issue no Open Badges 2.0 (so :mod:`issuer.baking` never bakes it).
_READ_KEYWORDS: Final[dict[bytes, CredentialKind]] = {**CREDENTIAL_KEYWORDS, b"openbadges": "ob2"}
_TEXT_CHUNKS: Final = (b"iTXt", b"tEXt", b"zTXt")

SVG_NAMESPACE: Final = "http://www.w3.org/2000/svg"
OB3_SVG_NAMESPACE: Final = "https://purl.imsglobal.org/ob/v3p0"
CLR2_SVG_NAMESPACE: Final = "https://purl.imsglobal.org/clr/v2p0"
OB2_SVG_NAMESPACE: Final = "http://openbadges.org"
_SVG_CREDENTIAL_TAGS: Final[dict[str, CredentialKind]] = {
    f"{{{OB3_SVG_NAMESPACE}}}credential": "ob3",
    f"{{{CLR2_SVG_NAMESPACE}}}credential": "clr2",
    f"{{{OB2_SVG_NAMESPACE}}}assertion": "ob2",
}
_SVG_ROOT_TAG: Final = f"{{{SVG_NAMESPACE}}}svg"
#: Badge artwork is a few hundred elements, a few levels deep; these bound parsing cost.
MAX_SVG_DEPTH: Final = 256
MAX_SVG_ELEMENTS: Final = 100_000


# -- the result ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Extracted:
    """The credential found in a baked image: not yet verified.

    ``content`` is the JSON text or the compact JWS, stripped of surrounding whitespace;
    ``format`` is ``"json"`` when it starts with ``{``, ``"url"`` for an OB 2.0 hosted
    assertion's link (SVG ``verify`` attribute alone), otherwise ``"jwt"``.
    """

    kind: CredentialKind
    content: str
    format: ContentFormat
    container: Container


def _extracted(kind: CredentialKind, text: str, container: Container) -> Extracted:
    content = text.strip()
    if not content:
        raise BakedCredentialEmpty()
    if content.startswith("{"):
        return Extracted(kind, content, "json", container)
    if kind == "ob2" and content.startswith(("https://", "http://")):
        return Extracted(kind, content, "url", container)
    return Extracted(kind, content, "jwt", container)


def _check_size(data: bytes, max_bytes: int) -> None:
    if len(data) > max_bytes:
        raise InputTooLarge(
            "The image is larger than the size limit.",
            hint=f"{len(data)} bytes; the limit is {max_bytes}.",
        )


# -- PNG -----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PngChunk:
    """One chunk of a PNG file, as offsets into the file: ``start`` is its length field."""

    type: bytes
    start: int
    data_start: int
    data_end: int

    @property
    def end(self) -> int:
        """Offset just past the chunk's CRC."""
        return self.data_end + 4


def iter_png_chunks(data: bytes) -> Iterator[PngChunk]:
    """Yield the chunks of ``data`` up to and including ``IEND``, checking each one.

    Raises :class:`MalformedPng` for a bad signature, a first chunk other than ``IHDR``, a length
    over the PNG limit or past the end of the data, a type that is not four ASCII letters, a CRC
    mismatch, a file that ends before ``IEND``, or more than :data:`MAX_PNG_CHUNKS` chunks.
    Bytes after ``IEND`` are ignored. Nothing is copied except each chunk's 8-byte header.
    """
    if not data.startswith(PNG_SIGNATURE):
        raise MalformedPng("The file does not start with the PNG signature.")
    view = memoryview(data)
    size = len(data)
    pos = len(PNG_SIGNATURE)
    first = True
    for _ in range(MAX_PNG_CHUNKS):
        if pos + 12 > size:
            raise MalformedPng(
                "The PNG image is incomplete: it ends before its final chunk.",
                hint=f"{size - pos} stray bytes at offset {pos}; IEND never came.",
            )
        length, ctype = struct.unpack_from(">I4s", data, pos)
        if length > _MAX_CHUNK_LENGTH:
            raise MalformedPng(
                "The PNG image is damaged: a chunk claims an impossible length.",
                hint=f"chunk at offset {pos} claims {length} bytes.",
            )
        data_start = pos + 8
        data_end = data_start + length
        if data_end + 4 > size:
            raise MalformedPng(
                "The PNG image is incomplete: a chunk runs past the end of the file.",
                hint=f"chunk {ctype!r} at offset {pos} claims {length} bytes; "
                f"only {max(size - data_start - 4, 0)} remain.",
            )
        if not ctype.isalpha():
            raise MalformedPng(
                "The PNG image is damaged: a chunk has an invalid type.",
                hint=f"chunk type {ctype!r} at offset {pos}.",
            )
        if first and ctype != b"IHDR":
            raise MalformedPng("The PNG image is damaged: it does not start with a header chunk.")
        first = False
        (crc,) = struct.unpack_from(">I", data, data_end)
        if zlib.crc32(view[pos + 4 : data_end]) != crc:
            raise MalformedPng(
                "The PNG image is damaged: a chunk's checksum does not match its content.",
                hint=f"CRC mismatch in chunk {ctype!r} at offset {pos}.",
            )
        chunk = PngChunk(ctype, pos, data_start, data_end)
        yield chunk
        if ctype == b"IEND":
            return
        pos = chunk.end
    raise MalformedPng(
        "The PNG image has far more chunks than any real image.",
        hint=f"more than {MAX_PNG_CHUNKS} chunks",
    )


@dataclass(frozen=True, slots=True)
class _TextChunk:
    keyword: bytes
    compressed: bool
    text: bytes


def parse_itxt(body: bytes) -> tuple[bytes, bool, bytes]:
    """Split an iTXt chunk body into (keyword, compressed, text bytes).

    Layout (PNG spec §11.3.4.5): keyword ‖ 0 ‖ compression flag ‖ compression method ‖
    language tag ‖ 0 ‖ translated keyword ‖ 0 ‖ text. Raises :class:`MalformedPng`.
    """
    keyword, sep, rest = body.partition(b"\0")
    if not sep or not 1 <= len(keyword) <= 79 or len(rest) < 2:
        raise MalformedPng("The PNG image is damaged: a text chunk is malformed.")
    flag, method = rest[0], rest[1]
    if flag not in (0, 1) or method != 0:
        raise MalformedPng(
            "The PNG image is damaged: a text chunk has an unknown compression setting."
        )
    _language, sep1, rest = rest[2:].partition(b"\0")
    _translated, sep2, text = rest.partition(b"\0")
    if not (sep1 and sep2):
        raise MalformedPng("The PNG image is damaged: a text chunk is malformed.")
    return keyword, flag == 1, text


def _text_chunk(ctype: bytes, body: bytes) -> _TextChunk:
    if ctype == b"iTXt":
        keyword, compressed, text = parse_itxt(body)
        return _TextChunk(keyword, compressed, text)
    keyword, _, rest = body.partition(b"\0")
    # tEXt is never compressed; zTXt always is (PNG spec §11.3.4.3-4).
    return _TextChunk(keyword, ctype == b"zTXt", rest)


def extract_from_png(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Extracted:
    """Return the one OB 3.0 / CLR 2.0 credential baked into the PNG ``data``.

    The whole file is checked (every chunk's CRC, up to ``IEND``) before the credential is
    judged. Raises ``too_large``, ``bad_png``, ``baked_none``, ``baked_legacy``,
    ``baked_multiple``, ``baked_compressed``, ``baked_not_itxt`` or ``baked_empty``.
    """
    _check_size(data, max_bytes)
    found: list[tuple[CredentialKind, bytes, _TextChunk]] = []
    for chunk in iter_png_chunks(data):
        if chunk.type not in _TEXT_CHUNKS:
            continue
        # Only the keyword is read before we know the chunk is ours: cheap for foreign chunks.
        head = data[chunk.data_start : min(chunk.data_end, chunk.data_start + 80)]
        keyword = head.partition(b"\0")[0]
        kind = _READ_KEYWORDS.get(keyword)
        if kind is not None:
            body = data[chunk.data_start : chunk.data_end]
            found.append((kind, chunk.type, _text_chunk(chunk.type, body)))
    if not found:
        raise NoBakedCredential()
    if len(found) > 1:
        raise MultipleBakedCredentials(
            hint=f"{len(found)} credential chunks: "
            + ", ".join(f"{c.keyword.decode('latin-1')} ({t.decode()})" for _, t, c in found)
        )
    kind, ctype, text_chunk = found[0]
    if kind == "ob2" and ctype == b"tEXt":
        # OB 2.0 Baking 1.0, "Legacy PNGs": before the spec, a link went into tEXt.
        raise BakedLegacyBadge(hint=text_chunk.text[:200].decode("latin-1"))
    if text_chunk.compressed:
        raise BakedCompressed()
    if ctype != b"iTXt":
        raise BakedNotItxt(hint=f"found in a {ctype.decode()} chunk")
    try:
        text = text_chunk.text.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedPng(
            "The badge credential in the PNG image is not valid UTF-8 text."
        ) from None
    return _extracted(kind, text, "png")


# -- SVG -----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _SvgCredential:
    kind: CredentialKind
    verify: str | None
    text: str


class _CredentialFinder:
    """A parser target (ElementTree ``XMLParser(target=…)``) that builds no tree.

    It sees every start tag, end tag and piece of text, keeps only the credential elements'
    ``verify`` attribute and text (all descendant text, as ``itertext`` would), and refuses
    documents nested deeper than :data:`MAX_SVG_DEPTH` or with more than
    :data:`MAX_SVG_ELEMENTS` elements — so time and memory stay bounded by those limits.
    """

    def __init__(self) -> None:
        self.found: list[_SvgCredential] = []
        self.depth = 0
        self.elements = 0
        self._open: list[tuple[int, CredentialKind, str | None, list[str]]] = []

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        self.depth += 1
        self.elements += 1
        if self.depth > MAX_SVG_DEPTH:
            raise MalformedSvg(
                "The SVG image is nested too deeply to be badge artwork.",
                hint=f"more than {MAX_SVG_DEPTH} levels",
            )
        if self.elements > MAX_SVG_ELEMENTS:
            raise MalformedSvg(
                "The SVG image has far more elements than badge artwork needs.",
                hint=f"more than {MAX_SVG_ELEMENTS} elements",
            )
        if self.depth == 1:
            if tag != _SVG_ROOT_TAG:
                raise MalformedSvg(
                    "The file is XML but not an SVG image.", hint=f"root element {tag!r}"
                )
            return
        kind = _SVG_CREDENTIAL_TAGS.get(tag)
        if kind is not None:
            self._open.append((self.depth, kind, attrib.get("verify"), []))

    def data(self, text: str) -> None:
        for *_, parts in self._open:
            parts.append(text)

    def end(self, _tag: str) -> None:
        if self._open and self._open[-1][0] == self.depth:
            _, kind, verify, parts = self._open.pop()
            self.found.append(_SvgCredential(kind, verify, "".join(parts)))
        self.depth -= 1

    def close(self) -> None:
        return None


def _scan_svg(data: bytes | str) -> _CredentialFinder:
    """Parse untrusted SVG with :mod:`defusedxml`'s ElementTree parser; return what it found.

    Raises :class:`UnsafeSvg` (entity declarations, external references) or
    :class:`MalformedSvg` (not well-formed XML, a root that is not SVG's ``<svg>``, or past the
    depth / element limits).
    """
    finder = _CredentialFinder()
    parser = safe_et.DefusedXMLParser(
        target=finder, forbid_dtd=False, forbid_entities=True, forbid_external=True
    )
    try:
        parser.feed(data)
        parser.close()
    except defusedxml.DefusedXmlException as exc:
        raise UnsafeSvg(hint=f"{type(exc).__name__}: {exc}") from None
    except ParseError as exc:
        raise MalformedSvg(
            "The SVG image is not well-formed XML.", hint=f"XML parser: {exc}"
        ) from None
    except (LookupError, ValueError) as exc:
        # The XML declaration names the encoding: expat refuses unknown ones (LookupError)
        # and multi-byte ones such as Shift_JIS or UTF-32 (ValueError).
        raise MalformedSvg(
            "The SVG image declares a text encoding we cannot read.", hint=f"XML parser: {exc}"
        ) from None
    return finder


def check_svg(data: bytes | str) -> None:
    """Refuse SVG we would not read (``unsafe_svg``, ``bad_svg``), as :func:`extract_from_svg`."""
    _scan_svg(data)


def extract_from_svg(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Extracted:
    """Return the one OB 3.0 / CLR 2.0 credential baked into the SVG ``data``.

    A ``verify`` attribute holds a compact JWS; otherwise the element's text (CDATA) holds the
    JSON. An OB 2.0 ``assertion`` element may have both when ``verify`` is the hosted
    assertion's URL (the JSON is then read; the verifier fetches the hosted copy by its id).
    Raises ``too_large``, ``unsafe_svg``, ``bad_svg``, ``baked_none``, ``baked_multiple`` or
    ``baked_empty``.
    """
    _check_size(data, max_bytes)
    finder = _scan_svg(data)
    found = finder.found
    if not found:
        raise NoBakedCredential()
    if len(found) > 1:
        raise MultipleBakedCredentials(hint=f"{len(found)} credential elements")
    credential = found[0]
    if (
        credential.kind == "ob2"
        and credential.verify is not None
        and credential.verify.strip().startswith(("https://", "http://"))
        and credential.text.strip()
    ):
        return _extracted(credential.kind, credential.text, "svg")
    if credential.verify is not None:
        if credential.text.strip():
            raise MultipleBakedCredentials(
                "The image's badge element holds both a signed token and a JSON credential, "
                "so it is ambiguous."
            )
        return _extracted(credential.kind, credential.verify, "svg")
    return _extracted(credential.kind, credential.text, "svg")


# -- either --------------------------------------------------------------------------------------
_BOM: Final = b"\xef\xbb\xbf"
_SVG_STARTS: Final = (b"<?xml", b"<svg", b"<!doctype svg", b"<!--")


def _looks_like_svg(data: bytes) -> bool:
    head = data[:1024]
    if head.startswith(_BOM):
        head = head[len(_BOM) :]
    head = head.lstrip(b" \t\r\n").lower()
    return head.startswith(_SVG_STARTS)


def extract_baked(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Extracted:
    """Sniff ``data`` (PNG by signature, SVG by its opening) and extract its credential.

    Raises ``too_large``, ``not_an_image`` or any error of :func:`extract_from_png` /
    :func:`extract_from_svg`.
    """
    _check_size(data, max_bytes)
    if data[1:4] == b"PNG":
        # A damaged signature (say, line endings converted in transfer, which is what the
        # signature is designed to reveal) is still a PNG: report it as damaged, not as foreign.
        return extract_from_png(data, max_bytes=max_bytes)
    if _looks_like_svg(data):
        return extract_from_svg(data, max_bytes=max_bytes)
    raise NotAnImage(hint="Expected a PNG signature or an XML/SVG opening.")
