"""The lab notebook at the UI edge: views note what the learner explored (in this session
only), and the sidebar offers it as Markdown and JSON downloads (built by `glassbox.notebook`).

The files are made when a button is pressed, from a record this session keeps up to date in
place: a page's tool reruns on its own, without redrawing the sidebar, and what it explored
must still be in the download.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import streamlit as st

import ui
from glassbox import notebook
from ui import answers as ui_answers
from ui import models as ui_models

KEY_ENTRIES = "notebook.entries"
KEY_LIVE = "notebook.live"  # what the download buttons read when pressed (no session state then)


def _live() -> dict:
    return st.session_state.setdefault(KEY_LIVE, {})


def _note(kind: str, subject: str, data: dict) -> None:
    entries = st.session_state.get(KEY_ENTRIES) or {}
    st.session_state[KEY_ENTRIES] = _live()["entries"] = notebook.record(entries, kind, subject, data)


def note_tokens(text: str, tokens: Sequence) -> None:
    _note("tokens", text, notebook.tokens_entry(tokens))


def note_next(text: str, settings, cands: Sequence) -> None:
    _note("next_token", text, notebook.next_token_entry(settings, cands))


def note_routing(text: str, load: np.ndarray, disabled: int | None = None) -> None:
    _note("experts", text, notebook.routing_entry(load, disabled))


def note_trace(text: str, spans: Sequence) -> None:
    _note("trace", text, notebook.trace_entry(spans))


def _book(live: dict) -> notebook.Notebook:
    return notebook.Notebook(entries=tuple(live.get("entries", {}).values()), quiz=live.get("quiz", ()),
                             lang=live.get("lang", "en"), model=live.get("model", ""))


def sidebar() -> None:
    """The notebook's download buttons; each file is made when its button is pressed."""
    live = _live()
    live.update(
        entries=st.session_state.get(KEY_ENTRIES) or {},
        quiz=notebook.quiz_results(ui_answers.all_lessons(), ui_answers.scores(), ui_answers.done()),
        lang=ui.lang(),
        model=ui_models.shown_name(ui.source()),  # the host's label or the folder's name, never a server path
    )
    files = (
        ("notebook.markdown", notebook.to_markdown, "md", "text/markdown", "📝"),
        ("notebook.json", notebook.to_json, "json", "application/json", "🧾"),
    )
    with st.sidebar.expander(ui.tr("notebook.sidebar")):
        st.caption(ui.tr("notebook.sidebar_text"))
        for label, write, ext, mime, icon in files:
            st.download_button(
                ui.tr(label),
                lambda write=write: write(_book(live)),
                file_name=f"glassbox-notebook.{ext}",
                mime=mime,
                key=f"notebook.download_{ext}",
                icon=icon,
                on_click="ignore",
            )
