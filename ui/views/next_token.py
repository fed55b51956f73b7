"""The next-token view: probability bars reshaped by temperature, top-k and top-p (cut-off
tokens greyed), from the cached logits of one forward pass. Shared by Next token, Experts and
the Playground. Moving a slider never runs the model again.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

import ui
from glassbox import site
from glassbox.model.next_token import BARS, Candidate, next_token_choice
from glassbox.model.sampling import Settings
from ui import chart as ui_chart
from ui import notebook as ui_notebook
from ui import share as ui_share


def settings_controls(ns: str) -> Settings:
    """Temperature, top-k and top-p sliders (keys `<ns>.temperature` …), side by side, with the
    ranges and defaults of their specs in `glassbox.site`."""
    values = {}
    for column, spec in zip(st.columns(3), (site.TEMPERATURE, site.TOP_K, site.TOP_P), strict=True):
        key = f"{ns}.{spec.name}"
        ui.state_default(key, spec.default)
        ui_share.control(spec, key)
        step = spec.step if spec.kind == "float" else int(spec.step)
        low, high = (spec.low, spec.high) if spec.kind == "float" else (int(spec.low), int(spec.high))
        values[spec.name] = column.slider(
            ui.tr(f"next.{spec.name}"), low, high, step=step, key=key, help=ui.tr(f"next.{spec.name}_help"),
            persist_state="session", disabled=ui.locked(spec.name),
        )
    return Settings(temperature=float(values["temperature"]), top_k=int(values["top_k"]), top_p=float(values["top_p"]))


def candidates(lm, logits: np.ndarray, settings: Settings, n: int = BARS) -> tuple[Candidate, ...]:
    """The n most likely next tokens, kept or cut off (`glassbox.model.next_token`)."""
    return next_token_choice(lm, logits, settings, n).candidates


def show_bars(ns: str, cands: list[Candidate], highlight: int | None = None, key: str = "bars") -> None:
    """The bars chart (and its table) for candidates; `highlight` is a token id to mark."""
    rows = [(c.text, c.prob, c.kept) for c in cands]
    index = next((i for i, c in enumerate(cands) if c.id == highlight), None)
    ui_chart.chart("next_token_bars", rows, ui_chart.chart_labels("next_token"), index, key=f"{ns}.{key}")
    kept = sum(c.kept for c in cands)
    if kept < len(cands):
        st.caption(ui.tr("next.cut_note", cut=len(cands) - kept, shown=len(cands)))


def next_after(text: str, settings: Settings, ns: str, highlight: int | None = None, key: str = "bars"):
    """Inspect `text` (cached) and draw its next-token bars; returns (model, candidates) or None."""
    lm = ui.current_model()
    if lm is None:
        return None
    logits = ui.guarded(ui.next_logits, text)
    if logits is None:
        return None
    cands = candidates(lm, logits, settings)
    show_bars(ns, cands, highlight, key)
    ui_notebook.note_next(text, settings, cands)
    return lm, cands
