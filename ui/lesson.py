"""The lesson at the top of each page: objectives, body, guided steps with "Try this", the
predict-then-reveal moment, the quiz with feedback, the caution, and "mark as done". Which model
a step's claims were measured on, and the framing of a lesson about the Tiny OLMoE's training data
while another model is in use, are `ui.measured`'s.

Lessons come from `glassbox.lessons` (our own Markdown files, rendered as Markdown). When that
module or a lesson is missing, nothing is drawn and the page goes on. Progress (lessons done,
quiz scores) lives in `st.session_state` only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import streamlit as st

import ui
from glassbox.site import PAGE_CONTROLS
from ui import measured as ui_measured
from ui.answers import (
    KEY_FIRST,
    KEY_PRESENT_FIRST,
    PRESENT_NS,
    done,
    lesson_for,
    scores,
)


def example_values(example: Any) -> dict:
    """A step's example as a plain dict (the contract allows a `.values` property or a mapping)."""
    if example is None:
        return {}
    values = getattr(example, "values", example)
    if callable(values):  # a plain Mapping: .values is the method
        values = dict(example)
    return dict(values or {})


def apply_example(ns: str, example: Any, fields: Mapping[str, Callable[[Any], Any]]) -> None:
    """Set the page's widgets (keys `<ns>.<name>`) to an example's values, converted per field."""
    for name, value in example_values(example).items():
        convert = fields.get(name)
        if convert is None:
            continue
        try:
            st.session_state[f"{ns}.{name}"] = convert(value)
        except (TypeError, ValueError):
            continue


def render(page: str, ns: str, overrides: Mapping[str, Callable[[Any], Any]] | None = None, beside: bool = True):
    """Draw the lesson for `page` and return the container its tool goes in (keyed `tool`).

    The lesson goes one section at a time (its introduction, each step, the prediction, the quiz),
    in a box keyed `step` beside the tool, so that what a step says and what the tool shows are
    in view together; `beside=False` (a page with no tool) gives the box the whole width. The
    "whole lesson" switch shows every section at once above the tool, for reading and printing.
    Examples set widgets `<ns>.<control name>`, converted as the control's spec says
    (`glassbox.site.PAGE_CONTROLS`) or by `overrides`.
    """
    lesson = lesson_for(page)
    if lesson is None:
        return st.container(key="tool")
    fields = {name: spec.convert for name, spec in PAGE_CONTROLS.get(page, {}).items()} | dict(overrides or {})
    key = f"lesson.{lesson.id}"
    title, switch = st.container(key="lesson_head").columns([5, 2], vertical_alignment="bottom")
    title.header(lesson.title)
    badge = " ✅" if lesson.id in done() else ""
    title.caption(ui.tr("lesson.minutes", minutes=lesson.minutes) + badge + ui_measured.framing(lesson))
    whole = not _presenting() and switch.toggle(ui.tr("lesson.whole"), key=f"{key}.whole", persist_state="session")
    st.session_state[f"{key}.focus"] = None
    if whole:
        with st.expander(ui.tr("lesson.open"), expanded=True):
            _intro(lesson)
            st.subheader(ui.tr("lesson.steps"))
            for draw, _ in _path(lesson, key, ns, fields, tool="below"):
                draw()
            _finish(lesson, key)
        return st.container(key="tool")
    if not beside:
        with st.container(key="step", border=True):
            _one_section(lesson, key, ns, fields)
        return st.container(key="tool")
    step_column, tool_column = st.container(key="lesson_row").columns([2, 3], gap="medium")
    with step_column, st.container(key="step", border=True):
        _one_section(lesson, key, ns, fields)
    return tool_column.container(key="tool")


