"""Pieces of server-drawn SVG: shapes, escaping, text width estimates and line wrapping.

An SVG drawn on the server cannot ask the browser how wide a word is, yet
labels must wrap inside their boxes as they do in bpmn.io. Widths are
estimated from Arial's advance widths (the metrics of Liberation Sans, the
usual Arial substitute on Linux, are the same); accented Vietnamese letters
take the width of their base letter. Good to a few per cent, which is what
wrapping needs.
"""
from __future__ import annotations

import math
import re
import unicodedata
from xml.sax.saxutils import escape

from engine.diagram.layout import Bounds

FONT_STACK = 'Arial, "Liberation Sans", "Helvetica Neue", "Noto Sans", "DejaVu Sans", sans-serif'
LINE_HEIGHT = 1.2
ASCENT = 0.9  # of the font size: where the first baseline sits below a line's top

# Arial advance widths in thousandths of an em.
_WIDTHS: dict[str, int] = {" ": 278, "!": 278, '"': 355, "#": 556, "$": 556, "%": 889, "&": 667, "'": 191,
                           "(": 333, ")": 333, "*": 389, "+": 584, ",": 278, "-": 333, ".": 278, "/": 278,
                           ":": 278, ";": 278, "<": 584, "=": 584, ">": 584, "?": 556, "@": 1015, "[": 278,
                           "]": 278, "_": 556, "|": 260, "–": 556, "—": 1000, "…": 1000, "“": 333, "”": 333,
                           "‘": 222, "’": 222, "→": 1000, "≥": 549, "≤": 549}
_WIDTHS.update(dict.fromkeys("0123456789", 556))
_WIDTHS.update(zip("abcdefghijklmnopqrstuvwxyz",
                   (556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333,
                    500, 278, 556, 500, 722, 500, 500, 500)))
_WIDTHS.update(zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                   (667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722,
                    667, 611, 722, 667, 944, 667, 667, 611)))
_WIDTHS.update({"đ": 556, "Đ": 722, "ơ": 600, "Ơ": 800, "ư": 620, "Ư": 780})
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def clean(text: object) -> str:
    """``text`` as a string XML 1.0 can hold (control characters and lone surrogates dropped)."""
    return _INVALID_XML.sub("", unicodedata.normalize("NFC", str(text)))


def esc(text: object) -> str:
    """Text content, escaped."""
    return escape(clean(text))


def attr(text: object) -> str:
    """An attribute value, escaped and quoted."""
    return '"' + escape(clean(text), {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}) + '"'


def num(value: float) -> str:
    """A coordinate, short: 12, 12.5, 12.33."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def char_width(ch: str) -> int:
    width = _WIDTHS.get(ch)
    if width is not None:
        return width
    if unicodedata.combining(ch):
        return 0
    base = unicodedata.normalize("NFD", ch)[0]
    if base in _WIDTHS:
        return _WIDTHS[base]
    return 1000 if unicodedata.east_asian_width(ch) in ("W", "F") else 556


def text_width(text: str, size: float) -> float:
    """Estimated advance width; 2 % generous, so an estimate never wraps later than a browser."""
    return sum(char_width(ch) for ch in text) * size * 1.02 / 1000


def wrap(text: str, width: float, size: float) -> list[str]:
    """Greedy word wrap to ``width``; line breaks in the text are kept, overlong words are cut."""
    lines: list[str] = []
    for paragraph in clean(text).replace("\r\n", "\n").split("\n"):
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}" if line else word
            if text_width(candidate, size) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            line = ""
            while text_width(word, size) > width and len(word) > 1:
                cut = _fitting_prefix(word, width, size)
                lines.append(word[:cut])
                word = word[cut:]
            line = word
        lines.append(line)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _fitting_prefix(word: str, width: float, size: float) -> int:
    total = 0.0
    for i, ch in enumerate(word):
        total += char_width(ch) * size / 1000
        if total > width:
            return max(i, 1)
    return len(word)


def fit(lines: list[str], max_lines: int, width: float, size: float) -> list[str]:
    """At most ``max_lines`` lines; the last one kept ends with an ellipsis if any were dropped."""
    if len(lines) <= max_lines:
        return lines
    kept = lines[:max(max_lines, 1)]
    last = kept[-1]
    while last and text_width(last + "…", size) > width:
        last = last[:-1]
    kept[-1] = last.rstrip() + "…"
    return kept


def text_lines(lines: list[str], x: float, top: float, size: float, anchor: str = "middle",
               css: str = "label", transform: str = "") -> str:
    """``lines`` as one ``<text>``: the first line's top at ``top``, each line at ``x``."""
    if not lines:
        return ""
    step = size * LINE_HEIGHT
    spans = "".join(f'<tspan x="{num(x)}" y="{num(top + size * ASCENT + i * step)}">{esc(line)}</tspan>'
                    for i, line in enumerate(lines))
    extra = f' transform="{transform}"' if transform else ""
    return f'<text class="{css}" font-size="{num(size)}" text-anchor="{anchor}"{extra}>{spans}</text>'


def block_height(count: int, size: float) -> float:
    return count * size * LINE_HEIGHT if count else 0.0


def max_lines(height: float, size: float) -> int:
    return max(1, math.floor(height / (size * LINE_HEIGHT)))


# ------------------------------------------------------------------ primitives
def pts(points: list[tuple[float, float]]) -> str:
    return " ".join(f"{num(x)},{num(y)}" for x, y in points)


def poly(points: list[tuple[float, float]], css: str, width: float = 1.0, close: bool = True) -> str:
    tag = "polygon" if close else "polyline"
    return f'<{tag} class="{css}" points="{pts(points)}" stroke-width="{num(width)}"/>'


def line(x1: float, y1: float, x2: float, y2: float, width: float = 1.0, css: str = "mark") -> str:
    return (f'<line class="{css}" x1="{num(x1)}" y1="{num(y1)}" x2="{num(x2)}" y2="{num(y2)}" '
            f'stroke-width="{num(width)}"/>')


def circle(cx: float, cy: float, r: float, css: str, width: float = 1.0, dash: str = "") -> str:
    extra = f' stroke-dasharray="{dash}"' if dash else ""
    return (f'<circle class="{css}" cx="{num(cx)}" cy="{num(cy)}" r="{num(r)}" '
            f'stroke-width="{num(width)}"{extra}/>')


def rect(b: Bounds, css: str, width: float, radius: float = 0, dash: str = "", inset: float = 0) -> str:
    extra = f' rx="{num(radius)}"' if radius else ""
    extra += f' stroke-dasharray="{dash}"' if dash else ""
    return (f'<rect class="{css}" x="{num(b.x + inset)}" y="{num(b.y + inset)}" width="{num(max(b.w - 2 * inset, 0))}" '
            f'height="{num(max(b.h - 2 * inset, 0))}" stroke-width="{num(width)}"{extra}/>')


def path(d: str, css: str, width: float = 1.0) -> str:
    return f'<path class="{css}" d="{d}" stroke-width="{num(width)}"/>'
