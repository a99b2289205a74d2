"""Generated badge artwork: a hexagonal badge for a skill, as SVG and as PNG.

Open Badges 3.0 gives an achievement an image (data model: class ``Achievement``, property
``image``) and lets the credential itself be baked into that image ("Document Formats" ›
"Baked Badge"; see :mod:`issuer.baking`). This module draws one design two ways:

* :func:`badge_svg` — a 600×600 SVG document (text stays text; no external resources: no web
  fonts, no links, no scripts).
* :func:`badge_png` — the same design rendered with Pillow (drawn at twice the size and scaled
  down, for smooth edges), with the font Pillow bundles (``ImageFont.load_default``).

The design: a rounded hexagon with a dark rim, a light ring and a face shaded top to bottom in
the accent colour; 1–4 filled stars for the level (of four; level 0, for an issuer's emblem,
draws no stars); the skill name in bold, wrapped onto
at most three lines (shortened with "…" beyond that); the subtitle under a short rule; the
issuer's name on a ribbon across the bottom. Without an ``accent`` the colour is picked from a
fixed palette by a hash of the title, so a skill always gets the same colour.

Titles, subtitles and issuer names come from administrators: every text is XML-escaped, and
characters XML cannot carry are dropped, so the SVG is always well-formed.
"""

from __future__ import annotations

import colorsys
import hashlib
import io
import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final
from xml.sax.saxutils import escape

from PIL import Image, ImageDraw, ImageFont

__all__ = ["MAX_LEVEL", "PALETTE", "SIZE", "badge_png", "badge_svg"]

SIZE: Final = 600
MAX_LEVEL: Final = 4

#: Accent colours that carry white text well; one is picked per title when none is given.
PALETTE: Final = (
    "#2563eb",  # blue
    "#7c3aed",  # violet
    "#0d9488",  # teal
    "#db2777",  # pink
    "#059669",  # emerald
    "#4f46e5",  # indigo
    "#c2410c",  # burnt orange
    "#0369a1",  # sky
    "#9333ea",  # purple
    "#be123c",  # rose
    "#15803d",  # green
    "#0e7490",  # cyan
)

_HEX_COLOUR: Final = re.compile(r"#[0-9a-fA-F]{6}")
_NOT_XML_CHAR: Final = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_FONT_STACK: Final = (
    "'Helvetica Neue', Helvetica, Arial, 'Liberation Sans', 'DejaVu Sans', sans-serif"
)

# Geometry (SVG user units = PNG pixels).
_CX: Final = 300.0
_CY: Final = 300.0
_RIM_R: Final = 280.0
_RIM_STROKE: Final = 16.0
_RING_R: Final = 262.0
_FACE_R: Final = 248.0
_LINE_R: Final = 232.0
_STARS_Y: Final = 148.0
_STAR_GAP: Final = 54.0
_STAR_OUTER: Final = 20.0
_STAR_INNER: Final = 8.6
_TITLE_CY: Final = 272.0
_TITLE_WIDTH: Final = 380.0
_TITLE_SIZES: Final = (72, 64, 56, 50, 44, 40, 36, 32)
#: Height the title block may take between the stars and the rule.
_TITLE_HEIGHT: Final = 172.0
_TITLE_MAX_LINES: Final = 3
_LINE_STEP: Final = 1.14
_RULE_Y: Final = 378.0
_SUBTITLE_Y: Final = 408.0
_SUBTITLE_SIZE: Final = 24
_SUBTITLE_WIDTH: Final = 330.0
_RIBBON_TOP: Final = 446.0
_RIBBON_BOTTOM: Final = 498.0
_RIBBON_LEFT: Final = 74.0
_RIBBON_RIGHT: Final = 526.0
_TAIL_OUT: Final = 26.0
_TAIL_DROP: Final = 18.0
_ISSUER_SIZE: Final = 22
_ISSUER_WIDTH: Final = 410.0
_SUPERSAMPLE: Final = 2

