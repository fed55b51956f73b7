"""Training data page: let the model write (or paste a text), then find which stretches of it
occur word for word in the training corpus, and in which documents."""

from __future__ import annotations

import streamlit as st

import ui
from glassbox import site
from ui import lesson as ui_lesson
from ui import share as ui_share
from ui import tool as ui_tool
from ui.views import recite as view_recite
from ui.views import trace as view_trace

ui.page_start()

NS = "trace"
CONTROLS = site.PAGE_CONTROLS["training_data"]
KEY_TEXT, KEY_PROMPT, KEY_MAX, KEY_SEED = f"{NS}.text", f"{NS}.prompt", f"{NS}.max_new_tokens", f"{NS}.seed"
KEY_GENERATE_NOW = f"{NS}.generate_now"


def prompt_field(value) -> str:
    """A lesson's prompt also asks for the text to be written at once."""
    st.session_state[KEY_GENERATE_NOW] = True
    return str(value)


def passage_field(value) -> str:
    """A lesson's passage is also recited at once."""
    st.session_state[f"{NS}.recited"] = str(value)
    return str(value)


tool_area = ui_lesson.render("training_data", NS, {"prompt": prompt_field, "passage": passage_field})


@ui_tool.tool
def tool() -> None:
    st.header(ui.tr("trace.title"))
    index = view_trace.open_or_explain(NS)

    ui.state_default(KEY_PROMPT, "In the beginning")
    ui.state_default(KEY_MAX, site.MAX_NEW.default)
    ui.state_default(KEY_SEED, 0)
    ui.state_default(KEY_TEXT, "")
    ui_share.control(CONTROLS["prompt"], KEY_PROMPT)
    ui_share.control(site.MAX_NEW, KEY_MAX)
    ui_share.control(site.SEED, KEY_SEED)
    ui_share.control(site.TEXT, KEY_TEXT)
    with st.container(border=True):
        st.markdown("**" + ui.tr("trace.generate_title") + "**")
        left, middle, right = st.columns([3, 1, 1])
        prompt = left.text_input(
            ui.tr("common.prompt"),
            key=KEY_PROMPT,
            max_chars=CONTROLS["prompt"].max_chars,
            persist_state="session",
            disabled=ui.locked("prompt"),
        )
        max_new = middle.number_input(
            ui.tr("trace.max_new"), site.MAX_NEW.low, site.MAX_NEW.high, key=KEY_MAX, persist_state="session"
        )
        seed = ui.seed_input(right, KEY_SEED)
        clicked = st.button(ui.tr("trace.generate"), key=f"{NS}.generate", icon="✍️")
        if (clicked or st.session_state.pop(KEY_GENERATE_NOW, False)) and prompt.strip():
            written = ui.guarded(ui.generate, prompt, int(max_new), seed=int(seed))
            if written is not None:
                st.session_state[KEY_TEXT] = written.full_text  # before the text area below is drawn
    text = st.text_area(
        ui.tr("trace.text"), key=KEY_TEXT, height=120, persist_state="session", disabled=ui.locked("text")
    )
    text = ui.limit_text(text or "")
    if index is not None:
        if text.strip():
            view_trace.show_trace(NS, index, text)
            st.subheader(ui.tr("trace.novelty"))
            st.caption(ui.tr("trace.novelty_text"))
            view_trace.show_novelty(NS, index, text)
        else:
            st.info(ui.tr("trace.empty"))
        st.subheader(ui.tr("trace.phrases"))
        view_trace.phrase_counter(NS, index)
    view_recite.section(NS, index)


with tool_area:
    tool()
