"""Glass Box site: the router and the shared frame (language, model picker, model status,
lesson progress). Every page is listed in the page registry, `glassbox.site.PAGES`; nothing is
discovered from files.

Run with `streamlit run app.py` (or `python -m ui.launch`). Pages live in `pages/`; the Streamlit helpers
they share in `ui/` (views of the core's results in `ui/views/`).
"""

from __future__ import annotations

import streamlit as st

import ui
from glassbox import site
from glassbox.errors import GlassboxError
from ui import answers as ui_answers
from ui import classroom as ui_classroom
from ui import notebook as ui_notebook
from ui import picker as ui_picker
from ui import present as ui_present
from ui import progress as ui_progress
from ui import share as ui_share
from ui import style as ui_style
from ui import taught as ui_taught
from ui import text as ui_text

st.set_page_config(page_title="Glass Box", page_icon="🔍", layout="wide")


def language_switch() -> str:
    ui.set_run_lang("")  # until the switch below is read
    lang = ui.lang()  # seeds the switch from ?lang= on a session's first run
    st.sidebar.radio(
        "Language · 언어",
        ui.LANGS,
        format_func={"en": "English", "ko": "한국어"}.get,
        key=ui.KEY_LANG,
        horizontal=True,
        persist_state="session",
    )
    lang = st.session_state[ui.KEY_LANG]
    st.session_state[ui.KEY_LANG_KEPT] = lang
    ui.set_run_lang(lang)
    if st.query_params.get("lang") != lang:
        st.query_params["lang"] = lang
    return lang


def wanted_source() -> str:
    """The model the learner picked in the sidebar (before any fallback): their taught model while
    its switch is on (`ui.taught.picker`), else the shared model the picker names (what links carry)."""
    shared = ui_picker.picker()
    return ui_taught.picker() or shared


def choose_model(needs_model: bool) -> None:
    """Load the wanted model; on failure say why (in the learner's language) and fall back.

    Pages that never run the model only need its folder to be readable, so they are drawn at
    once, without waiting for torch and the weights.
    """
    from glassbox.model.info import describe

    wanted = wanted_source()
    fallback = ui.default_source()
    failed = st.session_state.get(ui.KEY_LOAD_ERROR)
    if not needs_model and not (failed and failed[0] == wanted) and describe(wanted) is not None:
        st.session_state[ui.KEY_SOURCE] = wanted
        return
    if failed and failed[0] == wanted and wanted != fallback:
        st.sidebar.error(ui_text.md_escape(failed[1].message(ui.lang())))
        st.session_state[ui.KEY_SOURCE] = fallback
        return
    try:
        ui.load_model(wanted)
        st.session_state[ui.KEY_SOURCE] = wanted
        st.session_state.pop(ui.KEY_LOAD_ERROR, None)
    except GlassboxError as err:
        err = ui_picker.learner_error(wanted, err)  # one message for any picked model's failure
        st.session_state[ui.KEY_LOAD_ERROR] = (wanted, err)
        st.sidebar.error(ui_text.md_escape(err.message(ui.lang())))
        if wanted != fallback:
            st.sidebar.caption(ui.tr("frame.fallback"))
        st.session_state[ui.KEY_SOURCE] = fallback


def model_status() -> None:
    info = ui.model_info()
    if info is None:
        return
    st.sidebar.caption(
        ui.tr(
            "frame.status",
            name=ui_text.md_escape(ui_taught.status_name(ui.source(), info.name)),
            layers=info.layers,
            experts=info.experts,
            k=info.experts_per_token,
            trained=ui.tr("frame.trained" if info.trained else "frame.untrained"),
        )
    )
    if not info.trained:
        st.warning(ui.tr("frame.untrained_banner"), icon="🧪")


def lesson_progress() -> None:
    lessons = ui_answers.all_lessons()
    if not lessons:
        return
    done = ui_answers.done()
    scores = ui_answers.scores()
    count = sum(1 for lesson in lessons if lesson.id in done)
    with st.sidebar:
        st.markdown("**" + ui.tr("frame.progress") + "**")
        st.progress(count / len(lessons), text=ui.tr("frame.progress_text", done=count, total=len(lessons)))
        for lesson in lessons:
            mark = "✅" if lesson.id in done else "▫️"
            score = scores.get(lesson.id)
            extra = " · " + ui.tr("frame.quiz_score", right=score[0], total=score[1]) if score else ""
            st.caption(f"{mark} {lesson.title}{extra}")
        st.caption(ui_progress.status_text())
        if st.button(ui.tr("progress.forget"), key="progress.forget", icon="🧹", help=ui.tr("progress.forget_help")):
            ui_progress.forget()
            st.toast(ui.tr("progress.forgotten"), icon="🧹")
            st.rerun()


def share_box(where) -> None:
    """The link to this view, with a copy button and a QR code to project."""
    with where.expander(ui.tr("share.title")):
        share_link()


@st.fragment
def share_link() -> None:
    """Made when asked: a page's tool reruns on its own, so a link drawn with the page would
    miss the learner's latest changes."""
    st.caption(ui.tr("share.text"))
    if not st.button(ui.tr("share.make"), key="share.make", icon="🔗"):
        return
    link = ui_share.link()
    if not link.startswith("http"):
        st.caption(ui.tr("share.no_url"))
        return
    st.code(link, language=None, wrap_lines=True)
    st.image(ui_share.qr_png(link), caption=ui.tr("share.qr"), width=220)


def navigation(presenting: bool, menu):
    """The menu, from the page registry (`glassbox.site.PAGES`), in its groups.

    In the sidebar the menu is drawn with `st.page_link` under a caption per group: Streamlit's own
    sidebar menu puts its group blocks straight inside a list, which screen readers (and axe) reject.
    """
    groups: dict[str, list] = {}
    for page in site.PAGES:
        groups.setdefault(ui.tr(f"nav.{page.group}"), []).append(
            st.Page(
                page.file,
                title=ui.tr(f"nav.{page.key}"),
                icon=page.icon,
                url_path=page.url,
                default=page is site.PAGES[0],
            )
        )
    current = st.navigation(groups, position="top" if presenting else "hidden")
    if not presenting:
        with menu:
            for group, pages in groups.items():
                st.caption(group)
                for page in pages:
                    st.page_link(page)
    return current


ui.begin_run()
ui_progress.begin_run()
ui_classroom.join_from_link()
menu = st.sidebar.container(key="menu")  # first in the sidebar, filled once the pages are known
ui_style.text_style(language_switch())  # Korean breaks lines between words only
ui_share.begin_run()
presenting = ui_present.frame()
if presenting:
    ui_classroom.banner()
pg = navigation(presenting, menu)
choose_model(needs_model=site.page_at(pg.url_path).runs_model)
model_status()
pg.run()
ui_progress.save()
ui_present.publish()
share_box(st if presenting else st.sidebar)
ui_notebook.sidebar()
ui_classroom.join_box()
lesson_progress()
ui.warm_up(ui.default_source())
