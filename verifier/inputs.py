"""What did someone hand the verifier? Classify an input before verifying it.

Kinds: ``credential`` (JSON with an embedded proof), ``jwt`` (compact VC-JWT), ``presentation``,
``clr``, ``passport_export`` (:mod:`verifier.containers`; a presentation or CLR may also come as a
compact JWS, then its value is the token text), ``png`` / ``svg`` (baked badges,
:mod:`verifier.baked`), ``qr_image`` (a picture of a QR code — decoded here, never fetched),
``url``. Images are only decoded for QR codes, and only after their declared size is checked
(a PNG's ``IHDR`` is read by hand, other formats' headers by Pillow without decoding pixels), so a
decompression bomb is refused before any pixel is inflated.

Where a URL or QR code points is judged by :func:`our_link`: only links to this deployment's
``/credentials/<id>`` or ``/p/<token>`` are followed (by the caller, locally); anything else gets a
verdict and is not fetched from here.
"""

from __future__ import annotations

import io
import struct
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal
from urllib.parse import unquote, urlsplit

from verifier.baked import PNG_SIGNATURE
from verifier.containers import (
    ContainerReport,
    container_kind,
    jwt_container_kind,
    verify_container,
    verify_container_jwt,
)
from verifier.errors import (
    FetchError,
    FormatError,
    NoBakedCredential,
    QrImageError,
    UnsupportedFormat,
    VerificationError,
)
from verifier.jsonparse import parse_json
from verifier.report import Check, Report
from verifier.verify import CredentialInput, Verifier, read_credential

__all__ = [
    "MAX_QR_IMAGE_PIXELS",
    "MAX_QR_IMAGE_SIDE",
    "Classified",
    "InputKind",
    "LinkResolver",
    "OurLink",
    "classify",
    "decode_qr",
    "our_link",
    "verify_any",
]

InputKind = Literal[
    "credential", "jwt", "presentation", "clr", "passport_export", "png", "svg", "qr_image", "url"
]

#: A phone photo of a QR code is ~12 MP; nothing legitimate needs more.
MAX_QR_IMAGE_PIXELS: Final = 16_000_000
MAX_QR_IMAGE_SIDE: Final = 8_192
_IMAGE_MAGIC: Final = (b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"RIFF", b"BM")


@dataclass(frozen=True, slots=True)
class Classified:
    """The input's kind and what to verify: parsed JSON, text, or the raw bytes."""

    kind: InputKind
    value: Any


@dataclass(frozen=True, slots=True)
class OurLink:
    """A link to this deployment: a badge page or a share link."""

    kind: Literal["credential", "share"]
    ident: str


