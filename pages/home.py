"""Home: what Glass Box is, the lesson path, and what the model in use is and was trained on."""

from __future__ import annotations

import streamlit as st

import ui
from glassbox import paths, site
from glassbox.model import checkpoints
from ui import answers as ui_answers
from ui import lesson as ui_lesson
from ui import text as ui_text

st.title("🔍 Glass Box")
st.markdown(ui.tr("home.intro"))

ui_lesson.render("home", "home", beside=False)

st.subheader(ui.tr("home.path"))
lessons = ui_answers.all_lessons()
if lessons:
    done = ui_answers.done()
    for n, lesson in enumerate(lessons, 1):
        mark = " ✅" if lesson.id in done else ""
        label = ui.tr("home.path_item", n=n, title=lesson.title, minutes=lesson.minutes) + mark
        page = site.PAGE.get(lesson.page, site.PAGE["home"])
        st.page_link(page.file, label=label, icon=page.icon)
else:
    for n, key in enumerate(site.LESSON_PAGES[1:], 1):
        st.page_link(site.PAGE[key].file, label=f"{n}. {ui.tr('nav.' + key)}", icon=site.PAGE[key].icon)
playground = site.PAGE["playground"]
st.page_link(playground.file, label=ui.tr("nav.playground"), icon=playground.icon)

st.subheader(ui.tr("home.model"))
info = ui.model_info()
if info is not None:
    cols = st.columns(4)
    cols[0].metric(ui.tr("home.parameters"), f"{info.parameters / 1e6:.1f} M")
    cols[1].metric(ui.tr("home.layers_experts"), f"{info.layers} × {info.experts}")
    cols[2].metric(ui.tr("home.top_k"), info.experts_per_token)
    cols[3].metric(ui.tr("home.vocab"), f"{info.vocab_size:,}")
    st.markdown(
        ui.tr(
            "home.model_text",
            name=ui_text.md_escape(info.name),
            layers=info.layers,
            experts=info.experts,
            k=info.experts_per_token,
            context=info.context,
        )
    )
    if not info.trained:
        st.info(ui.tr("home.untrained_note"))
    is_embedded = ui.source() == str(paths.EMBEDDED_MODEL_DIR)
    card = ui.guarded(checkpoints.card_markdown) if is_embedded else None
    st.markdown("**" + ui.tr("home.trained_on") + "**")
    if card:
        with st.expander(ui.tr("home.card"), expanded=False):
            st.markdown(card)  # our own shipped card: Markdown, no raw HTML
    else:
        st.markdown(ui.tr("home.corpus_summary"))
        st.caption(ui.tr("home.no_card"))
