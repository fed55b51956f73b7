"""The planted-passage badge: wherever a page shows a text that uses a famous line the anthology
copied into the training data on purpose, a small note says so, with the number of copies, and
links to the Training data page, where the anthology's recitals are.

Shown only while the model in use was trained on that data (`glassbox.corpus.planted`); for any
other model the copies would be untrue, so nothing is said. A learner's taught copy of such a model
was trained on the same data plus their sentences, so it counts as the model it was taught from.
"""

from __future__ import annotations

import streamlit as st

import ui
from glassbox import site
from glassbox.corpus.planted import Planted, holds_anthology, planted_in
from ui import taught as ui_taught


@st.cache_data(show_spinner=False, max_entries=32)
def _holds_anthology(source: str) -> bool:
    return holds_anthology(source)


def used_in(text: str) -> tuple[Planted, ...]:
    """The planted passages `text` uses, for the model in use (none for a model of other data)."""
    return planted_in(text) if _holds_anthology(ui_taught.base_of(ui.source())) else ()


def badge(text: str, key: str) -> tuple[Planted, ...]:
    """One link per planted passage that `text` uses, e.g. "Planted: the training data holds
    Hamlet: To be, or not to be 64 times on purpose"; returns the passages."""
    found = used_in(text)
    for n, passage in enumerate(found):
        with st.container(key=f"planted-{key}-{n}"):
            st.page_link(
                site.PAGE["training_data"].file,
                label=ui.tr("planted.badge", title=passage.title, copies=passage.copies),
                icon="📌",
                help=ui.tr("planted.help", copies=passage.copies),
            )
    return found
