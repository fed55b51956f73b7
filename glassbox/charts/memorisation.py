"""The memorisation chart: the share of anthology passages a model recites against how many
copies of them its training data holds, one line per checkpoint (from `glassbox eval`).

x is the number of copies on a log-2 axis (the ladder doubles), y the share recited on a fixed
0-100% axis, so that lines from different checkpoints can be compared by eye. Its `*_rows` twin
gives the same numbers for a table. It leaves out per-passage detail (the recite view shows that).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import plotly.graph_objects as go

from glassbox.charts.style import (
    MEMORISATION_LABELS,
    PALETTE,
    TICK_PERCENT,
    display_label,
    merge_labels,
    new_figure,
    percent,
)

# one checkpoint: (its name, the copies of each rung, the share of that rung's passages recited)
Line = tuple[str, Sequence[int], Sequence[float]]


def memorisation_curve(lines: Sequence[Line], labels: Mapping[str, str] | None = None) -> go.Figure:
    """Share recited against copies, one line per checkpoint, the last (the final model) boldest."""
    lab = merge_labels(MEMORISATION_LABELS, labels)
    copies = sorted({int(c) for _, rung, _ in lines for c in rung})
    traces = []
    for i, (name, rung, shares) in enumerate(lines):
        shown = display_label(name)
        traces.append({
            "type": "scatter", "x": [int(c) for c in rung], "y": [float(v) for v in shares], "mode": "lines+markers",
            "name": shown, "line": {"color": PALETTE[i % len(PALETTE)], "width": 4 if i == len(lines) - 1 else 2},
            "marker": {"size": 9}, "hovertemplate": "%{x}×: %{y:" + TICK_PERCENT + "}<extra>" + shown + "</extra>",
        })
    return new_figure(
        lab["title"], height=440, data=traces,
        xaxis={"title": {"text": lab["x"]}, "type": "log", "tickvals": copies, "ticktext": [f"{c}×" for c in copies]},
        yaxis={"title": {"text": lab["y"]}, "range": [-0.03, 1.03], "tickformat": TICK_PERCENT},
        legend={"orientation": "h", "y": -0.25},
    )


def memorisation_curve_rows(lines: Sequence[Line], labels: Mapping[str, str] | None = None) -> list[dict]:
    """One row per checkpoint and rung: name, copies, share (as a readable percentage)."""
    return [{"name": name, "copies": int(c), "share": percent(float(v))}
            for name, rung, shares in lines for c, v in zip(rung, shares, strict=True)]
