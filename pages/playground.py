"""Playground: one text, all four views (tokens, next token, experts, training data)."""

from __future__ import annotations

import streamlit as st

import ui
from glassbox import site
from ui import planted as ui_planted
from ui import share as ui_share
from ui import tool as ui_tool
from ui.views import experts as view_experts
from ui.views import hosted_trace as view_hosted
from ui.views import next_token as view_next
from ui.views import tokens as view_tokens
from ui.views import trace as view_trace

NS = "playground"
KEY_TEXT = f"{NS}.text"

st.title("🧪 " + ui.tr("nav.playground"))
st.markdown(ui.tr("play.intro"))


@ui_tool.tool
def tool() -> None:
    """The text and its four views: reruns on its own when the text or a setting changes."""
    default = ui.state_default(KEY_TEXT, "It is a truth universally acknowledged, that a single man")
    ui_share.control(site.TEXT, KEY_TEXT)
    text = st.text_area(
        ui.tr("common.text"), default, key=KEY_TEXT, height=100, persist_state="session", bind=ui_share.BIND,
        disabled=ui.locked("text")
    )
    text = ui.limit_text(text or "")
    ui_planted.badge(text, NS)

    if not text.strip():
        st.info(ui.tr("play.empty"))
        return
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
        data = view_hosted.training_data()  # the Tiny OLMoE's corpus only for a model that learned from it
        index = view_trace.open_or_explain(NS, offer_build=False) if data.local else None
        if not data.local:
            view_hosted.traced(NS, text, data)
        elif index is not None:
            context = view_trace.show_trace(NS, index, text)
            if context:
                view_trace.compare_next(NS, context)
            view_trace.show_novelty(NS, index, text)


tool()
