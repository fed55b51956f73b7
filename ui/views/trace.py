"""The training-data view: which stretches of a text occur verbatim in the training corpus,
the documents holding them, the model's next-token guesses beside the corpus's, a phrase
counter and the novelty figure. Shared by the Training data page and the Playground.

The index, tracing and n-gram modules are imported lazily: when one (or the built index) is
missing, `open_or_explain` says what is missing and returns None, and the rest of the site
keeps working. Corpus text is shown only through `ui_text.highlight_html` (escaped).
"""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

import ui
from glassbox import paths, site
from glassbox.errors import GlassboxError
from glassbox.index import build, ngrams, trace
from ui import chart as ui_chart
from ui import classroom as ui_classroom
from ui import domains as ui_domains
from ui import notebook as ui_notebook
from ui import share as ui_share
from ui import text as ui_text
from ui.views import next_token as view_next

LEVEL_NAMES = ("trace.level_low", "trace.level_mid", "trace.level_high")


def open_or_explain(ns: str, offer_build: bool = True):
    """The corpus index, or None after saying clearly what is missing (and offering to build it)."""
    corpus = paths.corpus_path()
    stamp = ui.index_stamp()
    if stamp is None:
        if not corpus.is_file():
            st.warning(ui.tr("trace.corpus_missing", path=ui_text.md_escape(str(corpus))), icon="📭")
            return None
        st.warning(ui.tr("trace.index_missing", path=ui_text.md_escape(str(paths.index_dir()))), icon="📭")
        if offer_build and st.button(ui.tr("trace.build"), key=f"{ns}.build", type="primary"):
            bar = st.progress(0.0, text=ui.tr("trace.building"))
            done = ui.guarded(build.ensure_index, lambda f, msg: bar.progress(min(max(f, 0.0), 1.0), text=msg))
            if done is not None:
                st.rerun()
        return None
    try:
        return ui.cached_index(str(paths.index_dir()), stamp)
    except GlassboxError as err:
        ui.show_error(err)
        return None


def generate_now_key(ns: str) -> str:
    """The state that asks `write_box` to let the model write at once (a lesson's prompt)."""
    return f"{ns}.generate_now"


WRITE_FIELDS = ("prompt", "max_new_tokens", "seed", "text")  # the box's widgets: keyed `<ns>.<field>`


def write_box(ns: str, controls: Mapping[str, site.Control], prompt: str) -> str:
    """The box that lets the model write after a prompt (`prompt` at first), then the text to
    trace, returned (cut to the page limit). Its widgets, keyed `<ns>.<field>` for each of
    WRITE_FIELDS, are kept in the URL under the names of `controls`."""
    defaults = {"prompt": prompt, "max_new_tokens": site.MAX_NEW.default, "seed": 0, "text": ""}
    for field in WRITE_FIELDS:
        ui.state_default(f"{ns}.{field}", defaults[field])
        ui_share.control(controls[field], f"{ns}.{field}")
    prompt_control = controls["prompt"]
    with st.container(border=True):
        st.markdown("**" + ui.tr("trace.generate_title") + "**")
        left, middle, right = st.columns([3, 1, 1])
        prompt = left.text_input(
            ui.tr("common.prompt"), defaults["prompt"], key=f"{ns}.prompt", max_chars=prompt_control.max_chars,
            persist_state="session", bind=ui_share.BIND, disabled=ui.locked("prompt"),
        )
        max_new = middle.number_input(
            ui.tr("trace.max_new"), site.MAX_NEW.low, site.MAX_NEW.high, site.MAX_NEW.default,
            key=f"{ns}.max_new_tokens", persist_state="session", bind=ui_share.BIND,
        )
        seed = ui.seed_input(right, f"{ns}.seed")
        clicked = st.button(ui.tr("trace.generate"), key=f"{ns}.generate", icon="✍️")
        if (clicked or st.session_state.pop(generate_now_key(ns), False)) and prompt.strip():
            written = ui.guarded(ui.generate, prompt, int(max_new), seed=int(seed))
            if written is not None:
                st.session_state[f"{ns}.text"] = written.full_text  # before the text area below is drawn
            ui_classroom.remember_skips(ns, written)
    text = st.text_area(
        ui.tr("trace.text"), "", key=f"{ns}.text", height=120, persist_state="session", bind=ui_share.BIND,
        disabled=ui.locked("text")
    )
    ui_classroom.skips_for(ns, text or "")
    return ui.limit_text(text or "")


@st.cache_data(show_spinner=False, max_entries=128)
def _trace(stamp: str, text: str):
    return trace.trace(ui.cached_index(str(paths.index_dir()), stamp), text)


@st.cache_data(show_spinner=False, max_entries=256)
def _corpus_next(stamp: str, context: str):
    return ngrams.next_token_distribution(ui.cached_index(str(paths.index_dir()), stamp), context)


def levels(spans) -> list[int]:
    """Each span's distinctiveness level (0-2) among the spans of its trace."""
    from glassbox.charts import distinctiveness_level

    values = [s.distinctiveness for s in spans]
    return [distinctiveness_level(v, values) for v in values]


