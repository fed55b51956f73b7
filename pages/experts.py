"""Experts page: which experts the router sends each token to, layer by layer, and what
changes when one expert is switched off."""

from __future__ import annotations

import streamlit as st

import ui
from glassbox import site
from ui import lesson as ui_lesson
from ui import planted as ui_planted
from ui import share as ui_share
from ui import tool as ui_tool
from ui.views import experts as view_experts

NS = "experts"
KEY_PROMPT = f"{NS}.prompt"


tool_area = ui_lesson.render("experts", NS)


@ui_tool.tool
def tool() -> None:
    st.header(ui.tr("experts.title"))
    default = ui.state_default(KEY_PROMPT, "In the beginning God created the heaven and the earth.")
    ui_share.control(site.PROMPT, KEY_PROMPT)
    prompt = st.text_area(
        ui.tr("common.prompt"), default, key=KEY_PROMPT, height=80, persist_state="session", bind=ui_share.BIND,
        disabled=ui.locked("prompt")
    )
    prompt = ui.limit_text(prompt or "")
    ui_planted.badge(prompt, NS)
    if prompt.strip():
        view_experts.show_experts(NS, prompt)
    else:
        st.info(ui.tr("experts.empty"))


with tool_area:
    tool()
