"""Tokens page: how text becomes tokens (chips with ids), what that costs in English and Korean,
and the special tokens."""

from __future__ import annotations

import streamlit as st

import ui
from glassbox import site
from ui import lesson as ui_lesson
from ui import share as ui_share
from ui import tool as ui_tool
from ui.views import tokens as view_tokens

NS = "tokens"
KEY_TEXT = f"{NS}.text"

tool_area = ui_lesson.render("tokens", NS, {"text": str})


@ui_tool.tool
def tool() -> None:
    st.header(ui.tr("tokens.title"))
    default = ui.state_default(KEY_TEXT, ui.tr("tokens.default_text"))
    ui_share.control(site.TEXT, KEY_TEXT)
    text = st.text_area(
        ui.tr("tokens.input"), default, key=KEY_TEXT, height=120, persist_state="session", bind=ui_share.BIND,
        disabled=ui.locked("text")
    )
    view_tokens.show_tokens(ui.limit_text(text or ""))


with tool_area:
    tool()

st.subheader(ui.tr("tokens.pairs"))
st.markdown(ui.tr("tokens.pairs_text"))
view_tokens.show_pairs(NS)

st.subheader(ui.tr("tokens.special"))
view_tokens.show_special()
