"""The next-token view: probability bars reshaped by temperature, top-k and top-p (cut-off
tokens greyed), from the cached logits of one forward pass. Shared by Next token, Experts and
the Playground. Moving a slider never runs the model again.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from glassbox.sampling import Settings, keep_mask, softmax
from pages import ui, ui_chart, ui_notebook, ui_share

BARS = 12  # candidates drawn


@dataclass(frozen=True)
class Candidate:
    id: int
    text: str  # readable token
    prob: float  # after temperature
    kept: bool  # survives top-k / top-p


def settings_controls(ns: str) -> Settings:
    """Temperature, top-k and top-p sliders (keys `<ns>.temperature` …), side by side."""
    ui.state_default(f"{ns}.temperature", 1.0)
    ui.state_default(f"{ns}.top_k", 0)
    ui.state_default(f"{ns}.top_p", 1.0)
    ui_share.field("temperature", f"{ns}.temperature", ui_share.number(0.0, 2.0))
    ui_share.field("top_k", f"{ns}.top_k", ui_share.number(0, 50, int))
    ui_share.field("top_p", f"{ns}.top_p", ui_share.number(0.05, 1.0))
    cols = st.columns(3)
    temperature = cols[0].slider(
        ui.tr("next.temperature"),
        0.0,
        2.0,
        step=0.05,
        key=f"{ns}.temperature",
        help=ui.tr("next.temperature_help"),
        persist_state="session",
        disabled=ui.locked("temperature"),
    )
    top_k = cols[1].slider(
        ui.tr("next.top_k"), 0, 50, step=1, key=f"{ns}.top_k", help=ui.tr("next.top_k_help"), persist_state="session",
        disabled=ui.locked("top_k"),
    )
    top_p = cols[2].slider(
        ui.tr("next.top_p"),
        0.05,
        1.0,
        step=0.05,
        key=f"{ns}.top_p",
        help=ui.tr("next.top_p_help"),
        persist_state="session",
        disabled=ui.locked("top_p"),
    )
    return Settings(temperature=float(temperature), top_k=int(top_k), top_p=float(top_p))


def candidates(lm, logits: np.ndarray, settings: Settings, n: int = BARS) -> list[Candidate]:
    """The n most likely next tokens after temperature, each marked kept or cut off."""
    probs = softmax(logits, settings.temperature)
    keep = keep_mask(probs, settings.top_k, settings.top_p)
    n = min(n, len(probs))
    top = np.argpartition(-probs, n - 1)[:n]
    top = top[np.argsort(-probs[top], kind="stable")]
    return [Candidate(int(i), lm.token_bytes.readable(int(i)), float(probs[i]), bool(keep[i])) for i in top]


def guess_rank(lm, logits: np.ndarray, settings: Settings, guess: str) -> tuple[int, str, float, int] | None:
    """(token id, readable token, probability, rank) of the first token of a guessed next word, as it would
    follow the text (with a leading space unless the guess starts with one or is punctuation)."""
    guess = guess.strip("\n")
    if not guess.strip():
        return None
    spaced = guess if guess[0].isspace() or not guess[0].isalnum() else " " + guess
    ids = lm.tokenizer(spaced, add_special_tokens=False)["input_ids"]
    if not ids:
        return None
    probs = softmax(logits, settings.temperature)
    token = int(ids[0])
    rank = int(np.sum(probs > probs[token])) + 1
    return token, lm.token_bytes.readable(token), float(probs[token]), rank


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
    inspection = ui.guarded(ui.inspect, text)
    if inspection is None:
        return None
    cands = candidates(lm, inspection.final_logits, settings)
    show_bars(ns, cands, highlight, key)
    ui_notebook.note_next(text, settings, cands)
    return lm, cands