Point = tuple[float, float]
Measure = Callable[[str, float], float]


# -- colour --------------------------------------------------------------------------------------
def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _hex(rgb: Sequence[float]) -> str:
    return "#" + "".join(f"{max(0, min(255, round(c))):02x}" for c in rgb)


def _mix(colour: str, other: str, amount: float) -> str:
    a, b = _rgb(colour), _rgb(other)
    return _hex([x + (y - x) * amount for x, y in zip(a, b, strict=True)])


def _shade(colour: str, lightness: float, saturation: float = 1.0) -> str:
    """``colour`` with its HLS lightness scaled by ``lightness`` (and saturation scaled)."""
    r, g, b = (c / 255 for c in _rgb(colour))
    h, l_, s = colorsys.rgb_to_hls(r, g, b)
    rgb = colorsys.hls_to_rgb(
        h, max(0.0, min(1.0, l_ * lightness)), max(0.0, min(1.0, s * saturation))
    )
    return _hex([c * 255 for c in rgb])


def _luminance(colour: str) -> float:
    def channel(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in _rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@dataclass(frozen=True, slots=True)
class _Colours:
    rim: str
    rim_dark: str
    ring: str
    face_top: str
    face_bottom: str
    text: str
    muted: str
    star: str
    star_empty: str
    ribbon: str
    ribbon_text: str


def _colours(accent: str) -> _Colours:
    face_top = _shade(accent, 1.22, 0.95)
    face_bottom = _shade(accent, 0.82)
    middle = _mix(face_top, face_bottom, 0.5)
    light_text = _contrast("#ffffff", middle) >= 3.0
    text = "#ffffff" if light_text else "#111827"
    return _Colours(
        rim=_shade(accent, 0.55),
        rim_dark=_shade(accent, 0.38),
        ring=_mix(accent, "#ffffff", 0.86),
        face_top=face_top,
        face_bottom=face_bottom,
        text=text,
        muted=_mix(middle, text, 0.78),
        star="#fcd34d" if light_text else "#111827",
        star_empty=_mix(middle, text, 0.3),
        ribbon=_mix(accent, "#ffffff", 0.93),
        ribbon_text=_shade(accent, 0.5),
    )


def _accent_for(title: str, accent: str | None) -> str:
    if accent is None:
        digest = hashlib.sha256(title.encode("utf-8", "surrogatepass")).digest()
        return PALETTE[digest[0] % len(PALETTE)]
    if not _HEX_COLOUR.fullmatch(accent):
        raise ValueError(f"accent must be a colour like '#2563eb', not {accent!r}")
    return accent.lower()


# -- text ----------------------------------------------------------------------------------------
def _clean(text: str) -> str:
    """One line of displayable text: XML-illegal and control characters gone, spaces collapsed."""
    text = _NOT_XML_CHAR.sub("", text)
    return " ".join(text.split())


def _estimate(text: str, size: float) -> float:
    """Generous width of ``text`` in a bold sans-serif at ``size`` (no font metrics in SVG).

    Sized for the widest common fallback (DejaVu Sans Bold), so Helvetica or Arial fit easily.
    """
    em = 0.0
    for ch in text:
        if ch in " .,:;'!|ijlI":
            em += 0.36
        elif ch in "frt()-[]/":
            em += 0.48
        elif ch in "mwMW@":
            em += 1.04
        elif ch.isupper():
            em += 0.8
        elif unicodedata.east_asian_width(ch) in ("W", "F"):
            em += 1.0
        else:
            em += 0.7
    return em * size


def _ellipsize(text: str, width: float, size: float, measure: Measure) -> str:
    if measure(text, size) <= width:
        return text
    full = text
    while text and measure(text + "…", size) > width:
        text = text[:-1]
    if full[len(text) : len(text) + 1] not in ("", " ") and " " in text:
        word_start = text.rindex(" ")  # cut mid-word: end at the previous word if that is close
        if word_start >= len(text) * 0.6:
            text = text[:word_start]
    return text.rstrip() + "…"


def _wrap(text: str, size: float, width: float, measure: Measure) -> list[str]:
    """Greedy word wrap by measured width; words wider than a line are broken."""
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if measure(candidate, size) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        while measure(word, size) > width and len(word) > 1:
            cut = len(word) - 1
            while cut > 1 and measure(word[:cut], size) > width:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current:
        lines.append(current)
    return lines


def _title_lines(title: str, measure: Measure) -> tuple[list[str], int]:
    for size in _TITLE_SIZES:
        lines = _wrap(title, size, _TITLE_WIDTH, measure)
        height = size + size * _LINE_STEP * (len(lines) - 1)
        if len(lines) <= _TITLE_MAX_LINES and height <= _TITLE_HEIGHT:
            return lines, size
    size = _TITLE_SIZES[-1]
    lines = _wrap(title, size, _TITLE_WIDTH, measure)
    kept = lines[:_TITLE_MAX_LINES]
    kept[-1] = _ellipsize(kept[-1] + " " + lines[_TITLE_MAX_LINES], _TITLE_WIDTH, size, measure)
    return kept, size


# -- geometry ------------------------------------------------------------------------------------
def _hexagon(radius: float) -> list[Point]:
    """A pointy-top hexagon centred on the canvas."""
    return [
        (
            _CX + radius * math.cos(math.radians(-90 + 60 * k)),
            _CY + radius * math.sin(math.radians(-90 + 60 * k)),
        )
        for k in range(6)
    ]


def _star(cx: float, cy: float) -> list[Point]:
    points = []
    for k in range(10):
        r = _STAR_OUTER if k % 2 == 0 else _STAR_INNER
        angle = math.radians(-90 + 36 * k)
        points.append((cx + r * math.cos(angle), cy + r * math.sin(angle)))
    return points


def _star_centres() -> list[Point]:
    left = _CX - _STAR_GAP * (MAX_LEVEL - 1) / 2
    return [(left + _STAR_GAP * k, _STARS_Y) for k in range(MAX_LEVEL)]


def _ribbon_parts() -> tuple[list[Point], list[Point], list[Point], list[Point], list[Point]]:
    """Left tail, right tail, left fold, right fold, front band."""
    top, bottom = _RIBBON_TOP + _TAIL_DROP, _RIBBON_BOTTOM + _TAIL_DROP
    inner_l, inner_r = _RIBBON_LEFT + 22, _RIBBON_RIGHT - 22
    outer_l, outer_r = _RIBBON_LEFT - _TAIL_OUT, _RIBBON_RIGHT + _TAIL_OUT
    notch = (top + bottom) / 2
    left_tail = [
        (outer_l, top),
        (inner_l, top),
        (inner_l, bottom),
        (outer_l, bottom),
        (outer_l + 16, notch),
    ]
    right_tail = [
        (outer_r, top),
        (inner_r, top),
        (inner_r, bottom),
        (outer_r, bottom),
        (outer_r - 16, notch),
    ]
    left_fold = [(_RIBBON_LEFT, _RIBBON_BOTTOM), (inner_l, _RIBBON_BOTTOM), (inner_l, bottom)]
    right_fold = [(_RIBBON_RIGHT, _RIBBON_BOTTOM), (inner_r, _RIBBON_BOTTOM), (inner_r, bottom)]
    band = [
        (_RIBBON_LEFT, _RIBBON_TOP),
        (_RIBBON_RIGHT, _RIBBON_TOP),
        (_RIBBON_RIGHT, _RIBBON_BOTTOM),
        (_RIBBON_LEFT, _RIBBON_BOTTOM),
    ]
    return left_tail, right_tail, left_fold, right_fold, band


# -- the shared layout ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Design:
    title: str
    lines: list[str]
    title_size: int
    subtitle: str
    issuer: str
    level: int
    colours: _Colours
    uid: str

    def line_ys(self) -> list[float]:
        """Baseline-centre y of each title line (the block centred on ``_TITLE_CY``)."""
        step = self.title_size * _LINE_STEP
        first = _TITLE_CY - step * (len(self.lines) - 1) / 2
        return [first + step * i for i in range(len(self.lines))]


def _design(
    *, title: str, subtitle: str, level: int, issuer: str, accent: str | None, measure: Measure
) -> _Design:
    if isinstance(level, bool) or not isinstance(level, int) or not 0 <= level <= MAX_LEVEL:
        raise ValueError(f"level must be an integer from 0 to {MAX_LEVEL}, not {level!r}")
    clean_title = _clean(title)
    if not clean_title:
        raise ValueError("a badge needs a title")
    colour = _accent_for(clean_title, accent)
    lines, size = _title_lines(clean_title, measure)
    uid = hashlib.sha256(
        "\0".join((clean_title, subtitle, str(level), issuer, colour)).encode(
            "utf-8", "surrogatepass"
        )
    ).hexdigest()[:10]
    return _Design(
        title=clean_title,
        lines=lines,
        title_size=size,
        subtitle=_ellipsize(_clean(subtitle), _SUBTITLE_WIDTH, _SUBTITLE_SIZE, measure),
        issuer=_ellipsize(_clean(issuer), _ISSUER_WIDTH, _ISSUER_SIZE, measure),
        level=level,
        colours=_colours(colour),
        uid=uid,
    )


# -- SVG -----------------------------------------------------------------------------------------
def _points(points: Sequence[Point]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)


def _attr(text: str) -> str:
    return escape(text, {'"': "&quot;"})


def badge_svg(
    *, title: str, subtitle: str, level: int, issuer: str, accent: str | None = None
) -> str:
    """Return a 600×600 SVG badge for a skill ``title`` at ``level`` (1–4) from ``issuer``;
    level 0 draws no stars (an emblem: the issuer's own image).

    ``accent`` is a ``#rrggbb`` colour; by default one is chosen from :data:`PALETTE` by the
    title. Raises :class:`ValueError` for an empty title, a level outside 0–4 or a bad accent.
    """
    d = _design(
        title=title, subtitle=subtitle, level=level, issuer=issuer, accent=accent, measure=_estimate
    )
    c = d.colours
    gradient = f"face-{d.uid}"
    left_tail, right_tail, left_fold, right_fold, band = _ribbon_parts()
    label = (
        d.title
        + (f" — level {d.level} of {MAX_LEVEL}" if d.level else "")
        + (f" — {d.issuer}" if d.issuer else "")
    )
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SIZE}" height="{SIZE}" '
        f'viewBox="0 0 {SIZE} {SIZE}" role="img" aria-label="{_attr(label)}">',
        f"<title>{escape(label)}</title>",
        "<defs>",
        f'<linearGradient id="{gradient}" x1="0" y1="0" x2="0" y2="1">'
        f'<stop offset="0" stop-color="{c.face_top}"/>'
        f'<stop offset="1" stop-color="{c.face_bottom}"/></linearGradient>',
        "</defs>",
        f'<polygon points="{_points(_hexagon(_RIM_R))}" fill="{c.rim}" stroke="{c.rim}" '
        f'stroke-width="{_RIM_STROKE:g}" stroke-linejoin="round"/>',
        f'<polygon points="{_points(_hexagon(_RING_R))}" fill="{c.ring}" stroke="{c.ring}" '
        'stroke-width="6" stroke-linejoin="round"/>',
        f'<polygon points="{_points(_hexagon(_FACE_R))}" fill="url(#{gradient})" '
        f'stroke="{c.face_top}" stroke-width="4" stroke-linejoin="round"/>',
        f'<polygon points="{_points(_hexagon(_LINE_R))}" fill="none" stroke="{c.text}" '
        'stroke-opacity="0.22" stroke-width="2" stroke-linejoin="round"/>',
        '<g class="level">',
    ]
    for k, (x, y) in enumerate(_star_centres() if d.level else ()):
        on = k < d.level
        fill = c.star if on else c.star_empty
        out.append(
            f'<polygon class="{"star-on" if on else "star-off"}" '
            f'points="{_points(_star(x, y))}" fill="{fill}" stroke="{fill}" '
            'stroke-width="2" stroke-linejoin="round"/>'
        )
    out.append("</g>")
    out.append(
        f'<g font-family="{_attr(_FONT_STACK)}" text-anchor="middle" dominant-baseline="central">'
    )
    for line, y in zip(d.lines, d.line_ys(), strict=True):
        out.append(
            f'<text class="title" x="{_CX:g}" y="{y:.1f}" font-size="{d.title_size}" '
            f'font-weight="700" fill="{c.text}">{escape(line)}</text>'
        )
    out.append(
        f'<line x1="{_CX - 34:g}" y1="{_RULE_Y:g}" x2="{_CX + 34:g}" y2="{_RULE_Y:g}" '
        f'stroke="{c.muted}" stroke-width="3" stroke-linecap="round"/>'
    )
    if d.subtitle:
        out.append(
            f'<text class="subtitle" x="{_CX:g}" y="{_SUBTITLE_Y:g}" '
            f'font-size="{_SUBTITLE_SIZE}" fill="{c.muted}">{escape(d.subtitle)}</text>'
        )
    out += [
        f'<polygon points="{_points(left_tail)}" fill="{c.rim}"/>',
        f'<polygon points="{_points(right_tail)}" fill="{c.rim}"/>',
        f'<polygon points="{_points(left_fold)}" fill="{c.rim_dark}"/>',
        f'<polygon points="{_points(right_fold)}" fill="{c.rim_dark}"/>',
        f'<polygon points="{_points(band)}" fill="{c.ribbon}"/>',
    ]
    if d.issuer:
        out.append(
            f'<text class="issuer" x="{_CX:g}" y="{(_RIBBON_TOP + _RIBBON_BOTTOM) / 2:g}" '
            f'font-size="{_ISSUER_SIZE}" font-weight="700" fill="{c.ribbon_text}">'
            f"{escape(d.issuer)}</text>"
        )
    out += ["</g>", "</svg>", ""]
    return "\n".join(out)


