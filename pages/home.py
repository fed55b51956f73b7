"""Home: what Glass Box is, the lesson path, and what the model in use is and was trained on."""

from __future__ import annotations

import streamlit as st

from glassbox import checkpoints, paths
from pages import ui, ui_lesson, ui_text

ui.page_start()

PAGE_FILES = {
    "home": "pages/home.py",
    "tokens": "pages/tokens.py",
    "next_token": "pages/next_token.py",
    "experts": "pages/experts.py",
    "training_data": "pages/training_data.py",
    "watch_it_learn": "pages/watch_it_learn.py",
}
ICONS = {
    "home": "🏠",
    "tokens": "🔤",
    "next_token": "🎲",
    "experts": "🧭",
    "training_data": "📚",
    "watch_it_learn": "📈",
}

st.title("🔍 Glass Box")
st.markdown(ui.tr("home.intro"))

ui_lesson.render("home", "home")

st.subheader(ui.tr("home.path"))
lessons = ui_lesson.all_lessons()
if lessons:
    done = ui_lesson.done()
    for n, lesson in enumerate(lessons, 1):
        mark = " ✅" if lesson.id in done else ""
        label = ui.tr("home.path_item", n=n, title=lesson.title, minutes=lesson.minutes) + mark
        st.page_link(PAGE_FILES.get(lesson.page, "pages/home.py"), label=label, icon=ICONS.get(lesson.page))
else:
    for n, page in enumerate(list(PAGE_FILES)[1:], 1):
        st.page_link(PAGE_FILES[page], label=f"{n}. {ui.tr('nav.' + page)}", icon=ICONS[page])
st.page_link("pages/playground.py", label=ui.tr("nav.playground"), icon="🧪")

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
    card = ui.guarded(checkpoints.read_card) if is_embedded else None
    st.markdown("**" + ui.tr("home.trained_on") + "**")
    if card:
        with st.expander(ui.tr("home.card"), expanded=False):
            st.markdown(card)  # our own shipped card: Markdown, no raw HTML
    else:
        st.markdown(ui.tr("home.corpus_summary"))
        st.caption(ui.tr("home.no_card"))
