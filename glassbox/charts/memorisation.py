"""The memorisation chart: the share of anthology passages a model recites against how many
copies of them its training data holds, for each checkpoint (from `glassbox eval`).

It is a grid, not a line per checkpoint: rows are the checkpoints in training order, columns the
rungs of the copies ladder, and each cell is coloured by the share recited on a fixed 0-100% scale
and carries that share as text. Lines would lie on top of each other wherever checkpoints recite
the same share (early checkpoints recite nothing at every rung), hiding all but one; a cell per
checkpoint and rung keeps every value in view, and no legend is needed. Its `*_rows` twin gives
the same numbers for a table. It leaves out per-passage detail (the recite view shows that).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import plotly.graph_objects as go

from glassbox.charts.style import (
    MEMORISATION_LABELS,
    PALETTE,
    display_label,
    merge_labels,
    new_figure,
    percent,
)

# one checkpoint: (its name, the copies of each rung, the share of that rung's passages recited)
Line = tuple[str, Sequence[int], Sequence[float]]

SCALE = [[0.0, "#FFFFFF"], [1.0, PALETTE[4]]]  # white to sky blue: black text reads on every cell
ROW_PX, FRAME_PX = 46, 150


def memorisation_curve(lines: Sequence[Line], labels: Mapping[str, str] | None = None) -> go.Figure:
    """Share recited by copies (columns) and checkpoint (rows, the first on top), each cell
    labelled with its share; a rung a checkpoint was not measured at is left blank."""
    lab = merge_labels(MEMORISATION_LABELS, labels)
    copies = sorted({int(c) for _, rung, _ in lines for c in rung})
    names = [display_label(name) for name, _, _ in lines]
    z, text = [], []
    for _, rung, shares in lines:
        got = {int(c): float(v) for c, v in zip(rung, shares, strict=True)}
        z.append([got.get(c) for c in copies])
        text.append([percent(got[c]) if c in got else "" for c in copies])
    columns = [f"{c}×" for c in copies]
    grid = {
        "type": "heatmap", "z": z, "x": columns, "y": names, "text": text, "texttemplate": "%{text}",
        "textfont": {"size": 15, "color": "#000000"}, "colorscale": SCALE, "zmin": 0.0, "zmax": 1.0,
        "showscale": False, "xgap": 2, "ygap": 2, "hoverongaps": False,
        "hovertemplate": "%{y} · %{x}: %{text}<extra></extra>",
    }  # fmt: skip
    return new_figure(
        lab["title"], height=FRAME_PX + ROW_PX * len(lines), data=[grid],
        xaxis={"title": {"text": lab["x"]}, "type": "category", "side": "bottom", "showgrid": False},
        yaxis={"title": {"text": lab["y"]}, "type": "category", "autorange": "reversed", "showgrid": False},
    )


def memorisation_curve_rows(lines: Sequence[Line], labels: Mapping[str, str] | None = None) -> list[dict]:
    """One row per checkpoint and rung: name, copies, share (as a readable percentage)."""
    return [{"name": name, "copies": int(c), "share": percent(float(v))}
            for name, rung, shares in lines for c, v in zip(rung, shares, strict=True)]
