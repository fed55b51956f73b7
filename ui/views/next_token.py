"""The next-token view: probability bars reshaped by temperature, top-k and top-p (cut-off
tokens greyed), from the cached logits of one forward pass, and the Next token page's guess gate
(one guess per prompt) and continuation builder. Shared by Next token, Experts and the
Playground. Moving a slider never runs the model again. Leaves out the class poll (`ui.classroom`).
"""

from __future__ import annotations

import numpy as np
import streamlit as st

import ui
from glassbox import site
from glassbox.charts.style import percent
from glassbox.model.next_token import BARS, Candidate, GuessRank, next_token_choice
from glassbox.model.sampling import Sampler, Settings, sampling_distribution
from ui import chart as ui_chart
from ui import classroom as ui_classroom
from ui import notebook as ui_notebook
from ui import share as ui_share
from ui import text as ui_text

END_OF_TEXT = "<|endoftext|>"  # the token that ends every training document (OLMoE's tokenizer)
PICK_BUTTONS = 5  # candidates offered as buttons to build a continuation


def settings_controls(ns: str) -> Settings:
    """Temperature, top-k and top-p sliders (keys `<ns>.temperature` …), side by side, with the
    ranges and defaults of their specs in `glassbox.site`."""
    values = {}
    for column, spec in zip(st.columns(3), (site.TEMPERATURE, site.TOP_K, site.TOP_P), strict=True):
        key = f"{ns}.{spec.name}"
        default = ui.state_default(key, spec.convert(spec.default))
        ui_share.control(spec, key)
        step = spec.step if spec.kind == "float" else int(spec.step)
        low, high = (spec.low, spec.high) if spec.kind == "float" else (int(spec.low), int(spec.high))
        values[spec.name] = column.slider(
            ui.tr(f"next.{spec.name}"), low, high, default, step=step, key=key,
            help=ui.tr(f"next.{spec.name}_help"), persist_state="session", bind=ui_share.BIND,
            disabled=ui.locked(spec.name),
        )
    return Settings(temperature=float(values["temperature"]), top_k=int(values["top_k"]), top_p=float(values["top_p"]))


def candidates(lm, logits: np.ndarray, settings: Settings, n: int = BARS) -> tuple[Candidate, ...]:
    """The n most likely next tokens, kept or cut off (`glassbox.model.next_token`)."""
    return next_token_choice(lm, logits, settings, n).candidates


def show_bars(
    ns: str, cands: list[Candidate], highlight: int | None = None, key: str = "bars",
    kept: tuple[int, int] | None = None, marked_as: str | None = None,
) -> None:
    """The bars chart (and its table) for candidates; `highlight` is a token id to mark (named in the
    legend `marked_as`, else as the learner's guess or pick); `kept` (tokens kept, tokens in all)
    says how many tokens top-k and top-p leave to be picked."""
    rows = [(c.text, c.prob, c.kept) for c in cands]
    index = next((i for i, c in enumerate(cands) if c.id == highlight), None)
    labels = ui_chart.chart_labels("next_token") | ({"picked": marked_as} if marked_as else {})
    ui_chart.chart("next_token_bars", rows, labels, index, key=f"{ns}.{key}")
    if kept is not None:
        left, total = kept
        words = ui.tr("next.kept_all", total=f"{total:,}") if left >= total else \
            ui.tr("next.kept_of", kept=f"{left:,}", total=f"{total:,}")
        st.caption(words)
    shown_kept = sum(c.kept for c in cands)
    if shown_kept < len(cands):
        st.caption(ui.tr("next.cut_note", cut=len(cands) - shown_kept, shown=len(cands)))
    ended = next((c for c in cands if c.text == END_OF_TEXT), None)
    if ended is not None:  # a bar labelled with a raw special token needs a word of what it is
        st.caption(ui.tr("next.end_of_text", token=END_OF_TEXT, prob=percent(ended.prob)))


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


