"""Playground: one text, all four views (tokens, next token, experts, training data)."""

from __future__ import annotations

import streamlit as st

from pages import ui, ui_share, view_experts, view_next, view_tokens, view_trace

ui.page_start()

NS = "playground"
KEY_TEXT = f"{NS}.text"

st.title("🧪 " + ui.tr("nav.playground"))
st.markdown(ui.tr("play.intro"))
ui.state_default(KEY_TEXT, "It is a truth universally acknowledged, that a single man")
ui_share.field("text", KEY_TEXT, ui_share.text())
text = st.text_area(
    ui.tr("common.text"), key=KEY_TEXT, height=100, persist_state="session", disabled=ui.locked("text")
)
text = ui.limit_text(text or "")

if not text.strip():
    st.info(ui.tr("play.empty"))
else:
    tokens_tab, next_tab, experts_tab, data_tab = st.tabs(
        [ui.tr("nav.tokens"), ui.tr("nav.next_token"), ui.tr("nav.experts"), ui.tr("nav.training_data")]
    )
    with tokens_tab:
        view_tokens.show_tokens(text)
    with next_tab:
        settings = view_next.settings_controls(NS)
        view_next.next_after(text, settings, NS)
    with experts_tab:
        view_experts.show_experts(NS, text, compare=True)
    with data_tab:
        index = view_trace.open_or_explain(NS, offer_build=False)
        if index is not None:
            view_trace.show_trace(NS, index, text)
            view_trace.show_novelty(NS, index, text)
