"""For teachers: the guide (class plan, presenter mode, shared links, running a workshop server,
glossary) from docs/teacher-guide.md or docs/teacher-guide.ko.md, a printable handout per lesson
(with a print view: `ui.print_view`), and the answer key, both made from the lesson files
(`glassbox.lessons.handouts`), and the class controls (open a class for a live poll: `ui.classroom`).
The answer key and the class controls open with the server's teacher key."""

from __future__ import annotations

import streamlit as st

import ui
from glassbox import paths
from glassbox.lessons import handouts
from ui import answers as ui_answers
from ui import classroom as ui_classroom
from ui import print_view
from ui import text as ui_text

GUIDES = {"en": "teacher-guide.md", "ko": "teacher-guide.ko.md"}
WORDS = ("minutes", "objectives", "steps", "predict", "quiz", "notes", "answer_key", "saw", "guess")

if print_view.show():  # a handout alone, ready for the browser's Print
    st.stop()
guide_tab, handout_tab, key_tab, class_tab = st.tabs([ui.tr("teachers.tab_guide"), ui.tr("teachers.tab_handouts"),
                                                      ui.tr("teachers.tab_key"), ui.tr("classroom.tab")])  # fmt: skip
with guide_tab:
    guide = paths.PROJECT_ROOT / "docs" / GUIDES.get(ui.lang(), GUIDES["en"])
    try:
        st.markdown(guide.read_text(encoding="utf-8"))
    except OSError:
        st.info(ui.tr("teachers.missing", path=ui_text.md_escape(str(guide))))

lessons = ui_answers.all_lessons()
words = {word: ui.tr(f"teachers.h_{word}") for word in WORDS}
with handout_tab:
    st.caption(ui.tr("teachers.handout_text"))
    by_id = {lesson.id: lesson for lesson in lessons}
    chosen = st.selectbox(ui.tr("teachers.handout_pick"), list(by_id), format_func=lambda i: by_id[i].title,
                          key="teachers.handout")  # fmt: skip
    if chosen:
        page = handouts.handout(by_id[chosen], words)
        download, printing = st.columns(2)
        download.download_button(ui.tr("teachers.download"), page, file_name=f"handout-{chosen}-{ui.lang()}.md",
                                 mime="text/markdown", key="teachers.handout_download")  # fmt: skip
        with printing:
            print_view.open_button(page, key="teachers.handout_print")
        st.markdown(page)
with key_tab:  # behind the teacher key, as the class controls are
    if ui_classroom.unlocked("answer_key", no_key="teachers.key_no_key", unlock="teachers.key_unlock"):
        key_page = handouts.answer_key(lessons, words)
        st.download_button(ui.tr("teachers.download"), key_page, file_name=f"answer-key-{ui.lang()}.md",
                           mime="text/markdown", key="teachers.key_download")  # fmt: skip
        st.markdown(key_page)
with class_tab:
    ui_classroom.teacher_panel()
