"""Expert charts that read at many experts (the full-size OLMoE: 64 per layer, top-8).

`heatmaps` draws one column per expert; past `WIDE_EXPERTS` experts such a column is a few pixels
wide in the site's tool column and nothing can be read. Here each row (a token, a layer or a kind
of text) gets only a few cells, ranked: the experts the router chose, most likely first, or the
busiest experts, busiest first. Each cell names its expert and writes its probability or share,
coloured from faint to sky blue by that value; a grey "rest" cell holds what all the other experts
got together, and the load chart adds how many experts got no token at all. A page picks this form
by the model's expert count (`wide`); the builders take any count. Each has a `*_rows` twin.

Left out: the top-choice line of `heatmaps.token_path` (its first column is that path, and expert
numbers in different layers are different experts), and a colour bar (every cell writes its value).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from glassbox.charts.heatmaps import _check_choice, _usage_at
from glassbox.charts.style import (
    DOMAIN_USAGE_LABELS,
    EXPERT_LOAD_LABELS,
    PALETTE,
    RANKED_LABELS,
    ROUTING_LABELS,
    TOKEN_PATH_LABELS,
    display_label,
    merge_labels,
    new_figure,
    percent,
    unique_labels,
)

WIDE_EXPERTS = 16  # more experts than this per layer: the ranked form
BUSIEST = 8  # cells per row in the load and domain charts
REST_GREY = "#E5E7EB"
# faint to sky blue (Okabe-Ito), as the memorisation grid: black text reads on every cell, which
# white or black text on cividis's middle greys does not
SCALE = [[0.0, "#F2F8FD"], [1.0, PALETTE[4]]]
ROW_PX, TOP_PX, FRAME_PX = 40, 120, 170  # two lines of text per cell; title, axis title, column heads (+ bottom)


def wide(n_experts: int) -> bool:
    """Whether a model with `n_experts` experts per layer needs the ranked charts."""
    return n_experts > WIDE_EXPERTS


def short_percent(share: float) -> str:
    """A share short enough for a narrow cell: two significant digits ("23%", "1.6%", "0.52%"),
    "<0.1%" below that; hover text and tables keep `percent`'s three digits."""
    value = float(share) * 100
    if value == 0:
        return "0%"
    if value < 0.1:
        return "<0.1%"
    return f"{value:.0f}%" if value >= 10 else f"{value:.2g}%"


def _ranked(
    values: np.ndarray,
    experts: np.ndarray,
    rest: np.ndarray,
    rows: list,
    lab: dict[str, str],
    axis: str,
    yaxis: dict,
    unused: np.ndarray | None = None,
) -> go.Figure:
    """Rows × ranks: cell (r, j) names expert `experts[r, j]` and writes `values[r, j]` (left blank
    at 0: fewer experts than ranks had any share); then a grey column with `rest[r]` and, given
    `unused`, one with how many experts got nothing."""
    n_rows, k = values.shape
    ticks = [lab["tick"].replace("{n}", str(j + 1)) for j in range(k)]
    z, text, hover = [], [], []
    for r in range(n_rows):
        shown = [j for j in range(k) if values[r, j] > 0]
        z.append([float(values[r, j]) if j in shown else None for j in range(k)])
        text.append(
            [f"<b>{experts[r, j]}</b><br>{short_percent(values[r, j])}" if j in shown else "" for j in range(k)]
        )
        hover.append([f"{lab['y']} {rows[r]}<br>{ticks[j]}: {lab['x']} {experts[r, j]}<br>{percent(values[r, j])}"
                      if j in shown else "" for j in range(k)])  # fmt: skip
    cells = {
        "type": "heatmap", "z": z, "x": list(range(k)), "y": rows, "colorscale": SCALE, "zmin": 0,
        "zmax": max(float(values.max(initial=0.0)), 1e-9), "showscale": False, "xgap": 2, "ygap": 2,
        "hoverongaps": False, "text": text, "texttemplate": "%{text}",
        "textfont": {"size": 14, "color": "#000000"}, "hovertext": hover, "hoverinfo": "text",
    }  # fmt: skip
    columns = [
        (lab["rest"], rest, [short_percent(x) for x in rest], [f"{lab['rest_hover']}: {percent(x)}" for x in rest])
    ]
    if unused is not None:
        columns.append((lab["unused"], unused, [str(int(n)) for n in unused],
                        [lab["unused_hover"].replace("{n}", str(int(n))) for n in unused]))  # fmt: skip
    grey = [
        {
            "type": "heatmap", "z": np.asarray(z, dtype=float).reshape(-1, 1), "x": [k + i], "y": rows,
            "colorscale": [[0.0, REST_GREY], [1.0, REST_GREY]], "showscale": False, "xgap": 2, "ygap": 2,
            "text": [[t] for t in shown], "texttemplate": "%{text}", "textfont": {"size": 14, "color": "#1F2937"},
            "hovertext": [[f"{lab['y']} {rows[r]}<br>{note}"] for r, note in enumerate(notes)], "hoverinfo": "text",
        }
        for i, (_, z, shown, notes) in enumerate(columns)
    ]  # fmt: skip
    n_columns = k + len(columns)
    fig = new_figure(
        lab["title"],
        height=FRAME_PX + ROW_PX * n_rows,
        data=[cells, *grey],
        xaxis={"title": {"text": axis}, "side": "top", "showgrid": False, "range": [-0.5, n_columns - 0.5],
               "tickmode": "array", "tickvals": list(range(n_columns)), "tickangle": 0,
               "ticktext": [*ticks, *(c[0] for c in columns)], "fixedrange": True},
        yaxis={"title": {"text": lab["y"]}, "autorange": "reversed", "showgrid": False, **yaxis},
    )  # fmt: skip
    # the title at the top, then the axis title and the column heads under it, not over them
    fig.layout.title.update(yref="container", y=1, yanchor="top", pad={"t": 12})
    fig.layout.margin.t = TOP_PX
    return fig