# -- PNG -----------------------------------------------------------------------------------------
_FontType = ImageFont.FreeTypeFont | ImageFont.ImageFont


class _Fonts:
    """Pillow's bundled font at the sizes the design asks for (cached per size)."""

    def __init__(self) -> None:
        self._cache: dict[int, _FontType] = {}

    def get(self, size: float) -> _FontType:
        pixels = max(1, round(size))
        font = self._cache.get(pixels)
        if font is None:
            font = self._cache[pixels] = ImageFont.load_default(size=pixels)
        return font

    def measure(self, text: str, size: float) -> float:
        """Width at ``size`` (design units), with the faux-bold stroke the renderer adds."""
        scaled = size * _SUPERSAMPLE
        return (float(self.get(scaled).getlength(text)) + 2 * _bold(scaled)) / _SUPERSAMPLE


def _bold(pixels: float) -> int:
    """Stroke width that makes the bundled regular face read as bold."""
    return max(1, round(pixels / 36))


def _scaled(points: Sequence[Point]) -> list[tuple[float, float]]:
    return [(x * _SUPERSAMPLE, y * _SUPERSAMPLE) for x, y in points]


def _rounded_polygon(
    draw: ImageDraw.ImageDraw, points: Sequence[Point], fill: str, stroke: float
) -> None:
    """A filled polygon whose corners are rounded by a stroke of the same colour."""
    scaled = _scaled(points)
    draw.polygon(scaled, fill=fill)
    width = round(stroke * _SUPERSAMPLE)
    draw.line([*scaled, scaled[0], scaled[1]], fill=fill, width=width, joint="curve")
    radius = width / 2
    for x, y in scaled:  # round caps at every vertex (the join at the seam included)
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=fill)