def show_continuation(ns: str, lm, prompt: str, picked: list[int]) -> None:
    """The prompt and the tokens added to it so far, as chips, with undo and clear."""
    if not picked:
        return
    chips = [ui_text.Chip(prompt, ui.tr("next.your_prompt"), slot=0)]
    for n, token in enumerate(picked, 1):
        chips.append(ui_text.Chip(lm.token_bytes.readable(token), ui.tr("next.step", n=n), slot=2))
    ui_text.show_chips(chips)
    row = st.container(horizontal=True)  # each button as wide as its label (a sixth of the column cut "Start over")
    if row.button(ui.tr("next.undo"), key=f"{ns}.undo"):
        picked.pop()
        st.rerun()
    if row.button(ui.tr("next.clear"), key=f"{ns}.clear"):
        picked.clear()
        st.rerun()


def continuation_for(ns: str, prompt: str) -> list[int]:
    """The tokens added to `prompt` so far (`<ns>.picked`, the list the builder appends to). A new
    prompt starts afresh: nothing added, and the guess box emptied, since the old guess was about
    another text."""
    if st.session_state.get(f"{ns}.picked_for") != prompt:
        st.session_state[f"{ns}.picked_for"] = prompt
        st.session_state[f"{ns}.picked"] = []
        st.session_state[f"{ns}.guess"] = ""  # before the box is drawn in this run
    return st.session_state[f"{ns}.picked"]


def guess_gate(ns: str, prompt: str) -> str | None:
    """Guess first, once per prompt: the toggle (`<ns>.guess_first`), the guess box (`<ns>.guess`)
    and, until the learner reveals for this prompt, the Reveal button. Returns the guess ("" for
    none) once the bars may show, else None. Reveal is remembered for the learner's prompt, not for
    the prompt plus picked tokens, so picking or sampling a continuation never hides the bars
    again; a new prompt (typed, or set by a lesson) asks again."""
    guess_first = st.toggle(ui.tr("next.guess_first"), key=f"{ns}.guess_first", persist_state="session")
    revealed = not guess_first or st.session_state.get(f"{ns}.revealed") == prompt
    guess = st.text_input(ui.tr("next.guess"), key=f"{ns}.guess", max_chars=40) or ""
    if revealed:
        return guess
    st.caption(ui.tr("next.guess_hint"))
    if st.button(ui.tr("next.reveal"), key=f"{ns}.reveal_button", type="primary"):
        st.session_state[f"{ns}.revealed"] = prompt
        st.rerun()
    return None


def show_guess(found: GuessRank | None, guess: str) -> int | None:
    """Where the learner's guessed word ranks; returns its token id to mark in the bars."""
    if found is None:
        return None
    st.info(
        ui.tr(
            "next.guess_result", guess=ui_text.md_escape(guess), token=ui_text.md_escape(found.text),
            prob=percent(found.prob), rank=f"{found.rank:,}",
        ),
        icon="🎯",
    )
    return found.id


def continuation_builder(ns: str, cands, logits: np.ndarray, settings: Settings, picked: list[int], seed_key: str,
                         lm=None, text: str = ""):
    """Build a continuation: pick one of the kept candidates, or let the seeded sampler draw one
    (the same stream generation draws from: the token added is draw len(picked) of the seed; with
    the classroom setting on, `ui.classroom.sample_next` keeps its word list out, given `lm` and
    the `text` the bars are for)."""
    st.subheader(ui.tr("next.build"))
    st.caption(ui.tr("next.build_hint"))
    kept = [c for c in cands if c.kept][:PICK_BUTTONS]
    row = st.container(horizontal=True)  # each button as wide as its label, wrapping to a new line: none cut off
    for cand in kept:
        if row.button(f"{ui_text.md_escape(cand.text)} · {percent(cand.prob)}", key=f"{ns}.pick.{cand.id}",
                      width="content"):  # fmt: skip
            picked.append(cand.id)
            st.rerun()
    seed = ui.seed_input(st.columns([1, 3])[0], seed_key)
    if st.button(ui.tr("next.sample"), key=f"{ns}.sample", icon="🎲"):
        if lm is None:
            _, drawn_from = sampling_distribution(logits, settings)
            picked.append(Sampler(seed, len(picked), len(drawn_from)).draw(drawn_from, settings))
        else:
            picked.append(ui_classroom.sample_next(ns, lm, text, picked, logits, settings, seed))
        st.rerun()
    ui_classroom.sample_note(ns, picked)
