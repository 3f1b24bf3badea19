"""Small charts for the dashboard as inline SVG, drawn on the server (no JavaScript).

Each function returns a standalone ``<svg role="img">`` with a ``<title>`` and a
``<desc>`` that says in words what the chart shows, and every value written
beside its bar with its verdict ("đạt" / "chưa đạt"), so the chart reads the
same without colour and to a screen reader. Labels are escaped; numbers are
formatted for the reader's locale (Vietnamese first: ``12,5 %``).

The words come from the pages' message catalogues (``api/web/translations``),
so a translator finds them with every other word of the pages. A chart is drawn
for a ``locale`` given by its caller, not the request's, so the catalogue of
that language is read here with Babel rather than through Flask-Babel.
"""
from __future__ import annotations

import math
from typing import Mapping, Sequence

from babel.numbers import format_decimal

from api.web import formats, i18n
from engine.diagram.svg import FONT_STACK, attr, esc, num, text_width

ON_TRACK, BEHIND, NEUTRAL = "#2e7d32", "#c05600", "#3f6fb5"
SERIES = ("#3f6fb5", "#c05600", "#6b8f71", "#7b5ea7")
STYLE = (".tf-chart{font-family:%s;max-width:100%%;height:auto}.tf-chart text{fill:#22242a;font-size:12px}"
         ".tf-chart .axis{stroke:#9aa0a6;stroke-width:1}.tf-chart .grid{stroke:#e3e5e8;stroke-width:1}"
         ".tf-chart .target{stroke:#22242a;stroke-width:1.5;stroke-dasharray:5,3}"
         ".tf-chart .muted{fill:#5f6368}.tf-chart .strong{font-weight:bold}" % FONT_STACK)


def _words(locale: str, texts: Mapping[str, str] | None) -> dict[str, str]:
    """The chart's words in ``locale`` (``vi``, ``vi_VN``, ``en``…), overridden by ``texts`` (same keys;
    ``summary`` takes ``%(on)s``, ``%(count)s`` and ``%(target)s``)."""
    catalogue = i18n.catalogue(i18n.CATALOGUES, locale.split("_")[0].split("-")[0])
    return {"target": catalogue.pgettext("chart", "Target"), "on_track": catalogue.gettext("on track"),
            "behind": catalogue.gettext("behind"), "no_data": catalogue.gettext("no data"),
            "summary": catalogue.gettext("%(on)s of %(count)s at or above the %(target)s target"), **(texts or {})}


def percent(value: float, locale: str = "vi") -> str:
    """A share as the reader writes it, as the tables beside the chart do (:func:`api.web.formats.percent`):
    ``12,5 %`` (vi), ``12.5 %`` (en); whole numbers without decimals."""
    return formats.percent(value, locale)


def _number(value: float, locale: str) -> str:
    return format_decimal(value, locale=locale)


def _clip(label: str, width: float, size: float = 12) -> str:
    if text_width(label, size) <= width:
        return label
    while label and text_width(label + "…", size) > width:
        label = label[:-1]
    return label + "…"


def _svg(width: float, height: float, title: str, desc: str, body: str, css: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="tf-chart {css}" role="img" '
            f'aria-label={attr(title)} viewBox="0 0 {num(width)} {num(height)}" width="{num(width)}" '
            f'height="{num(height)}">'
            f"<title>{esc(title)}</title><desc>{esc(desc)}</desc><style>{STYLE}</style>{body}</svg>")


def _text(x: float, y: float, content: str, anchor: str = "start", css: str = "") -> str:
    klass = f' class="{css}"' if css else ""
    return f'<text x="{num(x)}" y="{num(y)}" text-anchor="{anchor}"{klass}>{esc(content)}</text>'


def _share_scale(values: Sequence[float], target: float | None) -> float:
    """The right end of a share axis: a round tenth a little above the largest value, at most 100 %."""
    top = max([v for v in values] + [target or 0.0, 0.0])
    return max(min(1.0, math.ceil(top * 1.15 * 10 - 1e-9) / 10), 0.1) if top <= 1 else top


def _verdict(value: float | None, target: float | None, words: Mapping[str, str]) -> str:
    if value is None:
        return words["no_data"]
    if target is None:
        return ""
    return words["on_track"] if value >= target else words["behind"]


