"""A page's tool (its text box, settings and charts) as a Streamlit fragment.

When a learner types a prompt or moves a slider, only the tool runs again: not the frame
(language, model picker, navigation, progress), not the lesson above it, not the sidebar. That
is most of what a page run costs, and on a workshop server it is the difference between a
prompt answered at once and one kept waiting (bench/bench_workshop.py). The tool's widgets write
the URL themselves (`ui.share`). Anything that changes more than the tool (a lesson's "Try this",
a picked token) asks for a full rerun.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

import ui
from ui import progress as ui_progress
from ui import share as ui_share
from ui.runtime import rerun_of_fragment_alone


def tool(draw: Callable[[], None]) -> Callable[[], None]:
    """`draw` as a fragment that saves what it noted when it reruns alone."""

    def run() -> None:
        alone = rerun_of_fragment_alone()
        if alone:
            ui.begin_run()
            ui.set_run_lang(ui.lang())
            ui_share.begin_fragment()
        draw()
        if alone:
            ui_progress.save()  # what the tool noted in the lab notebook

    # the fragment is known by its function's module and name: each page's tool its own
    run.__module__ = draw.__module__
    run.__name__ = run.__qualname__ = f"tool_{draw.__qualname__}"
    return st.fragment(run)


def parts(names: tuple[str, ...], focus: str | None) -> dict:
    """One container per part of a tool, placed on screen in the order `names` gives, except that
    the part named `focus` (the one the lesson's current step is about) comes first, so that it is
    in view beside the step. Each is keyed `part-<name>`. The page fills them in the order its logic
    needs: a part's place on screen is fixed here, when its container is made."""
    order = sorted(names, key=lambda name: name != focus)
    return {name: st.container(key=f"part-{name}") for name in order}
