"""About: the model card and data card (our own Markdown), and a browser of the training
documents, searched through the index's BM25 ranking (shown as plain text, never as markup)."""

from __future__ import annotations

import re

import streamlit as st

import ui
from glassbox.index import search
from glassbox.model import checkpoints
from ui import domains as ui_domains
from ui import text as ui_text
from ui.views import trace as view_trace

NS = "about"
PER_PAGE = 20
SHOW_TOKENS = 5_000  # longest part of a document shown at once (about 20,000 characters)


def cards() -> None:
    for name, title in (("MODEL_CARD.md", "about.model_card"), ("DATA_CARD.md", "about.data_card")):
        st.subheader(ui.tr(title))
        card = ui.guarded(checkpoints.card_markdown, name=name)
        if card:
            st.markdown(card)  # our own shipped file; Markdown only, raw HTML is not rendered
        else:
            st.info(ui.tr("about.no_card", name=name))


def browser() -> None:
    st.subheader(ui.tr("about.browse"))
    index = view_trace.open_or_explain(NS, offer_build=False)  # the index holds exactly the training data
    if index is None:
        return
    left, right = st.columns([3, 1])
    query = left.text_input(ui.tr("about.search"), key=f"{NS}.query", max_chars=100, persist_state="session")
    kinds = ["", *(ui.guarded(search.domains, index) or ())]
    names = {d: (ui.tr("about.all_domains") if not d else ui_domains.name(d)) for d in kinds}
    domain = right.selectbox(ui.tr("col.domain"), kinds, format_func=names.get, key=f"{NS}.domain")
    found = ui.guarded(search.search_documents, index, query or "", domain or "")
    if found is None:
        return
    st.caption(ui.tr("about.found", n=f"{len(found.hits):,}"))
    if not found.hits:
        return
    pages = max(1, -(-len(found.hits) // PER_PAGE))
    page = st.number_input(ui.tr("about.page", pages=pages), 1, pages, 1, key=f"{NS}.page") if pages > 1 else 1
    shown = found.hits[(page - 1) * PER_PAGE : page * PER_PAGE]
    st.dataframe(
        [
            {
                ui.tr("trace.col_title"): h.title,
                ui.tr("col.domain"): ui_domains.name(h.domain),
                ui.tr("trace.col_source"): h.source,
                ui.tr("col.tokens"): h.tokens,
            }
            for h in shown
        ],
        hide_index=True,
    )
    titles = {h.doc_ix: f"{h.title} ({ui_domains.name(h.domain)})" for h in shown}
    chosen = st.selectbox(ui.tr("about.open"), list(titles), format_func=titles.get, key=f"{NS}.doc")
    entry = next((h for h in shown if h.doc_ix == chosen), None)
    text = ui.guarded(search.document_text, index, chosen, SHOW_TOKENS) if entry is not None else None
    if text is None:
        return
    if entry.tokens > SHOW_TOKENS:
        st.caption(ui.tr("about.long", shown=f"{SHOW_TOKENS:,}", total=f"{entry.tokens:,}"))
    marks = []
    if query and query.strip():
        found_at = re.finditer(re.escape(query.strip()), text, re.IGNORECASE)
        marks = [(m.start(), m.end(), "#fde68a") for m, _ in zip(found_at, range(200), strict=False)]
    with st.container(border=True, height=400):
        st.html(ui_text.highlight_html(text, marks))


st.title("ℹ️ " + ui.tr("nav.about"))
cards()
browser()