def show_trace(ns: str, index, text: str) -> str | None:
    """The traced text with spans highlighted, then one chosen span's documents; returns the
    text up to the end of that span, for `compare_next` (None when nothing was traced)."""
    from glassbox.charts import LEVEL_COLOURS

    with st.spinner(ui.tr("trace.tracing")):
        result = ui.guarded(_trace, ui.index_stamp(), text)
    if result is None:
        return None
    spans = list(result.spans)
    if not spans:
        st.info(ui.tr("trace.no_spans"))
        return None
    ui_notebook.note_trace(result.text, spans)
    lvls = levels(spans)
    marks = [(s.start, s.end, LEVEL_COLOURS[lv]) for s, lv in zip(spans, lvls, strict=True)]
    st.html(ui_text.highlight_html(result.text, marks))
    legend = " · ".join(f"{'▮' * (lv + 1)} {ui.tr(LEVEL_NAMES[lv])}" for lv in range(3))
    st.caption(ui.tr("trace.legend", n=len(spans)) + " " + legend)

    names = {
        i: f"{s.text[:60]} — {ui.tr('trace.count', n=s.count)} — {ui.tr(LEVEL_NAMES[lv])}"
        for i, (s, lv) in enumerate(zip(spans, lvls, strict=True))
    }
    key = f"{ns}.span"
    ui_share.field(key, ui_share.choice(list(names.values())))
    most = max(names, key=lambda i: spans[i].distinctiveness)
    if st.session_state.get(key) not in names and key not in st.query_params:
        st.session_state[key] = most
    chosen = st.selectbox(
        ui.tr("trace.pick_span"), list(names), most, format_func=names.get, key=key, bind=ui_share.BIND
    )
    span = spans[chosen]
    st.markdown(ui.tr("trace.span_info", count=span.count, tokens=span.length_tokens, docs=len(span.docs)))
    show_documents(span)
    return result.text[: span.end]


def show_documents(span) -> None:
    """The documents holding a span: source, domain, title, the match in context, relevance."""
    from glassbox.charts import LEVEL_COLOURS

    relevance = {"low": 0, "medium": 1, "high": 2}
    for doc in span.docs:
        level = relevance.get(doc.relevance, 0)
        with st.container(border=True):
            st.markdown(
                f"**{ui_text.md_escape(doc.title or doc.doc_id)}** · "
                f"{ui_text.md_escape(ui_domains.name(doc.domain))} · {ui_text.md_escape(doc.source)} · "
                f"{ui.tr('trace.relevance')}: {ui.tr(LEVEL_NAMES[level])}"
            )
            st.html(ui_text.highlight_html(doc.snippet, [(doc.match_start, doc.match_end, LEVEL_COLOURS[2])]))
    with st.expander(ui.tr("common.as_table")):
        st.dataframe(
            [
                {
                    ui.tr("trace.col_title"): d.title,
                    ui.tr("col.domain"): ui_domains.name(d.domain),
                    ui.tr("trace.col_source"): d.source,
                    ui.tr("trace.relevance"): d.relevance,
                    ui.tr("trace.col_snippet"): d.snippet,
                }
                for d in span.docs
            ],
            hide_index=True,
        )


def compare_next(ns: str, context: str | None) -> None:
    """What the model expects after `context` beside what followed it in the training data; with
    no context (nothing was traced), why there is nothing to compare."""
    st.subheader(ui.tr("trace.compare"))
    if not context:
        st.caption(ui.tr("trace.compare_none"))
        return
    st.caption(ui.tr("trace.compare_text", context=ui_text.md_escape(context[-80:])))
    lm = ui.current_model()
    logits = ui.guarded(ui.next_logits, context) if lm is not None else None
    corpus = ui.guarded(_corpus_next, ui.index_stamp(), context)
    if logits is None or corpus is None:
        return
    from glassbox.model.sampling import Settings

    model = [(c.text, c.prob) for c in view_next.candidates(lm, logits, Settings(), 10)]
    theirs = [(c.text, c.prob) for c in corpus.candidates]
    ui_chart.chart("compare_distributions", model, theirs, ui_chart.chart_labels("compare"), key=f"{ns}.compare")
    if corpus.suffix_tokens:
        st.caption(
            ui.tr(
                "trace.suffix",
                suffix=ui_text.md_escape(corpus.suffix_text),
                n=corpus.suffix_tokens,
                count=corpus.suffix_count,
            )
        )


def phrase_counter(ns: str, index) -> None:
    """How often a phrase occurs in the training corpus."""
    phrase = st.text_input(ui.tr("trace.phrase"), key=f"{ns}.phrase", max_chars=200, persist_state="session")
    if not phrase or not phrase.strip():
        return
    counted = ui.guarded(ngrams.phrase_count, index, phrase)
    if counted is None:
        return
    left, right = st.columns(2)
    left.metric(ui.tr("trace.phrase_count"), f"{counted.count:,}")
    right.metric(ui.tr("trace.phrase_typed"), f"{counted.as_typed:,}")
    st.caption(ui.tr("trace.phrase_detail", tokens=len(counted.tokens)))


def show_novelty(ns: str, index, text: str) -> None:
    """Share of the text covered by long verbatim matches, and the longest one."""
    n = st.slider(ui.tr("trace.novelty_n"), 2, 32, 8, key=f"{ns}.novelty_n", persist_state="session")
    found = ui.guarded(ngrams.novelty, index, text, int(n))
    if found is None:
        return
    left, right = st.columns(2)
    left.metric(ui.tr("trace.novelty_share", n=n), f"{found.share:.0%}")
    right.metric(ui.tr("trace.novelty_longest"), ui.tr("trace.tokens_n", n=found.longest_tokens))
    if found.longest_text:
        st.caption(ui.tr("trace.longest_is"))
        st.html(ui_text.highlight_html(found.longest_text, []))
