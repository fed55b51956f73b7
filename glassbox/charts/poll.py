"""The class's guesses as a chart: how many learners gave each answer, as a share of the class on
the same fixed 0-100 % axis as the model's next-token bars, so the projector can show the two side
by side. Answers are learners' own words: escaped here like token labels."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import plotly.graph_objects as go

from glassbox.charts.style import PALETTE, TICK_PERCENT, chart_labels, display_label, merge_labels, new_figure

CLASS_GUESS_LABELS = chart_labels("class_guesses")
MAX_BARS = 12


def _shares(answers: Sequence[tuple[str, int]]) -> list[tuple[str, int, float]]:
    total = sum(int(n) for _, n in answers) or 1
    ranked = sorted(answers, key=lambda a: -int(a[1]))[:MAX_BARS]
    return [(str(text), int(n), int(n) / total) for text, n in ranked]


def class_guesses(
    answers: Sequence[tuple[str, int]], labels: Mapping[str, str] | None = None, highlight: str | None = None
) -> go.Figure:
    """Horizontal bars of (answer, learners), most given on top (at most MAX_BARS), each labelled
    with its count; `highlight` (e.g. the right answer, once revealed) is orange."""
    total = sum(int(n) for _, n in answers)
    lab = merge_labels(CLASS_GUESS_LABELS, labels, total=total)
    rows = _shares(answers)
    names = [display_label(text) for text, _, _ in rows]
    colours = [PALETTE[1] if text == highlight else PALETTE[2] for text, _, _ in rows]
    trace = {
        "type": "bar", "orientation": "h", "x": [share for _, _, share in rows], "y": names,
        "marker": {"color": colours}, "text": [str(n) for _, n, _ in rows], "textposition": "outside",
        "cliponaxis": False, "hovertemplate": "%{y}: %{text}<extra></extra>",
    }  # fmt: skip
    return new_figure(
        lab["title"],
        height=max(220, 34 * len(rows) + 110),
        data=[trace],
        xaxis={"title": {"text": lab["x"]}, "tickformat": TICK_PERCENT, "range": [0, 1]},
        yaxis={"title": {"text": lab["y"]}, "type": "category", "categoryorder": "array", "categoryarray": names,
               "autorange": "reversed"},  # fmt: skip
        margin={"l": 20, "r": 60, "t": 70, "b": 20},
        showlegend=False,
    )


def class_guesses_rows(
    answers: Sequence[tuple[str, int]], labels: Mapping[str, str] | None = None, highlight: str | None = None
) -> list[dict]:
    return [{"answer": text, "learners": n, "share": round(share, 4)} for text, n, share in _shares(answers)]
