"""Small charts for cards shown side by side (Watch it learn's checkpoint cards), readable at a
card's width, about 300-450 px: a short title that fits, tokens down the side, three fixed
percentage ticks written level, and each bar's value beside it.

The full next-token chart (`bars.next_token_bars`) is the one for a whole column; this one leaves
out its legend (kept/cut/picked: a card shows the model's plain guesses, nothing is cut or picked)
and its axis titles (the ticks say %, the labels are tokens). Each builder has a `*_rows` twin.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import plotly.graph_objects as go

from glassbox.charts.style import PALETTE, chart_labels, display_label, merge_labels, new_figure, percent, unique_labels

CARD_LABELS = chart_labels("card_guesses")
ROW_PX = 34  # per bar: room for a 16 px token label


def _ranked(candidates: Sequence[tuple[str, float]]) -> list[tuple[str, float]]:
    """(token, probability) most likely first; ties keep the given order."""
    return sorted(((str(t), float(p)) for t, p, *_ in candidates), key=lambda c: -c[1])


def card_guesses(candidates: Sequence[tuple[str, float]], labels: Mapping[str, str] | None = None) -> go.Figure:
    """Horizontal bars of (token, probability) (a third item, e.g. `kept`, is ignored), most likely
    on top, on a fixed 0-100 % axis (so cards side by side compare at a glance)."""
    ranked = _ranked(candidates)
    lab = merge_labels(CARD_LABELS, labels, n=len(ranked))
    names = [display_label(x) for x in unique_labels([t for t, _ in ranked], start=1)]
    bars = {
        "type": "bar",
        "orientation": "h",
        "x": [p for _, p in ranked],
        "y": names,
        "marker": {"color": PALETTE[0]},
        "text": [percent(p) for _, p in ranked],
        "textposition": "outside",
        "cliponaxis": False,
        "hovertemplate": "%{y}: %{text}<extra></extra>",
    }
    fig = new_figure(
        lab["title"],
        height=ROW_PX * max(len(ranked), 1) + 90,
        data=[bars] if ranked else [],
        xaxis={"range": [0, 1], "tickvals": [0, 0.5, 1], "ticktext": ["0%", "50%", "100%"], "tickangle": 0,
               "fixedrange": True},
        yaxis={"type": "category", "categoryorder": "array", "categoryarray": names, "autorange": "reversed",
               "fixedrange": True},
        showlegend=False,
        margin={"l": 10, "r": 70, "t": 45, "b": 10},
    )
    fig.layout.title.update(font={"size": 17}, x=0, xanchor="left")  # a short title, from the card's left
    return fig


def card_guesses_rows(candidates: Sequence[tuple[str, float]], labels: Mapping[str, str] | None = None) -> list[dict]:
    """rank (1 = most likely), token, probability (0-1)."""
    return [{"rank": r, "token": t, "probability": p} for r, (t, p) in enumerate(_ranked(candidates), start=1)]
