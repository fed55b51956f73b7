"""The recital view: pick a ladder passage found in the training corpus, let the model continue
its first PROMPT_TOKENS tokens greedily, and compare its EXPECTED_TOKENS tokens with the data's.

The copies shown are the ones counted in the corpus on this computer (and by its index when
one is open), never the ladder's planned number. Corpus and model text reach the page only
through `ui.text` (escaped). Above the picker: the memorisation grid (checkpoints by copies) from
the model's own eval.
It leaves out sampling and per-passage results over checkpoints.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

import ui
from glassbox import paths
from glassbox.training.memorisation import EXPECTED_TOKENS, PROMPT_TOKENS
from ui import chart as ui_chart
from ui import text as ui_text


def _stamp(corpus) -> str:
    """Which version of the corpus file is there: its size and modification time."""
    stat = corpus.stat()
    return f"{stat.st_size}-{stat.st_mtime_ns}"


@st.cache_resource(show_spinner=False, max_entries=2)
def _probes(corpus: str, stamp: str) -> tuple:
    """The ladder passages found in one version of the corpus (one read, shared read-only)."""
    from glassbox.training.memorisation import passage_probes

    return tuple(passage_probes(Path(corpus)))


@st.cache_data(show_spinner=False, max_entries=256)
def _recite(src: str, text: str):
    from glassbox.limits import model_slot
    from glassbox.training.memorisation import recite

    lm = ui.cached_model(src)
    with model_slot():
        return recite(lm, text)


def recite(text: str):
    """A greedy recital by the model in use, counted like every other model request."""
    src = ui.source()
    ui.load_model(src)
    ui.admit(("recite", src, text))
    with st.spinner(ui.tr("recite.running")):
        return _recite(src, text)


def over_training(ns: str) -> None:
    """The memorisation chart (share recited by copies, a line per checkpoint), where the model's
    evaluation measured more than one rung; otherwise a sentence saying why there is none."""
    from glassbox.model.checkpoints import memorisation_over_training

    folder = Path(ui.source())  # the model in use, where it is a folder (a hub id has no eval.json)
    found = ui.guarded(memorisation_over_training, folder) if folder.is_dir() else ()
    lines = [line for line in found or () if len(line.copies) > 1]
    if not lines:
        st.caption(ui.tr("recite.no_chart"))
        return
    named = [(ui.tr("recite.row", name=ui.checkpoint_label(line.label), step=f"{line.step:,}"),
              list(line.copies), list(line.shares)) for line in lines]
    # folded away: it answers the lesson's prediction about copies, which comes first
    with st.expander(ui.tr("recite.chart_open")):
        st.caption(ui.tr("recite.chart_how"))
        ui_chart.chart("memorisation_curve", named, ui_chart.chart_labels("memorisation"), key=f"{ns}.memorisation")


def section(ns: str, index) -> None:
    """The "Can it recite a passage?" section of the Training data page."""
    corpus = paths.corpus_path()
    if not corpus.is_file():  # the page's top (view_trace.open_or_explain) already says what is missing
        return
    st.subheader(ui.tr("recite.title"))
    with st.spinner(ui.tr("recite.reading")):
        probes = ui.guarded(_probes, str(corpus), _stamp(corpus))
    if probes is None:
        return
    if not probes:
        st.info(ui.tr("recite.none"))
        return
    most = max(p.copies for p in probes)
    key = "recite.once" if most == 1 else "recite.ladder"
    st.caption(ui.tr("recite.intro", prompt=PROMPT_TOKENS, expected=EXPECTED_TOKENS) + " " + ui.tr(key, most=most))
    over_training(ns)
    by_id = {p.id: p for p in probes}
    names = {p.id: f"{p.title} · {ui.tr('recite.copies', n=p.copies)}" for p in probes}
    choice_key, done_key = f"{ns}.passage", f"{ns}.recited"
    if st.session_state.get(choice_key) not in by_id:
        st.session_state[choice_key] = probes[0].id
    chosen = st.selectbox(ui.tr("recite.pick"), list(by_id), format_func=names.get, key=choice_key)
    probe = by_id[chosen]
    if st.button(ui.tr("recite.button"), key=f"{ns}.recite", icon="📜"):
        st.session_state[done_key] = probe.id
    if st.session_state.get(done_key) != probe.id:
        return
    recital = ui.guarded(recite, probe.text)
    if recital is None:
        return
    st.markdown("**" + ui.tr("recite.prompt", n=PROMPT_TOKENS) + "**")
    st.html(ui_text.highlight_html(recital.prompt, []))
    left, right = st.columns(2)
    for column, title, text in ((left, "recite.wrote", recital.generated), (right, "recite.data", recital.expected)):
        with column.container(border=True):
            st.markdown("**" + ui.tr(title, n=EXPECTED_TOKENS) + "**")
            st.html(ui_text.highlight_html(text, []))
    if recital.recited:
        st.success(ui.tr("recite.yes", n=EXPECTED_TOKENS), icon="✅")
    else:
        st.info(ui.tr("recite.no", matched=recital.matched_tokens, n=EXPECTED_TOKENS), icon="❌")
    count = probe.copies
    if index is not None:
        counted = ui.guarded(lambda: index.count_ids(index.tokenize(probe.text)))
        count = probe.copies if counted is None else int(counted)
    st.markdown(ui.tr("recite.count_once") if count == 1 else ui.tr("recite.count", n=f"{count:,}"))
