"""Training data page: let the model write (or paste a text), then find which stretches of it
occur word for word in the training data of the model in use, and in which documents: the local
index for the Tiny OLMoE and its kin, the hosted infini-gram service for the full-size OLMoE
(`ui.views.hosted_trace`), nothing where it is not known."""

from __future__ import annotations

import streamlit as st

import ui
from glassbox import site
from ui import lesson as ui_lesson
from ui import planted as ui_planted
from ui import tool as ui_tool
from ui.views import attribution as view_attr
from ui.views import hosted_trace as view_hosted
from ui.views import recite as view_recite
from ui.views import trace as view_trace

NS = "trace"
CONTROLS = site.PAGE_CONTROLS["training_data"]


def prompt_field(value) -> str:
    """A lesson's prompt also asks for the text to be written at once."""
    st.session_state[view_trace.generate_now_key(NS)] = True
    return str(value)


def passage_field(value) -> str:
    """A lesson's passage is also recited at once."""
    st.session_state[f"{NS}.recited"] = str(value)
    return str(value)


tool_area = ui_lesson.render("training_data", NS, {"prompt": prompt_field, "passage": passage_field})


@ui_tool.tool
def tool() -> None:
    st.header(ui.tr("trace.title"))
    data = view_hosted.training_data()  # never the Tiny OLMoE's corpus for a model that did not learn from it
    index = view_trace.open_or_explain(NS) if data.local else None
    # the part the lesson's step is about goes on top; the parts are filled in the order they need
    part = ui_tool.parts(site.TOOL_SECTIONS["training_data"], ui_lesson.focus("training_data"))
    if not data.local:
        view_hosted.tool(NS, CONTROLS, data, part)
        return
    with part["write"]:
        text = view_trace.write_box(NS, CONTROLS, prompt="In the beginning")
        ui_planted.badge(text, NS)
    if index is None:
        with part["recite"]:
            view_recite.section(NS, index)
        return
    context = None
    with part["trace"]:
        if text.strip():
            context = view_trace.show_trace(NS, index, text)
        else:
            st.info(ui.tr("trace.empty"))
    with part["compare"]:
        if text.strip():
            view_trace.compare_next(NS, context)
            view_attr.pushed_in(NS, text)  # which training passages pushed one of its last tokens
    with part["novelty"]:
        if text.strip():
            st.subheader(ui.tr("trace.novelty"))
            st.caption(ui.tr("trace.novelty_text"))
            view_trace.show_novelty(NS, index, text)
    with part["phrases"]:
        st.subheader(ui.tr("trace.phrases"))
        view_trace.phrase_counter(NS, index)
    with part["recite"]:
        view_recite.section(NS, index)


with tool_area:
    tool()
