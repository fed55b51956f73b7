"""The Training data page for a model whose training data is not the local index's: traced on the
hosted infini-gram service (OLMoTrace's way, `glassbox.index.hosted_trace`), or, where nothing is
known of it, a sentence saying so. Never the Tiny OLMoE's corpus.

`training_data()` says where the model in use learned from (`glassbox.index.sources`; a learner's
taught copy by the model it was taught from). `tool` draws the page's tool for a hosted or unknown
source: the write box, the traced text with the rarest stretches marked and their documents (the
local trace's span and document views), or, when the service cannot be reached, that the full
model's training data cannot be searched from here, with no spans; the phrase counter asks the
service. `traced` is the trace alone (the Playground's Training data tab). The parts that read
the local index (what comes next in the data, which documents pushed a token, novelty, recitals)
are left out with one line saying why. Traces are kept per text in
this process (`st.cache_data`), and the service's answers in the data folder for every process.
Leaves out: the local source's page (`ui.views.trace`, `ui.views.recite`, `ui.views.attribution`).
"""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

import ui
from glassbox import site
from glassbox.errors import GlassboxError
from glassbox.index import sources
from ui import models as ui_models
from ui import notebook as ui_notebook
from ui import taught as ui_taught
from ui import text as ui_text
from ui.views import trace as view_trace

OFFLINE = frozenset({"hosted_unreachable", "hosted_too_slow"})  # the service cannot be searched from here now


def training_data() -> sources.TrainingData:
    """Where the model in use learned from (a taught copy: the model it was taught from)."""
    return sources.of_source(ui_taught.base_of(ui.source()))


def _client(index: str):
    from glassbox.index.hosted import HostedIndex
    from glassbox.index.hosted_cache import default_cache

    return HostedIndex(index=index, timeout=5.0, retries=2, backoff=0.3, cache=default_cache())


@st.cache_data(show_spinner=False, max_entries=256)
def _trace(index: str, url: str, text: str):
    """One text's trace (`url` keys the cache: the service's address can change with the environment)."""
    from glassbox.index.hosted_trace import trace

    return trace(_client(index), text)


@st.cache_data(show_spinner=False, max_entries=256)
def _count(index: str, url: str, phrase: str):
    return _client(index).count(phrase)


def _asked(fn, index: str, text: str):
    """`fn`'s answer from the service, or None after saying why there is none: that the full
    model's training data cannot be searched from here (the service is offline or too slow), or
    the service's refusal."""
    try:
        return fn(index, _client(index).url, text)
    except GlassboxError as err:
        if err.code in OFFLINE:
            st.warning(ui.tr("hosted.offline", index=index), icon="📡")
            st.caption(ui_text.md_escape(err.message(ui.lang())))
        else:
            ui.show_error(err)
        return None


def tool(ns: str, controls: Mapping[str, site.Control], data: sources.TrainingData, part: dict) -> None:
    """The page's tool for a model whose training data is hosted or not known."""
    with part["write"]:
        text = view_trace.write_box(ns, controls, prompt="In the beginning")
    with part["trace"]:
        if text.strip() or not data.hosted:
            traced(ns, text, data)
        else:
            st.info(ui.tr("trace.empty"))
        st.caption(ui.tr("hosted.local_parts"))
    if data.hosted:
        with part["phrases"]:
            phrase_counter(ns, data.index)


def traced(ns: str, text: str, data: sources.TrainingData) -> None:
    """`text` traced in the hosted index, or why it is not traced (nothing known of the training data)."""
    if data.hosted:
        show(ns, data.index, text)
    else:
        name = ui_models.shown_name(ui_taught.base_of(ui.source()))
        st.info(ui.tr("hosted.unknown", model=ui_text.md_escape(name)))


def show(ns: str, index: str, text: str) -> None:
    """The rarest stretches of `text` found in the hosted index, marked, and one chosen stretch's documents."""
    from glassbox.charts import LEVEL_COLOURS

    with st.spinner(ui.tr("hosted.tracing", index=index)):
        got = _asked(_trace, index, text)
    if got is None:
        return
    st.caption(ui.tr("hosted.intro", index=index))
    if got.searched_words < got.words:
        st.caption(ui.tr("hosted.first_words", n=got.searched_words, m=got.words))
    spans = list(got.trace.spans)
    if not spans:
        st.info(ui.tr("trace.no_spans"))
        return
    ui_notebook.note_trace(got.trace.text, spans)
    lvls = view_trace.levels(spans)
    marks = [(s.start, s.end, LEVEL_COLOURS[lv]) for s, lv in zip(spans, lvls, strict=True)]
    st.html(ui_text.highlight_html(got.trace.text, marks))
    legend = " · ".join(f"{'▮' * (lv + 1)} {ui.tr(view_trace.LEVEL_NAMES[lv])}" for lv in range(3))
    st.caption(ui.tr("hosted.marked", n=len(spans), m=got.found) + " " + ui.tr("trace.legend") + " " + legend)
    names = {i: f"{s.text[:60]} — {ui.tr('trace.count', n=f'{s.count:,}')}" for i, s in enumerate(spans)}
    chosen = st.selectbox(ui.tr("trace.pick_span"), list(names), format_func=names.get, key=f"{ns}.hosted_span")
    view_trace.show_span(spans[chosen])


def phrase_counter(ns: str, index: str) -> None:
    """How often a phrase occurs in the hosted index."""
    st.subheader(ui.tr("trace.phrases"))
    phrase = st.text_input(ui.tr("hosted.phrase"), key=f"{ns}.phrase", max_chars=200, persist_state="session")
    if not phrase or not phrase.strip():
        return
    got = _asked(_count, index, phrase)
    if got is None:
        return
    st.metric(ui.tr("hosted.phrase_count"), f"{got.count:,}" + (" ≈" if got.approx else ""))