def share_bars(items: Sequence[tuple[str, float | None]], *, title: str, target: float | None = None,
               desc: str | None = None, locale: str = "vi", texts: Mapping[str, str] | None = None,
               width: float = 640) -> str:
    """One horizontal bar per (label, share 0..1 or None), a dashed line at ``target``.

    Bars at or above the target are green, those behind orange, and each says so in words."""
    words = _words(locale, texts)
    values = [v for _, v in items if v is not None]
    scale = _share_scale(values, target)
    row, bar, top = 28.0, 16.0, 30.0
    label_w = min(max([text_width(str(label), 12) for label, _ in items] + [40]) + 12, 200)
    shown_values = [words["no_data"] if v is None else percent(v, locale) + (
        f" · {_verdict(v, target, words)}" if target is not None else "") for _, v in items]
    value_w = max([text_width(text, 12) for text in shown_values] + [40]) + 16
    plot_x, plot_w = label_w, max(width - label_w - value_w, 120)
    width = plot_x + plot_w + value_w
    height = top + row * max(len(items), 1) + 24

    def x_of(value: float) -> float:
        return plot_x + plot_w * min(value / scale, 1.0)

    parts = []
    for step in range(0, int(round(scale * 10)) + 1):  # a light line every 10 %
        gx = x_of(step / 10)
        parts.append(f'<line class="grid" x1="{num(gx)}" y1="{num(top - 6)}" x2="{num(gx)}" y2="{num(height - 22)}"/>')
    parts.append(_text(plot_x, height - 6, percent(0, locale), "middle", "muted"))
    parts.append(_text(x_of(scale), height - 6, percent(scale, locale), "middle", "muted"))
    for i, (label, value) in enumerate(items):
        y = top + i * row
        shown = shown_values[i]
        tip = f"{label}: {shown}" + (f" ({words['target']} {percent(target, locale)})" if target is not None else "")
        colour = NEUTRAL if target is None or value is None else ON_TRACK if value >= target else BEHIND
        state = "" if value is None or target is None else " on-track" if value >= target else " behind"
        body = _text(plot_x - 8, y + bar - 3, _clip(str(label), label_w - 12), "end")
        if value is not None:
            end = x_of(value)
            body += (f'<rect class="bar{state}" x="{num(plot_x)}" y="{num(y)}" width="{num(max(end - plot_x, 1))}" '
                     f'height="{num(bar)}" fill="{colour}" rx="2"/>')
        # the value in its own column, so the target line never crosses it
        body += _text(plot_x + plot_w + 10, y + bar - 3, shown, "start", "strong" if state == " behind" else "")
        parts.append(f'<g class="chart-row{state}"><title>{esc(tip)}</title>{body}</g>')
    parts.append(f'<line class="axis" x1="{num(plot_x)}" y1="{num(top - 6)}" x2="{num(plot_x)}" '
                 f'y2="{num(height - 22)}"/>')
    if target is not None:
        tx = x_of(target)
        parts.append(f'<line class="target" x1="{num(tx)}" y1="{num(top - 10)}" x2="{num(tx)}" y2="{num(height - 22)}"/>')
        parts.append(_text(tx, top - 14, f"{words['target']} {percent(target, locale)}", "middle", "strong"))
    if desc is None:
        on = sum(1 for v in values if target is not None and v >= target)
        desc = (words["summary"] % {"on": on, "count": len(items), "target": percent(target, locale)}
                if target is not None else "; ".join(
                    f"{label}: {words['no_data'] if v is None else percent(v, locale)}" for label, v in items))
    return _svg(width, height, title, desc, "".join(parts), "tf-share-bars")


def _count_axis(value: float) -> tuple[float, int]:
    """(top, steps) of a count axis: whole-number ticks of 1, 2 or 5 times a power of ten, at most 5 of them."""
    if value <= 0:
        return 1.0, 1
    step = 1.0
    while value / step > 5:
        power = 10 ** math.floor(math.log10(step))
        step = next(m * power for m in (1, 2, 5, 10) if m * power > step)
    steps = max(math.ceil(value / step - 1e-9), 1)
    return step * steps, steps


