"""Experts page: which experts the router sends each token to, layer by layer, and what
changes when one expert is switched off."""

from __future__ import annotations

import streamlit as st

from pages import ui, ui_lesson, ui_share, ui_tool, view_experts

ui.page_start()

NS = "experts"
KEY_PROMPT = f"{NS}.prompt"


def optional_int(value):
    return None if value is None else int(value)


ui_lesson.render("experts", NS, {"prompt": str, "layer": int, "token": int, "disabled_expert": optional_int})


@ui_tool.tool
def tool() -> None:
    st.header(ui.tr("experts.title"))
    ui.state_default(KEY_PROMPT, "In the beginning God created the heaven and the earth.")
    ui_share.field("prompt", KEY_PROMPT, ui_share.text())
    prompt = st.text_area(
        ui.tr("common.prompt"), key=KEY_PROMPT, height=80, persist_state="session", disabled=ui.locked("prompt")
    )
    prompt = ui.limit_text(prompt or "")
    if prompt.strip():
        view_experts.show_experts(NS, prompt)
    else:
        st.info(ui.tr("experts.empty"))


tool()
