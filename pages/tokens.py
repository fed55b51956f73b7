"""Tokens page: how text becomes tokens (chips with ids), what that costs in English and Korean,
and the special tokens."""

from __future__ import annotations

import streamlit as st

from pages import ui, ui_lesson, ui_share, ui_tool, view_tokens

ui.page_start()

NS = "tokens"
KEY_TEXT = f"{NS}.text"

ui_lesson.render("tokens", NS, {"text": str})


@ui_tool.tool
def tool() -> None:
    st.header(ui.tr("tokens.title"))
    ui.state_default(KEY_TEXT, ui.tr("tokens.default_text"))
    ui_share.field("text", KEY_TEXT, ui_share.text())
    text = st.text_area(
        ui.tr("tokens.input"), key=KEY_TEXT, height=120, persist_state="session", disabled=ui.locked("text")
    )
    view_tokens.show_tokens(ui.limit_text(text or ""))


tool()

st.subheader(ui.tr("tokens.pairs"))
st.markdown(ui.tr("tokens.pairs_text"))
view_tokens.show_pairs(NS)

st.subheader(ui.tr("tokens.special"))
view_tokens.show_special()
