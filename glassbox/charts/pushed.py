"""The "which documents pushed this?" chart: how hard each training passage pushed one predicted
token, as a multiple of the noise floor (what random passages get), one horizontal bar a passage.

A dashed line at 1× marks the noise floor and a solid one at 0 (no push), so a bar that ends near
the dashed line reads as chance and one far past it as a real push. The learner's own taught
sentences are drawn in their own colour. Its `*_rows` twin gives the table: rank, document, kind
of text, how the passage was found, the score and the multiple. Labels come from `chart.pushed.*`.

Leaves out: the passages' text (the page shows it under the chart) and the per-token shares.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import plotly.graph_objects as go

from glassbox.charts.style import PALETTE, chart_labels, display_label, merge_labels, new_figure, wrapped

PUSHED_LABELS = chart_labels("pushed")
ROW_PX, FRAME_PX = 52, 150
FLOOR_COLOUR = "#555555"

# one passage: (rank among the distinct passages, document title, kind of text, found by (words),
# TracIn score, score ÷ noise floor, whether it is the learner's own sentence)
Passage = tuple[int, str, str, str, float, float, bool]


def pushed_bars(passages: Sequence[Passage], token: str, labels: Mapping[str, str] | None = None) -> go.Figure:
    """One bar per passage (in the order given, the first on top) of its score ÷ noise floor, a
    dashed line at 1× (the noise floor) and the learner's sentences in their own colour."""
    lab = merge_labels(PUSHED_LABELS, labels, token=display_label(token))
    names = [f"{rank}. {wrapped(title or '—', width=30, lines=2)}" for rank, title, *_ in passages]
    ratios = [float(p[5]) for p in passages]
    colours = [PALETTE[2] if p[6] else PALETTE[0] for p in passages]
    bars = {
        "type": "bar", "orientation": "h", "x": ratios, "y": names, "marker": {"color": colours},
        "text": [f"{r:.1f}×" for r in ratios], "textposition": "outside", "cliponaxis": False,
        "hovertemplate": "%{y}: %{text}<extra></extra>", "showlegend": False,
    }  # fmt: skip
    top = max([1.0, *ratios])
    low = min([0.0, *ratios])  # a negative bar's label goes left of it: room for it before the names
    lines = [
        {"type": "line", "x0": 1, "x1": 1, "xref": "x", "y0": 0, "y1": 1, "yref": "y domain",
         "line": {"color": FLOOR_COLOUR, "dash": "dash", "width": 2}},
        {"type": "line", "x0": 0, "x1": 0, "xref": "x", "y0": 0, "y1": 1, "yref": "y domain",
         "line": {"color": "#9CA3AF", "width": 1}},
    ]  # fmt: skip
    legend = [{"type": "scatter", "x": [None], "y": [None], "mode": "lines", "name": lab["floor"],
               "line": {"color": FLOOR_COLOUR, "dash": "dash", "width": 2}}]  # fmt: skip
    if any(p[6] for p in passages):
        legend.append({"type": "scatter", "x": [None], "y": [None], "mode": "markers", "name": lab["yours"],
                       "marker": {"symbol": "square", "size": 14, "color": PALETTE[2]}})  # fmt: skip
    return new_figure(
        lab["title"], height=FRAME_PX + ROW_PX * max(len(passages), 1), data=[bars, *legend] if passages else legend,
        xaxis={"title": {"text": lab["x"]}, "range": [low - (0.25 if low < 0 else 0.05) * (top - low), top * 1.15],
               "ticksuffix": "×", "zeroline": False},
        yaxis={"title": {"text": lab["y"]}, "type": "category", "categoryorder": "array", "categoryarray": names,
               "autorange": "reversed"},
        shapes=lines, margin={"l": 20, "r": 60, "t": 70, "b": 20},
    )  # fmt: skip


def pushed_bars_rows(passages: Sequence[Passage], token: str, labels: Mapping[str, str] | None = None) -> list[dict]:
    """rank, document, domain, found_by, score (the change in log-probability) and noise_multiple."""
    return [
        {"rank": rank, "document": title, "domain": domain, "found_by": found, "score": round(float(score), 4),
         "noise_multiple": round(float(ratio), 2)}
        for rank, title, domain, found, score, ratio, _ in passages
    ]  # fmt: skip
