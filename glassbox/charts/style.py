"""Shared look of the site's charts: palettes, fonts, label text, and safe, unique token labels.

Okabe-Ito for categories, cividis for heatmaps, grey plus a hatch for "cut off" (never red/green
alone); fonts that read on a projector and hold Korean. A chart's words come from the locale
files (`chart.<kind>.*`, read by `chart_labels`): the `*_LABELS` defaults are the English ones,
pages pass the learner's language, and keys a builder does not use are ignored. Builders live in
`bars` and `heatmaps`; nothing here draws a figure's data.
"""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from glassbox.i18n import STRINGS

# Okabe-Ito: blue, orange, bluish green, reddish purple, sky blue, vermillion, yellow, black.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
HEATMAP_SCALE = "Cividis"
CUT_GREY = "#B3B3B3"
# Highlight backgrounds for spans, faint to strong; black text stays readable on all three.
LEVEL_COLOURS = ("#FFF3C4", "#FFD966", "#F2A900")
FONT = {
    "family": "Source Sans Pro, Noto Sans, Noto Sans CJK KR, Apple SD Gothic Neo, Malgun Gothic, sans-serif",
    "size": 16,
    "color": "#1F2937",
}



def chart_labels(kind: str, lang: str = "en") -> dict[str, str]:
    """A chart's labels (`chart.<kind>.*` in locales/<lang>.toml), by key: the one source of its
    words, in English for the defaults below and in the learner's language on a page."""
    prefix = f"chart.{kind}."
    return {key[len(prefix):]: text for key, text in STRINGS[lang].items() if key.startswith(prefix)}


NEXT_TOKEN_LABELS = chart_labels("next_token")
ROUTING_LABELS = chart_labels("routing")
TOKEN_PATH_LABELS = chart_labels("token_path")
EXPERT_LOAD_LABELS = chart_labels("expert_load")
DOMAIN_USAGE_LABELS = chart_labels("domain_usage")
RANKED_LABELS = chart_labels("ranked")  # the words the ranked expert charts share (`ranked`)
LOSS_LABELS = chart_labels("loss")
MEMORISATION_LABELS = chart_labels("memorisation")
COMPARE_LABELS = chart_labels("compare")
COUNT_LABELS = chart_labels("count")


# d3 formats: percentages to significant digits, for axis ticks and shares that are never tiny.
# Text beside a bar or in a table goes through `percent` instead, which stops at SMALLEST_PERCENT.
TICK_PERCENT = ".2~p"
SMALLEST_PERCENT = 0.01  # below this a share reads "< 0.01%", not "0.0000000000000000000997%"


def percent(share: float) -> str:
    """A share as a percentage to three significant digits (0.0213 → "2.13%", 0.00012 → "0.012%");
    a share above 0 but below 0.01% reads "< 0.01%", and only an exact 0 reads "0%"."""
    value = float(share) * 100
    if value == 0:
        return "0%"
    if abs(value) < SMALLEST_PERCENT:
        return f"< {SMALLEST_PERCENT:g}%"
    return f"{value:.3g}%"


def display_label(text: str) -> str:
    """Text made safe for plotly, which reads `<b>`, `<br>` and `&amp;` as markup."""
    return html.escape(str(text), quote=False)


def wrapped(text: str, width: int = 22, lines: int = 3) -> str:
    """Escaped text broken into lines of about `width` columns (Hangul and other wide characters count
    two), at most `lines` of them, the rest cut with "…"; for long category labels."""
    out: list[str] = []
    line, used = "", 0
    for ch in str(text):
        cost = 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
        if used + cost > width and line:
            cut = line.rfind(" ")
            head, line = (line[:cut], line[cut + 1 :]) if cut > 0 else (line, "")
            out.append(head)
            used = sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in line)
        line += ch
        used += cost
    out.append(line)
    if len(out) > lines:
        out = out[: lines - 1] + [out[lines - 1].rstrip() + "…"]
    return "<br>".join(display_label(part) for part in out)


def unique_labels(labels: Sequence[str], start: int = 0) -> list[str]:
    """Labels as given when all differ; else every one prefixed by its position, e.g. "3·␣the"."""
    labels = [str(x) for x in labels]
    if len(set(labels)) == len(labels):
        return labels
    return [f"{i}·{x}" for i, x in enumerate(labels, start)]


class _KeepMissing(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def merge_labels(defaults: dict[str, str], given: Mapping[str, str] | None, **fill: object) -> dict[str, str]:
    """The defaults overridden by `given` (keys a builder does not use are ignored), `{name}`s filled."""
    merged = {**defaults, **{k: str(v) for k, v in (given or {}).items() if k in defaults}}
    for key, text in merged.items():
        if fill and "{" in text:
            try:
                merged[key] = text.format_map(_KeepMissing(fill))
            except (ValueError, IndexError):  # a translation with stray braces stays as written
                pass
    return merged


def new_figure(
    title: str,
    height: int,
    data: Sequence[dict] = (),
    xaxis: Mapping | None = None,
    yaxis: Mapping | None = None,
    **layout: object,
) -> go.Figure:
    """A figure with the shared title, font, margins and legend place, its traces and axes.

    Built in one constructor call from plain dicts: adding traces and updating axes one call at a
    time costs three times as much (plotly parses and checks each key path again), and on a busy
    server every chart is drawn afresh for each new prompt. No template is named (one costs tens of
    milliseconds per figure); the look is set here instead, so a figure reads the same anywhere.
    Streamlit's own chart theme overrides fonts with smaller ones: pages show these figures with
    `st.plotly_chart(fig, theme=None)` to keep them projector-sized.
    """
    axis = {"gridcolor": "#E5E7EB", "zeroline": False, "automargin": True}
    return go.Figure(
        data=list(data),
        layout={
            "title": {"text": display_label(title)},
            "height": height,
            "font": FONT,
            "paper_bgcolor": "white",
            "plot_bgcolor": "white",
            "xaxis": {**axis, **(xaxis or {})},
            "yaxis": {**axis, **(yaxis or {})},
            "hoverlabel": {"font": {"size": 16}},
            "margin": {"l": 20, "r": 20, "t": 70 if title else 30, "b": 20},
            "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1.0},
            **layout,
        },
    )


def distinctiveness_level(value: float, values: Sequence[float]) -> int:
    """0, 1 or 2 (an index into LEVEL_COLOURS): the third of `values` that `value` falls in.

    Uses the mid-rank, so equal values share a level and a lone value (or all equal) is level 1.
    """
    pool = np.asarray([v for v in values if not np.isnan(v)], dtype=float)
    if np.isnan(value) or pool.size == 0:
        return 0 if np.isnan(value) else 1
    quantile = (np.sum(pool < value) + 0.5 * np.sum(pool == value)) / pool.size
    return 0 if quantile < 1 / 3 else 1 if quantile < 2 / 3 else 2
