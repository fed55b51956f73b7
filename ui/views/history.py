"""Views of the built-in model's training history: the loss curve with its checkpoints marked,
and the checkpoints' cards (each one's next-token guesses and a seeded continuation), two to a
row so that a card's chart stays readable in a column beside the lesson, on a projector too. What a
checkpoint is and how it was saved is `glassbox.model.checkpoints`'; nothing here loads a model
other than through `ui`."""

from __future__ import annotations

import streamlit as st

import ui
from glassbox.model import checkpoints
from glassbox.model.sampling import Settings
from ui import chart as ui_chart
from ui import classroom as ui_classroom
from ui import text as ui_text
from ui.views import next_token as view_next

BARS = 6  # guesses shown per checkpoint
PER_ROW = 2  # cards side by side: three left each chart too narrow for its title and labels


def loss_curve(ns: str) -> None:
    """The training loss of the built-in model, its checkpoints marked."""
    curve = ui.guarded(checkpoints.loss_curve)
    if curve is None or not curve.steps:
        st.info(ui.tr("watch.no_curve"))
        return
    marks = [c.step for c in ui.guarded(ui.once, checkpoints.list_checkpoints) or ()]
    ui_chart.chart(
        "loss_curve",
        list(curve.steps),
        list(curve.train_loss),
        list(curve.heldout_steps),
        list(curve.heldout_loss),
        marks,
        ui_chart.chart_labels("loss"),
        list(curve.events),
        key=f"{ns}.loss",
    )
    st.caption(ui.tr("watch.curve_text"))


def checkpoint_cards(ns: str, found, prompt: str, seed: int, new_tokens: int) -> None:
    """Every checkpoint's card, in order, PER_ROW to a row (rows line up, however long a card)."""
    found = list(found)
    for start in range(0, len(found), PER_ROW):
        for column, ckpt in zip(st.columns(PER_ROW), found[start:start + PER_ROW], strict=False):
            with column:
                checkpoint_card(ns, ckpt, prompt, seed, new_tokens)


def checkpoint_card(ns: str, ckpt, prompt: str, seed: int, new_tokens: int) -> None:
    """One checkpoint: what it is, its next-token guesses, and what it writes."""
    with st.container(border=True):
        loss = "–" if ckpt.heldout_loss is None else f"{ckpt.heldout_loss:.2f}"
        st.markdown(f"**{ui_text.md_escape(ui.checkpoint_label(ckpt.label))}**")
        st.caption(ui.tr("watch.ckpt_info", step=f"{ckpt.step:,}", tokens=f"{ckpt.tokens_seen:,}", loss=loss))
        lm = ui.guarded(ui.load_model, ckpt.path)
        logits = ui.guarded(ui.next_logits, prompt, ckpt.path) if lm is not None else None
        if logits is None:
            return
        cands = view_next.candidates(lm, logits, Settings(), BARS)
        rows = [(c.text, c.prob) for c in cands]
        ui_chart.chart("card_guesses", rows, ui_chart.chart_labels("card_guesses"), key=f"{ns}.bars.{ckpt.name}")
        written = ui.guarded(ui.generate, prompt, new_tokens, seed=seed, src=ckpt.path)
        if written is not None:
            st.markdown("**" + ui.tr("watch.writes") + "**")
            marks = [(len(written.prompt), len(written.full_text), "#fde68a")]
            st.html(ui_text.highlight_html(written.full_text, marks))
            ui_classroom.skipped_note(written)