def classify(
    data: bytes | str,
    *,
    max_bytes: int,
    max_depth: int = 48,
    credential_max_bytes: int | None = None,
) -> Classified:
    """Say what ``data`` is: the one place that looks. A lone credential (JSON, JWT, or baked
    into a PNG or SVG) comes back as a :class:`~verifier.verify.CredentialInput`, which the
    Verifier takes as it is. ``max_bytes`` bounds the whole input (a container may hold many
    credentials), ``credential_max_bytes`` the credential baked into an image (default: the
    same). Raises a :class:`~verifier.errors.FormatError` for unreadable input."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > max_bytes:
        raise FormatError(
            f"The input is larger than the limit of {max_bytes} bytes.", code="too_large"
        )
    one_max = credential_max_bytes or max_bytes
    if raw[1:4] == b"PNG":
        return _image("png", raw, max_bytes=one_max, max_depth=max_depth)
    if raw.startswith(_IMAGE_MAGIC):
        return Classified("qr_image", raw)
    text = raw.strip()
    if text.startswith((b"<", b"\xef\xbb\xbf<")):
        return _image("svg", raw, max_bytes=one_max, max_depth=max_depth)
    if text.startswith((b"https://", b"http://")):
        return Classified("url", text.decode("utf-8", "replace"))
    if text[:1] in (b"{", b"["):
        document = parse_json(text, max_bytes=max_bytes, max_depth=max_depth, what="input")
        if isinstance(document, list):
            return Classified("passport_export", {"credentials": document})
        if isinstance(document, Mapping):
            kind = container_kind(document)
            return Classified(kind, document) if kind else _one("credential", document)
        raise UnsupportedFormat("The JSON is neither a credential nor a collection of them.")
    if text.count(b".") == 2:
        token = text.decode("ascii", "replace")
        found = jwt_container_kind(token, max_bytes=max_bytes, max_depth=max_depth)
        return Classified(found[0], token) if found else _one("jwt", token)
    raise UnsupportedFormat(
        "The input is not a credential, a signed token, a badge image, a QR code or a link.",
    )


def _one(kind: InputKind, value: Mapping[str, Any] | str) -> Classified:
    return Classified(kind, CredentialInput(value))


def _image(kind: InputKind, raw: bytes, *, max_bytes: int, max_depth: int) -> Classified:
    """A baked badge (its credential read once, here) or, for a PNG without one, a picture
    of a QR code. An image whose baked credential is damaged stays raw bytes: the Verifier
    reads it again and reports its own problem (two chunks, damage …) as the verdict."""
    try:
        return Classified(kind, read_credential(raw, max_bytes=max_bytes, max_depth=max_depth))
    except NoBakedCredential:
        return Classified("qr_image", raw) if kind == "png" else Classified(kind, raw)
    except FormatError:
        return Classified(kind, raw)


def _png_size(data: bytes) -> tuple[int, int]:
    # PNG spec §11.2.2: IHDR is the first chunk; width and height are its first 8 bytes.
    if not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR" or len(data) < 24:
        raise QrImageError("The PNG image is damaged.", code="bad_png")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _check_size(width: int, height: int) -> None:
    if (
        width <= 0
        or height <= 0
        or width > MAX_QR_IMAGE_SIDE
        or height > MAX_QR_IMAGE_SIDE
        or width * height > MAX_QR_IMAGE_PIXELS
    ):
        raise QrImageError(
            f"The image claims to be {width}×{height} pixels, too large to be a QR code photo; "
            "it was not decoded.",
            code="image_too_large",
            hint="Possible decompression bomb: refused before inflating any pixels.",
        )


def decode_qr(data: bytes) -> str:
    """The text of the first QR code in the image. Raises :class:`QrImageError`."""
    import zxingcpp
    from PIL import Image, UnidentifiedImageError

    if data[1:4] == b"PNG":
        _check_size(*_png_size(data))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))  # reads the header only
            _check_size(*image.size)
            image.load()
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise QrImageError(
            "The image is too large to be a QR code photo; it was not decoded.",
            code="image_too_large",
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise QrImageError("The image could not be read.", code="bad_image") from exc
    found = zxingcpp.read_barcodes(image.convert("L"))
    for barcode in found:
        if barcode.text:
            return str(barcode.text)
    raise QrImageError()


def our_link(url: str, public_url: str) -> OurLink | None:
    """The badge or share link ``url`` names on this deployment, or None if it points elsewhere.

    Compares scheme, host and port with ``public_url`` exactly (and its path prefix), so a
    look-alike host, userinfo trick or another port is "elsewhere".
    """
    target = urlsplit(url.strip())
    base = urlsplit(public_url.rstrip("/"))
    if target.username or target.password:
        return None
    if (target.scheme, target.netloc.lower()) != (base.scheme, base.netloc.lower()):
        return None
    path = target.path
    if base.path:
        if not path.startswith(base.path + "/"):
            return None
        path = path[len(base.path) :]
    for prefix, kind in (("/credentials/", "credential"), ("/p/", "share")):
        if path.startswith(prefix):
            ident = unquote(path[len(prefix) :]).strip("/")
            if ident and "/" not in ident.replace("urn:uuid:", ""):
                return OurLink(kind, ident)  # type: ignore[arg-type]
    return None


#: Looks a link to this deployment up locally: the credential's stored text, or None if unknown.
#: It may raise a :class:`~verifier.errors.VerificationError` to say why a link that existed
#: shows nothing any more (a share link revoked or expired): that becomes the verdict.
LinkResolver = Callable[[OurLink], "bytes | str | None"]


def _refused(code: str, message: str, hint: str | None = None) -> ContainerReport:
    return ContainerReport.of_one(
        Report.from_outcomes(
            {"format": Check("format", "failed", code, message, hint)},
            proof_format=None,
            credential=None,
            skipped_reason="The input could not be read, so this was not checked.",
        )
    )


def _baked_clr(verifier: Verifier, given: CredentialInput) -> CredentialInput | None:
    """The baked credential when it is a CLR (JSON or VC-JWT), else None."""
    value = given.value
    if isinstance(value, str):
        found = jwt_container_kind(
            value, max_bytes=verifier.max_bytes, max_depth=verifier.max_depth
        )
        return given if found is not None and found[0] == "clr" else None
    return given if container_kind(value) == "clr" else None


def verify_any(
    verifier: Verifier,
    data: bytes | str,
    *,
    now: datetime,
    recipient: str | None = None,
    public_url: str | None = None,
    resolve_link: LinkResolver | None = None,
    fetch_links: bool = False,
    challenge: str | None = None,
    domain: str | None = None,
    _depth: int = 0,
) -> ContainerReport:
    """Verify whatever was handed over. A container's outcome lists every credential it holds;
    one credential handed over alone is a container of one (:meth:`ContainerReport.of_one`).

    Never raises for bad input. Links (pasted, or decoded from a QR code) to this deployment
    (``public_url``) are looked up with ``resolve_link``; a pasted https link elsewhere is
    fetched only when ``fetch_links`` (through the verifier's own safe fetcher, which refuses
    private and loopback addresses); a QR code pointing elsewhere is never fetched.
    ``challenge`` and ``domain``, when given, must match a signed presentation's proof: a
    presentation replayed from another request fails its signature check.
    """
    limit = verifier.max_bytes * 20  # a container of many credentials may be that large
    try:
        found = classify(
            data,
            max_bytes=limit,
            max_depth=verifier.max_depth,
            credential_max_bytes=verifier.max_bytes,
        )
    except FormatError:
        return ContainerReport.of_one(verifier.report(data, now=now, recipient=recipient))
    if found.kind in ("presentation", "clr", "passport_export"):
        if isinstance(found.value, str):  # a VP-JWT or a CLR as a VC-JWT
            return verify_container_jwt(
                verifier,
                found.value,
                now=now,
                recipient=recipient,
                challenge=challenge,
                domain=domain,
                max_bytes=limit,
            )
        return verify_container(
            verifier, found.value, now=now, recipient=recipient, challenge=challenge, domain=domain
        )
    if found.kind in ("png", "svg") and isinstance(found.value, CredentialInput):
        baked = _baked_clr(verifier, found.value)
        if baked is not None:
            # A CLR baked into an image is a container like its JSON form: every credential
            # in it is verified on its own, never trusted because the CLR's proof holds.
            if isinstance(baked.value, str):
                return verify_container_jwt(
                    verifier,
                    baked.value,
                    now=now,
                    recipient=recipient,
                    max_bytes=verifier.max_bytes,
                    carrier=baked.carrier,
                )
            return verify_container(
                verifier, baked.value, now=now, recipient=recipient, carrier=baked.carrier
            )
    if found.kind in ("qr_image", "url"):
        if _depth > 0:
            return _refused("link_loop", "The link leads to another link; not followed.")
        if found.kind == "qr_image":
            try:
                url = decode_qr(found.value)
            except QrImageError as exc:
                return _refused(exc.code, exc.message, exc.hint)
        else:
            url = found.value
        link = our_link(url, public_url) if public_url else None
        if link is not None and resolve_link is not None:
            try:
                content = resolve_link(link)
            except VerificationError as exc:
                return _refused(exc.code, exc.message, exc.hint)
            if content is None:
                what = "badge" if link.kind == "credential" else "share link"
                return _refused(
                    "link_not_found", f"No {what} with that link is published here (any more)."
                )
            return verify_any(
                verifier,
                content,
                now=now,
                recipient=recipient,
                public_url=public_url,
                challenge=challenge,
                domain=domain,
                _depth=1,
            )
        host = urlsplit(url).netloc or url[:60]
        if found.kind == "qr_image":
            return _refused(
                "qr_elsewhere",
                f"The QR code points to {host}, not to a badge on this service; it was not opened.",
                hint=url[:200],
            )
        if not fetch_links or not url.startswith("https://"):
            return _refused(
                "link_elsewhere",
                f"The link points to {host}, which this service does not open; download the "
                "badge there and upload the file instead.",
            )
        try:
            fetched = verifier.resolver.fetcher.fetch_json(url)
        except (FetchError, VerificationError) as exc:
            return _refused(
                "link_refused", f"The link was not followed: {exc.message}", hint=exc.hint
            )
        if not isinstance(fetched, Mapping):
            return _refused("link_not_credential", "The link did not lead to a credential.")
        if container_kind(fetched) is not None:
            return verify_container(
                verifier, fetched, now=now, recipient=recipient, challenge=challenge, domain=domain
            )
        return ContainerReport.of_one(verifier.report(fetched, now=now, recipient=recipient))
    return ContainerReport.of_one(verifier.report(found.value, now=now, recipient=recipient))
