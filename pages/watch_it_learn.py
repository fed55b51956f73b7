"""Watch it learn: the same prompt through the built-in model's training checkpoints, each
with its next-token guesses and a seeded continuation, beside the loss curve."""

from __future__ import annotations

import streamlit as st

import ui
from glassbox import site
from glassbox.model import checkpoints
from glassbox.model.sampling import Settings
from ui import chart as ui_chart
from ui import lesson as ui_lesson
from ui import share as ui_share
from ui import text as ui_text
from ui import tool as ui_tool
from ui.views import next_token as view_next

ui.page_start()

NS = "watch"
PROMPT = site.PAGE_CONTROLS["watch_it_learn"]["prompt"]
KEY_PROMPT, KEY_SEED = f"{NS}.prompt", f"{NS}.seed"
NEW_TOKENS = 20
BARS = 6

ui_lesson.render("watch_it_learn", NS)


def loss_curve() -> None:
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
        logits = ui.guarded(ui.next_logits, prompt, ckpt.path) if lm is not None else None
        if logits is None:
            return
        cands = view_next.candidates(lm, logits, Settings(), BARS)
        view_next.show_bars(NS, cands, key=f"bars.{ckpt.name}")
        written = ui.guarded(ui.generate, prompt, NEW_TOKENS, seed=seed, src=ckpt.path)
        if written is not None:
            st.markdown("**" + ui.tr("watch.writes") + "**")
            marks = [(len(written.prompt), len(written.full_text), "#fde68a")]
            st.html(ui_text.highlight_html(written.full_text, marks))


@ui_tool.tool
def tool() -> None:
    st.header(ui.tr("watch.title"))
    found = ui.guarded(ui.once, checkpoints.list_checkpoints) or ()
    st.subheader(ui.tr("watch.curve"))
    loss_curve()
    st.subheader(ui.tr("watch.checkpoints"))
    if not found:
        st.info(ui.tr("watch.none"), icon="⏳")
        return
    ui.state_default(KEY_PROMPT, "In the beginning")
    ui.state_default(KEY_SEED, 1)
    ui_share.control(PROMPT, KEY_PROMPT)
    ui_share.control(site.SEED, KEY_SEED)
    left, right = st.columns([4, 1])
    prompt = left.text_input(
        ui.tr("common.prompt"),
        key=KEY_PROMPT,
        max_chars=PROMPT.max_chars,
        persist_state="session",
        disabled=ui.locked("prompt"),
    )
    seed = ui.seed_input(right, KEY_SEED)
    if not prompt or not prompt.strip():
        st.info(ui.tr("next.empty"))
        return
    st.caption(ui.tr("watch.how", n=NEW_TOKENS))
    columns = st.columns(min(3, len(found)))
    for i, ckpt in enumerate(found):
        with columns[i % len(columns)]:
            checkpoint_card(ckpt, prompt, int(seed))


tool()
