"""The learner's answers to the lessons, kept in `st.session_state`: which lessons are done, the
quiz scores, the first choice picked for each question, and the lessons in the learner's language.

It is its own module so that what saves and shows progress (`ui.progress`, `ui.notebook`,
`ui.present`) reads it without importing the lesson view (`ui.lesson`), which builds on them.
"""

from __future__ import annotations

import streamlit as st

import ui
from glassbox import lessons
from glassbox.errors import GlassboxError

KEY_DONE = "progress.done"  # set of lesson ids marked done
KEY_SCORES = "progress.scores"  # {lesson id: (right first answers, questions)}
KEY_FIRST = "progress.first_answers"  # {lesson id: {question number: the first choice picked}}
# Presenter mode keeps the room's answers apart from the teacher's own (which are saved as progress):
# its prediction and quiz widgets are keyed "present.lesson.<id>..." and start unanswered each time
# presenter mode is turned on (ui.present).
PRESENT_NS = "present."
KEY_PRESENT_FIRST = "present.first_answers"


def lesson_for(page: str):
    """The lesson shown on `page` in the learner's language, or None."""
    try:
        return next((lesson for lesson in ui.once(lessons.load_lessons, ui.lang()) if lesson.page == page), None)
    except GlassboxError as err:
        ui.show_error(err)
        return None


def all_lessons() -> tuple:
    try:
        return tuple(ui.once(lessons.load_lessons, ui.lang()))
    except GlassboxError as err:
        ui.show_error(err)
        return ()


def done() -> set[str]:
    return st.session_state.setdefault(KEY_DONE, set())


def scores() -> dict[str, tuple[int, int]]:
    return st.session_state.setdefault(KEY_SCORES, {})
