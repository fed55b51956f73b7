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

from glassbox import notebook
from pages import ui, ui_lesson

KEY_ENTRIES = "notebook.entries"
KEY_LIVE = "notebook.live"  # what the download buttons read when pressed (no session state then)


def _live() -> dict:
    return st.session_state.setdefault(KEY_LIVE, {})


def _note(kind: str, subject: str, data: dict) -> None:
    entries = st.session_state.get(KEY_ENTRIES) or {}
    st.session_state[KEY_ENTRIES] = _live()["entries"] = notebook.record(entries, kind, subject, data)


def note_tokens(text: str, tokens: Sequence) -> None:
    _note("tokens", text, {"tokens": [{"id": int(tok.id), "text": tok.text} for tok in tokens]})


def note_next(text: str, settings, cands: Sequence) -> None:
    data = {
        "settings": {"temperature": settings.temperature, "top_k": settings.top_k, "top_p": settings.top_p},
        "top": [{"id": c.id, "text": c.text, "prob": round(c.prob, 6), "kept": c.kept} for c in cands],
    }
    _note("next_token", text, data)


def note_routing(text: str, load: np.ndarray, disabled: int | None = None) -> None:
    """Per layer, the three experts with the largest share of routing slots over the text."""
    layers = []
    for layer, shares in enumerate(np.asarray(load, dtype=float)):
        top = np.argsort(-shares, kind="stable")[:3]
        layers.append({"layer": layer, "busiest": [[int(e), round(float(shares[e]), 4)] for e in top]})
    _note("experts", text, {"layers": layers, "disabled_expert": disabled})


def note_trace(text: str, spans: Sequence) -> None:
    data = {
        "spans": [
            {"text": s.text, "count": int(s.count), "documents": [d.title or d.doc_id for d in s.docs]} for s in spans
        ]
    }
    _note("trace", text, data)


def _book(live: dict) -> notebook.Notebook:
    return notebook.Notebook(entries=tuple(live.get("entries", {}).values()), quiz=live.get("quiz", ()),
                             lang=live.get("lang", "en"), model=live.get("model", ""))


def sidebar() -> None:
    """The notebook's download buttons; each file is made when its button is pressed."""
    live = _live()
    live.update(
        entries=st.session_state.get(KEY_ENTRIES) or {},
        quiz=notebook.quiz_results(ui_lesson.all_lessons(), ui_lesson.scores(), ui_lesson.done()),
        lang=ui.lang(),
        model=ui.source(),
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
