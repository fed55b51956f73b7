"""Charts on a page: a figure from `glassbox.charts` (built once per arguments and shared by every
session) with its data table behind a toggle, and the chart labels in the learner's language.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

from glassbox import charts
from ui import lang, show_error, tr

ROWS_TWIN = {
    "next_token_bars": "next_token_rows",
    "routing_heatmap": "routing_rows",
    "compare_distributions": "compare_rows",
}
COLUMNS = (
    "rank", "token", "probability", "kept", "position", "experts", "probabilities", "layer", "expert", "share",
    "domain", "step", "train_loss", "heldout_loss", "checkpoint", "model_probability", "corpus_probability",
    "name", "characters", "words", "tokens", "copies", "event", "answer", "learners",
    "document", "found_by", "score", "noise_multiple", "shares", "rest", "unused",
)  # fmt: skip


def chart(builder: str, *args: Any, key: str | None = None) -> None:
    """A chart from `glassbox.charts` and, behind a toggle, its table twin with translated headers
    (drawn only when asked: a table on every run would cost as much as the chart)."""
    try:
        figure, rows = _figure(builder, *args)
    except Exception as err:  # noqa: BLE001
        show_error(err)
        return
    st.plotly_chart(figure, key=key, theme=None, config={"displaylogo": False})  # keep projector-size fonts
    if st.toggle(tr("common.as_table"), key=f"{key or builder}.as_table"):
        table(rows)


@st.cache_resource(show_spinner=False, max_entries=512)
def _figure(builder: str, *args: Any):
    """A chart and its rows, built once per arguments (building a plotly figure takes ~50 ms;
    the figure is only read afterwards, so every session may share it)."""
    figure = getattr(charts, builder)(*args)
    rows = getattr(charts, ROWS_TWIN.get(builder, builder + "_rows"))(*args)
    return figure, rows


def table(rows: Sequence[dict]) -> None:
    """Rows of dicts as a table, known column names translated."""
    names = {c: tr("col." + c) for c in (rows[0] if rows else {}) if c in COLUMNS}
    st.dataframe([{names.get(k, k): v for k, v in row.items()} for row in rows], hide_index=True)


def chart_labels(kind: str) -> dict[str, str]:
    """A chart's labels in the learner's language (`chart.<kind>.*` in the locale files)."""
    return charts.style.chart_labels(kind, lang())
