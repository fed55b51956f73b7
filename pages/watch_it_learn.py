"""Watch it learn: the same prompt through the built-in model's training checkpoints, each
with its next-token guesses and a seeded continuation, beside the loss curve."""

from __future__ import annotations

import streamlit as st

from glassbox import checkpoints
from glassbox.sampling import Settings
from pages import ui, ui_chart, ui_lesson, ui_share, ui_text, view_next

ui.page_start()

NS = "watch"
KEY_PROMPT, KEY_SEED = f"{NS}.prompt", f"{NS}.seed"
NEW_TOKENS = 20
BARS = 6

ui_lesson.render("watch_it_learn", NS, {"prompt": str, "seed": int})


def loss_curve() -> None:
    curve = ui.guarded(checkpoints.loss_curve)
    if curve is None or not curve.steps:
        st.info(ui.tr("watch.no_curve"))
        return
    marks = [c.step for c in ui.guarded(checkpoints.list_checkpoints) or ()]
    ui_chart.chart(
        "loss_curve",
        list(curve.steps),
        list(curve.train_loss),
        list(curve.heldout_steps),
        list(curve.heldout_loss),
        marks,
        ui_chart.chart_labels("loss"),
        key=f"{NS}.loss",
    )
    st.caption(ui.tr("watch.curve_text"))


def checkpoint_card(ckpt, prompt: str, seed: int) -> None:
    """One checkpoint: what it is, its next-token guesses, and what it writes."""
    with st.container(border=True):
        loss = "–" if ckpt.heldout_loss is None else f"{ckpt.heldout_loss:.2f}"
        st.markdown(f"**{ui_text.md_escape(ui.checkpoint_label(ckpt.label))}**")
        st.caption(ui.tr("watch.ckpt_info", step=f"{ckpt.step:,}", tokens=f"{ckpt.tokens_seen:,}", loss=loss))
        lm = ui.guarded(ui.load_model, ckpt.path)
        inspection = ui.guarded(ui.inspect, prompt, (), ckpt.path) if lm is not None else None
        if inspection is None:
            return
        cands = view_next.candidates(lm, inspection.final_logits, Settings(), BARS)
        view_next.show_bars(NS, cands, key=f"bars.{ckpt.name}")
        written = ui.guarded(ui.generate, prompt, NEW_TOKENS, seed=seed, src=ckpt.path)
        if written is not None:
            st.markdown("**" + ui.tr("watch.writes") + "**")
            marks = [(len(written.prompt), len(written.full_text), "#fde68a")]
            st.html(ui_text.highlight_html(written.full_text, marks))


def tool() -> None:
    st.header(ui.tr("watch.title"))
    found = ui.guarded(checkpoints.list_checkpoints) or ()
    st.subheader(ui.tr("watch.curve"))
    loss_curve()
    st.subheader(ui.tr("watch.checkpoints"))
    if not found:
        st.info(ui.tr("watch.none"), icon="⏳")
        return
    ui.state_default(KEY_PROMPT, "In the beginning")
    ui.state_default(KEY_SEED, 1)
    ui_share.field("prompt", KEY_PROMPT, ui_share.text(300))
    ui_share.field("seed", KEY_SEED, ui_share.number(0, 2**31 - 1, int))
    left, right = st.columns([4, 1])
    prompt = left.text_input(
        ui.tr("common.prompt"), key=KEY_PROMPT, max_chars=300, persist_state="session", disabled=ui.locked("prompt")
    )
    seed = right.number_input(
        ui.tr("common.seed"), 0, 2**31 - 1, key=KEY_SEED, persist_state="session", disabled=ui.locked("seed")
    )
    if not prompt or not prompt.strip():
        st.info(ui.tr("next.empty"))
        return
    st.caption(ui.tr("watch.how", n=NEW_TOKENS))
    columns = st.columns(min(3, len(found)))
    for i, ckpt in enumerate(found):
        with columns[i % len(columns)]:
            checkpoint_card(ckpt, prompt, int(seed))


tool()
