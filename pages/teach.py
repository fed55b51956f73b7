"""Teach it page: the learner writes a few sentences (or picks a preset), a copy of the model
trains on them for a few seconds among ordinary training text, and the page shows the shared
model beside the taught copy: next-token bars for a probe, the greedy continuation, and what the
teaching cost on held-out text. Reset returns to the shared model. The sidebar offers "Your taught
model" for the other pages (`ui.taught.picker`). Leaves out: teaching a taught copy further (a new
teaching starts again from the shared model)."""

from __future__ import annotations

import streamlit as st

import ui
from glassbox import site
from ui import lesson as ui_lesson
from ui import present as ui_present
from ui import taught as ui_taught
from ui import tool as ui_tool
from ui.views import teach as view_teach

NS = "teach"
CONTROLS = site.PAGE_CONTROLS["teach"]
ORDER, PRESENTER_ORDER = ("form", "run", "compare"), ("run", "compare", "form")

tool_area = ui_lesson.render("teach", NS)


@ui_tool.tool
def tool() -> None:
    st.header(ui.tr("teach.title"))
    view_teach.lost_notice()
    has_corpus = view_teach.corpus_or_explain()
    # on a projector the Teach button and the two models come first, the form a lesson fills below them
    part = ui_tool.parts(PRESENTER_ORDER if ui_present.presenting() else ORDER, None)
    with part["form"]:
        st.caption(ui.tr("teach.intro"))
        sentences, copies, probe, seed = view_teach.inputs(NS, CONTROLS)
    with part["run"]:
        view_teach.teach_controls(NS, sentences, copies, seed, can_teach=has_corpus)
    with part["compare"]:
        view_teach.compare(NS, ui_taught.current(), ui.limit_text(probe, CONTROLS["probe"].max_chars))


with tool_area:
    tool()
