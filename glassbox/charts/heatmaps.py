"""Heatmaps of expert routing: per token, one token through the layers, expert load, domain use.

Rows are tokens, layers or domains; columns are experts (0-based, as in the model), which reads up
to 16 experts per layer (`ranked` draws wider models). Chosen top-k cells carry a white dot with a
black ring, visible on both ends of cividis. Each builder has a
`*_rows` twin with the same numbers for a table, probabilities and shares written as percentages
the way the charts' hover text writes them (a table of 16-digit floats is not readable).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from glassbox.charts.style import (
    DOMAIN_USAGE_LABELS,
    EXPERT_LOAD_LABELS,
    HEATMAP_SCALE,
    PALETTE,
    ROUTING_LABELS,
    TICK_PERCENT,
    TOKEN_PATH_LABELS,
    display_label,
    merge_labels,
    new_figure,
    percent,
    unique_labels,
)
from glassbox.errors import GlassboxError


def _expert_heatmap(z: np.ndarray, rows: list, hover: list, colour_title: str, **extra) -> dict:
    """Rows × experts on the shared scale: colours start at 0%, thin gaps, hover text per cell."""
    return {
        "type": "heatmap",
        "z": z,
        "zmax": max(float(z.max(initial=0.0)), 1e-9),  # zmin only holds with zmax set
        "x": list(range(z.shape[1])),
        "y": rows,
        "colorscale": HEATMAP_SCALE,
        "zmin": 0,
        "xgap": 1,
        "ygap": 1,
        "hovertext": hover,
        "hoverinfo": "text",
        "colorbar": {"title": {"text": colour_title}, "tickformat": TICK_PERCENT},
        **extra,
    }


def _expert_axis(title: str, n_experts: int, **more: object) -> dict:
    """The experts axis: one tick per expert while they fit."""
    return {"title": {"text": title}, **({"dtick": 1} if n_experts <= 32 else {}), "showgrid": False, **more}


def _check_choice(probs: np.ndarray, chosen: np.ndarray, rows: int) -> tuple[np.ndarray, np.ndarray]:
    probs, chosen = np.asarray(probs, dtype=float), np.asarray(chosen, dtype=int)
    if probs.ndim != 2 or chosen.ndim != 2 or probs.shape[0] != rows or chosen.shape[0] != rows:
        raise ValueError(f"shapes disagree: probs {probs.shape}, chosen {chosen.shape}, {rows} row labels")
    if chosen.size and (chosen.min() < 0 or chosen.max() >= probs.shape[1]):
        raise ValueError("a chosen expert is outside the probability columns")
    return probs, chosen


def _marked_heatmap(
    probs: np.ndarray, chosen: np.ndarray, rows: list, lab: dict[str, str], yaxis: dict, under_dots: tuple = ()
) -> go.Figure:
    """Rows × experts heatmap with a white dot on every chosen cell (`under_dots`: traces drawn
    between the two, such as a path)."""
    n_rows, n_experts = probs.shape
    rank = {(r, int(e)): j for r in range(n_rows) for j, e in enumerate(chosen[r])}
    hover = [
        [
            f"{lab['y']} {rows[r]}<br>{lab['x']} {e}: {percent(probs[r, e])}"
            + (f"<br>{lab['chosen']} #{rank[r, e] + 1}" if (r, e) in rank else "")
            for e in range(n_experts)
        ]
        for r in range(n_rows)
    ]
    cells = sorted(rank, key=lambda cell: (cell[0], rank[cell]))
    dots = {
        "type": "scatter",
        "x": [e for _, e in cells],
        "y": [rows[r] for r, _ in cells],
        "mode": "markers",
        "name": lab["chosen"],
        "marker": {"symbol": "circle", "size": 11, "color": "white", "line": {"color": "black", "width": 2}},
        "hovertext": [hover[r][e] for r, e in cells],
        "hoverinfo": "text",
        "showlegend": True,
    }
    return new_figure(
        lab["title"],
        height=max(320, 26 * n_rows + 160),
        data=[_expert_heatmap(probs, rows, hover, lab["colour"]), *under_dots, dots],
        xaxis=_expert_axis(lab["x"], n_experts, range=[-0.5, n_experts - 0.5]),
        yaxis={"title": {"text": lab["y"]}, "autorange": "reversed", "showgrid": False, **yaxis},
        # clear of the colour bar's title
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "left", "x": 0.0},
    )


def routing_heatmap(
    probs: np.ndarray, chosen: np.ndarray, token_labels: Sequence[str], labels: Mapping[str, str] | None = None
) -> go.Figure:
    """Router probability per token (rows, top first) × expert, the chosen top-k cells marked."""
    probs, chosen = _check_choice(probs, chosen, len(token_labels))
    rows = [display_label(x) for x in unique_labels(token_labels)]
    # a token like "42" must stay a category
    return _marked_heatmap(probs, chosen, rows, merge_labels(ROUTING_LABELS, labels), {"type": "category"})


def routing_rows(
    probs: np.ndarray, chosen: np.ndarray, token_labels: Sequence[str], labels: Mapping[str, str] | None = None
) -> list[dict]:
    """One row per token: position, token, chosen experts, their probabilities (as percentages)."""
    probs, chosen = _check_choice(probs, chosen, len(token_labels))
    return [
        {
            "position": t,
            "token": str(label),
            "experts": [int(e) for e in chosen[t]],
            "probabilities": [percent(probs[t, e]) for e in chosen[t]],
        }
        for t, label in enumerate(token_labels)
    ]


def token_path(
    probs: np.ndarray, chosen: np.ndarray, token_label: str, labels: Mapping[str, str] | None = None
) -> go.Figure:
    """One token's route: router probability per layer × expert, chosen cells marked, top choices joined."""
    probs, chosen = _check_choice(probs, chosen, len(np.asarray(probs)))
    lab = merge_labels(TOKEN_PATH_LABELS, labels, token=token_label)
    layers = list(range(probs.shape[0]))
    path = {
        "type": "scatter",
        "x": [int(e) for e in chosen[:, 0]] if chosen.shape[1] else [],
        "y": layers,
        "mode": "lines",
        "name": lab["path"],
        "line": {"color": PALETTE[5], "width": 3},
        "hoverinfo": "skip",
    }
    return _marked_heatmap(probs, chosen, layers, lab, {"dtick": 1}, under_dots=(path,) if chosen.shape[1] else ())


