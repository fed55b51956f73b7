"""Watch it learn: the same prompt through the built-in model's training checkpoints, each
with its next-token guesses and a seeded continuation, beside the loss curve."""

from __future__ import annotations

import streamlit as st

import ui
from glassbox import site
from glassbox.model import checkpoints
from ui import lesson as ui_lesson
from ui import planted as ui_planted
from ui import share as ui_share
from ui import tool as ui_tool
from ui.views import history as view_history

NS = "watch"
PROMPT = site.PAGE_CONTROLS["watch_it_learn"]["prompt"]
KEY_PROMPT, KEY_SEED = f"{NS}.prompt", f"{NS}.seed"
NEW_TOKENS = 20

tool_area = ui_lesson.render("watch_it_learn", NS)


@ui_tool.tool
def tool() -> None:
    st.header(ui.tr("watch.title"))
    found = ui.guarded(ui.once, checkpoints.list_checkpoints) or ()
    st.subheader(ui.tr("watch.curve"))
    view_history.loss_curve(NS)
    st.subheader(ui.tr("watch.checkpoints"))
    if not found:
        st.info(ui.tr("watch.none"), icon="⏳")
        return
    default = ui.state_default(KEY_PROMPT, "In the beginning")
    ui.state_default(KEY_SEED, 1)
    ui_share.control(PROMPT, KEY_PROMPT)
    ui_share.control(site.SEED, KEY_SEED)
    left, right = st.columns([4, 1])
    prompt = left.text_input(
        ui.tr("common.prompt"),
        default,
        key=KEY_PROMPT,
        max_chars=PROMPT.max_chars,
        persist_state="session",
        bind=ui_share.BIND,
        disabled=ui.locked("prompt"),
    )
    seed = ui.seed_input(right, KEY_SEED, default=1)
    if not prompt or not prompt.strip():
        st.info(ui.tr("next.empty"))
        return
    if ui_planted.badge(prompt, NS):
        st.caption(ui.tr("planted.ends"))
    st.caption(ui.tr("watch.how", n=NEW_TOKENS))
    view_history.checkpoint_cards(NS, found, prompt, int(seed), NEW_TOKENS)


with tool_area:
    tool()