def count_columns(items: Sequence[tuple[str, float | Sequence[float]]], *, title: str,
                  series: Sequence[str] | None = None, desc: str | None = None, locale: str = "vi",
                  texts: Mapping[str, str] | None = None, height: float = 240) -> str:
    """Columns per label: one value, or one per ``series`` (e.g. recognised / removed per year)."""
    words = _words(locale, texts)
    rows = [(str(label), [float(v) for v in (value if isinstance(value, (list, tuple)) else [value])])
            for label, value in items]
    count = max([len(vs) for _, vs in rows] + [1])
    names = list(series or [])[:count]
    top_value, steps = _count_axis(max([v for _, vs in rows for v in vs] + [0]))
    col = 22.0 if count > 1 else 30.0
    group = count * col + 18
    legend_h = 22.0 if names else 0.0
    left, plot_top, plot_h = 44.0, 16 + legend_h, height - 60 - legend_h
    legend = [text_width(name, 12) + 34 for name in names]
    width = max(left + group * max(len(rows), 1) + 12, 240, left + sum(legend))
    base = plot_top + plot_h

    def y_of(value: float) -> float:
        return base - plot_h * (value / top_value)

    parts = []
    for i in range(steps + 1):
        tick = top_value * i / steps
        y = y_of(tick)
        parts.append(f'<line class="grid" x1="{num(left)}" y1="{num(y)}" x2="{num(width - 8)}" y2="{num(y)}"/>')
        parts.append(_text(left - 6, y + 4, _number(tick, locale), "end", "muted"))
    for i, name in enumerate(names):  # legend: a swatch and the name, in words
        lx = left + sum(legend[:i])
        parts.append(f'<rect x="{num(lx)}" y="4" width="12" height="12" fill="{SERIES[i % len(SERIES)]}"/>'
                     + _text(lx + 16, 14, name))
    for g, (label, values) in enumerate(rows):
        gx = left + g * group + 9
        body = ""
        for s, value in enumerate(values):
            x, y = gx + s * col, y_of(value)
            body += (f'<rect class="column" x="{num(x + 2)}" y="{num(y)}" width="{num(col - 4)}" '
                     f'height="{num(max(base - y, 0))}" fill="{SERIES[s % len(SERIES)]}"/>'
                     + _text(x + col / 2, y - 4, _number(value, locale), "middle"))
        body += _text(gx + count * col / 2, base + 16, _clip(label, group - 4), "middle")
        tip = label + ": " + ", ".join(
            (f"{names[s]} " if s < len(names) else "") + _number(v, locale) for s, v in enumerate(values))
        parts.append(f'<g class="chart-column"><title>{esc(tip)}</title>{body}</g>')
    parts.append(f'<line class="axis" x1="{num(left)}" y1="{num(base)}" x2="{num(width - 8)}" y2="{num(base)}"/>')
    if not rows:
        parts.append(_text((left + width) / 2, plot_top + plot_h / 2, words["no_data"], "middle", "muted"))
    if desc is None:
        desc = words["no_data"] if not rows else "; ".join(label + ": " + ", ".join(
            (f"{names[s]} " if s < len(names) else "") + _number(v, locale) for s, v in enumerate(values))
            for label, values in rows)
    return _svg(width, height, title, desc, "".join(parts), "tf-count-columns")


def share_gauge(value: float | None, *, title: str, target: float | None = None, desc: str | None = None,
                locale: str = "vi", texts: Mapping[str, str] | None = None, width: float = 360) -> str:
    """One share as a progress bar from 0 to 100 %, with the target marked and the verdict in words."""
    words = _words(locale, texts)
    verdict = _verdict(value, target, words)
    track_x, track_y, track_w, track_h = 4.0, 30.0, width - 8, 18.0
    headline = words["no_data"] if value is None else percent(value, locale) + (f" · {verdict}" if verdict else "")
    parts = [_text(4, 18, headline, "start", "strong"),
             f'<rect x="{num(track_x)}" y="{num(track_y)}" width="{num(track_w)}" height="{num(track_h)}" '
             f'fill="#eef0f2" stroke="#c4c7cb" rx="3"/>']
    state = ""
    if value is not None:
        state = "" if target is None else " on-track" if value >= target else " behind"
        colour = NEUTRAL if target is None else ON_TRACK if value >= target else BEHIND
        parts.append(f'<rect class="bar{state}" x="{num(track_x)}" y="{num(track_y)}" '
                     f'width="{num(track_w * max(min(value, 1.0), 0.0))}" height="{num(track_h)}" fill="{colour}" rx="3"/>')
    if target is not None:
        tx = track_x + track_w * max(min(target, 1.0), 0.0)
        parts.append(f'<line class="target" x1="{num(tx)}" y1="{num(track_y - 4)}" x2="{num(tx)}" '
                     f'y2="{num(track_y + track_h + 4)}"/>')
        anchor = "end" if tx > width - 60 else "start" if tx < 60 else "middle"
        parts.append(_text(tx, track_y + track_h + 18, f"{words['target']} {percent(target, locale)}", anchor, "muted"))
    if desc is None:
        desc = f"{headline}" + (f"; {words['target']} {percent(target, locale)}" if target is not None else "")
    return _svg(width, track_y + track_h + 26, title, desc, "".join(parts), "tf-share-gauge" + state)