def _chosen(probs: np.ndarray, chosen: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The chosen experts most likely first, their probabilities, and the rest of each row's probability."""
    order = np.argsort(-np.take_along_axis(probs, chosen, axis=1), axis=1, kind="stable")
    chosen = np.take_along_axis(chosen, order, axis=1)
    values = np.take_along_axis(probs, chosen, axis=1)
    return chosen, values, np.clip(probs.sum(axis=1) - values.sum(axis=1), 0.0, None)


def _busiest(share: np.ndarray, top: int = BUSIEST) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per row the `top` experts with the largest share (ties: the lower number first), their
    shares, the rest of the row's share, and how many experts have none."""
    experts = np.argsort(-share, axis=1, kind="stable")[:, : min(top, share.shape[1])]
    values = np.take_along_axis(share, experts, axis=1)
    return experts, values, np.clip(share.sum(axis=1) - values.sum(axis=1), 0.0, None), (share <= 0).sum(axis=1)


def _chosen_figure(probs: np.ndarray, chosen: np.ndarray, rows: list, lab: dict[str, str], yaxis: dict) -> go.Figure:
    experts, values, rest = _chosen(probs, chosen)
    lab["title"] = lab["chosen_title"]
    lab["rest_hover"] = lab["rest_hover"].replace("{n}", str(probs.shape[1] - chosen.shape[1]))
    return _ranked(values, experts, rest, rows, lab, lab["chosen_axis"], yaxis)


def _chosen_rows(probs: np.ndarray, chosen: np.ndarray, heads: list[dict]) -> list[dict]:
    """Per row its `heads` fields, then the chosen experts most likely first, their probabilities
    and the rest (as percentages)."""
    experts, values, rest = _chosen(probs, chosen)
    return [
        {
            **head,
            "experts": experts[r].tolist(),
            "probabilities": [percent(p) for p in values[r]],
            "rest": percent(rest[r]),
        }
        for r, head in enumerate(heads)
    ]


def routing_choices(
    probs: np.ndarray, chosen: np.ndarray, token_labels: Sequence[str], labels: Mapping[str, str] | None = None
) -> go.Figure:
    """Per token (rows, top first) the chosen experts, most likely first, with their router
    probability, and the probability all the others got together."""
    probs, chosen = _check_choice(probs, chosen, len(token_labels))
    lab = merge_labels({**RANKED_LABELS, **ROUTING_LABELS}, labels)
    rows = [display_label(x) for x in unique_labels(token_labels)]
    return _chosen_figure(probs, chosen, rows, lab, {"type": "category"})


def routing_choices_rows(
    probs: np.ndarray, chosen: np.ndarray, token_labels: Sequence[str], labels: Mapping[str, str] | None = None
) -> list[dict]:
    """One row per token: position, token, chosen experts most likely first, their probabilities, the rest."""
    probs, chosen = _check_choice(probs, chosen, len(token_labels))
    return _chosen_rows(probs, chosen, [{"position": t, "token": str(x)} for t, x in enumerate(token_labels)])


def token_path_choices(
    probs: np.ndarray, chosen: np.ndarray, token_label: str, labels: Mapping[str, str] | None = None
) -> go.Figure:
    """One token's route: per layer (rows) the chosen experts, most likely first, with their
    router probability, and the rest."""
    probs, chosen = _check_choice(probs, chosen, len(np.asarray(probs)))
    lab = merge_labels({**RANKED_LABELS, **TOKEN_PATH_LABELS}, labels, token=token_label)
    return _chosen_figure(probs, chosen, list(range(len(probs))), lab, {"dtick": 1})


def token_path_choices_rows(
    probs: np.ndarray, chosen: np.ndarray, token_label: str, labels: Mapping[str, str] | None = None
) -> list[dict]:
    """One row per layer: layer, token, chosen experts most likely first, their probabilities, the rest."""
    probs, chosen = _check_choice(probs, chosen, len(np.asarray(probs)))
    return _chosen_rows(probs, chosen, [{"layer": i, "token": str(token_label)} for i in range(len(probs))])


def _busiest_figure(share: np.ndarray, rows: list, lab: dict[str, str], yaxis: dict) -> go.Figure:
    experts, values, rest, unused = _busiest(share)
    lab["title"] = lab["busiest_title"]
    lab["rest_hover"] = lab["rest_hover"].replace("{n}", str(share.shape[1] - experts.shape[1]))
    lab["unused_hover"] = lab["unused_hover"].replace("{experts}", str(share.shape[1]))
    return _ranked(values, experts, rest, rows, lab, lab["busiest_axis"], yaxis, unused=unused)


def _busiest_rows(share: np.ndarray) -> list[dict]:
    experts, values, rest, unused = _busiest(share)
    return [
        {
            "experts": experts[r].tolist(),
            "shares": [percent(x) for x in values[r]],
            "rest": percent(rest[r]),
            "unused": int(unused[r]),
        }
        for r in range(len(share))
    ]


def expert_load_busiest(load: np.ndarray, labels: Mapping[str, str] | None = None) -> go.Figure:
    """Per layer (rows) the busiest experts, busiest first, with their share of the token slots;
    the share of all the others, and how many experts got no slot."""
    load = np.asarray(load, dtype=float)
    lab = merge_labels({**RANKED_LABELS, **EXPERT_LOAD_LABELS}, labels)
    return _busiest_figure(load, list(range(load.shape[0])), lab, {"dtick": 1})


def expert_load_busiest_rows(load: np.ndarray, labels: Mapping[str, str] | None = None) -> list[dict]:
    """One row per layer: layer, busiest experts, their shares, the rest's share, experts unused."""
    load = np.asarray(load, dtype=float)
    return [{"layer": layer, **row} for layer, row in enumerate(_busiest_rows(load))]


def domain_usage_busiest(
    usage: Mapping[str, np.ndarray], layer: int, labels: Mapping[str, str] | None = None
) -> go.Figure:
    """Per kind of text (rows) the experts it used most in `layer`, busiest first, and the rest."""
    domains, share = _usage_at(usage, layer)
    lab = merge_labels({**RANKED_LABELS, **DOMAIN_USAGE_LABELS}, labels, layer=layer)
    rows = [display_label(d) for d in unique_labels(domains)]
    return _busiest_figure(share, rows, lab, {"type": "category"})


def domain_usage_busiest_rows(
    usage: Mapping[str, np.ndarray], layer: int, labels: Mapping[str, str] | None = None
) -> list[dict]:
    """One row per kind of text in `layer`: domain, busiest experts, their shares, rest, unused."""
    domains, share = _usage_at(usage, layer)
    return [{"domain": d, **row} for d, row in zip(domains, _busiest_rows(share), strict=True)]