def _text(
    draw: ImageDraw.ImageDraw,
    fonts: _Fonts,
    xy: Point,
    text: str,
    size: float,
    fill: str,
    *,
    bold: bool,
) -> None:
    pixels = size * _SUPERSAMPLE
    draw.text(
        (xy[0] * _SUPERSAMPLE, xy[1] * _SUPERSAMPLE),
        text,
        font=fonts.get(pixels),
        fill=fill,
        anchor="mm",
        stroke_width=_bold(pixels) if bold else 0,
        stroke_fill=fill,
    )


def badge_png(
    *, title: str, subtitle: str, level: int, issuer: str, accent: str | None = None
) -> bytes:
    """Return the :func:`badge_svg` design as a 600×600 RGBA PNG (transparent corners)."""
    fonts = _Fonts()
    d = _design(
        title=title,
        subtitle=subtitle,
        level=level,
        issuer=issuer,
        accent=accent,
        measure=fonts.measure,
    )
    c = d.colours
    full = SIZE * _SUPERSAMPLE
    image = Image.new("RGBA", (full, full), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    _rounded_polygon(draw, _hexagon(_RIM_R), c.rim, _RIM_STROKE)
    _rounded_polygon(draw, _hexagon(_RING_R), c.ring, 6)

    # The face: a vertical gradient seen through a hexagon-shaped mask.
    top, bottom = _rgb(c.face_top), _rgb(c.face_bottom)
    ramp = Image.linear_gradient("L").resize((full, full))
    gradient = Image.composite(
        Image.new("RGBA", (full, full), (*bottom, 255)),
        Image.new("RGBA", (full, full), (*top, 255)),
        ramp,
    )
    mask = Image.new("L", (full, full), 0)
    _rounded_polygon(ImageDraw.Draw(mask), _hexagon(_FACE_R), "white", 4)
    image.paste(gradient, (0, 0), mask)

    overlay = Image.new("RGBA", (full, full), (0, 0, 0, 0))
    line = _scaled(_hexagon(_LINE_R))
    ImageDraw.Draw(overlay).line(
        [*line, line[0], line[1]],
        fill=(*_rgb(c.text), 56),
        width=2 * _SUPERSAMPLE,
        joint="curve",
    )
    image = Image.alpha_composite(image, overlay)
    draw = ImageDraw.Draw(image)

    for k, (x, y) in enumerate(_star_centres() if d.level else ()):
        _rounded_polygon(draw, _star(x, y), c.star if k < d.level else c.star_empty, 2)
    for text_line, y in zip(d.lines, d.line_ys(), strict=True):
        _text(draw, fonts, (_CX, y), text_line, d.title_size, c.text, bold=True)
    draw.line(
        _scaled([(_CX - 34, _RULE_Y), (_CX + 34, _RULE_Y)]),
        fill=c.muted,
        width=3 * _SUPERSAMPLE,
    )
    for end in ((_CX - 34, _RULE_Y), (_CX + 34, _RULE_Y)):
        x, y = end[0] * _SUPERSAMPLE, end[1] * _SUPERSAMPLE
        r = 1.5 * _SUPERSAMPLE
        draw.ellipse((x - r, y - r, x + r, y + r), fill=c.muted)
    if d.subtitle:
        _text(draw, fonts, (_CX, _SUBTITLE_Y), d.subtitle, _SUBTITLE_SIZE, c.muted, bold=False)

    left_tail, right_tail, left_fold, right_fold, band = _ribbon_parts()
    for shape, colour in (
        (left_tail, c.rim),
        (right_tail, c.rim),
        (left_fold, c.rim_dark),
        (right_fold, c.rim_dark),
        (band, c.ribbon),
    ):
        draw.polygon(_scaled(shape), fill=colour)
    if d.issuer:
        centre = (_CX, (_RIBBON_TOP + _RIBBON_BOTTOM) / 2)
        _text(draw, fonts, centre, d.issuer, _ISSUER_SIZE, c.ribbon_text, bold=True)

    final = image.resize((SIZE, SIZE), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    final.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
