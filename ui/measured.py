"""What a lesson tells the learner about the model its claims were measured on (the Tiny OLMoE).

One rule for every lesson (`glassbox.lessons.measured` says which model counts as what):

- A step or prediction with claims (`expect:`) says beside its "Try this" (or under its reveal)
  "Measured on the Tiny OLMoE." With
  another model in use its example still runs on that model (the learner's or the host's choice is
  kept: the Tiny OLMoE may not even be offered on a host's server), and the note says the learner
  may see something else: "with <model>", "this earlier checkpoint", "your taught model". On a page
  that always shows the Tiny OLMoE's run (Watch it learn) the note says so instead.
- A lesson marked `about_corpus` is framed under its title (so above every part of it) while a model
  that did not learn from the Tiny OLMoE's training data is in use: it describes the Tiny OLMoE and
  its data. A checkpoint or a taught copy of the Tiny OLMoE learned from that data: no framing.

Both go on lines the lesson already has (the caption under its title, the "Try this" row), so that
the step and its tool stay in view together. With the Tiny OLMoE in use the lessons look as they always did, plus
the short "measured on" note beside "Try this".
Leaves out: printed handouts (`glassbox.lessons.handouts`), which are about the shipped model alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

import ui
from glassbox.lessons import measured
from ui import models as ui_models
from ui import text as ui_text


def fit(page: str) -> measured.Fit:
    """How the model in use relates to the one `page`'s lesson was measured on (a taught model by
    the model it was taught from)."""
    from ui import taught as ui_taught

    source = ui.source()
    if ui_taught.is_taught(source):
        return measured.fit(ui_taught.base_of(source), page, taught=True)
    return measured.fit(source, page)


def model_name(source: str) -> str:
    """A model as the sidebar names it: the default by its card's name, one of the host's by its
    label, else its folder's name or hub id (never a server path); a taught model by the model it
    was taught from (whose training data it learned). Markdown-escaped."""
    from glassbox.model.info import describe
    from ui import taught as ui_taught

    source = ui_taught.base_of(source)
    name = None
    if source == ui.default_source():
        info = ui.guarded(ui.once, describe, source)
        name = info.name if info is not None else None
    return ui_text.md_escape(name or ui_models.shown_name(source))


def note_text(page: str) -> str:
    """The "measured on" sentence for a part of `page`'s lesson that makes claims."""
    from ui import taught as ui_taught

    found = fit(page)
    if found.kind == measured.EMBEDDED:
        return ui.tr("lesson.measured")
    if found.pinned:
        return ui.tr("lesson.measured_pinned")
    if ui_taught.is_taught(ui.source()):  # taught from the Tiny OLMoE or from another model
        return ui.tr("lesson.measured_taught")
    if found.kind == measured.CHECKPOINT:
        return ui.tr("lesson.measured_checkpoint")
    return ui.tr("lesson.measured_other", model=model_name(ui.source()))


def claim_note(page: str, expect: Sequence[Any], where: Any = None) -> None:
    """Which model a step's (or a reveal's) claims were measured on, in `where` (the "Try this" row)
    or below what is drawn."""
    if expect:
        (where or st).caption("📏 " + note_text(page))


def framing(lesson: Any) -> str:
    """The end of the caption under the lesson's title ("" when none is needed): a lesson about the
    Tiny OLMoE's training data says so while a model that did not learn from it is in use."""
    if getattr(lesson, "about_corpus", False) and not fit(lesson.page).corpus_holds:
        return " · 📚 " + ui.tr("lesson.written_for", model=model_name(ui.source()))
    return ""