def _path(lesson, key: str, ns: str, fields, tool: str = "beside") -> list[tuple[Callable[[], None], str | None]]:
    """The steps in order, each with the part of the tool it is about (its `focus`), and each
    prediction before the step its lesson names (so that no step shows its answer first), or after
    the last (`Lesson.sections`). `tool` says where the page's tool is drawn ("beside" the lesson
    box, or "below" the whole lesson), for the sentence that points the learner to it."""
    return [
        (lambda i=i: _step(lesson, key, ns, fields, i), lesson.steps[i - 1].focus)
        if kind == "step"
        else (lambda i=i: _predict(lesson, key, ns, fields, tool, i), lesson.predictions[i - 1].focus)
        for kind, i in lesson.sections
    ]


def focus(page: str) -> str | None:
    """The part of the page's tool that the lesson part shown now is about (None: no such part,
    or the whole lesson is shown). The page draws that part at the top of its tool."""
    lesson = lesson_for(page)
    return None if lesson is None else st.session_state.get(f"lesson.{lesson.id}.focus")


def _presenting() -> bool:
    from ui import present as ui_present

    return ui_present.presenting()


def _teaching() -> bool:
    from ui import classroom as ui_classroom

    return ui_classroom.teaching() is not None


def _intro(lesson) -> None:
    st.markdown("**" + ui.tr("lesson.objectives") + "**")
    st.markdown("\n".join(f"- {o}" for o in lesson.objectives))
    st.markdown(lesson.body)


def _finish(lesson, key: str) -> None:
    _quiz(lesson, key)
    st.info("**" + ui.tr("lesson.not_mean") + "** " + lesson.not_mean, icon="🔎")
    if lesson.id in done():
        st.success(ui.tr("lesson.is_done"))
    elif st.button(ui.tr("lesson.mark_done"), key=f"{key}.done", type="primary"):
        done().add(lesson.id)
        st.rerun()


def _one_section(lesson, key: str, ns: str, fields) -> None:
    """The lesson one section at a time (intro, each step, the prediction, the quiz), with
    Previous/Next; in presenter mode the section number is kept in the URL as `step`."""
    sections = [(lambda: (st.subheader(ui.tr("present.intro")), _intro(lesson)), None)]
    sections += _path(lesson, key, ns, fields)
    sections.append((lambda: (st.subheader(ui.tr("present.finish")), _finish(lesson, key)), None))
    slide_key = f"{key}.slide"
    if slide_key not in st.session_state:
        raw = st.query_params.get("step", "1")
        st.session_state[slide_key] = int(raw) if raw.isdigit() else 1
    current = min(max(1, st.session_state[slide_key]), len(sections))
    st.session_state[slide_key] = current
    st.caption(ui.tr("present.step", n=current, total=len(sections)))
    draw, st.session_state[f"{key}.focus"] = sections[current - 1]
    draw()
    left, right = st.container(key="step_nav").columns(2)  # pinned at the box's bottom in presenter mode
    if left.button(ui.tr("present.previous"), key=f"{key}.prev", icon="⬅️", disabled=current == 1,
                   width="stretch"):
        st.session_state[slide_key] = current - 1
        st.rerun()
    if right.button(ui.tr("present.next"), key=f"{key}.next", icon="➡️", disabled=current == len(sections),
                    type="primary", width="stretch"):
        st.session_state[slide_key] = current + 1
        st.rerun()
    if _presenting() and st.query_params.get("step") != str(current):
        st.query_params["step"] = str(current)


def _step(lesson, key: str, ns: str, fields, i: int) -> None:
    """Step i (1-based): its title, text, "Try this" and which model its claims were measured on."""
    step = lesson.steps[i - 1]
    st.markdown(f"**{i}. {step.title}**")
    st.markdown(step.text)
    example = example_values(step.example)
    if example and any(name in fields for name in example):
        row = st.container(horizontal=True, vertical_alignment="center", wrap=False)  # the note beside it
        if row.button(ui.tr("lesson.try"), key=f"{key}.try{i}", icon="👉"):
            apply_example(ns, example, fields)
            st.rerun()
        ui_measured.claim_note(lesson.page, step.expect, row)
    else:
        ui_measured.claim_note(lesson.page, step.expect)