def token_path_rows(
    probs: np.ndarray, chosen: np.ndarray, token_label: str, labels: Mapping[str, str] | None = None
) -> list[dict]:
    """One row per layer: layer, token, chosen experts, their probabilities (as percentages)."""
    probs, chosen = _check_choice(probs, chosen, len(np.asarray(probs)))
    return [
        {
            "layer": layer,
            "token": str(token_label),
            "experts": [int(e) for e in chosen[layer]],
            "probabilities": [percent(probs[layer, e]) for e in chosen[layer]],
        }
        for layer in range(len(probs))
    ]


def _share_heatmap(share: np.ndarray, rows: list, lab: dict[str, str], yaxis: dict, extra: str = "") -> go.Figure:
    n_rows, n_experts = share.shape
    hover = [
        [f"{lab['y']} {rows[r]}<br>{lab['x']} {e}: {percent(share[r, e])}{extra}" for e in range(n_experts)]
        for r in range(n_rows)
    ]
    cells = {"texttemplate": "%{z:.2~p}"} if n_experts <= 16 else {}
    return new_figure(
        lab["title"],
        height=max(300, 34 * n_rows + 160),
        data=[_expert_heatmap(share, rows, hover, lab["colour"], **cells)],
        xaxis=_expert_axis(lab["x"], n_experts),
        yaxis={"title": {"text": lab["y"]}, "autorange": "reversed", "showgrid": False, **yaxis},
    )


def expert_load(load: np.ndarray, labels: Mapping[str, str] | None = None) -> go.Figure:
    """Share of token slots each expert got, per layer (rows) × expert."""
    load = np.asarray(load, dtype=float)
    lab = merge_labels(EXPERT_LOAD_LABELS, labels)
    even = f"<br>({lab['uniform']}: {percent(1 / max(1, load.shape[1]))})"
    return _share_heatmap(load, list(range(load.shape[0])), lab, {"dtick": 1}, extra=even)


def expert_load_rows(load: np.ndarray, labels: Mapping[str, str] | None = None) -> list[dict]:
    """One row per layer and expert: layer, expert, share (as a percentage)."""
    load = np.asarray(load, dtype=float)
    return [
        {"layer": layer, "expert": e, "share": percent(load[layer, e])}
        for layer in range(load.shape[0])
        for e in range(load.shape[1])
    ]


def _usage_at(usage: Mapping[str, np.ndarray], layer: int) -> tuple[list[str], np.ndarray]:
    arrays = [np.asarray(a, dtype=float) for a in usage.values()]
    layers = min((a.shape[0] for a in arrays), default=0)
    if not 0 <= layer < layers:
        raise GlassboxError("bad_setting", name="layer", rule=f"between 0 and {layers - 1}", value=layer)
    return [str(d) for d in usage], np.stack([a[layer] for a in arrays])


def domain_usage(usage: Mapping[str, np.ndarray], layer: int, labels: Mapping[str, str] | None = None) -> go.Figure:
    """Per domain (rows), the share of its tokens routed to each expert in one layer."""
    domains, share = _usage_at(usage, layer)
    lab = merge_labels(DOMAIN_USAGE_LABELS, labels, layer=layer)
    return _share_heatmap(share, [display_label(d) for d in unique_labels(domains)], lab, {"type": "category"})


def domain_usage_rows(
    usage: Mapping[str, np.ndarray], layer: int, labels: Mapping[str, str] | None = None
) -> list[dict]:
    """One row per domain and expert in `layer`: domain, expert, share (as a percentage)."""
    domains, share = _usage_at(usage, layer)
    return [
        {"domain": d, "expert": e, "share": percent(share[i, e])}
        for i, d in enumerate(domains)
        for e in range(share.shape[1])
    ]
