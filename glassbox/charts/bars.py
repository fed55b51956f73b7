"""Bar and line charts: next-token candidates, model vs. corpus, token counts, the loss curve.

Each builder has a `*_rows` twin with the same numbers for a table. Probabilities stay fractions
in the traces and show as % (`style.percent`: "< 0.01%" for the tiny ones, never twenty decimals).
The next-token bars leave out candidates at exactly 0% (greedy choice puts all but one there) and
say how many in the subtitle; the table twin keeps them. Axis and legend text comes from `labels`
(see `style`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import plotly.graph_objects as go

from glassbox.charts.style import (
    COMPARE_LABELS,
    COUNT_LABELS,
    CUT_GREY,
    LOSS_LABELS,
    NEXT_TOKEN_LABELS,
    PALETTE,
    TICK_PERCENT,
    display_label,
    merge_labels,
    new_figure,
    percent,
    unique_labels,
    wrapped,
)


def _category_axis(title: str, names: list[str]) -> dict:
    """A token axis in the given order, first on top (a token like "42" stays a category)."""
    return {"title": {"text": title}, "type": "category", "categoryorder": "array", "categoryarray": names,
            "autorange": "reversed"}


def _probability_frame(lab: Mapping[str, str], names: list[str]) -> dict:
    """Axes and margins of horizontal probability bars: tokens down the side, a fixed 0-100% along
    the bottom (so a bar that grows between two settings is seen to grow), and room on the right
    for the % beside a bar near 100% (drawn outside the axis)."""
    return {
        "xaxis": {"title": {"text": lab["x"]}, "tickformat": TICK_PERCENT, "range": [0, 1]},
        "yaxis": _category_axis(lab["y"], names),
        "margin": {"l": 20, "r": 80, "t": 70 if lab["title"] else 30, "b": 20},
    }


LEGEND_STRIP = 40  # pixels under the plot for the legend of the next-token bars


def _ranked(candidates: Sequence[tuple[str, float, bool]]) -> list[tuple[int, tuple[str, float, bool]]]:
    """(index given, candidate) most likely first; ties keep the given order."""
    return sorted(enumerate(candidates), key=lambda item: -float(item[1][1]))


def next_token_bars(
    candidates: Sequence[tuple[str, float, bool]], labels: Mapping[str, str] | None = None, highlight: int | None = None
) -> go.Figure:
    """Horizontal bars of (token, probability, kept), most likely on top.

    Kept tokens are blue, cut-off ones grey and hatched, `highlight` (an index into `candidates`,
    e.g. the token that was picked) orange with a black outline. Candidates at exactly 0% (all but
    the top one at temperature 0) are left out, except the highlighted one, and the subtitle
    (`labels["zeros"]`, with `{n}`) says how many; their labels would only squash the plot.
    """
    ranked = _ranked(candidates)
    zeros = sum(1 for i, c in ranked if float(c[1]) <= 0 and i != highlight)
    ranked = [(i, c) for i, c in ranked if float(c[1]) > 0 or i == highlight]
    lab = merge_labels(NEXT_TOKEN_LABELS, labels, n=zeros)
    names = [display_label(x) for x in unique_labels([c[0] for _, c in ranked], start=1)]
    groups = (("kept", PALETTE[0], ""), ("cut", CUT_GREY, "/"), ("picked", PALETTE[1], ""))
    traces = []
    for group, colour, hatch in groups:
        rows = [
            (name, c)
            for name, (i, c) in zip(names, ranked, strict=True)
            if ("picked" if i == highlight else ("kept" if c[2] else "cut")) == group
        ]
        if not rows:
            continue
        traces.append({
            "type": "bar",
            "x": [float(c[1]) for _, c in rows],
            "y": [name for name, _ in rows],
            "orientation": "h",
            "name": lab[group],
            "marker": {
                "color": colour,
                "pattern": {"shape": hatch},
                "line": {"color": "black", "width": 3 if group == "picked" else 0},
            },
            "text": [percent(c[1]) for _, c in rows],
            "textposition": "outside",
            "cliponaxis": False,
            "hovertemplate": "%{y}: %{text}<extra></extra>",
        })
    frame = _probability_frame(lab, names)
    if zeros:  # room under the title for the subtitle that says what was left out
        frame["margin"] = {**frame["margin"], "t": frame["margin"]["t"] + 30}
    # the legend goes under the plot, in a strip of its own: above it, three entries ran over a long title
    frame["margin"] = {**frame["margin"], "b": frame["margin"]["b"] + LEGEND_STRIP}
    legend = {"orientation": "h", "yref": "container", "yanchor": "bottom", "y": 0.0, "xanchor": "left", "x": 0.0}
    fig = new_figure(lab["title"], height=max(240, 32 * len(ranked) + 100) + LEGEND_STRIP, data=traces,
                     barmode="overlay", legend=legend, **frame)  # fmt: skip
    if zeros:
        fig.layout.title.subtitle.text = display_label(lab["zeros"])
    return fig


def next_token_rows(
    candidates: Sequence[tuple[str, float, bool]], labels: Mapping[str, str] | None = None, highlight: int | None = None
) -> list[dict]:
    """rank (1 = most likely), token, probability (as % text, "< 0.01%" for tiny ones), kept; every
    candidate, those at 0% too."""
    return [
        {"rank": r, "token": c[0], "probability": percent(c[1]), "kept": bool(c[2])}
        for r, (_, c) in enumerate(_ranked(candidates), start=1)
    ]


WARMUP_FILL = "rgba(153, 153, 153, 0.35)"  # the warm-up band and its legend square


def loss_curve(
    steps: Sequence[int],
    train_loss: Sequence[float],
    heldout_steps: Sequence[int],
    heldout_loss: Sequence[float],
    checkpoint_steps: Sequence[int] = (),
    labels: Mapping[str, str] | None = None,
    events: Sequence[tuple[int, int, str]] = (),
) -> go.Figure:
    """Training and held-out loss against step, each checkpoint a dotted vertical line, and what is
    not plain learning marked: a warm-up as a shaded band, a restarted stage as a solid line."""
    lab = merge_labels(LOSS_LABELS, labels)
    traces = [
        {"type": "scatter", "x": list(steps), "y": [float(v) for v in train_loss], "mode": "lines",
         "name": lab["train"], "line": {"color": PALETTE[0], "width": 2}},
        {"type": "scatter", "x": list(heldout_steps), "y": [float(v) for v in heldout_loss], "mode": "lines+markers",
         "name": lab["heldout"], "line": {"color": PALETTE[1], "width": 3, "dash": "dash"},
         "marker": {"symbol": "diamond", "size": 10}},
    ]
    if checkpoint_steps:  # a legend entry for the lines, which are shapes and have none of their own
        traces.append({"type": "scatter", "x": [None], "y": [None], "mode": "lines", "name": lab["checkpoint"],
                       "line": {"color": "#555555", "dash": "dot"}})
    marks = [
        {"type": "line", "x0": step, "x1": step, "xref": "x", "y0": 0, "y1": 1, "yref": "y domain",
         "line": {"color": "#555555", "dash": "dot", "width": 2}}
        for step in checkpoint_steps
    ]
    warmups = [(first, last) for first, last, kind in events if kind == "warmup"]
    if warmups:  # named in the legend: a band of a few dozen steps is too narrow to carry its own label
        traces.append({"type": "scatter", "x": [None], "y": [None], "mode": "markers", "name": lab["warmup"],
                       "marker": {"symbol": "square", "size": 14, "color": WARMUP_FILL}})
    for first, last, kind in events:
        if kind == "warmup":
            marks.append({"type": "rect", "x0": first, "x1": last, "xref": "x", "y0": 0, "y1": 1, "yref": "y domain",
                          "fillcolor": WARMUP_FILL, "line": {"width": 0}, "layer": "below"})
        else:
            marks.append({"type": "line", "x0": first, "x1": first, "xref": "x", "y0": 0, "y1": 1, "yref": "y domain",
                          "line": {"color": "#b00020", "width": 2},
                          "label": {"text": lab["restart"], "textangle": -90, "font": {"size": 11}}})
    # four legend entries do not fit in one row above the plot: two columns below it
    legend = {"orientation": "h", "yanchor": "top", "y": -0.3, "xanchor": "left", "x": 0.0,
              "entrywidth": 0.5, "entrywidthmode": "fraction"}
    return new_figure(lab["title"], height=460, data=traces, xaxis={"title": {"text": lab["x"]}},
                      yaxis={"title": {"text": lab["y"]}}, legend=legend, **({"shapes": marks} if marks else {}))


def loss_curve_rows(
    steps: Sequence[int],
    train_loss: Sequence[float],
    heldout_steps: Sequence[int],
    heldout_loss: Sequence[float],
    checkpoint_steps: Sequence[int] = (),
    labels: Mapping[str, str] | None = None,
    events: Sequence[tuple[int, int, str]] = (),
) -> list[dict]:
    """One row per step seen anywhere: step, train_loss, heldout_loss (None where not measured),
    checkpoint, and the event it falls in (the chart's warm-up or new-stage label, else None)."""
    lab = merge_labels(LOSS_LABELS, labels)
    train = {int(s): float(v) for s, v in zip(steps, train_loss, strict=True)}
    held = {int(s): float(v) for s, v in zip(heldout_steps, heldout_loss, strict=True)}
    marks = {int(s) for s in checkpoint_steps}

    def event(step: int) -> str | None:
        return next((lab[kind] for first, last, kind in events if first <= step <= last), None)

    return [
        {"step": s, "train_loss": train.get(s), "heldout_loss": held.get(s), "checkpoint": s in marks,
         "event": event(s)}
        for s in sorted(set(train) | set(held) | marks)
    ]


def _merged(model: Sequence[tuple[str, float]], corpus: Sequence[tuple[str, float]]) -> list[list]:
    """[token, model p or None, corpus p or None], model's order first, then the corpus-only tokens."""
    merged: dict[tuple[str, int], list] = {}
    for side, dist in ((1, model), (2, corpus)):
        seen: dict[str, int] = {}
        for token, p in sorted(dist, key=lambda item: -float(item[1])):
            nth = seen[token] = seen.get(token, -1) + 1  # the same text twice stays two entries
            merged.setdefault((token, nth), [token, None, None])[side] = float(p)
    return list(merged.values())


def compare_distributions(
    model: Sequence[tuple[str, float]], corpus: Sequence[tuple[str, float]], labels: Mapping[str, str] | None = None
) -> go.Figure:
    """The model's next-token probabilities beside the corpus's ∞-gram ones, token by token."""
    lab = merge_labels(COMPARE_LABELS, labels)
    merged = _merged(model, corpus)
    names = [display_label(x) for x in unique_labels([m[0] for m in merged], start=1)]
    traces = [
        {
            "type": "bar",
            "x": [m[side] for m in merged],
            "y": names,
            "orientation": "h",
            "name": lab[key],
            "marker": {"color": colour, "pattern": {"shape": hatch}},
            "text": [percent(m[side]) if m[side] is not None else display_label(lab["missing"]) for m in merged],
            "textposition": "outside",
            "cliponaxis": False,
            "hovertemplate": f"{display_label(lab[key])} · %{{y}}: %{{text}}<extra></extra>",
        }
        for side, key, colour, hatch in ((1, "model", PALETTE[0], ""), (2, "corpus", PALETTE[1], "."))
    ]
    return new_figure(
        lab["title"],
        height=max(300, 48 * len(merged) + 140),
        data=traces,
        barmode="group",
        **_probability_frame(lab, names),
    )


def compare_rows(
    model: Sequence[tuple[str, float]], corpus: Sequence[tuple[str, float]], labels: Mapping[str, str] | None = None
) -> list[dict]:
    """token, model_probability, corpus_probability (None where that side did not list the token)."""
    return [{"token": t, "model_probability": m, "corpus_probability": c} for t, m, c in _merged(model, corpus)]


def token_counts(rows: Sequence[tuple[str, int, int, int]], labels: Mapping[str, str] | None = None) -> go.Figure:
    """Grouped bars per text: characters, words, tokens."""
    lab = merge_labels(COUNT_LABELS, labels)
    full = [display_label(r[0]) for r in rows]
    width = max(8, min(22, 100 // max(1, len(rows))))  # columns per line: the more bars, the narrower
    names = unique_labels([wrapped(str(r[0]), width, lines=4) for r in rows], start=1)  # wrap, not tilt
    traces = [
        {
            "type": "bar",
            "x": names,
            "y": [int(r[i + 1]) for r in rows],
            "name": lab[key],
            "marker": {"color": PALETTE[i]},
            "texttemplate": "%{y}",
            "textposition": "outside",
            "customdata": full,
            "hovertemplate": f"%{{customdata}} · {display_label(lab[key])}: %{{y}}<extra></extra>",
        }
        for i, key in enumerate(("characters", "words", "tokens"))
    ]
    return new_figure(
        lab["title"],
        height=460,
        data=traces,
        xaxis={"tickangle": 0, "title": {"text": lab["x"]}, "type": "category"},
        yaxis={"title": {"text": lab["y"]}, "rangemode": "tozero"},
        barmode="group",
    )


def token_counts_rows(rows: Sequence[tuple[str, int, int, int]], labels: Mapping[str, str] | None = None) -> list[dict]:
    """name, characters, words, tokens."""
    return [{"name": str(n), "characters": int(c), "words": int(w), "tokens": int(t)} for n, c, w, t in rows]