def _answers(key: str) -> str:
    """Where a lesson's answers are kept: the teacher's own, or (presenter mode) the room's."""
    return PRESENT_NS + key if _presenting() else key


def _predict(lesson, key: str, ns: str, fields, tool: str = "beside", n: int = 1) -> None:
    """The lesson's n-th (1-based) prediction: the guess, then the reveal. The first keeps the keys
    `<key>.predict`, `<key>.revealed` and `<key>.reveal`; the n-th adds n to each (`.predict2`)."""
    predict = lesson.predictions[n - 1]
    suffix = "" if n == 1 else str(n)
    st.subheader(ui.tr("lesson.predict"))
    st.markdown(predict.question)
    revealed_key = f"{_answers(key)}.revealed{suffix}"
    choice = st.radio(
        ui.tr("lesson.your_guess"),
        list(range(len(predict.choices))),
        index=None,
        format_func=lambda i: predict.choices[i],
        key=f"{_answers(key)}.predict{suffix}",
        persist_state="session",
        disabled=bool(st.session_state.get(revealed_key)),
    )
    from ui import classroom as ui_classroom  # (imported here: it builds on this module)

    ui_classroom.predict_guess(lesson.id, choice, n)
    if not st.session_state.get(revealed_key):
        if ui_classroom.reveal_is_teachers(lesson.id):
            ui_classroom.wait_for_reveal(lesson.id, revealed_key, lambda: apply_example(ns, predict.example, fields), n)
        elif st.button(
            ui.tr("lesson.reveal"), key=f"{key}.reveal{suffix}", disabled=choice is None and not _teaching()
        ):
            st.session_state[revealed_key] = True
            apply_example(ns, predict.example, fields)
            ui_classroom.teacher_reveals(lesson.id, n)
            st.rerun()
        if choice is None:
            st.caption(ui.tr("lesson.pick_first"))
        ui_classroom.predict_chart(lesson.id, tuple(predict.choices), None, n)
        return
    ui_classroom.predict_chart(lesson.id, tuple(predict.choices), predict.answer, n)
    if choice == predict.answer:
        st.success(ui.tr("lesson.guess_right"))
    else:
        st.warning(ui.tr("lesson.guess_wrong", answer=predict.choices[predict.answer]))
    st.markdown(predict.reveal)
    ui_measured.claim_note(lesson.page, predict.expect)
    if example_values(predict.example) and any(name in fields for name in example_values(predict.example)):
        st.caption(ui.tr("lesson.tool_set" if tool == "beside" else "lesson.tool_set_below"))


def _quiz(lesson, key: str) -> None:
    if not lesson.quiz:
        return
    st.subheader(ui.tr("lesson.quiz"))
    presenting = _presenting()
    first = st.session_state.setdefault(KEY_PRESENT_FIRST if presenting else KEY_FIRST, {}).setdefault(lesson.id, {})
    for qi, question in enumerate(lesson.quiz):
        picked = st.radio(
            f"{qi + 1}. {question.question}",
            list(range(len(question.choices))),
            index=None,
            format_func=lambda i, q=question: q.choices[i].text,
            key=f"{_answers(key)}.q{qi}",
            persist_state="session",
        )
        if picked is None:
            continue
        first.setdefault(qi, picked)  # the score keeps the first try; picking again still explains
        choice = question.choices[picked]
        if choice.correct:
            st.success(choice.feedback, icon="✅")
        else:
            st.error(choice.feedback, icon="✖️")
        if picked != first[qi]:
            st.caption(ui.tr("lesson.first_try"))
    right = sum(lesson.quiz[qi].choices[c].correct for qi, c in first.items() if qi < len(lesson.quiz))
    if not presenting:  # the room's answers are not the teacher's score
        scores()[lesson.id] = (right, len(lesson.quiz))
    st.caption(ui.tr("lesson.score", right=right, total=len(lesson.quiz)))
